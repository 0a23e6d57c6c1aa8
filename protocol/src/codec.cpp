// Canonical msgpack writer and the limit-enforcing, path-tracking reader (docs/PROTOCOL.md §2).
#include "aegis/protocol/codec.hpp"

#include <new>

namespace aegis::protocol {

Writer::Writer() : pk_(buf_) {}

void Writer::array(std::uint32_t n) { pk_.pack_array(n); }
void Writer::uint(std::uint64_t v) { pk_.pack_uint64(v); }
void Writer::boolean(bool v) { v ? pk_.pack_true() : pk_.pack_false(); }
void Writer::nil() { pk_.pack_nil(); }
void Writer::str(std::string_view s) {
  pk_.pack_str(static_cast<std::uint32_t>(s.size()));
  pk_.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}
void Writer::bin(ByteView b) {
  pk_.pack_bin(static_cast<std::uint32_t>(b.size()));
  pk_.pack_bin_body(reinterpret_cast<const char*>(b.data()), static_cast<std::uint32_t>(b.size()));
}
Bytes Writer::take() {
  Bytes out(reinterpret_cast<const std::uint8_t*>(buf_.data()),
            reinterpret_cast<const std::uint8_t*>(buf_.data()) + buf_.size());
  buf_.clear();
  return out;
}

void DecodeContext::fail(Errc code, const std::string& path, std::string_view what) {
  if (error_) return;
  error_ = Error{code, path + ": " + std::string(what)};
}

DecodeContext::PathSegment* DecodeContext::next_segment() {
  if (used_ == kChunk) {
    chunks_.push_back(std::make_unique<PathSegment[]>(kChunk));
    used_ = 0;
  }
  return &chunks_.back()[used_++];
}

const DecodeContext::PathSegment* DecodeContext::root(std::string text) {
  roots_.push_back(std::make_unique<std::string>(std::move(text)));
  PathSegment* s = next_segment();
  *s = PathSegment{nullptr, *roots_.back(), 0, false};
  return s;
}

const DecodeContext::PathSegment* DecodeContext::field(const PathSegment* parent,
                                                       std::string_view name) {
  PathSegment* s = next_segment();
  *s = PathSegment{parent, name, 0, false};
  return s;
}

const DecodeContext::PathSegment* DecodeContext::item(const PathSegment* parent,
                                                      std::size_t index) {
  PathSegment* s = next_segment();
  *s = PathSegment{parent, {}, index, true};
  return s;
}

std::string DecodeContext::spell(const PathSegment* segment) {
  if (segment == nullptr) return {};
  if (segment->parent == nullptr) return std::string(segment->name);
  std::string out = spell(segment->parent);
  if (segment->is_index) {
    out += '[';
    out += std::to_string(segment->index);
    out += ']';
  } else {
    out += '.';
    out += segment->name;
  }
  return out;
}

namespace {
const char* type_name(msgpack::type::object_type t) {
  switch (t) {
    case msgpack::type::NIL: return "nil";
    case msgpack::type::BOOLEAN: return "bool";
    case msgpack::type::POSITIVE_INTEGER: return "unsigned integer";
    case msgpack::type::NEGATIVE_INTEGER: return "negative integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return "float";
    case msgpack::type::STR: return "str";
    case msgpack::type::BIN: return "bin";
    case msgpack::type::ARRAY: return "array";
    case msgpack::type::MAP: return "map";
    case msgpack::type::EXT: return "ext";
  }
  return "unknown";
}
}  // namespace

bool Node::is_nil() const { return obj_ == nullptr || obj_->type == msgpack::type::NIL; }

std::uint64_t Node::as_uint(std::uint64_t max) const {
  if (ctx_->failed()) return 0;
  if (obj_ == nullptr || obj_->type != msgpack::type::POSITIVE_INTEGER) {
    fail(Errc::malformed, std::string("expected unsigned integer, got ") +
                              (obj_ ? type_name(obj_->type) : "nothing"));
    return 0;
  }
  if (obj_->via.u64 > max) {
    fail(Errc::invalid_field, "value " + std::to_string(obj_->via.u64) + " above maximum " +
                                  std::to_string(max));
    return 0;
  }
  return obj_->via.u64;
}

bool Node::as_bool() const {
  if (ctx_->failed()) return false;
  if (obj_ == nullptr || obj_->type != msgpack::type::BOOLEAN) {
    fail(Errc::malformed,
         std::string("expected bool, got ") + (obj_ ? type_name(obj_->type) : "nothing"));
    return false;
  }
  return obj_->via.boolean;
}

std::string Node::as_str(std::size_t max_len, std::size_t min_len) const {
  if (ctx_->failed()) return {};
  if (obj_ == nullptr || obj_->type != msgpack::type::STR) {
    fail(Errc::malformed,
         std::string("expected str, got ") + (obj_ ? type_name(obj_->type) : "nothing"));
    return {};
  }
  std::string_view s(obj_->via.str.ptr, obj_->via.str.size);
  if (s.size() > max_len) {
    fail(Errc::too_large, std::to_string(s.size()) + " bytes, limit " + std::to_string(max_len));
    return {};
  }
  if (s.size() < min_len) {
    fail(Errc::invalid_field, s.empty() ? "must not be empty"
                                        : "shorter than " + std::to_string(min_len) + " bytes");
    return {};
  }
  if (!valid_utf8(s)) {
    fail(Errc::invalid_field, "not valid UTF-8 (or contains NUL)");
    return {};
  }
  return std::string(s);
}

std::optional<std::string> Node::as_optional_str(std::size_t max_len, std::size_t min_len) const {
  if (ctx_->failed() || is_nil()) return std::nullopt;
  return as_str(max_len, min_len);
}

Bytes Node::as_bin(std::size_t max_len) const {
  if (ctx_->failed()) return {};
  if (obj_ == nullptr || obj_->type != msgpack::type::BIN) {
    fail(Errc::malformed,
         std::string("expected bin, got ") + (obj_ ? type_name(obj_->type) : "nothing"));
    return {};
  }
  if (obj_->via.bin.size > max_len) {
    fail(Errc::too_large,
         std::to_string(obj_->via.bin.size) + " bytes, limit " + std::to_string(max_len));
    return {};
  }
  auto p = reinterpret_cast<const std::uint8_t*>(obj_->via.bin.ptr);
  return Bytes(p, p + obj_->via.bin.size);
}

ArrayNode Node::as_array(std::size_t min, std::size_t max) const {
  if (ctx_->failed()) return ArrayNode(*ctx_, nullptr, 0, path_);
  if (obj_ == nullptr || obj_->type != msgpack::type::ARRAY) {
    fail(Errc::malformed,
         std::string("expected array, got ") + (obj_ ? type_name(obj_->type) : "nothing"));
    return ArrayNode(*ctx_, nullptr, 0, path_);
  }
  std::size_t n = obj_->via.array.size;
  if (n > max) {
    fail(Errc::too_large, std::to_string(n) + " elements, limit " + std::to_string(max));
    return ArrayNode(*ctx_, nullptr, 0, path_);
  }
  if (n < min) {
    fail(Errc::malformed, std::to_string(n) + " elements, expected at least " + std::to_string(min));
    return ArrayNode(*ctx_, nullptr, 0, path_);
  }
  return ArrayNode(*ctx_, obj_->via.array.ptr, n, path_);
}

void Node::expect_version(std::uint64_t expected) const {
  std::uint64_t v = as_uint();
  if (ctx_->failed()) return;
  if (v != expected)
    fail(Errc::unknown_version,
         "version " + std::to_string(v) + ", this implementation knows " + std::to_string(expected));
}

Node ArrayNode::field(std::size_t i, std::string_view name) const {
  const DecodeContext::PathSegment* p = ctx_->field(path_, name);
  if (i >= size_) {
    if (items_ != nullptr && !ctx_->failed())
      ctx_->fail(Errc::malformed, DecodeContext::spell(p), "missing");
    return Node(*ctx_, nullptr, p);
  }
  return Node(*ctx_, &items_[i], p);
}

Node ArrayNode::item(std::size_t i) const {
  const DecodeContext::PathSegment* p = ctx_->item(path_, i);
  if (i >= size_) {
    if (!ctx_->failed()) ctx_->fail(Errc::malformed, DecodeContext::spell(p), "missing");
    return Node(*ctx_, nullptr, p);
  }
  return Node(*ctx_, &items_[i], p);
}

Result<msgpack::object_handle> parse_msgpack(ByteView bytes, const DecodeLimits& limits,
                                             std::string_view what) {
  const std::string w(what);
  if (bytes.size() > limits.max_input)
    return make_error(Errc::too_large, w + ": " + std::to_string(bytes.size()) +
                                           " bytes, limit " + std::to_string(limits.max_input));
  if (bytes.empty()) return make_error(Errc::truncated, w + ": empty input");
  // Maps and ext are never used by this protocol: a limit of 0 refuses them before allocation.
  msgpack::unpack_limit limit(limits.max_array, 0, limits.max_str, limits.max_bin, 0,
                              limits.max_depth);
  std::size_t off = 0;
  try {
    msgpack::object_handle oh = msgpack::unpack(reinterpret_cast<const char*>(bytes.data()),
                                                bytes.size(), off, nullptr, nullptr, limit);
    if (off != bytes.size())
      return make_error(Errc::trailing_bytes, w + ": " + std::to_string(bytes.size() - off) +
                                                  " bytes after the value");
    return oh;
  } catch (const msgpack::insufficient_bytes&) {
    return make_error(Errc::truncated, w + ": input ends inside a value");
  } catch (const msgpack::map_size_overflow&) {
    return make_error(Errc::malformed, w + ": maps are not used by this protocol");
  } catch (const msgpack::ext_size_overflow&) {
    return make_error(Errc::malformed, w + ": ext types are not used by this protocol");
  } catch (const msgpack::depth_size_overflow&) {
    return make_error(Errc::too_large, w + ": nested deeper than " + std::to_string(limits.max_depth));
  } catch (const msgpack::size_overflow&) {
    return make_error(Errc::too_large, w + ": a length exceeds its limit");
  } catch (const msgpack::unpack_error& e) {
    return make_error(Errc::malformed, w + ": not msgpack");
  } catch (const std::bad_alloc&) {
    return make_error(Errc::too_large, w + ": out of memory while parsing");
  }
}

bool valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c == 0) return false;
    if (c < 0x80) { ++i; continue; }
    std::size_t len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
      return false;  // overlong
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

}  // namespace aegis::protocol
