// The aegis CSV format and its column mappings (docs/csv-format.md). One row per child; the
// header names the columns. A mapping says how another CSV dialect (FEBRL person data) lands in
// the aegis columns, and which checks apply to it. parse_csv is declared in adapter.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "aegis/adapters/adapter.hpp"

namespace aegis::adapters {

enum class CsvDateFormat : std::uint8_t {
  iso,       // YYYY-MM-DD
  yyyymmdd,  // 19990219 (FEBRL)
};

struct CsvMapping {
  std::string name = "csv";     // FileInfo::source, for reports
  std::string separator = ",";  // between fields, outside quotes; FEBRL: ", "
  // Source column name -> aegis column name. An empty target drops the column (its values are
  // never read into anything). Several sources may name one target: their non-empty values are
  // joined with one space in header order. Columns not listed are aegis columns by their own
  // name; a header column that is neither is an unknown column and rejects the file.
  std::vector<std::pair<std::string, std::string>> columns;
  CsvDateFormat date_format = CsvDateFormat::iso;
  bool uk_postcode = true;  // postcodes checked and normalised as UK ones; false: kept as text
  bool child_age = true;    // date of birth at most 25 years before ParseOptions::today
  // Bounds on memory per row; a file exceeding one is rejected whole.
  std::size_t max_field_bytes = 4096;
  std::size_t max_row_bytes = 1 << 20;
  std::size_t max_columns = 4096;

  static CsvMapping aegis();  // the documented aegis header, unchanged
  static CsvMapping febrl();  // FEBRL person data (docs/csv-format.md, "FEBRL mapping")
};

}  // namespace aegis::adapters
