// Shared wiring of the `aegis` commands: global options, exit codes, output (human or --json),
// and loading what a command needs from the config (store, trust, the signing identity).
// This is the edge: failures are thrown as CommandError and turned into an exit code in main.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aegis/keys/keys.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

namespace aegis::cli {

// Exit codes (docs/store.md, "Exit codes").
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // refused or failed: bad input, store refusal, broken chain
inline constexpr int kExitUsage = 2;   // the command line itself is wrong
inline constexpr int kExitConfig =
    3;  // the config file, or a file it names, is missing or unusable

struct GlobalOptions {
  std::string config_path{config::kDefaultConfigPath};
  bool json = false;
};

// A command's failure: exit code, a stable code word (for --json) and a one-line message.
class CommandError : public std::runtime_error {
 public:
  // `result`: with --json, fields printed alongside "error" (e.g. a verification report).
  CommandError(int exit_code, std::string code, const std::string& message,
               nlohmann::ordered_json result = nlohmann::ordered_json::object())
      : std::runtime_error(message),
        exit_code_(exit_code),
        code_(std::move(code)),
        result_(std::move(result)) {}
  int exit_code() const { return exit_code_; }
  const std::string& code() const { return code_; }
  const nlohmann::ordered_json& result() const { return result_; }

 private:
  int exit_code_;
  std::string code_;
  nlohmann::ordered_json result_;
};

[[noreturn]] void fail(int exit_code, std::string code, const std::string& message);
[[noreturn]] void fail_store(const store::StoreError& e);

// Prints a command's result: `json` with --json, `human` (a line or more) otherwise.
void print_result(const GlobalOptions& g, const nlohmann::ordered_json& json,
                  const std::string& human);
// Prints a failure: always a line on stderr; with --json also {"error": {...}} on stdout.
void print_error(const GlobalOptions& g, const CommandError& e);

// Unix time now, milliseconds (the system clock: read here, at the edge, only).
std::uint64_t now_ms();
// "2024-06-10T06:13:20.000Z"
std::string format_time(std::uint64_t ms);

// Left-aligned columns separated by two spaces; rows[0] is the header.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

config::Config load_config(const GlobalOptions& g);
std::filesystem::path database_path(const config::Config& c);
store::Store open_store(const config::Config& c);
// The trust bundle, refused (bundle_rolled_back, exit 3) below the highest version the store
// has accepted; a higher version is recorded in the store (docs/keys.md, "Rollback").
protocol::Trust load_trust(const config::Config& c, store::Store& s, std::uint64_t now);
// The authority's matching key (keys.matching_key_file); a config error when missing or bad.
keys::MatchingKey load_matching_key(const config::Config& c);

// What a change needs: the identity (which signs), the verified trust, the matching key (which
// makes match tokens), and the Signing the store takes (it refers to all three, so Authority is
// neither copied nor moved).
class Authority {
 public:
  Authority(const config::Config& c, store::Store& s, std::uint64_t now);
  Authority(const Authority&) = delete;
  Authority& operator=(const Authority&) = delete;
  const store::Signing& signing() const { return *signing_; }

 private:
  keys::Identity identity_;
  protocol::Trust trust_;
  keys::MatchingKey matching_key_;
  std::unique_ptr<store::Signing> signing_;
};

// Writes `text` to `path` never half-written: PATH.tmp created mode 0600, fsynced, renamed
// into place (links export, subject access).
void write_file_atomically(const std::string& path, const std::string& text);

// Reads a file, or standard input for "-", of at most max_size bytes.
std::string read_input(const std::string& path, std::size_t max_size);

}  // namespace aegis::cli
