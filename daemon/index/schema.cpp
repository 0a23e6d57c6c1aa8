// Schema versions of the index store, oldest first (docs/index-store.md). A released step is
// never edited: a change of schema is a new step appended here and kSchemaVersion raised with it.
#include "index/schema.hpp"

#include <array>
#include <string_view>

namespace aegis::index::schema {
namespace {

// Step i (0-based) takes the database from version i to version i + 1.
constexpr std::array<std::string_view, 7> kSteps = {
    // 1: meta, authorities (chain and feed heads), envelopes (as received), records (current
    //    state), feed (signed items per authority), rejections (no payload, ever).
    R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value ANY NOT NULL
) STRICT;
CREATE TABLE authorities (
  aid              INTEGER PRIMARY KEY,
  authority_id     TEXT NOT NULL UNIQUE,
  first_seen_ms    INTEGER NOT NULL,
  last_received_ms INTEGER NOT NULL,                             -- last batch from it
  applied_seq      INTEGER NOT NULL DEFAULT 0,                   -- the chain head (= Ack)
  applied_hash     BLOB NOT NULL CHECK (length(applied_hash) = 32),
  live_records     INTEGER NOT NULL DEFAULT 0,                   -- records not deleted
  feed_seq         INTEGER NOT NULL DEFAULT 0,                   -- the feed head
  feed_hash        BLOB NOT NULL CHECK (length(feed_hash) = 32),
  feed_acked       INTEGER NOT NULL DEFAULT 0 CHECK (feed_acked BETWEEN 0 AND feed_seq)
) STRICT;
CREATE TABLE envelopes (
  id          INTEGER PRIMARY KEY,                               -- aid << 40 | seq
  received_ms INTEGER NOT NULL,
  wire        BLOB NOT NULL,                                     -- exactly as received
  aid         INTEGER GENERATED ALWAYS AS (id >> 40) VIRTUAL,
  seq         INTEGER GENERATED ALWAYS AS (id & 1099511627775) VIRTUAL
) STRICT;
CREATE TABLE records (
  aid         INTEGER NOT NULL REFERENCES authorities (aid),
  record_id   TEXT NOT NULL,
  national_id TEXT,                                              -- set by the first upsert
  last_seq    INTEGER NOT NULL,                                  -- envelope holding the state
  deleted     INTEGER NOT NULL CHECK (deleted IN (0, 1)),
  shielded    INTEGER NOT NULL CHECK (shielded IN (0, 1)),
  PRIMARY KEY (aid, record_id),
  CHECK (deleted = 1 OR national_id IS NOT NULL),
  CHECK (deleted = 0 OR shielded = 0)
) STRICT, WITHOUT ROWID;
CREATE TABLE feed (
  id       INTEGER PRIMARY KEY,                                  -- aid << 40 | feed_seq
  wire     BLOB NOT NULL,                                        -- signed by the index
  aid      INTEGER GENERATED ALWAYS AS (id >> 40) VIRTUAL,
  feed_seq INTEGER GENERATED ALWAYS AS (id & 1099511627775) VIRTUAL
) STRICT;
CREATE TABLE rejections (
  id       INTEGER PRIMARY KEY,
  aid      INTEGER NOT NULL REFERENCES authorities (aid),
  seq      INTEGER NOT NULL,                                     -- of the refused envelope
  code     TEXT NOT NULL,                                        -- protocol error name
  detail   TEXT NOT NULL,                                        -- field path and reason
  first_ms INTEGER NOT NULL,
  last_ms  INTEGER NOT NULL,
  repeats  INTEGER NOT NULL DEFAULT 1 CHECK (repeats >= 1)       -- same refusal, resent
) STRICT;
CREATE INDEX rejections_by_authority ON rejections (aid, id);
)sql",
    // 2: state_log (each applied change's new record state, appended by the apply transaction
    //    and merged into records later in large sorted batches), and current_records (records
    //    with the states not merged yet laid over them: for inspection and tests, not the hot
    //    path).
    R"sql(
CREATE TABLE state_log (
  id          INTEGER PRIMARY KEY,                               -- aid << 40 | seq of the change
  record_id   TEXT NOT NULL,
  national_id TEXT,
  deleted     INTEGER NOT NULL CHECK (deleted IN (0, 1)),
  shielded    INTEGER NOT NULL CHECK (shielded IN (0, 1)),
  aid         INTEGER GENERATED ALWAYS AS (id >> 40) VIRTUAL,
  seq         INTEGER GENERATED ALWAYS AS (id & 1099511627775) VIRTUAL,
  CHECK (deleted = 1 OR national_id IS NOT NULL),
  CHECK (deleted = 0 OR shielded = 0)
) STRICT;
CREATE VIEW current_records (aid, record_id, national_id, last_seq, deleted, shielded) AS
  WITH latest AS (
    SELECT id >> 40 AS aid, record_id, national_id, id & 1099511627775 AS last_seq, deleted,
           shielded, max(id) FROM state_log GROUP BY id >> 40, record_id)
  SELECT aid, record_id, national_id, last_seq, deleted, shielded FROM latest
  UNION ALL
  SELECT aid, record_id, national_id, last_seq, deleted, shielded FROM records r
   WHERE NOT EXISTS (SELECT 1 FROM latest l WHERE l.aid = r.aid AND l.record_id = r.record_id);
)sql",
    // 3: resolution (docs/resolution.md, "Index integration"): national ids with their minting
    //    order (merges keep the lowest) and what they became (alias_of, retired); the linkage
    //    history (no personal data: ids, record refs, who decided, why); what each record's
    //    authority was last told of each other record of its cluster (elsewhere feed items).
    //    Ids assigned before this step (one per record) get minting orders in id order.
    R"sql(
CREATE TABLE national_ids (
  national_id  TEXT PRIMARY KEY,
  minted_order INTEGER NOT NULL,                                 -- lower = older
  alias_of     TEXT,                                             -- merged into that id
  retired      INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1))
) STRICT;
INSERT INTO national_ids (national_id, minted_order)
  SELECT national_id, row_number() OVER (ORDER BY national_id)
    FROM (SELECT DISTINCT national_id FROM current_records WHERE national_id IS NOT NULL);
CREATE TABLE linkage_events (
  id           INTEGER PRIMARY KEY,
  time_ms      INTEGER NOT NULL,
  kind         TEXT NOT NULL,                                    -- change_kind_name
  national_id  TEXT NOT NULL,
  previous_ids TEXT NOT NULL,                                    -- space separated; may be ''
  decided_by   TEXT NOT NULL,                                    -- engine, operator
  reason       TEXT NOT NULL
) STRICT;
CREATE TABLE linkage_event_records (
  event_id     INTEGER NOT NULL REFERENCES linkage_events (id),
  authority_id TEXT NOT NULL,
  record_id    TEXT NOT NULL,
  PRIMARY KEY (event_id, authority_id, record_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE elsewhere_sent (
  authority_id       TEXT NOT NULL,                              -- told (its record_id)
  record_id          TEXT NOT NULL,
  other_authority_id TEXT NOT NULL,                              -- about this record
  other_record_id    TEXT NOT NULL,
  state              INTEGER NOT NULL CHECK (state IN (1, 2)),   -- linked, shielded
  digest             BLOB NOT NULL CHECK (length(digest) = 32),  -- of what the item said
  PRIMARY KEY (authority_id, record_id, other_authority_id, other_record_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX elsewhere_sent_by_other ON elsewhere_sent (other_authority_id, other_record_id);
)sql",
    // 4: operator review (docs/resolution.md, "Review queue"): every operator decision ever
    //    made (append-only; the latest on a pair is in force and restored into the engine at
    //    start), and the pairs waiting for one with their evidence. A pair's id is never reused
    //    (AUTOINCREMENT), so a decision naming a pair that left the queue is refused, never
    //    applied to another pair. No identifier values; names and dates are read from the
    //    records when an operator asks.
    R"sql(
CREATE TABLE operator_decisions (
  id             INTEGER PRIMARY KEY,
  time_ms        INTEGER NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('link', 'separate')),
  a_authority_id TEXT NOT NULL,
  a_record_id    TEXT NOT NULL,
  b_authority_id TEXT NOT NULL,
  b_record_id    TEXT NOT NULL,
  operator       TEXT NOT NULL,
  reason         TEXT NOT NULL,
  review_id      INTEGER                                         -- the queue pair decided
) STRICT;
CREATE INDEX operator_decisions_by_review ON operator_decisions (review_id);
CREATE TABLE review_queue (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,              -- the pair's number
  a_authority_id TEXT NOT NULL,                                  -- a < b
  a_record_id    TEXT NOT NULL,
  b_authority_id TEXT NOT NULL,
  b_record_id    TEXT NOT NULL,
  score          REAL NOT NULL,
  cap            TEXT NOT NULL,                                  -- cap_name
  evidence       TEXT NOT NULL,                                  -- field=level:weight ...
  since_ms       INTEGER NOT NULL,
  UNIQUE (a_authority_id, a_record_id, b_authority_id, b_record_id)
) STRICT;
CREATE INDEX review_queue_by_b ON review_queue (b_authority_id, b_record_id);
CREATE INDEX review_queue_by_score ON review_queue (score DESC, id);
)sql",
    // 5: retention (docs/index-store.md §12, docs/query.md "Retention"). `retention`: per
    //    record, when it was archived (kept, not returned by search) and when purged. A purged
    //    envelope or feed item keeps its row with wire = X'' and its chain fields here, so the
    //    chains still verify by their stored hashes. IF NOT EXISTS: a database taken back to an
    //    older version by hand keeps these tables.
    R"sql(
CREATE TABLE IF NOT EXISTS retention (
  aid         INTEGER NOT NULL REFERENCES authorities (aid),
  record_id   TEXT NOT NULL,
  archived_ms INTEGER NOT NULL,
  purged_ms   INTEGER,                                           -- NULL: not purged
  PRIMARY KEY (aid, record_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS purged_envelopes (
  id        INTEGER PRIMARY KEY,                                 -- envelopes.id
  record_id TEXT NOT NULL,
  prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
  hash      BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;
CREATE TABLE IF NOT EXISTS purged_feed (
  id   INTEGER PRIMARY KEY,                                      -- feed.id
  hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;
)sql",
    // 6: access notices waiting for their owner's feed (docs/query.md, "Access notices"). A
    //    query group's transaction writes one row per record it showed another authority, with
    //    its audit entries; flush_notices moves them, a second's worth at a time, into one
    //    signed access_notice item (feed version 6) per owner and deletes them.
    R"sql(
CREATE TABLE IF NOT EXISTS pending_notices (
  id                  INTEGER PRIMARY KEY,                       -- the order of the accesses
  aid                 INTEGER NOT NULL REFERENCES authorities (aid), -- the owner to tell
  record_id           TEXT NOT NULL,                             -- its record that was shown
  viewer_authority_id TEXT NOT NULL,
  user_id             TEXT NOT NULL,
  role                INTEGER NOT NULL CHECK (role BETWEEN 1 AND 3),    -- protocol::UserRole
  purpose             INTEGER NOT NULL CHECK (purpose BETWEEN 1 AND 5), -- protocol::QueryPurpose
  time_ms             INTEGER NOT NULL                           -- the query's time
) STRICT;
)sql",
    // 7: national ids minted since the last merge (docs/index-store.md §4), appended in minting
    //    order and filed into national_ids, sorted by id, with the record states. A new child
    //    then writes no random-key row for its id: national ids are random, and one row a
    //    child in national_ids' index cost about a page of WAL and checkpoint writes per
    //    change at millions of ids. current_national_ids lays the log over national_ids: for
    //    inspection, tests and the metrics' count, not the hot path (the store finds logged ids
    //    in memory). NOT IN, not a correlated NOT EXISTS: SQLite builds the log's ids into one
    //    transient index, where NOT EXISTS scanned the whole log for each national_ids row.
    R"sql(
CREATE TABLE national_id_log (
  minted_order INTEGER PRIMARY KEY,                              -- lower = older
  national_id  TEXT NOT NULL,
  alias_of     TEXT,                                             -- merged into that id
  retired      INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1))
) STRICT;
CREATE VIEW current_national_ids (national_id, minted_order, alias_of, retired) AS
  SELECT national_id, minted_order, alias_of, retired FROM national_id_log
  UNION ALL
  SELECT national_id, minted_order, alias_of, retired FROM national_ids
   WHERE national_id NOT IN (SELECT national_id FROM national_id_log);
)sql",
};
static_assert(kSteps.size() == kSchemaVersion, "one migration step per schema version");

}  // namespace

sqlite::MigrationSteps steps() { return kSteps; }

}  // namespace aegis::index::schema
