// StringIndex (resolve/string_index.hpp) against std::unordered_map: random inserts, finds
// and erases, through growth and without it, with long probe runs.
#include <catch2/catch.hpp>

#include <deque>
#include <random>
#include <string>
#include <unordered_map>

#include "resolve/string_index.hpp"

using aegis::resolve::StringIndex;

namespace {

struct Keys {
  const std::deque<std::string>* held;
  std::string_view operator()(std::uint32_t i) const { return (*held)[i]; }
};

}  // namespace

TEST_CASE("string index: finds what was inserted, nothing else; a key goes in once") {
  std::deque<std::string> held{"kent\x1f" "1", "kent\x1f" "2", "leeds\x1f" "1"};
  StringIndex<Keys> index{Keys{&held}};
  CHECK(index.find("kent\x1f" "1") == index.kAbsent);
  CHECK_FALSE(index.erase("kent\x1f" "1"));
  for (std::uint32_t i = 0; i < held.size(); ++i) CHECK(index.insert(held[i], i));
  CHECK_FALSE(index.insert("kent\x1f" "2", 7));
  CHECK(index.size() == 3);
  CHECK(index.find("kent\x1f" "2") == 1);
  CHECK(index.find("leeds\x1f" "1") == 2);
  CHECK(index.find("leeds\x1f" "2") == index.kAbsent);
  CHECK(index.find("") == index.kAbsent);
  CHECK(index.erase("kent\x1f" "1"));
  CHECK(index.find("kent\x1f" "1") == index.kAbsent);
  CHECK(index.find("kent\x1f" "2") == 1);
  CHECK(index.size() == 2);
}

TEST_CASE("string index: random inserts, erases and finds agree with std::unordered_map") {
  for (std::uint32_t seed : {1u, 2u, 3u}) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    // Few distinct keys, many operations: long probe runs, erases inside them, reinserts.
    std::deque<std::string> held;
    std::unordered_map<std::string, std::uint32_t> model;
    StringIndex<Keys> index{Keys{&held}};
    if (seed == 3) index.reserve(5000);  // no growth at all on this one
    const std::uint32_t universe = seed == 1 ? 300 : 5000;
    for (int step = 0; step < 40000; ++step) {
      const std::string key = "la-" + std::to_string(rng() % universe);
      const auto op = rng() % 10;
      const auto m = model.find(key);
      if (op < 5) {
        const auto position = static_cast<std::uint32_t>(held.size());
        held.push_back(key);
        const bool fresh = index.insert(key, position);
        REQUIRE(fresh == (m == model.end()));
        if (fresh) model.emplace(key, position);
      } else if (op < 8) {
        const bool erased = index.erase(key);
        REQUIRE(erased == (m != model.end()));
        if (erased) model.erase(m);
      } else {
        REQUIRE(index.find(key) == (m == model.end() ? index.kAbsent : m->second));
      }
      REQUIRE(index.size() == model.size());
    }
    for (std::uint32_t k = 0; k < universe; ++k) {
      const std::string key = "la-" + std::to_string(k);
      const auto m = model.find(key);
      REQUIRE(index.find(key) == (m == model.end() ? index.kAbsent : m->second));
    }
  }
}
