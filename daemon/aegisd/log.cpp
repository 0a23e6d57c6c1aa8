// aegisd's one-line log events (see log.hpp).
#include "log.hpp"

#include <cstdio>
#include <unistd.h>

namespace aegis::daemon::log {
namespace {

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return true;
  return false;
}

void append_value(std::string& out, std::string_view v) {
  if (!needs_quotes(v)) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

std::string format(Level level, std::string_view event, std::initializer_list<Field> fields) {
  std::string line = "<" + std::to_string(static_cast<int>(level)) + ">";
  line += event;
  for (const Field& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    append_value(line, f.value);
  }
  line += '\n';
  return line;
}

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  const std::string line = format(level, event, fields);
  // One write(2) per event, so lines from a crash or a concurrent writer never interleave.
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace aegis::daemon::log
