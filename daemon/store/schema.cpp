// Schema versions of the store, oldest first (docs/store.md). A released step is never edited:
// a change of schema is a new step appended here and kSchemaVersion raised with it.
#include "store/schema.hpp"

#include <array>
#include <string_view>

#include "store/store.hpp"

namespace aegis::store::schema {
namespace {

// Step i (0-based) takes the database from version i to version i + 1.
constexpr std::array<std::string_view, 6> kSteps = {
    // 1: meta, records (current state, tombstones for deletes), outbox (the change log).
    R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value ANY NOT NULL
) STRICT;
CREATE TABLE outbox (
  seq        INTEGER PRIMARY KEY,                     -- 1, 2, 3... the envelope's seq (rowid)
  record_id  TEXT NOT NULL,
  op         INTEGER NOT NULL CHECK (op IN (1, 2)),   -- 1 upsert, 2 delete
  created_ms INTEGER NOT NULL,                        -- the envelope's timestamp_ms
  hash       BLOB NOT NULL CHECK (length(hash) = 32), -- envelope_hash(envelope)
  envelope   BLOB NOT NULL                            -- the wire bytes (encoded Signed)
) STRICT;
CREATE TABLE records (
  record_id  TEXT PRIMARY KEY,
  body       BLOB,                                    -- encode_child_record; NULL when deleted
  shielded   INTEGER NOT NULL CHECK (shielded IN (0, 1)),
  deleted    INTEGER NOT NULL CHECK (deleted IN (0, 1)),
  last_seq   INTEGER NOT NULL REFERENCES outbox (seq),
  updated_ms INTEGER NOT NULL,
  CHECK ((deleted = 0) = (body IS NOT NULL))
) STRICT;
)sql",
    // 2: sync (docs/store.md §10, docs/sync.md): the feed received from the index (wire bytes as
    // received, its chain is the table itself), the national id per record, sync state.
    R"sql(
CREATE TABLE feed (
  seq         INTEGER PRIMARY KEY,                     -- 1, 2, 3... the item's seq (rowid)
  kind        INTEGER NOT NULL CHECK (kind IN (1, 2)), -- 1 applied, 2 national_id
  received_ms INTEGER NOT NULL,
  hash        BLOB NOT NULL CHECK (length(hash) = 32), -- feed_item_hash(item)
  item        BLOB NOT NULL                            -- the wire bytes (encoded Signed)
) STRICT;
CREATE TABLE national_ids (
  record_id   TEXT PRIMARY KEY,
  national_id TEXT NOT NULL,
  feed_seq    INTEGER NOT NULL REFERENCES feed (seq)   -- the item that assigned it
) STRICT;
CREATE TABLE sync_state (
  index_id      TEXT PRIMARY KEY,
  acked_seq     INTEGER NOT NULL,                      -- the index's latest Welcome/Ack
  acked_ms      INTEGER NOT NULL,
  reject_seq    INTEGER,                               -- the latest rejection, if any
  reject_code   TEXT,
  reject_detail TEXT,
  reject_ms     INTEGER,
  CHECK ((reject_seq IS NULL) = (reject_code IS NULL))
) STRICT;
)sql",
    // 3: imports (docs/store.md §11, docs/adapters.md): one row per file imported in one
    // transaction; committed with the file's records and envelopes, so it exists iff they do.
    R"sql(
CREATE TABLE imports (
  id          INTEGER PRIMARY KEY,                       -- 1, 2, 3... (rowid)
  file_name   TEXT NOT NULL,                             -- without its directory
  sha256      BLOB NOT NULL CHECK (length(sha256) = 32), -- of the file's bytes
  format      TEXT NOT NULL,                             -- ctf, cin, csv
  source      TEXT NOT NULL,                             -- from the file's header
  records     INTEGER NOT NULL,                          -- valid records read
  changed     INTEGER NOT NULL,                          -- envelopes appended
  quarantined INTEGER NOT NULL,                          -- invalid records reported
  left_roll   INTEGER NOT NULL,                          -- full CTF: children no longer listed
  first_seq   INTEGER,                                   -- envelopes appended; NULL when none
  last_seq    INTEGER,
  imported_ms INTEGER NOT NULL,
  CHECK ((first_seq IS NULL) = (last_seq IS NULL))
) STRICT;
CREATE INDEX imports_sha256 ON imports (sha256);
)sql",
    // 4: the feed's elsewhere items (feed version 3, kind 3; docs/store.md §12). `feed` is
    // rebuilt for its new kind CHECK, and `national_ids` (which references it) with it: new
    // tables, copy, drop the old (child first), rename — inside the migration's one transaction,
    // with foreign keys on (renaming feed_new rewrites national_ids_new's reference to it).
    // `elsewhere`: one row per (record, other authority's record) the feed says are linked.
    R"sql(
CREATE TABLE feed_new (
  seq         INTEGER PRIMARY KEY,                        -- 1, 2, 3... the item's seq (rowid)
  kind        INTEGER NOT NULL CHECK (kind IN (1, 2, 3)), -- 1 applied, 2 national_id, 3 elsewhere
  received_ms INTEGER NOT NULL,
  hash        BLOB NOT NULL CHECK (length(hash) = 32),    -- feed_item_hash(item)
  item        BLOB NOT NULL                               -- the wire bytes (encoded Signed)
) STRICT;
INSERT INTO feed_new (seq, kind, received_ms, hash, item)
  SELECT seq, kind, received_ms, hash, item FROM feed;
CREATE TABLE national_ids_new (
  record_id   TEXT PRIMARY KEY,
  national_id TEXT NOT NULL,
  feed_seq    INTEGER NOT NULL REFERENCES feed_new (seq)  -- the latest item that stated it
) STRICT;
INSERT INTO national_ids_new (record_id, national_id, feed_seq)
  SELECT record_id, national_id, feed_seq FROM national_ids;
DROP TABLE national_ids;
DROP TABLE feed;
ALTER TABLE feed_new RENAME TO feed;
ALTER TABLE national_ids_new RENAME TO national_ids;
CREATE TABLE elsewhere (
  record_id          TEXT NOT NULL,                       -- this authority's record
  other_authority_id TEXT NOT NULL,
  other_record_id    TEXT NOT NULL,
  state              INTEGER NOT NULL CHECK (state IN (1, 2)), -- 1 linked, 2 shielded there
  details            BLOB,                                -- linked: encode_child_details (shareable part)
  feed_seq           INTEGER NOT NULL REFERENCES feed (seq), -- the latest item for this pair
  PRIMARY KEY (record_id, other_authority_id, other_record_id),
  CHECK ((state = 1) = (details IS NOT NULL))
) STRICT, WITHOUT ROWID;
)sql",
    // 5: retention (docs/store.md §13, docs/query.md "Retention"). `retention`: per record, a
    // consent to retain (archive at 25, not 18), when it was archived, when its purge began (a
    // delete envelope appended) and when it ended (payloads erased once the index acknowledged
    // every envelope of the record). A purged outbox row keeps seq, record_id, op, created_ms
    // and hash with envelope = X'', and the prev_hash read from it in `purged_outbox`, so the
    // chain still links; a purged feed row keeps its hash with item = X'' (`purged_feed`).
    // IF NOT EXISTS: a database taken back to an older version by hand keeps these tables.
    R"sql(
CREATE TABLE IF NOT EXISTS retention (
  record_id         TEXT PRIMARY KEY,
  consent_to_retain INTEGER NOT NULL DEFAULT 0 CHECK (consent_to_retain IN (0, 1)),
  archived_ms       INTEGER,                               -- NULL: not archived
  purge_started_ms  INTEGER,                               -- NULL: no purge begun
  purged_ms         INTEGER,                               -- NULL: not purged (erased)
  CHECK (purge_started_ms IS NULL OR archived_ms IS NOT NULL),
  CHECK (purged_ms IS NULL OR purge_started_ms IS NOT NULL)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS purged_outbox (
  seq       INTEGER PRIMARY KEY,                           -- outbox.seq
  prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32)   -- read from the envelope erased
) STRICT;
CREATE TABLE IF NOT EXISTS purged_feed (
  seq INTEGER PRIMARY KEY                                  -- feed.seq
) STRICT;
CREATE INDEX IF NOT EXISTS outbox_by_record ON outbox (record_id);
)sql",
    // 6: the audit checkpoints in the feed (feed version 4, kind 4; docs/audit.md). `feed` is
    // rebuilt for its kind CHECK as in step 4 — with its two children, national_ids and
    // elsewhere — and allows kinds 5 and 6 too (feed version 5, the query notices), so that
    // feed's CHECK changes once. `checkpoint_held`: the last checkpoint that extended the one
    // before; `checkpoint_forks`: each notice that did not, kept with the evidence.
    R"sql(
CREATE TABLE feed_new (
  seq         INTEGER PRIMARY KEY,                        -- 1, 2, 3... the item's seq (rowid)
  kind        INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 6), -- protocol::FeedKind
  received_ms INTEGER NOT NULL,
  hash        BLOB NOT NULL CHECK (length(hash) = 32),    -- feed_item_hash(item)
  item        BLOB NOT NULL                               -- the wire bytes (encoded Signed)
) STRICT;
INSERT INTO feed_new (seq, kind, received_ms, hash, item)
  SELECT seq, kind, received_ms, hash, item FROM feed;
CREATE TABLE national_ids_new (
  record_id   TEXT PRIMARY KEY,
  national_id TEXT NOT NULL,
  feed_seq    INTEGER NOT NULL REFERENCES feed_new (seq)  -- the latest item that stated it
) STRICT;
INSERT INTO national_ids_new (record_id, national_id, feed_seq)
  SELECT record_id, national_id, feed_seq FROM national_ids;
CREATE TABLE elsewhere_new (
  record_id          TEXT NOT NULL,
  other_authority_id TEXT NOT NULL,
  other_record_id    TEXT NOT NULL,
  state              INTEGER NOT NULL CHECK (state IN (1, 2)),
  details            BLOB,
  feed_seq           INTEGER NOT NULL REFERENCES feed_new (seq),
  PRIMARY KEY (record_id, other_authority_id, other_record_id),
  CHECK ((state = 1) = (details IS NOT NULL))
) STRICT, WITHOUT ROWID;
INSERT INTO elsewhere_new SELECT * FROM elsewhere;
DROP TABLE elsewhere;
DROP TABLE national_ids;
DROP TABLE feed;
ALTER TABLE feed_new RENAME TO feed;
ALTER TABLE national_ids_new RENAME TO national_ids;
ALTER TABLE elsewhere_new RENAME TO elsewhere;
CREATE TABLE checkpoint_held (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  tree_size  INTEGER NOT NULL,
  checkpoint BLOB NOT NULL,                               -- the signed checkpoint's wire
  feed_seq   INTEGER NOT NULL REFERENCES feed (seq)       -- the item that brought it
) STRICT;
CREATE TABLE checkpoint_forks (
  id             INTEGER PRIMARY KEY,
  feed_seq       INTEGER NOT NULL REFERENCES feed (seq),  -- the refused item (stored in feed)
  detected_ms    INTEGER NOT NULL,
  held           BLOB,                                    -- the checkpoint held then (NULL: none)
  held_size      INTEGER NOT NULL,
  notice         BLOB NOT NULL,                           -- the refused CheckpointNotice
  notice_size    INTEGER,                                 -- its checkpoint's size (NULL: undecodable)
  verified       INTEGER NOT NULL CHECK (verified IN (0, 1)), -- its checkpoint verified
  code           TEXT NOT NULL,                           -- protocol error name
  detail         TEXT NOT NULL,
  resolved_ms    INTEGER                                  -- NULL until an operator resolves it
) STRICT;
)sql",
};
static_assert(kSteps.size() == kSchemaVersion, "one migration step per schema version");

}  // namespace

sqlite::MigrationSteps steps() { return kSteps; }

}  // namespace aegis::store::schema
