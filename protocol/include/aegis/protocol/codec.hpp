// Canonical msgpack encoding and decoding (see docs/PROTOCOL.md §2).
//
// Writer emits the one canonical encoding of a value (msgpack-c always picks the shortest form).
// Decoding is two-step: `decode_canonical` parses the bytes under hard limits (so a 5-byte
// header claiming 4 billion elements never allocates), hands the tree to a reader function
// that walks it with Node/ArrayNode (recording the first error with the field path), then
// re-encodes the result and requires the bytes to be identical: anything else is
// `non_canonical`. Nothing here throws on bad bytes. A node's path ("envelope.payload...") is
// only spelled out when it is asked for (an error, a check that names it): the reader walks
// dozens of fields per value, and building each one's path text was most of the decoding time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/result.hpp"

namespace aegis::protocol {

// Hard ceilings applied while parsing, before any allocation proportional to a claimed size.
struct DecodeLimits {
  std::size_t max_input = 1u << 20;   // bytes of the whole value (1 MiB)
  std::size_t max_array = 4096;       // elements in one array
  std::size_t max_str = 64u << 10;    // bytes in one string
  std::size_t max_bin = 1u << 20;     // bytes in one binary
  std::size_t max_depth = 16;         // nesting
};

class Writer {
 public:
  Writer();
  void array(std::uint32_t n);
  void uint(std::uint64_t v);
  void boolean(bool v);
  void nil();
  void str(std::string_view s);
  void bin(ByteView b);
  template <std::size_t N>
  void bin(const ByteArray<N>& b) { bin(ByteView(b.data(), N)); }
  void optional_str(const std::optional<std::string>& s) { s ? str(*s) : nil(); }
  Bytes take();

 private:
  msgpack::sbuffer buf_;
  msgpack::packer<msgpack::sbuffer> pk_;
};

// Holds the first error met while reading a tree (later errors are ignored), and the paths of
// the nodes read: each node names its place by one segment (".name" or "[index]" after its
// parent's), kept here for as long as the context lives.
class DecodeContext {
 public:
  struct PathSegment {
    const PathSegment* parent = nullptr;  // nullptr: a root, whose text is `name`
    std::string_view name;                // a field name (a literal) or the root's text
    std::size_t index = 0;
    bool is_index = false;
  };

  void fail(Errc code, const std::string& path, std::string_view what);
  bool failed() const { return error_.has_value(); }
  const Error& error() const { return *error_; }

  const PathSegment* root(std::string text);
  // `name` must outlive the context (field names are string literals).
  const PathSegment* field(const PathSegment* parent, std::string_view name);
  const PathSegment* item(const PathSegment* parent, std::size_t index);
  static std::string spell(const PathSegment* segment);

 private:
  PathSegment* next_segment();
  static constexpr std::size_t kChunk = 64;

  std::optional<Error> error_;
  std::vector<std::unique_ptr<PathSegment[]>> chunks_;  // never moved once allocated
  std::size_t used_ = kChunk;                           // segments used in the last chunk
  std::vector<std::unique_ptr<std::string>> roots_;     // the roots' texts
};

class ArrayNode;

// One msgpack value at a path such as "envelope.payload.contacts[1].phones[0]".
// Accessors on the wrong type record `malformed` in the context and return a neutral value,
// so a reader can be written straight through and checked once at the end.
class Node {
 public:
  Node(DecodeContext& ctx, const msgpack::object* obj, std::string path)
      : ctx_(&ctx), obj_(obj), path_(ctx.root(std::move(path))) {}
  Node(DecodeContext& ctx, const msgpack::object* obj, const DecodeContext::PathSegment* path)
      : ctx_(&ctx), obj_(obj), path_(path) {}

  std::string path() const { return DecodeContext::spell(path_); }
  DecodeContext& context() const { return *ctx_; }
  bool is_nil() const;
  std::uint64_t as_uint(std::uint64_t max = UINT64_MAX) const;
  bool as_bool() const;
  // UTF-8 string of at most max_len bytes (and at least min_len); invalid UTF-8 or a NUL byte
  // is invalid_field.
  std::string as_str(std::size_t max_len, std::size_t min_len = 0) const;
  std::optional<std::string> as_optional_str(std::size_t max_len, std::size_t min_len = 1) const;
  Bytes as_bin(std::size_t max_len) const;
  template <std::size_t N>
  ByteArray<N> as_fixed_bin() const {
    ByteArray<N> out{};
    Bytes b = as_bin(N);
    if (ctx_->failed()) return out;
    if (b.size() != N) {
      fail(Errc::invalid_field, "expected " + std::to_string(N) + " bytes");
      return out;
    }
    for (std::size_t i = 0; i < N; ++i) out[i] = b[i];
    return out;
  }
  // An array whose length is within [min, max]; `too_large` above max, `malformed` below min.
  ArrayNode as_array(std::size_t min, std::size_t max) const;
  // Reads a format version; anything other than `expected` is unknown_version.
  void expect_version(std::uint64_t expected) const;
  void fail(Errc code, std::string_view what) const {
    if (!ctx_->failed()) ctx_->fail(code, path(), what);
  }

 private:
  DecodeContext* ctx_;
  const msgpack::object* obj_;
  const DecodeContext::PathSegment* path_;
};

class ArrayNode {
 public:
  ArrayNode(DecodeContext& ctx, const msgpack::object* items, std::size_t size,
            const DecodeContext::PathSegment* path)
      : ctx_(&ctx), items_(items), size_(size), path_(path) {}
  std::size_t size() const { return size_; }
  // Element i named as a struct field: path "parent.name". Out of range yields a nil node and
  // records `malformed`.
  Node field(std::size_t i, std::string_view name) const;
  // Element i of a list: path "parent[i]".
  Node item(std::size_t i) const;

 private:
  DecodeContext* ctx_;
  const msgpack::object* items_;
  std::size_t size_;
  const DecodeContext::PathSegment* path_;
};

// Parses `bytes` under `limits` into one msgpack value and returns the handle, or an error:
// truncated, trailing_bytes, too_large, malformed. `what` names the value for messages.
Result<msgpack::object_handle> parse_msgpack(ByteView bytes, const DecodeLimits& limits,
                                             std::string_view what);

// Full canonical decode: parse, read with `read(Node) -> T`, re-encode with `write(const T&)
// -> Bytes` and require byte equality.
template <typename T, typename ReadFn, typename WriteFn>
Result<T> decode_canonical(ByteView bytes, const DecodeLimits& limits, std::string_view what,
                           ReadFn&& read, WriteFn&& write) {
  auto parsed = parse_msgpack(bytes, limits, what);
  if (!parsed) return parsed.error();
  DecodeContext ctx;
  Node root(ctx, &parsed->get(), std::string(what));
  T value = read(root);
  if (ctx.failed()) return ctx.error();
  Bytes again = write(value);
  if (again.size() != bytes.size() || !std::equal(again.begin(), again.end(), bytes.begin()))
    return make_error(Errc::non_canonical, std::string(what) + ": not the canonical encoding");
  return value;
}

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF) without NUL.
bool valid_utf8(std::string_view s) noexcept;

}  // namespace aegis::protocol
