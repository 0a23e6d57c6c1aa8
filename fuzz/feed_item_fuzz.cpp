// libFuzzer target: the index's signed feed items as an authority decodes them (PROTOCOL.md
// §13), the signed wrapper then the body. Invariant: whatever decodes re-encodes to the very
// same bytes; nothing crashes.
#include <cstddef>
#include <cstdint>

#include "aegis/protocol/feed.hpp"
#include "aegis/protocol/signed.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace aegis::protocol;
  const ByteView wire(data, size);
  DecodeLimits limits;
  limits.max_input = kMaxFeedItemSize;
  auto wrapper = decode_signed(wire, "feed_item", limits);
  if (!wrapper) return 0;
  if (encode_signed(*wrapper) != Bytes(wire.begin(), wire.end()))
    aegis::fuzz::fail("feed item wrapper does not re-encode to its bytes");
  auto item = decode_feed_item_body(wrapper->body);
  if (!item) return 0;
  if (encode_feed_item_body(*item) != wrapper->body)
    aegis::fuzz::fail("feed item body does not re-encode to its bytes");
  return 0;
}
