// libFuzzer target: the node's config file (daemon/config/, docs/config.md) parsed from
// arbitrary text, then checked as aegisd checks it. Invariant: the file is accepted, or
// refused with one line naming the file; nothing crashes and no exception escapes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = aegis::config::parse_config(text, "/etc/aegis/fuzz.toml");
  if (!config) {
    const std::string& m = config.error().message;
    if (m.rfind("/etc/aegis/fuzz.toml", 0) != 0) aegis::fuzz::fail("error not naming the file");
    if (m.find('\n') != std::string::npos) aegis::fuzz::fail("error of more than one line");
    return 0;
  }
  auto checked = aegis::config::check_daemon_config(*config);
  if (!checked && checked.error().message.empty()) aegis::fuzz::fail("refusal without a message");
  return 0;
}
