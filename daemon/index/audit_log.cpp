// The SQLite implementation of the audit log (see audit_log.hpp, docs/audit.md): its tables,
// appends that move the stored Merkle frontier, signed checkpoints, proofs, trust changes as
// enrolment and revocation entries, and verification of the whole log.
#include "index/audit_log.hpp"

#include <algorithm>
#include <map>

#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/signed.hpp"

namespace aegis::index {

namespace sql = ::aegis::sqlite;
using protocol::Bytes;
using protocol::ByteView;
using protocol::MerkleHash;

namespace {

// The audit tables' own version (meta key audit_schema): they are created here rather than by a
// step of the index schema so the audit log can move to its own database or engine unchanged.
// Version 2 adds audit_sent (the checkpoints in the authorities' feeds).
constexpr std::int64_t kAuditSchemaVersion = 2;

constexpr std::string_view kAuditSentTable = R"sql(
CREATE TABLE IF NOT EXISTS audit_sent (
  authority_id TEXT PRIMARY KEY,                                 -- an enrolled authority
  tree_size    INTEGER NOT NULL CHECK (tree_size >= 1)           -- the last checkpoint its feed got
) STRICT, WITHOUT ROWID;
)sql";

constexpr std::string_view kAuditSchema = R"sql(
CREATE TABLE IF NOT EXISTS audit_entries (
  idx       INTEGER PRIMARY KEY CHECK (idx >= 0),                -- leaf index
  entry     BLOB NOT NULL,                                       -- AuditEntryBody bytes
  leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32)
) STRICT;
CREATE TABLE IF NOT EXISTS audit_checkpoints (
  tree_size INTEGER PRIMARY KEY CHECK (tree_size >= 1),
  time_ms   INTEGER NOT NULL,
  wire      BLOB NOT NULL                                        -- signed by the index
) STRICT;
CREATE TABLE IF NOT EXISTS audit_state (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  tree_size INTEGER NOT NULL,
  peaks     BLOB NOT NULL                                        -- 32 bytes per 1 bit of size
) STRICT;
CREATE TABLE IF NOT EXISTS audit_trust (
  serial     INTEGER PRIMARY KEY,
  subject_id TEXT NOT NULL,
  role       TEXT NOT NULL
) STRICT;
CREATE TRIGGER IF NOT EXISTS audit_entries_append_only BEFORE UPDATE ON audit_entries
  BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_entries_no_delete BEFORE DELETE ON audit_entries
  BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_checkpoints_append_only BEFORE UPDATE ON audit_checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
  BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
INSERT OR IGNORE INTO audit_state (id, tree_size, peaks) VALUES (1, 0, x'');
)sql";

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

std::optional<MerkleHash> to_merkle_hash(ByteView b) {
  if (b.size() != protocol::kMerkleHashSize) return std::nullopt;
  MerkleHash h{};
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

IndexError corrupt(std::string detail) { return index_error(IndexErrc::corrupt, std::move(detail)); }

// A stored checkpoint's body, without checking its signature (that is verify's job).
Result<protocol::Checkpoint> read_checkpoint(ByteView wire, std::uint64_t tree_size) {
  auto s = protocol::decode_signed(wire, "checkpoint");
  if (!s) return corrupt("audit checkpoint " + std::to_string(tree_size) + ": " + s.error().message());
  auto c = protocol::decode_checkpoint_body(s->body);
  if (!c) return corrupt("audit checkpoint " + std::to_string(tree_size) + ": " + c.error().message());
  return std::move(c).value();
}

std::string certificate_text(std::uint64_t serial, std::string_view role) {
  return "certificate serial " + std::to_string(serial) + ", role " + std::string(role);
}

}  // namespace

Status AuditLog::create_tables(sql::Db& db) {
  Result<sql::Statement> q =
      db.prepare("SELECT value FROM meta WHERE key = 'audit_schema'", "read audit schema");
  if (!q) return q.error();
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (*row) {
    const std::int64_t version = q->int64(0);
    q->reset();
    if (version > kAuditSchemaVersion)
      return index_error(IndexErrc::schema_too_new,
                         "audit tables of version " + std::to_string(version) +
                             ", this aegis knows " + std::to_string(kAuditSchemaVersion));
    if (version == kAuditSchemaVersion) return protocol::Ok{};
    // 1 -> 2, in the caller's write transaction.
    if (Status s = db.exec(kAuditSentTable, "create audit_sent"); !s) return s.error();
    if (Status s = db.exec("UPDATE meta SET value = " + std::to_string(kAuditSchemaVersion) +
                               " WHERE key = 'audit_schema'",
                           "store audit schema");
        !s)
      return s.error();
    return protocol::Ok{};
  }
  q->reset();
  if (Status s = db.exec(kAuditSchema, "create audit tables"); !s) return s.error();
  if (Status s = db.exec(kAuditSentTable, "create audit_sent"); !s) return s.error();
  if (Status s = db.exec("INSERT INTO meta (key, value) VALUES ('audit_schema', " +
                             std::to_string(kAuditSchemaVersion) + ")",
                         "store audit schema");
      !s)
    return s.error();
  return protocol::Ok{};
}

Result<bool> AuditLog::has_tables(sql::Db& db) {
  Result<sql::Statement> q =
      db.prepare("SELECT 1 FROM meta WHERE key = 'audit_schema'", "read audit schema");
  if (!q) return q.error();
  Result<bool> row = q->step();
  if (!row) return row.error();
  return *row;
}

Result<AuditLog> AuditLog::prepare(sql::Db& db) {
  AuditLog log(db);
  struct Spec {
    std::optional<sql::Statement> Statements::*member;
    std::string_view sql;
    std::string_view what;
  };
  const Spec specs[] = {
      {&Statements::insert_entry,
       "INSERT INTO audit_entries (idx, entry, leaf_hash) VALUES (?1, ?2, ?3)",
       "append audit entry"},
      {&Statements::read_state, "SELECT tree_size, peaks FROM audit_state WHERE id = 1",
       "read audit state"},
      {&Statements::write_state, "UPDATE audit_state SET tree_size = ?1, peaks = ?2 WHERE id = 1",
       "store audit state"},
      {&Statements::latest_checkpoint,
       "SELECT tree_size, wire FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1",
       "read latest audit checkpoint"},
  };
  for (const Spec& s : specs) {
    Result<sql::Statement> st = db.prepare(s.sql, s.what);
    if (!st) return st.error();
    (log.st_.*(s.member)).emplace(std::move(st).value());
  }
  return log;
}

Result<protocol::MerkleFrontier> AuditLog::frontier() {
  sql::Use q(*st_.read_state);
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row) return corrupt("audit_state: no row");
  const std::uint64_t size = u64(q->int64(0));
  const ByteView blob = q->blob_view(1);
  std::vector<MerkleHash> peaks;
  for (std::size_t at = 0; at + protocol::kMerkleHashSize <= blob.size();
       at += protocol::kMerkleHashSize)
    peaks.push_back(*to_merkle_hash(blob.subspan(at, protocol::kMerkleHashSize)));
  if (blob.size() % protocol::kMerkleHashSize != 0) return corrupt("audit_state: peaks length");
  auto f = protocol::MerkleFrontier::restore(size, std::move(peaks));
  if (!f) return corrupt("audit_state: the peaks do not fit tree size " + std::to_string(size));
  return std::move(*f);
}

Result<std::uint64_t> AuditLog::append(const protocol::AuditEntry& entry) {
  const Bytes bytes = protocol::encode_audit_entry(entry);
  // Never store what verify would refuse: the entry must satisfy every rule of §15.2.
  if (auto back = protocol::decode_audit_entry(bytes); !back)
    return index_error(IndexErrc::invalid_argument, "audit entry: " + back.error().message());
  Result<protocol::MerkleFrontier> f = frontier();
  if (!f) return f.error();
  const std::uint64_t index = f->size();
  const MerkleHash leaf = protocol::audit_leaf_hash(bytes);
  {
    sql::Use q(*st_.insert_entry);
    q->bind(1, i64(index));
    q->bind(2, ByteView(bytes));
    q->bind(3, ByteView(leaf));
    if (Status s = q->run(); !s) return s.error();
  }
  f->append(leaf);
  Bytes peaks;
  for (const MerkleHash& p : f->peaks()) peaks.insert(peaks.end(), p.begin(), p.end());
  sql::Use q(*st_.write_state);
  q->bind(1, i64(f->size()));
  q->bind(2, ByteView(peaks));
  if (Status s = q->run(); !s) return s.error();
  return index;
}

Result<std::optional<StoredCheckpoint>> AuditLog::latest_checkpoint() {
  sql::Use q(*st_.latest_checkpoint);
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<StoredCheckpoint>{};
  const std::uint64_t size = u64(q->int64(0));
  Bytes wire = q->blob(1);
  Result<protocol::Checkpoint> c = read_checkpoint(wire, size);
  if (!c) return c.error();
  return std::optional<StoredCheckpoint>{StoredCheckpoint{*c, std::move(wire)}};
}

Result<StoredCheckpoint> AuditLog::checkpoint(std::uint64_t tree_size) {
  Result<sql::Statement> q =
      db_->prepare("SELECT wire FROM audit_checkpoints WHERE tree_size = ?1", "read audit checkpoint");
  if (!q) return q.error();
  q->bind(1, i64(tree_size));
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row)
    return index_error(IndexErrc::not_found,
                       "no audit checkpoint of " + std::to_string(tree_size) + " entries");
  Bytes wire = q->blob(0);
  Result<protocol::Checkpoint> c = read_checkpoint(wire, tree_size);
  if (!c) return c.error();
  return StoredCheckpoint{*c, std::move(wire)};
}

Result<std::optional<StoredCheckpoint>> AuditLog::checkpoint_if_due(
    std::uint64_t now_ms, const AuditPolicy& policy, const protocol::Signer& signer,
    std::uint64_t signer_serial) {
  Result<protocol::MerkleFrontier> f = frontier();
  if (!f) return f.error();
  Result<std::optional<StoredCheckpoint>> last = latest_checkpoint();
  if (!last) return last.error();
  const std::uint64_t n = f->size();
  bool due = n > 0 && !*last;
  if (*last && n > (*last)->checkpoint.tree_size) {
    const protocol::Checkpoint& l = (*last)->checkpoint;
    due = n - l.tree_size >= policy.every_entries ||
          (now_ms >= l.timestamp_ms && now_ms - l.timestamp_ms >= policy.every_ms);
  }
  if (!due) return std::optional<StoredCheckpoint>{};
  const protocol::Checkpoint c{n, f->root(), now_ms, signer_serial};
  StoredCheckpoint stored{c, protocol::sign_checkpoint(c, signer)};
  Result<sql::Statement> q = db_->prepare(
      "INSERT INTO audit_checkpoints (tree_size, time_ms, wire) VALUES (?1, ?2, ?3)",
      "store audit checkpoint");
  if (!q) return q.error();
  q->bind(1, i64(n));
  q->bind(2, i64(now_ms));
  q->bind(3, ByteView(stored.wire));
  if (Status s = q->run(); !s) return s.error();
  return std::optional<StoredCheckpoint>{std::move(stored)};
}

Result<std::size_t> AuditLog::record_trust(const protocol::Trust& trust, std::uint64_t now_ms) {
  struct Known {
    std::string subject_id;
    std::string role;
  };
  std::map<std::uint64_t, Known> before;
  {
    Result<sql::Statement> q =
        db_->prepare("SELECT serial, subject_id, role FROM audit_trust", "read audit trust");
    if (!q) return q.error();
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      before[u64(q->int64(0))] = Known{q->text(1), q->text(2)};
    }
  }
  std::map<std::uint64_t, Known> now;
  for (const protocol::Certificate& c : trust.certificates())
    if (!trust.is_revoked(c.serial) && c.valid_at(now_ms))
      now[c.serial] = Known{c.subject_id, std::string(protocol::role_name(c.role))};

  const std::string bundle = ", bundle " + std::to_string(trust.version());
  std::size_t appended = 0;
  auto add = [&](protocol::AuditAction action, std::uint64_t serial, const Known& k,
                 const std::string& why) -> Status {
    protocol::AuditEntry e;
    e.timestamp_ms = now_ms;
    e.action = action;
    e.actor = "trust-bundle";
    e.authority_id = k.subject_id;
    e.detail = certificate_text(serial, k.role) + why + bundle;
    Result<std::uint64_t> at = append(e);
    if (!at) return at.error();
    ++appended;
    return protocol::Ok{};
  };
  for (const auto& [serial, k] : now)
    if (!before.count(serial))
      if (Status s = add(protocol::AuditAction::enrolment, serial, k, ""); !s) return s.error();
  for (const auto& [serial, k] : before)
    if (!now.count(serial)) {
      const protocol::Certificate* c = trust.by_serial(serial);
      const std::string why = !c ? ": removed from the bundle"
                              : trust.is_revoked(serial) ? ": revoked"
                                                         : ": not valid now";
      if (Status s = add(protocol::AuditAction::revocation, serial, k, why); !s) return s.error();
    }
  if (appended == 0) return appended;
  if (Status s = db_->exec("DELETE FROM audit_trust", "store audit trust"); !s) return s.error();
  Result<sql::Statement> ins = db_->prepare(
      "INSERT INTO audit_trust (serial, subject_id, role) VALUES (?1, ?2, ?3)", "store audit trust");
  if (!ins) return ins.error();
  for (const auto& [serial, k] : now) {
    ins->reset();
    ins->bind(1, i64(serial));
    ins->bind(2, k.subject_id);
    ins->bind(3, k.role);
    if (Status s = ins->run(); !s) return s.error();
  }
  return appended;
}

Result<std::uint64_t> AuditLog::size() {
  Result<protocol::MerkleFrontier> f = frontier();
  if (!f) return f.error();
  return f->size();
}

Result<Bytes> AuditLog::entry(std::uint64_t index) {
  Result<sql::Statement> q =
      db_->prepare("SELECT entry FROM audit_entries WHERE idx = ?1", "read audit entry");
  if (!q) return q.error();
  q->bind(1, i64(index));
  Result<bool> row = q->step();
  if (!row) return row.error();
  if (!*row)
    return index_error(IndexErrc::not_found, "no audit entry " + std::to_string(index));
  return q->blob(0);
}

Result<std::vector<MerkleHash>> AuditLog::leaf_hashes(std::uint64_t size) {
  Result<sql::Statement> q = db_->prepare(
      "SELECT idx, leaf_hash FROM audit_entries WHERE idx < ?1 ORDER BY idx", "read audit leaves");
  if (!q) return q.error();
  q->bind(1, i64(size));
  std::vector<MerkleHash> out;
  out.reserve(size);
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    auto h = to_merkle_hash(q->blob_view(1));
    if (u64(q->int64(0)) != out.size() || !h)
      return corrupt("audit entry " + std::to_string(out.size()) +
                     ": missing or damaged (run aegis audit verify)");
    out.push_back(*h);
  }
  if (out.size() != size)
    return corrupt("audit log holds " + std::to_string(out.size()) + " entries, expected " +
                   std::to_string(size) + " (run aegis audit verify)");
  return out;
}

Result<std::vector<std::string>> AuditLog::enrolled_authorities() {
  Result<sql::Statement> q = db_->prepare(
      "SELECT DISTINCT subject_id FROM audit_trust WHERE role = 'authority' ORDER BY subject_id",
      "read enrolled authorities");
  if (!q) return q.error();
  std::vector<std::string> out;
  for (;;) {
    Result<bool> row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(q->text(0));
  }
  return out;
}

Result<std::uint64_t> AuditLog::sent_size(std::string_view authority_id) {
  Result<sql::Statement> q = db_->prepare(
      "SELECT tree_size FROM audit_sent WHERE authority_id = ?1", "read checkpoint sent");
  if (!q) return q.error();
  q->bind(1, authority_id);
  Result<bool> row = q->step();
  if (!row) return row.error();
  return *row ? u64(q->int64(0)) : 0;
}

Status AuditLog::record_sent(std::string_view authority_id, std::uint64_t tree_size) {
  Result<sql::Statement> q = db_->prepare(
      "INSERT INTO audit_sent (authority_id, tree_size) VALUES (?1, ?2) "
      "ON CONFLICT (authority_id) DO UPDATE SET tree_size = excluded.tree_size",
      "store checkpoint sent");
  if (!q) return q.error();
  q->bind(1, authority_id);
  q->bind(2, i64(tree_size));
  return q->run();
}

Result<InclusionProof> AuditLog::prove_inclusion(std::uint64_t index) {
  Result<std::optional<StoredCheckpoint>> last = latest_checkpoint();
  if (!last) return last.error();
  if (!*last || index >= (*last)->checkpoint.tree_size)
    return index_error(IndexErrc::not_found,
                       "audit entry " + std::to_string(index) +
                           " is not covered by a checkpoint yet (the latest covers " +
                           std::to_string(*last ? (*last)->checkpoint.tree_size : 0) +
                           " entries)");
  const std::uint64_t size = (*last)->checkpoint.tree_size;
  Result<std::vector<MerkleHash>> leaves = leaf_hashes(size);
  if (!leaves) return leaves.error();
  Result<Bytes> bytes = entry(index);
  if (!bytes) return bytes.error();
  InclusionProof p;
  p.index = index;
  p.entry = std::move(*bytes);
  p.leaf_hash = (*leaves)[index];
  p.checkpoint = std::move(**last);
  p.proof = protocol::inclusion_proof(*leaves, index, size);
  return p;
}

Result<std::vector<MerkleHash>> AuditLog::prove_consistency(std::uint64_t old_size,
                                                            std::uint64_t new_size) {
  Result<std::uint64_t> n = size();
  if (!n) return n.error();
  if (old_size > new_size || new_size > *n)
    return index_error(IndexErrc::invalid_argument,
                       "consistency from " + std::to_string(old_size) + " to " +
                           std::to_string(new_size) + " entries: the log holds " +
                           std::to_string(*n));
  if (old_size == 0) return std::vector<MerkleHash>{};
  Result<std::vector<MerkleHash>> leaves = leaf_hashes(new_size);
  if (!leaves) return leaves.error();
  return protocol::consistency_proof(*leaves, old_size, new_size);
}

Result<AuditReport> AuditLog::verify(const protocol::Trust& trust,
                                     const std::vector<Bytes>& outside) {
  AuditReport report;
  auto fail = [&](std::string code, std::uint64_t index, std::string detail) {
    report.problem = AuditProblem{std::move(code), index, std::move(detail)};
    return report;
  };

  // The checkpoints first (few): verified, their roots compared while the entries stream by.
  struct Expected {
    MerkleHash root{};
    bool outside = false;
  };
  std::multimap<std::uint64_t, Expected> expected;  // by tree size
  {
    Result<sql::Statement> q = db_->prepare(
        "SELECT tree_size, wire FROM audit_checkpoints ORDER BY tree_size", "read audit checkpoints");
    if (!q) return q.error();
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      const std::uint64_t size = u64(q->int64(0));
      const Bytes wire = q->blob(1);
      Result<protocol::Checkpoint> c = read_checkpoint(wire, size);
      if (!c) return fail("bad_checkpoint", size, c.error().detail);
      auto verified = protocol::verify_checkpoint(wire, trust, c->timestamp_ms);
      if (!verified)
        return fail("bad_checkpoint", size,
                    "checkpoint of " + std::to_string(size) + " entries: " +
                        verified.error().message());
      if (c->tree_size != size)
        return fail("bad_checkpoint", size,
                    "stored as the checkpoint of " + std::to_string(size) + " entries, signed for " +
                        std::to_string(c->tree_size));
      expected.emplace(size, Expected{c->root_hash, false});
      ++report.checkpoints;
    }
  }
  for (const Bytes& wire : outside) {
    auto s = protocol::decode_signed(wire, "checkpoint");
    auto body = s ? protocol::decode_checkpoint_body(s->body)
                  : protocol::Result<protocol::Checkpoint>(s.error());
    if (!body) return fail("bad_checkpoint", 0, "outside checkpoint: " + body.error().message());
    auto c = protocol::verify_checkpoint(wire, trust, body->timestamp_ms);
    if (!c) return fail("bad_checkpoint", body->tree_size, "outside checkpoint: " + c.error().message());
    expected.emplace(c->tree_size, Expected{c->root_hash, true});
  }

  // The entries, in leaf order, through a frontier: O(n) hashing whatever the checkpoints.
  protocol::MerkleFrontier f;
  auto check_roots_at = [&](std::uint64_t size) -> std::optional<AuditProblem> {
    auto [from, to] = expected.equal_range(size);
    if (from == to) return std::nullopt;
    const MerkleHash root = f.root();
    for (auto it = from; it != to; ++it)
      if (root != it->second.root)
        return it->second.outside
                   ? AuditProblem{"forked", size,
                                  "the log's first " + std::to_string(size) +
                                      " entries are not those of the checkpoint given: the "
                                      "history was rewritten after it was signed"}
                   : AuditProblem{"root_mismatch", size,
                                  "the root of the first " + std::to_string(size) +
                                      " entries is not the one their checkpoint signed: an "
                                      "entry was edited, reordered or replaced"};
    return std::nullopt;
  };
  if (auto p = check_roots_at(0)) return fail(p->code, p->index, p->detail);
  {
    Result<sql::Statement> q = db_->prepare(
        "SELECT idx, entry, leaf_hash FROM audit_entries ORDER BY idx", "read audit entries");
    if (!q) return q.error();
    for (;;) {
      Result<bool> row = q->step();
      if (!row) return row.error();
      if (!*row) break;
      const std::uint64_t idx = u64(q->int64(0));
      const std::uint64_t want = f.size();
      if (idx != want)
        return fail("missing_entry", want,
                    "entry " + std::to_string(want) + " is missing (the next stored is " +
                        std::to_string(idx) + ")");
      const ByteView bytes = q->blob_view(1);
      if (auto e = protocol::decode_audit_entry(bytes); !e)
        return fail("invalid_entry", idx, "entry " + std::to_string(idx) + ": " + e.error().message());
      const MerkleHash leaf = protocol::audit_leaf_hash(bytes);
      const auto stored = to_merkle_hash(q->blob_view(2));
      if (!stored || *stored != leaf)
        return fail("leaf_mismatch", idx,
                    "entry " + std::to_string(idx) +
                        ": its stored leaf hash is not the hash of its bytes (edited)");
      f.append(leaf);
      if (auto p = check_roots_at(f.size())) return fail(p->code, p->index, p->detail);
    }
  }
  report.entries = f.size();
  report.root = f.root();
  if (!expected.empty() && expected.rbegin()->first > f.size()) {
    const auto& [size, e] = *expected.rbegin();
    return fail("truncated", size,
                std::string(e.outside ? "a checkpoint given" : "a stored checkpoint") +
                    " covers " + std::to_string(size) + " entries, the log holds " +
                    std::to_string(f.size()) + ": entries were removed");
  }
  Result<protocol::MerkleFrontier> state = frontier();
  if (!state) return fail("state_mismatch", f.size(), state.error().detail);
  if (state->size() != f.size() || state->peaks() != f.peaks())
    return fail("state_mismatch", f.size(),
                "the stored frontier is of " + std::to_string(state->size()) +
                    " entries and does not match the " + std::to_string(f.size()) +
                    " entries stored");
  return report;
}

}  // namespace aegis::index
