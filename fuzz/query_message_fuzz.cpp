// libFuzzer target: the query socket's messages as the index and an authority decode one
// ZeroMQ frame (PROTOCOL.md §16), and the signed query or override a request carries, as the
// index decodes it before verifying. Invariant: whatever decodes re-encodes to the very same
// bytes and has a name; nothing crashes.
#include <cstddef>
#include <cstdint>
#include <variant>

#include "aegis/protocol/query.hpp"
#include "aegis/protocol/signed.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace aegis::protocol;

// A signed body inside a request: the wrapper, then the body by `decode`/`encode`.
template <class Decode, class Encode>
void check_signed(const Bytes& wire, const char* domain, Decode decode, Encode encode) {
  auto wrapper = decode_signed(wire, domain);
  if (!wrapper) return;
  if (encode_signed(*wrapper) != wire) aegis::fuzz::fail("signed request does not re-encode");
  auto body = decode(wrapper->body);
  if (!body) return;
  if (encode(*body) != wrapper->body) aegis::fuzz::fail("request body does not re-encode");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView frame(data, size);
  auto message = decode_query_message(frame);
  if (!message) return 0;
  if (encode_query_message(*message) != Bytes(frame.begin(), frame.end()))
    aegis::fuzz::fail("query message does not re-encode to its bytes");
  if (query_message_name(*message).empty()) aegis::fuzz::fail("query message without a name");
  if (const auto* q = std::get_if<QueryRequest>(&*message))
    check_signed(q->query, "query", decode_query_body, encode_query_body);
  if (const auto* o = std::get_if<OverrideRequestMessage>(&*message))
    check_signed(o->request, "override", decode_override_body, encode_override_body);
  return 0;
}
