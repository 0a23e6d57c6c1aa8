// Checks shared by the protocol decoding tests: the error an envelope body must decode to, and
// whether an error detail starts with the field path a test expects.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "aegis/protocol/envelope.hpp"

namespace aegis::test {

// The error decoding `body` gives; the test fails when it decodes.
inline protocol::Error body_error(const protocol::Bytes& body) {
  auto e = protocol::decode_envelope_body(body);
  REQUIRE_FALSE(e.ok());
  return e.error();
}

inline bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

}  // namespace aegis::test
