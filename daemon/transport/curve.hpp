// A node's CURVE key pair as the transport needs it: the public key (32 bytes) and the secret in
// Z85 text (40 characters, from keys::Identity::curve_secret_z85()). The secret is wiped when
// the object is destroyed; the transport copies it into libzmq and keeps no other copy.
#pragma once

#include <string>
#include <utility>

#include "aegis/protocol/bytes.hpp"

namespace aegis::transport {

class CurveKeys {
 public:
  CurveKeys(const protocol::CurvePublicKey& public_key, std::string secret_z85)
      : public_key_(public_key), secret_z85_(std::move(secret_z85)) {}
  CurveKeys(const CurveKeys&) = delete;
  CurveKeys& operator=(const CurveKeys&) = delete;
  ~CurveKeys() {
    volatile char* p = secret_z85_.data();
    for (std::size_t i = 0; i < secret_z85_.size(); ++i) p[i] = 0;
  }
  const protocol::CurvePublicKey& public_key() const { return public_key_; }
  const std::string& secret_z85() const { return secret_z85_; }

 private:
  protocol::CurvePublicKey public_key_;
  std::string secret_z85_;
};

}  // namespace aegis::transport
