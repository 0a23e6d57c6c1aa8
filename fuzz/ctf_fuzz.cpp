// libFuzzer target: the DfE Common Transfer File importer (adapters/src/ctf.cpp, docs/ctf.md)
// on arbitrary bytes. Invariant: a file is imported, partly quarantined or rejected whole with
// a message; every record handed over is valid; nothing crashes.
#include <cstddef>
#include <cstdint>

#include "importer_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static aegis::fuzz::ScratchFile file("ctf");
  aegis::fuzz::CheckingSink sink;
  auto r = aegis::adapters::parse_ctf(file.write(data, size), aegis::fuzz::parse_options(), sink);
  if (!r && r.error().message.empty()) aegis::fuzz::fail("a rejected file without a message");
  return 0;
}
