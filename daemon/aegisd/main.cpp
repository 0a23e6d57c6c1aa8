// aegisd: the aegis daemon, one binary for both roles (docs/aegisd.md). Parses the command line,
// loads and checks the config, the node's identity, certificate and trust bundle, then runs the
// role's event loop: one thread polling the sync sockets, the admin socket and a signalfd.
// Exit codes: 0 stopped cleanly (SIGTERM/SIGINT) or --check-config passed; 1 failed at run time
// (store, sockets, another aegisd on the data directory); 2 usage; 3 config error.
// Under systemd (packaging/aegis@.service) it reports its state with sd_notify.
#include <sys/file.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <system_error>

#include <CLI/CLI.hpp>
#include <zmq.hpp>

#include "admin.hpp"
#include "authority_node.hpp"
#include "clock.hpp"
#include "config/config.hpp"
#include "index/index_store.hpp"
#include "index_node.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "metrics/http_server.hpp"
#include "node/node.hpp"
#include "signals.hpp"
#include "store/store.hpp"
#include "systemd_notify.hpp"
#include "transport/admin_socket.hpp"

namespace aegis::daemon {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
// The config file, or a file it names, is missing, invalid or does not fit: at start-up and with
// --check-config. packaging/aegis@.service names it in RestartPreventExitStatus=, so systemd does
// not restart a daemon that would only fail again (tests/packaging/ checks the two agree).
constexpr int kExitConfig = 3;
constexpr std::string_view kVersion = "0.1.0";

// A config-level problem: one line naming the key, exit 3.
class ConfigProblem : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Everything the file and the files it names must satisfy before the daemon starts.
struct Loaded {
  config::Config config;
  node::Node node;
};

// The highest trust bundle version the node's store has accepted, the min_version of its bundle
// (docs/keys.md, "Rollback"). 0 without a store yet; a store that does not open is reported by
// the role when it opens it.
std::uint64_t stored_trust_version(const config::Config& c) {
  std::error_code ec;
  if (c.role == protocol::Role::authority) {
    const std::filesystem::path file = c.data_dir / std::string(store::kDatabaseFileName);
    if (!std::filesystem::exists(file, ec)) return 0;
    auto s = store::Store::open(file, c.subject_id, {c.store.busy_timeout_ms});
    if (!s) return 0;
    auto v = s->trust_version();
    return v ? *v : 0;
  }
  const std::filesystem::path file = c.data_dir / std::string(index::kDatabaseFileName);
  if (!std::filesystem::exists(file, ec)) return 0;
  index::OpenOptions options;
  options.busy_timeout_ms = c.store.busy_timeout_ms;
  options.checkpoint_wal_frames = 0;  // a short read: no background checkpointer
  auto s = index::IndexStore::open(file, options);
  if (!s) return 0;
  auto v = s->trust_version();
  return v ? *v : 0;
}

Loaded load(const std::string& path, std::uint64_t now) {
  auto c = config::load_config(path);
  if (!c) throw ConfigProblem(c.error().message);
  if (auto ok = config::check_daemon_config(*c); !ok) throw ConfigProblem(ok.error().message);
  auto n = node::load_node(*c, now, stored_trust_version(*c));
  if (!n) throw ConfigProblem(c->file.string() + ": " + n.error().message);
  if (c->role == protocol::Role::authority &&
      !n->trust.active_subject(c->sync->index_id, protocol::Role::index, now))
    throw ConfigProblem(c->file.string() + ": sync.index_id: the trust bundle has no active " +
                        "index certificate for '" + c->sync->index_id + "'");
  return Loaded{std::move(c).value(), std::move(n).value()};
}

// The data directory (created 0700 if missing) and an exclusive lock on it, so two daemons
// never share one store or one admin socket.
int lock_data_dir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw std::runtime_error("data_dir " + dir.string() + ": " + std::strerror(errno));
  const std::filesystem::path file = dir / std::string(config::kDaemonLockName);
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error(file.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    throw std::runtime_error("another aegisd is running on data_dir " + dir.string());
  }
  return fd;
}

class Daemon {
 public:
  Daemon(Loaded& loaded, std::uint64_t now)
      : config_(loaded.config),
        node_(loaded.node),
        trust_(std::make_shared<const protocol::Trust>(std::move(loaded.node.trust))),
        started_ms_(now) {
    if (config_.role == protocol::Role::authority)
      role_ = std::make_unique<AuthorityNode>(config_, node_.identity, *node_.matching_key, trust_,
                                              context_, now);
    else
      role_ = std::make_unique<IndexNode>(config_, node_.identity, node_.serial, trust_, context_,
                                          now);
    admin_socket_ = std::make_unique<transport::AdminServer>(context_, config_.admin.socket);
    admin_.on("status", [this] { return nlohmann::ordered_json{{"status", status()}}; });
    if (config_.metrics.enabled) {
      scrapes_ = std::make_unique<ScrapeExchange>();
      metrics_server_ = std::make_unique<metrics::HttpServer>(
          config_.metrics.host, config_.metrics.port,
          [this] { return scrapes_->request(kScrapeWaitMs); });
    }
    admin_.on("nudge", [this] {
      role_->nudge(now_ms());
      return nlohmann::ordered_json::object();
    });
    role_->add_admin(admin_);
  }

  int run() {
    const std::string role(protocol::role_name(config_.role));
    log::info("ready", {{"role", role},
                        {"id", config_.subject_id},
                        {"endpoint", config_.role == protocol::Role::authority
                                         ? config_.sync->index_endpoint
                                         : config_.sync->listen},
                        {"admin", config_.admin.socket.string()},
                        {"trust_version", trust_->version()},
                        {"metrics", metrics_server_ ? metrics_server_->address() : "off"},
                        {"pid", static_cast<std::uint64_t>(::getpid())}});
    notify_.ready(state_line("serving"));
    std::uint64_t next_tick = 0;
    while (!stopping_) {
      std::vector<Watch> watches;
      role_->watches(watches);
      watches.push_back({admin_socket_->socket().handle(), -1, [this] { on_admin(); }});
      watches.push_back({nullptr, signals_.fd(), [this] { on_signal(); }});
      if (scrapes_) watches.push_back({nullptr, scrapes_->fd(), [this] { on_scrape(); }});
      std::vector<zmq::pollitem_t> items;
      for (const Watch& w : watches) items.push_back({w.socket, w.fd, ZMQ_POLLIN, 0});
      const std::uint64_t now = steady_ms();  // ticks run on the steady clock
      std::uint64_t wait_ms = next_tick > now ? next_tick - now : 0;
      if (const int watchdog_ms = notify_.watchdog(); watchdog_ms >= 0)
        wait_ms = std::min<std::uint64_t>(wait_ms, static_cast<std::uint64_t>(watchdog_ms));
      const auto wait = std::chrono::milliseconds(wait_ms);
      zmq::poll(items.data(), items.size(), wait);
      for (std::size_t i = 0; i < items.size() && !stopping_; ++i)
        if (items[i].revents & ZMQ_POLLIN) watches[i].on_readable();
      if (stopping_) break;
      if (const std::uint64_t t = steady_ms(); t >= next_tick)
        next_tick = t + static_cast<std::uint64_t>(role_->tick(now_ms()));
    }
    if (scrapes_) scrapes_->close();
    metrics_server_.reset();  // no scrape reaches the role from here on
    role_->stop(now_ms());
    log::info("stopped", {{"role", role}, {"id", config_.subject_id}});
    return kExitOk;
  }

 private:
  nlohmann::ordered_json status() { return with_common(role_->status(now_ms())); }

  // A scrape waits: the metrics from the role's state now.
  void on_scrape() {
    const std::string error = scrapes_->answer([this] {
      return node_metrics(with_common(role_->metrics_status(now_ms()))).render();
    });
    if (!error.empty()) log::error("metrics_failed", {{"what", error}});
  }

  // The fields every status has, then the role's.
  nlohmann::ordered_json with_common(const nlohmann::ordered_json& role) {
    const std::uint64_t now = now_ms();
    nlohmann::ordered_json s = {{"role", protocol::role_name(config_.role)},
                                {"id", config_.subject_id},
                                {"version", kVersion},
                                {"pid", ::getpid()},
                                {"started_ms", started_ms_},
                                {"now_ms", now},
                                {"trust_version", trust_->version()},
                                {"trust_expires_ms", trust_->expires_ms()},
                                {"metrics", metrics_server_ ? metrics_server_->address() : "off"}};
    for (auto& [k, v] : role.items()) s[k] = v;
    return s;
  }

  void on_admin() {
    while (std::optional<transport::AdminRequest> req = admin_socket_->receive())
      admin_socket_->reply(*req, admin_.handle(req->text));
  }

  void on_signal() {
    while (std::optional<SignalEvent> ev = signals_.read()) {
      if (*ev == SignalEvent::stop) {
        log::info("stopping", {{"reason", "signal"}});
        notify_.stopping(state_line("stopping"));
        stopping_ = true;
        return;
      }
      reload();
    }
  }

  // SIGHUP: the trust bundle again, refusing any version below the current one (which is the
  // highest the store has accepted: the role records each one); on any error the current bundle
  // stays in force. The config file is read again too: when an authority's file now names other
  // key files (keys.identity, keys.certificate, keys.certificate_serial, keys.passphrase_file),
  // that is a key rotation (docs/operations.md): the new identity is loaded and checked as at
  // start-up (its certificate active in the bundle), then the role signs with it and reconnects
  // with its CURVE key. Any other change in the file waits for a restart.
  void reload() {
    notify_.reloading(state_line("reloading the trust bundle"));
    const std::uint64_t now = now_ms();
    auto fresh_config = config::load_config(config_.file);
    if (!fresh_config) return refuse_reload("config", fresh_config.error().message);
    const bool rotate = keys_differ(fresh_config->keys, config_.keys);
    if (rotate && config_.role != protocol::Role::authority)
      return refuse_reload("restart_required",
                           "keys: an index's own keys change only with a restart");
    std::optional<node::Node> fresh_node;  // a key rotation: the new identity and its bundle
    std::optional<protocol::Trust> fresh;
    if (rotate) {
      auto n = node::load_node(*fresh_config, now, trust_->version());
      if (!n) return refuse_reload(n.error().code, n.error().message);
      fresh_node.emplace(std::move(n).value());
      fresh.emplace(std::move(fresh_node->trust));
    } else {
      auto t = node::load_trust(config_, now, trust_->version());
      if (!t) return refuse_reload(t.error().code, t.error().message);
      if (auto own = node::own_certificate(config_, *t, node_.identity, node_.serial, now); !own)
        log::warning("own_certificate_inactive", {{"code", own.error().code},
                                                  {"detail", own.error().message}});
      fresh.emplace(std::move(t).value());
    }
    trust_ = std::make_shared<const protocol::Trust>(std::move(*fresh));
    log::info("trust_reloaded", {{"trust_version", trust_->version()}});
    role_->trust_changed(trust_, now);
    if (fresh_node) {
      // The roles refer to node_.identity and config_: both now hold the new keys.
      node_.identity = std::move(fresh_node->identity);
      node_.serial = fresh_node->serial;
      config_.keys.identity = fresh_config->keys.identity;
      config_.keys.certificate = fresh_config->keys.certificate;
      config_.keys.certificate_serial = fresh_config->keys.certificate_serial;
      config_.keys.passphrase_file = fresh_config->keys.passphrase_file;
      log::info("identity_changed", {{"serial", node_.serial}});
      role_->identity_changed(node_.serial, now);
    }
    notify_.ready(state_line("serving"));
  }

  void refuse_reload(const std::string& code, const std::string& detail) {
    log::error("reload_failed",
               {{"code", code}, {"detail", detail}, {"trust_version", trust_->version()}});
    notify_.ready(state_line("serving; reload refused (" + code + ")"));
  }

  static bool keys_differ(const config::KeysConfig& a, const config::KeysConfig& b) {
    return a.identity != b.identity || a.certificate != b.certificate ||
           a.certificate_serial != b.certificate_serial || a.passphrase_file != b.passphrase_file;
  }

  // systemd's STATUS= line: ids, the state and the trust bundle version, nothing else.
  std::string state_line(const std::string& state) const {
    return std::string(protocol::role_name(config_.role)) + " " + config_.subject_id + ": " +
           state + ", trust bundle v" + std::to_string(trust_->version());
  }

  config::Config& config_;  // keys replaced by a key rotation (reload)
  node::Node& node_;
  std::shared_ptr<const protocol::Trust> trust_;
  std::uint64_t started_ms_;
  zmq::context_t context_{1};
  Signals signals_;
  std::unique_ptr<Role> role_;  // after context_: closed before it terminates
  std::unique_ptr<transport::AdminServer> admin_socket_;
  // The metrics endpoint ([metrics]); after role_, so its threads stop before the role goes.
  std::unique_ptr<ScrapeExchange> scrapes_;
  std::unique_ptr<metrics::HttpServer> metrics_server_;
  Admin admin_;
  bool stopping_ = false;
  SystemdNotifier notify_;
};

int run_daemon(const std::string& config_path, bool check_only) {
  std::optional<Loaded> loaded;
  try {
    loaded.emplace(load(config_path, now_ms()));
  } catch (const ConfigProblem& e) {
    std::cerr << "aegisd: " << e.what() << "\n";
    return kExitConfig;
  }
  if (check_only) {
    std::cout << "config ok\n";
    return kExitOk;
  }
  try {
    const int lock = lock_data_dir(loaded->config.data_dir);
    int rc = kExitFailed;
    {
      Daemon daemon(*loaded, now_ms());
      rc = daemon.run();
    }
    ::close(lock);
    return rc;
  } catch (const std::exception& e) {
    log::error("failed", {{"what", e.what()}});
    return kExitFailed;
  }
}

}  // namespace
}  // namespace aegis::daemon

int main(int argc, char** argv) {
  using namespace aegis::daemon;
  CLI::App app{"aegisd: the aegis daemon (role authority or index, chosen by the config file)"};
  std::string config_path(aegis::config::kDefaultConfigPath);
  bool check_only = false;
  bool version = false;
  app.add_option("--config", config_path, "config file")->capture_default_str();
  app.add_flag("--check-config", check_only,
               "validate the config file and the key, certificate and trust files it names, "
               "then exit (0: \"config ok\"; 3: one line naming the bad key)");
  app.add_flag("--version", version, "print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  if (version) {
    std::cout << "aegisd " << kVersion << "\n";
    return kExitOk;
  }
  try {
    block_signals();  // before ZeroMQ starts its I/O thread, so it inherits the mask
  } catch (const std::exception& e) {
    std::cerr << "aegisd: " << e.what() << "\n";
    return kExitFailed;
  }
  return run_daemon(config_path, check_only);
}
