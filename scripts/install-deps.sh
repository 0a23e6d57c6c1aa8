#!/usr/bin/env bash
# Installs the Debian 12 packages aegis needs to build, test and run its demo — only those that
# are missing, so it is fast on a machine that already has them. Must run as root (or with sudo
# available) on Debian 12.
set -euo pipefail

packages=(
  build-essential cmake pkg-config          # toolchain
  libsodium-dev                             # Ed25519, X25519, XChaCha20-Poly1305, BLAKE2b, Argon2id
  libmsgpack-cxx-dev                        # canonical encoding (C++ API, header-only)
  libsqlite3-dev sqlite3                    # local stores; sqlite3 CLI for integrity checks in tests
  libzmq3-dev cppzmq-dev                    # transport (sync issue)
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev  # config, command line, JSON output
  libxml2-dev                               # CTF and CIN census XML, XSD validation (adapters)
  libssl-dev                                # SHA-256 of imported files with the CPU's SHA instructions (inbox)
  libcpp-httplib-dev                        # aegisd's /metrics endpoint (daemon/metrics/)
  libjemalloc-dev                           # the programs' allocator (CMakeLists.txt, AEGIS_JEMALLOC)
  catch2                                    # unit tests
  python3                                   # test scripts parse JSON output
  libsystemd-dev systemd procps             # sd_notify; systemd-analyze, sysusers, tmpfiles; kill
  scdoc lintian strace                      # man pages; checks of the package and its syscall filter
  clang libclang-rt-14-dev                  # libFuzzer targets (fuzz/, scripts/fuzz.sh)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
