// libFuzzer target: the Children in Need census importer (adapters/src/cin.cpp, docs/cin.md),
// XSD validation included, on arbitrary bytes. Invariant: a file is imported, partly
// quarantined or rejected whole with a message; every record handed over is valid; nothing
// crashes.
#include <cstddef>
#include <cstdint>

#include "importer_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static aegis::fuzz::ScratchFile file("cin");
  aegis::fuzz::CheckingSink sink;
  auto r = aegis::adapters::parse_cin(file.write(data, size), aegis::fuzz::parse_options(), sink);
  if (!r && r.error().message.empty()) aegis::fuzz::fail("a rejected file without a message");
  return 0;
}
