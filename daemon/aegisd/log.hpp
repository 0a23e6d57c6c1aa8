// aegisd's log: one event per line on stderr, with an sd-daemon priority prefix that journald
// understands ("<3>" error, "<4>" warning, "<6>" info, "<7>" debug), then the event name and
// key=value fields:
//   <6>connected authority=kent peer=index
//   <4>rejected authority=kent seq=1043 code=bad_signature
// Never personal data: only ids, seqs, counts, codes and error details (which name fields,
// never values).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace aegis::daemon::log {

enum class Level { error = 3, warning = 4, info = 6, debug = 7 };

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, std::uint64_t v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  std::string_view key;
  std::string value;
};

// Writes one line: "<N>event k=v k=v". Values with spaces, quotes or '=' are quoted; control
// characters are escaped, so one event is always one line.
void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});
// The line write() would print (for tests).
std::string format(Level level, std::string_view event, std::initializer_list<Field> fields);

inline void error(std::string_view event, std::initializer_list<Field> f = {}) {
  write(Level::error, event, f);
}
inline void warning(std::string_view event, std::initializer_list<Field> f = {}) {
  write(Level::warning, event, f);
}
inline void info(std::string_view event, std::initializer_list<Field> f = {}) {
  write(Level::info, event, f);
}

}  // namespace aegis::daemon::log
