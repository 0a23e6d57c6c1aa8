// Z85 encoding (ZeroMQ RFC 32/Z85), as ZMQ_CURVE_SECRETKEY / ZMQ_CURVE_PUBLICKEY expect it.
// keys/ does not link libzmq, so it carries its own codec.
#include <cassert>

#include "aegis/keys/keys.hpp"

namespace aegis::keys {
namespace {

constexpr std::string_view kAlphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
static_assert(kAlphabet.size() == 85);

int digit_value(char c) {
  auto pos = kAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

}  // namespace

std::string z85_encode(ByteView bytes) {
  assert(bytes.size() % 4 == 0);
  std::string out;
  out.reserve(bytes.size() / 4 * 5);
  for (std::size_t i = 0; i + 4 <= bytes.size(); i += 4) {
    std::uint32_t value = (std::uint32_t{bytes[i]} << 24) | (std::uint32_t{bytes[i + 1]} << 16) |
                          (std::uint32_t{bytes[i + 2]} << 8) | std::uint32_t{bytes[i + 3]};
    char chunk[5];
    for (int j = 4; j >= 0; --j) {
      chunk[j] = kAlphabet[value % 85];
      value /= 85;
    }
    out.append(chunk, 5);
  }
  return out;
}

std::optional<Bytes> z85_decode(std::string_view text) {
  if (text.size() % 5 != 0) return std::nullopt;
  Bytes out;
  out.reserve(text.size() / 5 * 4);
  for (std::size_t i = 0; i < text.size(); i += 5) {
    std::uint64_t value = 0;
    for (std::size_t j = 0; j < 5; ++j) {
      int d = digit_value(text[i + j]);
      if (d < 0) return std::nullopt;
      value = value * 85 + static_cast<std::uint64_t>(d);
    }
    if (value > 0xFFFFFFFFu) return std::nullopt;  // "#####" and friends overflow 32 bits
    for (int shift = 24; shift >= 0; shift -= 8) {
      out.push_back(static_cast<std::uint8_t>(value >> shift));
    }
  }
  return out;
}

}  // namespace aegis::keys
