// libFuzzer target: change envelopes as a receiver decodes them (PROTOCOL.md §6), the signed
// wrapper then the body, under the receiver's size limit. Invariant: whatever decodes
// re-encodes to the very same bytes (canonical form), and nothing crashes.
#include <cstddef>
#include <cstdint>

#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/signed.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace aegis::protocol;
  const ByteView wire(data, size);
  DecodeLimits limits;
  limits.max_input = kMaxEnvelopeSize;
  auto wrapper = decode_signed(wire, "envelope", limits);
  if (!wrapper) return 0;
  if (encode_signed(*wrapper) != Bytes(wire.begin(), wire.end()))
    aegis::fuzz::fail("envelope wrapper does not re-encode to its bytes");
  auto envelope = decode_envelope_body(wrapper->body);
  if (!envelope) return 0;
  if (encode_envelope_body(*envelope) != wrapper->body)
    aegis::fuzz::fail("envelope body does not re-encode to its bytes");
  return 0;
}
