// The authority's store: records, outbox and the one-transaction-per-change rule (see store.hpp
// and docs/store.md).
#include "store/store.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <system_error>
#include <unordered_map>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include "store/change.hpp"
#include "store/columns.hpp"
#include "store/schema.hpp"
#include "sqlite/migrations.hpp"

namespace aegis::store {

using protocol::Bytes;
using protocol::ByteView;
using protocol::ChildRecord;
using protocol::Envelope;
using protocol::Hash;
using protocol::Operation;

std::string_view store_errc_name(StoreErrc code) noexcept {
  switch (code) {
    case StoreErrc::sqlite: return "sqlite";
    case StoreErrc::io: return "io";
    case StoreErrc::exists: return "exists";
    case StoreErrc::not_found: return "not_found";
    case StoreErrc::not_initialised: return "not_initialised";
    case StoreErrc::schema_too_new: return "schema_too_new";
    case StoreErrc::wrong_authority: return "wrong_authority";
    case StoreErrc::invalid_argument: return "invalid_argument";
    case StoreErrc::invalid_record: return "invalid_record";
    case StoreErrc::seal_failed: return "seal_failed";
    case StoreErrc::corrupt: return "corrupt";
  }
  return "unknown";
}

namespace {

// Overwrites secret bytes so the compiler cannot drop the stores.
template <typename T>
void wipe(T& value) {
  auto* p = reinterpret_cast<volatile unsigned char*>(&value);
  for (std::size_t i = 0; i < sizeof(T); ++i) p[i] = 0;
}

std::string record_label(std::string_view record_id) { return "record " + std::string(record_id); }

// A failure of the shared SQLite layer during a change, naming the record.
StoreError change_failed(std::string_view label, const sql::DbError& e) {
  return store_error(StoreErrc::sqlite, std::string(label) + ": " + e.detail);
}

// The record's row as a change needs it: tombstone or live, shielded flag, body, last seq and
// the hash of the envelope at that seq.
constexpr std::string_view kReadCurrent =
    "SELECT r.deleted, r.shielded, r.body, r.last_seq, o.hash FROM records r "
    "LEFT JOIN outbox o ON o.seq = r.last_seq WHERE r.record_id = ?1";

// What write_upsert learns from that row.
struct Current {
  bool live = false;  // a row that is not a tombstone
  bool shielded = false;
  bool same = false;  // live, and its body is byte for byte the new body
  std::uint64_t last_seq = 0;
  std::optional<Hash> last_hash;  // hash of the envelope at last_seq
};

// A new envelope's fixed fields; seq, prev_hash and timestamp_ms come when it is stamped.
Envelope new_envelope(std::string_view authority_id, const Signing& signing, Operation op,
                      std::string_view record_id) {
  Envelope e;
  e.authority_id = std::string(authority_id);
  e.signer_serial = signing.signer_serial;
  e.op = op;
  e.record_id = std::string(record_id);
  return e;
}

// "upsert record X" / "delete record X", for errors.
std::string change_label(const PreparedChange& c) {
  return (c.envelope.op == Operation::upsert ? "upsert " : "delete ") +
         record_label(c.envelope.record_id);
}

Result<std::string> read_meta(sql::Db& db, std::string_view key) {
  Result<sql::Statement> q = db.prepare("SELECT value FROM meta WHERE key = ?1", "read meta");
  if (!q) return q.error();
  q->bind(1, key);
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row)
    return store_error(StoreErrc::not_initialised, "meta." + std::string(key) + " missing");
  return q->text(0);
}

// Value: std::int64_t or std::string_view (Statement::bind overloads).
template <typename Value>
Status write_meta(sql::Db& db, std::string_view key, Value value) {
  Result<sql::Statement> q =
      db.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)", "write meta");
  if (!q) return q.error();
  q->bind(1, key);
  q->bind(2, value);
  return q->run();
}

// Decodes an envelope that was already verified (or written by us): structure only.
Result<Envelope> decode_stored_envelope(ByteView wire, std::uint64_t seq) {
  auto fail = [&](const protocol::Error& e) {
    return store_error(StoreErrc::corrupt,
                       "outbox seq " + std::to_string(seq) + ": " + e.message());
  };
  protocol::DecodeLimits limits;
  limits.max_input = protocol::kMaxEnvelopeSize;
  protocol::Result<protocol::Signed> s = protocol::decode_signed(wire, "envelope", limits);
  if (!s) return fail(s.error());
  protocol::Result<Envelope> e = protocol::decode_envelope_body(s->body);
  if (!e) return fail(e.error());
  return std::move(e).value();
}

}  // namespace

std::vector<protocol::BoxPublicKey> seal_recipients(const protocol::BoxPublicKey& own_box_key,
                                                    const protocol::Trust& trust,
                                                    std::uint64_t now_ms) {
  std::vector<protocol::BoxPublicKey> out{own_box_key};
  for (const protocol::Certificate* c : trust.active(protocol::Role::shield_officer, now_ms))
    if (std::find(out.begin(), out.end(), c->box_key) == out.end()) out.push_back(c->box_key);
  return out;
}

// ---- Opening -------------------------------------------------------------------------------

Result<Store> Store::create(const std::filesystem::path& file, std::string_view authority_id,
                            std::uint64_t now_ms, const OpenOptions& options) {
  if (!protocol::valid_authority_id(authority_id))
    return store_error(StoreErrc::invalid_argument,
                       "authority id '" + std::string(authority_id) + "' is not valid");
  // Create the file ourselves: O_EXCL refuses an existing one without a race, and mode 0600
  // keeps personal data from other users (SQLite gives its -wal and -shm files the same mode).
  // An existing file is accepted only if it holds no schema at all: the leftover of a create
  // interrupted before its commit (checked inside the transaction below).
  const StoreError exists =
      store_error(StoreErrc::exists, "database " + file.string() + " already exists");
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    return store_error(StoreErrc::io, "create " + file.string() + ": " + std::strerror(errno));
  }

  Result<sql::Db> db = sql::Db::open(file, {options.busy_timeout_ms});
  if (!db) return fd >= 0 ? db.error() : exists;
  {
    Result<sql::Transaction> tx = sql::Transaction::begin(*db, "create store");
    if (!tx) return tx.error();
    Result<int> version = sql::user_version(*db);
    if (!version) return version.error();
    Result<sql::Statement> objects =
        db->prepare("SELECT count(*) FROM sqlite_schema", "create store");
    if (!objects) return objects.error();
    if (Result<bool> row = objects->step(); !row) return row.error();
    const bool empty = *version == 0 && objects->int64(0) == 0;
    objects->reset();  // no read may stay open while a migration step drops a table
    if (!empty) return exists;
    if (Status s = sql::migrate(*db, schema::steps(), 0); !s) return s.error();
    if (Status s = write_meta(*db, "authority_id", authority_id); !s) return s.error();
    if (Status s = write_meta(*db, "created_ms", i64(now_ms)); !s) return s.error();
    if (Status s = write_meta(*db, "format", std::string_view("aegis-authority-store")); !s)
      return s.error();
    if (Status s = tx->commit(); !s) return s.error();
  }
  return Store(std::move(db).value(), std::string(authority_id), now_ms);
}

Result<Store> Store::open(const std::filesystem::path& file, std::string_view authority_id,
                          const OpenOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    return store_error(StoreErrc::not_found,
                       "no database at " + file.string() + " (run `aegis store init`)");
  Result<sql::Db> db = sql::Db::open(file, {options.busy_timeout_ms});
  if (!db) return db.error();

  auto check_version = [&](int version) -> Status {
    if (version > kSchemaVersion)
      return store_error(StoreErrc::schema_too_new,
                         sql::too_new_detail(file, version, schema::steps()));
    if (version == 0)
      return store_error(StoreErrc::not_initialised,
                         file.string() + " is not an aegis store (schema version 0)");
    return protocol::Ok{};
  };
  Result<int> version = sql::user_version(*db);
  if (!version) return version.error();
  if (Status s = check_version(*version); !s) return s.error();
  if (*version < kSchemaVersion) {
    version = sql::upgrade(*db, schema::steps(), "migrate store");
    if (!version) return version.error();
    if (Status s = check_version(*version); !s) return s.error();
  }

  Result<std::string> owner = read_meta(*db, "authority_id");
  if (!owner) return owner.error();
  if (*owner != authority_id)
    return store_error(StoreErrc::wrong_authority,
                       "database " + file.string() + " belongs to authority '" + *owner +
                           "', not '" + std::string(authority_id) + "'");
  Result<std::string> created = read_meta(*db, "created_ms");
  if (!created) return created.error();
  std::uint64_t created_ms = 0;
  const char* end = created->data() + created->size();
  if (auto [p, err] = std::from_chars(created->data(), end, created_ms);
      err != std::errc{} || p != end)
    return store_error(StoreErrc::corrupt, "meta.created_ms is not a number");
  return Store(std::move(db).value(), std::move(owner).value(), created_ms);
}

// ---- Changes -------------------------------------------------------------------------------

Result<Head> Store::read_head(sql::Db& db) {
  Result<sql::Statement> q =
      db.prepare("SELECT seq, hash, created_ms FROM outbox ORDER BY seq DESC LIMIT 1",
                 "read the last envelope");
  if (!q) return q.error();
  Result<bool> row = q->step();
  if (!row) return row.error();
  Head head;
  if (!*row) return head;
  head.seq = u64(q->int64(0));
  std::optional<Hash> h = to_hash(q->blob(1));
  if (!h)
    return store_error(StoreErrc::corrupt,
                       "outbox seq " + std::to_string(head.seq) + ": hash is not 32 bytes");
  head.hash = *h;
  head.created_ms = u64(q->int64(2));
  return head;
}

Result<Change> Store::upsert(const ChildRecord& record, const Signing& signing, Expect expect) {
  Result<sql::Transaction> tx =
      sql::Transaction::begin(db_, "upsert " + record_label(record.record_id));
  if (!tx) return tx.error();
  Result<Head> head = read_head(db_);
  if (!head) return head.error();
  Result<Change> change = write_upsert(*head, record, signing, expect);
  if (!change || !change->changed) return change;  // rolls back: nothing was written
  if (Status s = tx->commit(); !s) return s.error();
  return change;
}

Result<Change> Store::remove(std::string_view record_id, const Signing& signing) {
  Result<sql::Transaction> tx = sql::Transaction::begin(db_, "delete " + record_label(record_id));
  if (!tx) return tx.error();
  Result<Head> head = read_head(db_);
  if (!head) return head.error();
  Result<Change> change = write_remove(*head, record_id, signing);
  if (!change) return change;
  if (Status s = tx->commit(); !s) return s.error();
  return change;
}

sql::Result<sql::Statement*> Store::kept(std::optional<sql::Statement>& slot,
                                         std::string_view sql, std::string_view what) {
  if (!slot) {
    sql::Result<sql::Statement> q = db_.prepare(sql, what);
    if (!q) return q.error();
    slot.emplace(std::move(q).value());
  }
  return &*slot;
}

Result<Change> Store::write_upsert(Head& head, const ChildRecord& record, const Signing& signing,
                                   Expect expect) {
  Result<std::variant<Change, PreparedChange>> decided = prepare_upsert(record, signing, expect);
  if (!decided) return decided.error();
  if (const Change* unchanged = std::get_if<Change>(&*decided)) return *unchanged;
  return append(head, std::get<PreparedChange>(*decided), signing);
}

Result<Change> Store::write_remove(Head& head, std::string_view record_id,
                                   const Signing& signing) {
  Result<PreparedChange> decided = prepare_remove(record_id, signing);
  if (!decided) return decided.error();
  return append(head, *decided, signing);
}

Result<std::variant<Change, PreparedChange>> Store::prepare_upsert(const ChildRecord& record,
                                                                   const Signing& signing,
                                                                   Expect expect) {
  using Decision = std::variant<Change, PreparedChange>;
  PreparedChange c;
  c.body = protocol::encode_child_record(record);
  c.shielded = record.shielded();
  auto label = [&] { return record_label(record.record_id); };

  // The record's row: compared in place with the new canonical bytes (equal bytes <=> equal
  // records), so an unchanged record costs one lookup and no copy.
  sql::Result<sql::Statement*> q = kept(write_.read_current, kReadCurrent, "read the record");
  if (!q) return change_failed(label(), q.error());
  Current current;
  {
    sql::Use use(**q);
    use->bind(1, record.record_id);
    sql::Result<bool> row = use->step();
    if (!row) return change_failed(label(), row.error());
    if (*row) {
      current.live = use->int64(0) == 0;
      current.shielded = use->int64(1) != 0;
      if (current.live) {
        const ByteView stored = use->blob_view(2);
        current.same = std::equal(stored.begin(), stored.end(), c.body.begin(), c.body.end());
      }
      current.last_seq = u64(use->int64(3));
      if (!use->is_null(4)) current.last_hash = to_hash(use->blob(4));
    }
  }
  // Bytes equal to a stored record's are a record that was checked when it was stored (equal
  // bytes <=> equal records): unchanged, with no check. A changed record is checked once, by
  // make_payload (which runs check_record first); check_record is run here only to name a
  // refusal, so that an invalid record is always invalid_record, before exists or not_found.
  if (current.same) {
    if (!current.last_hash)
      return store_error(StoreErrc::corrupt, label() + ": its last envelope is missing");
    return Decision(Change{false, current.last_seq, *current.last_hash});
  }
  auto invalid = [&]() -> std::optional<StoreError> {
    if (protocol::Status s = protocol::check_record(record); !s)
      return store_error(StoreErrc::invalid_record, s.error().message());
    return std::nullopt;
  };
  if ((expect == Expect::absent && current.live) || (expect == Expect::present && !current.live)) {
    if (std::optional<StoreError> e = invalid()) return *e;
    if (expect == Expect::absent)
      return store_error(StoreErrc::exists, label() + " already exists with other content");
    return store_error(StoreErrc::not_found, label() + " not found");
  }

  protocol::SealRandomness rnd{};
  if (record.shielded()) {
    if (std::optional<StoreError> e = invalid()) return *e;  // no randomness drawn in vain
    rnd = signing.seal_randomness();
  }
  protocol::Result<protocol::RecordPayload> payload =
      protocol::make_payload(record, authority_id_, signing.seal_recipients, rnd,
                             signing.tokenizer);
  wipe(rnd);
  if (!payload) {
    if (std::optional<StoreError> e = invalid()) return *e;
    return store_error(StoreErrc::seal_failed, label() + ": " + payload.error().message());
  }
  c.envelope = new_envelope(authority_id_, signing, Operation::upsert, record.record_id);
  c.envelope.payload = std::move(payload).value();
  return Decision(std::move(c));
}

Result<PreparedChange> Store::prepare_remove(std::string_view record_id,
                                             const Signing& signing) {
  if (!protocol::valid_record_id(record_id))
    return store_error(StoreErrc::invalid_argument, "record id is not valid");
  const std::string label = record_label(record_id);
  sql::Result<sql::Statement*> q = kept(write_.read_current, kReadCurrent, "read the record");
  if (!q) return change_failed(label, q.error());
  PreparedChange c;
  bool live = false;
  {
    sql::Use use(**q);
    use->bind(1, record_id);
    sql::Result<bool> row = use->step();
    if (!row) return change_failed(label, row.error());
    live = *row && use->int64(0) == 0;
    c.shielded = *row && use->int64(1) != 0;
  }
  if (!live) return store_error(StoreErrc::not_found, label + " not found");
  c.envelope = new_envelope(authority_id_, signing, Operation::remove, record_id);
  return c;
}

Result<Change> Store::append(Head& head, PreparedChange& c, const Signing& signing) {
  Head next = head;
  stamp(c.envelope, next, signing.now_ms());
  c.envelope.prev_hash = head.hash;
  const Bytes wire = protocol::sign_envelope(c.envelope, signing.signer);
  if (wire.size() > protocol::kMaxEnvelopeSize)
    return store_error(StoreErrc::invalid_record,
                       change_label(c) + ": envelope of " + std::to_string(wire.size()) +
                           " bytes exceeds the limit of " +
                           std::to_string(protocol::kMaxEnvelopeSize));
  const Hash hash = protocol::envelope_hash(wire);
  if (Status s = insert_change(c, wire, hash); !s) return s.error();
  next.hash = hash;
  head = next;
  return Change{true, c.envelope.seq, hash};
}

Status Store::insert_change(const PreparedChange& c, ByteView wire, const Hash& hash) {
  const Envelope& e = c.envelope;
  const bool upsert = e.op == Operation::upsert;
  sql::Result<sql::Statement*> out =
      kept(write_.insert_outbox,
           "INSERT INTO outbox (seq, record_id, op, created_ms, hash, envelope) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
           "insert outbox");
  if (!out) return change_failed(change_label(c), out.error());
  {
    sql::Use use(**out);
    use->bind(1, i64(e.seq));
    use->bind(2, e.record_id);
    use->bind(3, static_cast<std::int64_t>(e.op));
    use->bind(4, i64(e.timestamp_ms));
    use->bind(5, ByteView(hash));
    use->bind(6, wire);
    if (sql::Status s = use->run(); !s) return change_failed(change_label(c), s.error());
  }

  sql::Result<sql::Statement*> rec =
      upsert ? kept(write_.write_record,
                    "INSERT INTO records (record_id, body, shielded, deleted, last_seq, "
                    "updated_ms) VALUES (?1, ?2, ?3, 0, ?4, ?5) ON CONFLICT (record_id) DO "
                    "UPDATE SET body = excluded.body, shielded = excluded.shielded, deleted = 0, "
                    "last_seq = excluded.last_seq, updated_ms = excluded.updated_ms",
                    "write record")
             : kept(write_.write_tombstone,
                    "UPDATE records SET body = NULL, deleted = 1, shielded = ?3, last_seq = ?4, "
                    "updated_ms = ?5 WHERE record_id = ?1",
                    "write tombstone");
  if (!rec) return change_failed(change_label(c), rec.error());
  {
    sql::Use use(**rec);
    use->bind(1, e.record_id);
    if (upsert) use->bind(2, ByteView(c.body));
    use->bind(3, static_cast<std::int64_t>(c.shielded));
    use->bind(4, i64(e.seq));
    use->bind(5, i64(e.timestamp_ms));
    if (sql::Status s = use->run(); !s) return change_failed(change_label(c), s.error());
  }
  return protocol::Ok{};
}

// ---- Reading -------------------------------------------------------------------------------

Result<StoredRecord> Store::get(std::string_view record_id) {
  const std::string label = record_label(record_id);
  Result<sql::Statement> q = db_.prepare(
      "SELECT body, last_seq, updated_ms FROM records WHERE record_id = ?1 AND deleted = 0",
      "read " + label);
  if (!q) return q.error();
  q->bind(1, record_id);
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row) return store_error(StoreErrc::not_found, label + " not found");
  protocol::Result<ChildRecord> record = protocol::decode_child_record(q->blob(0));
  if (!record) return store_error(StoreErrc::corrupt, label + ": " + record.error().message());
  return StoredRecord{std::move(record).value(), u64(q->int64(1)), u64(q->int64(2))};
}

Result<std::vector<RecordSummary>> Store::list_records(bool include_deleted) {
  Result<sql::Statement> q = db_.prepare(
      include_deleted ? "SELECT record_id, shielded, deleted, last_seq, updated_ms FROM records "
                        "ORDER BY record_id"
                      : "SELECT record_id, shielded, deleted, last_seq, updated_ms FROM records "
                        "WHERE deleted = 0 ORDER BY record_id",
      "list records");
  if (!q) return q.error();
  std::vector<RecordSummary> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(RecordSummary{q->text(0), q->int64(1) != 0, q->int64(2) != 0, u64(q->int64(3)),
                                u64(q->int64(4))});
  }
}

Result<std::vector<OutboxEntry>> Store::read_outbox(std::uint64_t from_seq, std::size_t limit) {
  Result<sql::Statement> q = db_.prepare(
      "SELECT o.seq, o.record_id, o.op, o.created_ms, o.hash, o.envelope, p.seq IS NOT NULL "
      "FROM outbox o LEFT JOIN purged_outbox p ON p.seq = o.seq "
      "WHERE o.seq >= ?1 ORDER BY o.seq LIMIT ?2",
      "read outbox");
  if (!q) return q.error();
  q->bind(1, i64(from_seq));
  q->bind(2, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
  std::vector<OutboxEntry> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) return out;
    OutboxEntry entry;
    entry.seq = u64(q->int64(0));
    entry.record_id = q->text(1);
    entry.op = static_cast<Operation>(q->int64(2));
    entry.created_ms = u64(q->int64(3));
    std::optional<Hash> h = to_hash(q->blob(4));
    if (!h)
      return store_error(StoreErrc::corrupt,
                         "outbox seq " + std::to_string(entry.seq) + ": hash is not 32 bytes");
    entry.hash = *h;
    entry.envelope = q->blob(5);
    entry.purged = q->int64(6) != 0;
    out.push_back(std::move(entry));
  }
}

Result<protocol::ChainState> Store::last() {
  Result<Head> head = read_head(db_);
  if (!head) return head.error();
  return protocol::ChainState{head->seq, head->hash};
}

// ---- Verifying -----------------------------------------------------------------------------

Result<std::uint64_t> Store::trust_version() { return sql::read_trust_version(db_); }

Status Store::record_trust_version(std::uint64_t version) {
  return sql::raise_trust_version(db_, version);
}

Result<ChainReport> Store::verify_chain(const protocol::Trust& trust, std::uint64_t now_ms,
                                        const protocol::MatchTokenizer* tokenizer) {
  // One read transaction, so a concurrent writer cannot move the ground between the passes.
  if (Status s = db_.exec("BEGIN", "verify chain: begin"); !s) return s.error();
  struct EndRead {
    sql::Db& db;
    ~EndRead() { (void)db.exec("ROLLBACK", "verify chain: end"); }
  } end_read{db_};

  ChainReport report;
  auto problem = [&](std::uint64_t seq, std::string code, std::string detail) {
    report.problem = ChainProblem{seq, std::move(code), std::move(detail)};
    return report;
  };

  // Pass 1: the outbox, in seq order, through the same verifier the index runs.
  Result<sql::Statement> q =
      db_.prepare("SELECT o.seq, o.record_id, o.op, o.created_ms, o.hash, o.envelope, "
                  "p.seq IS NOT NULL, p.prev_hash "
                  "FROM outbox o LEFT JOIN purged_outbox p ON p.seq = o.seq ORDER BY o.seq",
                  "verify chain: read outbox");
  if (!q) return q.error();
  protocol::ChainState chain;
  std::unordered_map<std::string, std::pair<std::uint64_t, Operation>> latest;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    const std::uint64_t seq = u64(q->int64(0));
    if (q->int64(6) != 0) {
      // Purged by retention (docs/store.md §13): its signature was checked when it was
      // written; what is left is its place in the chain, linked by the stored hashes.
      const std::string at = "outbox seq " + std::to_string(seq) + " (purged): ";
      std::optional<Hash> hash = to_hash(q->blob(4));
      std::optional<Hash> prev = to_hash(q->blob(7));
      if (!hash || !prev)
        return problem(seq, "malformed", at + "hash or prev_hash is not 32 bytes");
      if (seq != chain.last_seq + 1)
        return problem(seq, "out_of_order",
                       at + "follows seq " + std::to_string(chain.last_seq));
      if (*prev != chain.last_hash)
        return problem(seq, "broken_chain", at + "prev_hash is not the hash of the one before");
      if (!q->blob(5).empty())
        return problem(seq, "purge_incomplete", at + "still holds its envelope bytes");
      latest[q->text(1)] = {seq, static_cast<Operation>(q->int64(2))};
      chain = protocol::ChainState{seq, *hash};
      ++report.verified;
      continue;
    }
    const Bytes wire = q->blob(5);
    protocol::Result<protocol::VerifiedEnvelope> v =
        protocol::verify_envelope(wire, trust, chain, now_ms);
    if (!v) return problem(seq, std::string(protocol::errc_name(v.error().code)), v.error().detail);
    const Envelope& e = v->envelope;
    const std::string at = "outbox seq " + std::to_string(seq) + ": ";
    if (e.authority_id != authority_id_)
      return problem(seq, "wrong_authority", at + "envelope of authority '" + e.authority_id + "'");
    if (e.seq != seq)
      return problem(seq, "seq_mismatch", at + "envelope says seq " + std::to_string(e.seq));
    if (q->blob(4) != Bytes(v->hash.begin(), v->hash.end()))
      return problem(seq, "hash_mismatch", at + "hash column differs from the envelope's hash");
    if (q->text(1) != e.record_id)
      return problem(seq, "record_id_mismatch", at + "record_id column differs from the envelope");
    if (q->int64(2) != static_cast<std::int64_t>(e.op))
      return problem(seq, "op_mismatch", at + "op column differs from the envelope");
    if (u64(q->int64(3)) != e.timestamp_ms)
      return problem(seq, "time_mismatch", at + "created_ms column differs from the envelope");
    latest[e.record_id] = {seq, e.op};
    chain = protocol::advance(chain, *v);
    ++report.verified;
  }

  // Pass 2: every record row is the state its latest envelope wrote.
  Result<sql::Statement> r = db_.prepare(
      "SELECT r.record_id, r.body, r.shielded, r.deleted, r.last_seq, o.envelope, "
      "t.purged_ms IS NOT NULL, EXISTS (SELECT 1 FROM purged_outbox p WHERE p.seq = r.last_seq) "
      "FROM records r LEFT JOIN outbox o ON o.seq = r.last_seq "
      "LEFT JOIN retention t ON t.record_id = r.record_id ORDER BY r.last_seq",
      "verify chain: read records");
  if (!r) return r.error();
  for (;;) {
    Result<bool> row = r->step();
    if (!row) return row.error();
    if (!*row) break;
    const std::string id = r->text(0);
    const std::uint64_t last_seq = u64(r->int64(4));
    const bool deleted = r->int64(3) != 0;
    const std::string at = record_label(id) + ": ";
    auto it = latest.find(id);
    if (it == latest.end())
      return problem(last_seq, "record_without_envelope", at + "no envelope in the outbox");
    const auto [seq, op] = it->second;
    latest.erase(it);
    if (seq != last_seq)
      return problem(last_seq, "stale_last_seq",
                     at + "last_seq " + std::to_string(last_seq) +
                         " but its latest envelope is seq " + std::to_string(seq));
    if (r->int64(6) != 0) {
      // Purged: no body, and every envelope of the record purged with it.
      if (!deleted || !r->is_null(1))
        return problem(seq, "purge_incomplete", at + "purged but its body is still stored");
      if (r->int64(7) == 0)
        return problem(seq, "purge_incomplete", at + "purged but its latest envelope is not");
      continue;
    }
    if (r->int64(7) != 0)
      return problem(seq, "purge_incomplete", at + "its latest envelope is purged, it is not");
    if (deleted != (op == Operation::remove))
      return problem(seq, "record_mismatch",
                     at + (deleted ? "deleted" : "live") + " but its latest envelope is " +
                         (deleted ? "an upsert" : "a delete"));
    if (deleted) continue;
    protocol::Result<ChildRecord> stored = protocol::decode_child_record(r->blob(1));
    if (!stored)
      return problem(seq, "record_mismatch",
                     at + "body does not decode: " + stored.error().message());
    Result<Envelope> e = decode_stored_envelope(r->blob(5), seq);
    if (!e) return e.error();
    const protocol::RecordPayload& p = *e->payload;
    // A clear version-2 payload carries the details minus the identifiers (only the tokens
    // carry them); a version-1 one carried the whole details. The row keeps the whole record.
    const bool same =
        stored->record_id == id && stored->identity == p.identity &&
        stored->shielded() == p.shielded() && (r->int64(2) != 0) == p.shielded() &&
        (p.shielded() || std::get<protocol::ChildDetails>(p.details) ==
                             (p.match ? protocol::without_identifiers(stored->details)
                                      : stored->details));
    if (!same) return problem(seq, "record_mismatch", at + "body differs from its latest envelope");
    // Tokens under another key id (made before a rotation) cannot be recomputed here.
    if (tokenizer != nullptr && p.match && p.match->key_id == tokenizer->key_id() &&
        *p.match != protocol::make_match_tokens(stored->details, *tokenizer))
      return problem(seq, "record_mismatch",
                     at + "match tokens of its latest envelope differ from its identifiers'");
  }
  if (!latest.empty()) {
    auto first = std::min_element(latest.begin(), latest.end(), [](const auto& a, const auto& b) {
      return a.second.first < b.second.first;
    });
    return problem(first->second.first, "missing_record",
                   record_label(first->first) + ": has envelopes but no record row");
  }
  return report;
}

}  // namespace aegis::store
