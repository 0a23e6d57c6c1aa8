// The raw limits of this machine that bench/run_all.sh divides every figure by (bench/README.md,
// "Raw limits"), measured in the same run: SQLite inserts (append in key order, and random TEXT
// keys into a table already holding the rows), Ed25519 sign and verify on one thread, and
// loopback ZeroMQ messages (DEALER -> ROUTER over tcp://127.0.0.1, plain and CURVE). No aegis
// code in the measured loops: what the disk, SQLite, libsodium and libzmq allow alone.
//
//   aegis_limits_tool [--rows N] [--messages M] [--bytes B] [--seconds S] [--dir DIR]
//
// Prints one JSON object of rates per second.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <sodium.h>
#include <sqlite3.h>
#include <unistd.h>
#include <zmq.h>

#include "bench_cli.hpp"
#include "bench_record.hpp"
#include "bench_sqlite.hpp"

using aegis::bench::Clock;
using aegis::bench::die;
using aegis::bench::mix;
using aegis::bench::RawDb;
using aegis::bench::seconds_since;

namespace {

struct Options {
  std::uint64_t rows = 200'000;
  std::uint64_t messages = 200'000;
  std::size_t bytes = 600;  // a typical signed envelope
  double seconds = 2;
  std::filesystem::path dir;
};

constexpr std::uint64_t kTxn = 4096;  // rows per durable transaction (an index group's size)

// Rows/s of inserting `rows` rows of `bytes` bytes into a fresh table, WAL, synchronous=FULL,
// kTxn rows per transaction; `random_keys`: TEXT keys in random order (a B-tree insert
// anywhere), else INTEGER keys in order (an append at the right edge).
double sqlite_insert_rate(const std::filesystem::path& file, std::uint64_t rows,
                          std::size_t bytes, bool random_keys) {
  std::filesystem::remove(file);
  RawDb db(file);
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  db.exec(random_keys ? "CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB NOT NULL)"
                      : "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)");
  sqlite3_stmt* insert = db.prepare("INSERT INTO t (k, v) VALUES (?1, ?2)");
  std::vector<unsigned char> value(bytes);
  randombytes_buf(value.data(), value.size());
  const auto start = Clock::now();
  for (std::uint64_t n = 0; n < rows;) {
    db.exec("BEGIN");
    for (std::uint64_t i = 0; i < kTxn && n < rows; ++i, ++n) {
      if (random_keys) {
        char key[24];
        std::snprintf(key, sizeof key, "%016llX", static_cast<unsigned long long>(mix(n)));
        sqlite3_bind_text(insert, 1, key, -1, SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_int64(insert, 1, static_cast<sqlite3_int64>(n));
      }
      sqlite3_bind_blob(insert, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
      db.run(insert);
    }
    db.exec("COMMIT");
  }
  const double rate = static_cast<double>(rows) / seconds_since(start);
  return rate;
}

// Ed25519 signatures (sign) or verifications of a `bytes` message per second, one thread.
double ed25519_rate(std::size_t bytes, double seconds, bool sign) {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk, sk);
  std::vector<unsigned char> message(bytes);
  randombytes_buf(message.data(), message.size());
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, message.data(), message.size(), sk);
  std::uint64_t n = 0;
  const auto start = Clock::now();
  while (seconds_since(start) < seconds) {
    for (int i = 0; i < 64; ++i, ++n) {
      if (sign) crypto_sign_detached(sig, nullptr, message.data(), message.size(), sk);
      else if (crypto_sign_verify_detached(sig, message.data(), message.size(), pk) != 0)
        die("verify failed");
    }
  }
  return static_cast<double>(n) / seconds_since(start);
}

void check(int rc, const char* what) {
  if (rc != 0) die(std::string(what) + ": " + zmq_strerror(zmq_errno()));
}

// Messages/s from a DEALER to a ROUTER over loopback TCP (`curve`: with CURVE security, as
// aegis's transport), timed from the first message sent to the last received.
double zmq_rate(std::uint64_t messages, std::size_t bytes, bool curve) {
  void* ctx = zmq_ctx_new();
  void* router = zmq_socket(ctx, ZMQ_ROUTER);
  void* dealer = zmq_socket(ctx, ZMQ_DEALER);
  const int hwm = 100000;
  for (void* s : {router, dealer}) {
    check(zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm), "ZMQ_SNDHWM");
    check(zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm), "ZMQ_RCVHWM");
  }
  if (curve) {
    char server_public[41], server_secret[41], client_public[41], client_secret[41];
    check(zmq_curve_keypair(server_public, server_secret), "zmq_curve_keypair");
    check(zmq_curve_keypair(client_public, client_secret), "zmq_curve_keypair");
    const int on = 1;
    check(zmq_setsockopt(router, ZMQ_CURVE_SERVER, &on, sizeof on), "ZMQ_CURVE_SERVER");
    check(zmq_setsockopt(router, ZMQ_CURVE_SECRETKEY, server_secret, 40), "secret key");
    check(zmq_setsockopt(dealer, ZMQ_CURVE_SERVERKEY, server_public, 40), "server key");
    check(zmq_setsockopt(dealer, ZMQ_CURVE_PUBLICKEY, client_public, 40), "public key");
    check(zmq_setsockopt(dealer, ZMQ_CURVE_SECRETKEY, client_secret, 40), "secret key");
  }
  check(zmq_bind(router, "tcp://127.0.0.1:*"), "bind");
  char endpoint[256];
  std::size_t size = sizeof endpoint;
  check(zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, endpoint, &size), "ZMQ_LAST_ENDPOINT");
  check(zmq_connect(dealer, endpoint), "connect");
  std::vector<unsigned char> payload(bytes, 0x5a);
  // One round trip first: the connection (and CURVE handshake) is not timed.
  check(zmq_send(dealer, payload.data(), payload.size(), 0) < 0, "send");
  zmq_msg_t part;
  zmq_msg_init(&part);
  for (int more = 1; more;) {
    if (zmq_msg_recv(&part, router, 0) < 0) die("recv");
    more = zmq_msg_more(&part);
  }
  const auto start = Clock::now();
  std::thread sender([&] {
    for (std::uint64_t i = 0; i < messages; ++i)
      if (zmq_send(dealer, payload.data(), payload.size(), 0) < 0) die("send");
  });
  for (std::uint64_t i = 0; i < messages; ++i)
    for (int more = 1; more;) {  // identity frame, then the message
      if (zmq_msg_recv(&part, router, 0) < 0) die("recv");
      more = zmq_msg_more(&part);
    }
  const double rate = static_cast<double>(messages) / seconds_since(start);
  sender.join();
  zmq_msg_close(&part);
  const int linger = 0;
  zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
  zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof linger);
  zmq_close(dealer);
  zmq_close(router);
  zmq_ctx_term(ctx);
  return rate;
}

Options parse(int argc, char** argv) {
  Options o;
  aegis::bench::parse_options(argc, argv, "the machine's raw limits", [&](CLI::App& a) {
    a.add_option("--rows", o.rows)->check(CLI::PositiveNumber);
    a.add_option("--messages", o.messages)->check(CLI::PositiveNumber);
    a.add_option("--bytes", o.bytes)->check(CLI::PositiveNumber);
    a.add_option("--seconds", o.seconds)->check(CLI::PositiveNumber);
    a.add_option("--dir", o.dir, "work directory (default: a fresh one in $TMPDIR)");
  });
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) die("sodium_init");
  Options opt = parse(argc, argv);
  const bool own_dir = opt.dir.empty();
  opt.dir = aegis::bench::work_dir(opt.dir, "limits");
  const double append = sqlite_insert_rate(opt.dir / "append.db", opt.rows, opt.bytes, false);
  const double random = sqlite_insert_rate(opt.dir / "random.db", opt.rows, opt.bytes, true);
  for (const char* f : {"append.db", "random.db"})
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(opt.dir / (std::string(f) + suffix));
  if (own_dir) std::filesystem::remove(opt.dir);
  const double verify = ed25519_rate(opt.bytes, opt.seconds, false);
  const double sign = ed25519_rate(opt.bytes, opt.seconds, true);
  const double plain = zmq_rate(opt.messages, opt.bytes, false);
  const double curve = zmq_rate(opt.messages, opt.bytes, true);
  std::printf("{\"rows\": %llu, \"bytes\": %zu, \"txn\": %llu, \"sqlite_append_per_s\": %.0f, "
              "\"sqlite_random_per_s\": %.0f, \"ed25519_verify_per_s\": %.0f, "
              "\"ed25519_sign_per_s\": %.0f, \"zmq_plain_per_s\": %.0f, "
              "\"zmq_curve_per_s\": %.0f, \"cpus\": %u}\n",
              static_cast<unsigned long long>(opt.rows), opt.bytes,
              static_cast<unsigned long long>(kTxn), append, random, verify, sign, plain, curve,
              std::thread::hardware_concurrency());
  return 0;
}
