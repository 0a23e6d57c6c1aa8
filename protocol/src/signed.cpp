// Signed = [ body: bin, signature: bin(64) ] (docs/PROTOCOL.md §4).
#include "aegis/protocol/signed.hpp"

namespace aegis::protocol {

void write_signed(Writer& w, const Signed& s) {
  w.array(2);
  w.bin(s.body);
  w.bin(s.signature);
}

Signed read_signed(const Node& n) {
  Signed s;
  auto a = n.as_array(2, 2);
  s.body = a.field(0, "body").as_bin(DecodeLimits{}.max_bin);
  s.signature = a.field(1, "signature").as_fixed_bin<kSignatureSize>();
  return s;
}

Bytes encode_signed(const Signed& s) {
  Writer w;
  write_signed(w, s);
  return w.take();
}

Result<Signed> decode_signed(ByteView bytes, std::string_view what, const DecodeLimits& limits) {
  return decode_canonical<Signed>(bytes, limits, what, read_signed, encode_signed);
}

Signed sign_body(Bytes body, std::string_view domain, const Signer& signer) {
  Signed s;
  s.signature = signer.sign(signing_input(domain, body));
  s.body = std::move(body);
  return s;
}

}  // namespace aegis::protocol
