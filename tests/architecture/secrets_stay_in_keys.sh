#!/usr/bin/env bash
# docs/architecture.md: keys/ is the only module that creates or uses long-term secret keys.
# Fails when product code outside keys/ (protocol/, daemon/, adapters/) calls a libsodium
# function that takes a long-term secret key.
set -euo pipefail
root=${1:?usage: secrets_stay_in_keys.sh SOURCE_DIR}
secret_calls='crypto_sign_detached|crypto_sign_keypair|crypto_sign_seed_keypair|crypto_box_keypair|crypto_box_seed_keypair|crypto_sign\(|crypto_box_open|crypto_box_seal_open|crypto_pwhash|crypto_sign_ed25519_sk_to'
dirs=()
for d in protocol daemon adapters; do [ -d "$root/$d" ] && dirs+=("$root/$d"); done
status=0
if grep -rnE "${secret_calls}" "${dirs[@]}" --include='*.hpp' --include='*.cpp' --include='*.h'; then
  echo "secret-key operations outside keys/ (above)"; status=1
fi
[ $status -eq 0 ] && echo "secret keys stay in keys/"
exit $status
