#!/usr/bin/env bash
# docs/architecture.md: protocol/ does no I/O. Fails when a protocol source includes a header
# for files, sockets, databases, clocks, threads or randomness, or calls libsodium's RNG.
set -euo pipefail
root=${1:?usage: protocol_is_pure.sh SOURCE_DIR}
forbidden_headers='<(fstream|iostream|cstdio|stdio\.h|filesystem|chrono|ctime|time\.h|random|thread|mutex|unistd\.h|fcntl\.h|sys/[a-z_]+\.h|sqlite3\.h|zmq\.h|zmq\.hpp)>'
forbidden_calls='randombytes|std::chrono|::now\(|fopen|std::ifstream|std::ofstream|getenv|std::random_device|std::cout|std::cerr|printf\('
status=0
if grep -rnE "#include[[:space:]]*${forbidden_headers}" "$root/protocol" --include='*.hpp' --include='*.cpp'; then
  echo "protocol/ includes an I/O, clock or randomness header (above)"; status=1
fi
if grep -rnE "${forbidden_calls}" "$root/protocol" --include='*.hpp' --include='*.cpp'; then
  echo "protocol/ calls I/O, clock or randomness (above)"; status=1
fi
if grep -nE 'aegis_keys|aegis_store|SQLITE|zmq|CLI11|toml' "$root/protocol/CMakeLists.txt"; then
  echo "protocol/CMakeLists.txt links a target the graph forbids (above)"; status=1
fi
[ $status -eq 0 ] && echo "protocol/ is pure"
exit $status
