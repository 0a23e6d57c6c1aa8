// The signed wrapper shared by envelopes, certificates and trust bundles (docs/PROTOCOL.md §4):
//   Signed = [ body: bin, signature: bin(64) ]
// The body is itself a canonical msgpack value; the signature covers
// signing_input(domain, body) so each kind of object has its own domain.
#pragma once

#include <string_view>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/result.hpp"

namespace aegis::protocol {

struct Signed {
  Bytes body;
  Signature signature{};
  bool operator==(const Signed&) const = default;
};

Bytes encode_signed(const Signed& s);
// Structure only: does not check the signature. `what` names the object in errors.
Result<Signed> decode_signed(ByteView bytes, std::string_view what,
                             const DecodeLimits& limits = DecodeLimits{});
void write_signed(Writer& w, const Signed& s);
Signed read_signed(const Node& n);

// Signs `body` under `domain` with `signer`.
Signed sign_body(Bytes body, std::string_view domain, const Signer& signer);

}  // namespace aegis::protocol
