// Result type and error codes for everything that reads untrusted bytes.
// Low layers never throw on bad input: they return Result<T> holding either a value or an
// Error (a precise code plus a human-readable detail naming the field and what was wrong).
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace aegis::protocol {

// Every distinct reason an input can be refused. Codes are stable: they appear in logs, in
// status output and in the test vectors (invalid_*.json "error" field, as the snake_case name).
enum class Errc {
  // decoding
  truncated,          // input ends before the value does
  trailing_bytes,     // bytes left after the value
  malformed,          // not msgpack, or the wrong msgpack type/arity for the field
  non_canonical,      // valid msgpack but not the one canonical encoding of the value
  unknown_version,    // a format version this implementation does not know
  too_large,          // exceeds a documented limit (size, count, depth)
  invalid_field,      // right type, value outside its domain (bad date, bad UTF-8, bad id...)
  // signatures and trust
  unknown_signer,     // no certificate for the named signer in the trust bundle
  revoked_signer,     // the signer's certificate serial is on the revocation list
  expired_signer,     // the certificate is not valid at the time of verification
  wrong_role,         // the certificate's role may not sign this kind of object
  bad_signature,      // Ed25519 verification failed
  // chains
  broken_chain,       // prev_hash does not match the hash of the previous envelope
  replayed,           // seq at or below what was already accepted
  out_of_order,       // seq beyond the next expected one (a gap)
  // trust bundle
  bundle_expired,     // the bundle's expiry is in the past
  bundle_rolled_back, // the bundle's version is lower than one already accepted
  forged_certificate, // a certificate in the bundle is not signed by the root
  // sealing
  not_a_recipient,    // the sealed blob has no entry for this key
  seal_corrupt,       // authentication of the sealed blob failed
};

// snake_case name of a code, as used in logs and test vectors.
std::string_view errc_name(Errc code) noexcept;

struct Error {
  Errc code;
  std::string detail;  // names the field (path) and the problem; never personal data

  std::string message() const { return std::string(errc_name(code)) + ": " + detail; }
};

// Either a value or an error. E is Error here; other modules (keys/, daemon/) use their own
// error types with the same shape.
template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(implicit)
  Result(E error) : v_(std::move(error)) {}          // NOLINT(implicit)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

// Result of an operation that produces no value.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(Errc code, std::string detail) { return Error{code, std::move(detail)}; }

}  // namespace aegis::protocol
