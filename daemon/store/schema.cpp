// Schema versions of the store, oldest first (docs/store.md). A released step is never edited:
// a change of schema is a new step appended here and kSchemaVersion raised with it.
#include "store/schema.hpp"

#include <array>
#include <string_view>

#include "store/store.hpp"

namespace aegis::store::schema {
namespace {

// Step i (0-based) takes the database from version i to version i + 1.
constexpr std::array<std::string_view, 3> kSteps = {
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
};
static_assert(kSteps.size() == kSchemaVersion, "one migration step per schema version");

}  // namespace

sqlite::MigrationSteps steps() { return kSteps; }

}  // namespace aegis::store::schema
