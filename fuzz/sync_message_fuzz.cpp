// libFuzzer target: sync messages as either peer decodes one ZeroMQ frame (PROTOCOL.md §12).
// Invariant: whatever decodes re-encodes to the very same bytes and has a name; nothing
// crashes.
#include <cstddef>
#include <cstdint>

#include "aegis/protocol/sync.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace aegis::protocol;
  const ByteView frame(data, size);
  auto message = decode_message(frame);
  if (!message) return 0;
  if (encode_message(*message) != Bytes(frame.begin(), frame.end()))
    aegis::fuzz::fail("sync message does not re-encode to its bytes");
  if (message_name(*message).empty()) aegis::fuzz::fail("sync message without a name");
  return 0;
}
