// libFuzzer target: the CSV importer (adapters/src/csv.cpp, docs/csv-format.md) on arbitrary
// bytes, with both mappings (the aegis header and FEBRL: a file fit for one is usually
// rejected by the other at its header). Invariant: a file is imported, partly quarantined or
// rejected whole with a message; every record handed over is valid; nothing crashes.
#include <cstddef>
#include <cstdint>

#include "aegis/adapters/csv.hpp"
#include "importer_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using aegis::adapters::CsvMapping;
  static aegis::fuzz::ScratchFile file("csv");
  static const CsvMapping mappings[] = {CsvMapping::aegis(), CsvMapping::febrl()};
  const auto& path = file.write(data, size);
  for (const CsvMapping& mapping : mappings) {
    aegis::fuzz::CheckingSink sink;
    auto r = aegis::adapters::parse_csv(path, aegis::fuzz::parse_options(), mapping, sink);
    if (!r && r.error().message.empty()) aegis::fuzz::fail("a rejected file without a message");
  }
  return 0;
}
