// Byte containers, fixed-size keys and hex helpers shared by every module.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace aegis::protocol {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
template <std::size_t N>
using ByteArray = std::array<std::uint8_t, N>;

inline constexpr std::size_t kHashSize = 32;          // BLAKE2b-256
inline constexpr std::size_t kSignPublicKeySize = 32; // Ed25519
inline constexpr std::size_t kSignatureSize = 64;     // Ed25519
inline constexpr std::size_t kBoxPublicKeySize = 32;  // X25519
inline constexpr std::size_t kCurvePublicKeySize = 32;// ZeroMQ CURVE (X25519)

using Hash = ByteArray<kHashSize>;
using SignPublicKey = ByteArray<kSignPublicKeySize>;
using Signature = ByteArray<kSignatureSize>;
using BoxPublicKey = ByteArray<kBoxPublicKeySize>;
using CurvePublicKey = ByteArray<kCurvePublicKeySize>;

// Lower-case hex of the bytes.
std::string to_hex(ByteView bytes);
// Parses hex (either case, even length); nullopt on any other character or odd length.
std::optional<Bytes> from_hex(std::string_view hex);
// Parses hex of exactly N bytes.
template <std::size_t N>
std::optional<ByteArray<N>> array_from_hex(std::string_view hex) {
  auto b = from_hex(hex);
  if (!b || b->size() != N) return std::nullopt;
  ByteArray<N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = (*b)[i];
  return out;
}

inline ByteView view(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace aegis::protocol
