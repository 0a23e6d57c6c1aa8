// Operator review at the index (docs/resolution.md, "Review queue", "Operator commands and
// export"): the review queue as stored, one pair with its evidence, operator decisions, the full
// re-resolution and the links export. The writes go through the apply path's resolution writes
// (index_store.cpp: Impl::apply_decision, Impl::apply_resolve_all).
#include <algorithm>
#include <map>

#include "index/index_impl.hpp"

namespace aegis::index {

namespace {

constexpr std::size_t kMaxOperatorId = 64;
constexpr std::size_t kMaxReason = 1000;

bool valid_operator_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxOperatorId) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '@' || c == '-';
  });
}

// Printable text: no control characters (a reason is one line of the history).
bool valid_reason(std::string_view reason) {
  if (reason.empty() || reason.size() > kMaxReason) return false;
  return std::none_of(reason.begin(), reason.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

std::string pair_label(std::uint64_t id) { return "review pair " + std::to_string(id); }

// Why a pair is not in the queue (inside a transaction): never there, or left it.
IndexError not_queued(ResolutionStore& store, std::uint64_t id) {
  Result<std::uint64_t> last = store.review_last_id();
  if (!last) return last.error();
  if (id == 0 || id > *last)
    return index_error(IndexErrc::not_found, pair_label(id) + ": no such pair");
  Result<std::optional<StoredDecision>> d = store.decision_on(id);
  if (!d) return d.error();
  if (*d)
    return index_error(IndexErrc::gone,
                       pair_label(id) + ": already decided (" +
                           ((*d)->kind == resolve::DecisionKind::link ? "link" : "separate") +
                           " by " + (*d)->operator_id + ")");
  return index_error(IndexErrc::gone, pair_label(id) +
                                          ": no longer in the review queue (linked, or one of "
                                          "its records changed or was deleted)");
}

// Clears the mint source when the operation ends.
struct MintScope {
  const NationalIdSource*& p;
  MintScope(const NationalIdSource*& slot, const NationalIdSource& source) : p(slot) {
    p = &source;
  }
  ~MintScope() { p = nullptr; }
};

// The audit entry of an operator decision (action review, records = the pair).
protocol::AuditEntry review_audit_entry(const StoredDecision& d) {
  protocol::AuditEntry e;
  e.timestamp_ms = d.time_ms;
  e.action = protocol::AuditAction::review;
  e.actor = d.operator_id;
  e.purpose = d.kind == resolve::DecisionKind::link ? "review link" : "review separate";
  e.records = {{d.a.authority_id, d.a.record_id}, {d.b.authority_id, d.b.record_id}};
  if (d.review_id) e.detail = "pair " + std::to_string(*d.review_id);
  return e;
}

}  // namespace

std::string_view linked_by_name(LinkedBy l) noexcept {
  switch (l) {
    case LinkedBy::single: return "single";
    case LinkedBy::identifier: return "identifier";
    case LinkedBy::score: return "score";
    case LinkedBy::operator_: return "operator";
  }
  return "unknown";
}

Result<std::uint64_t> IndexStore::review_count() {
  Result<sql::Transaction> tx = sql::Transaction::begin_read(impl_->db, "read review queue");
  if (!tx) return tx.error();
  return impl_->resolution->review_count();
}

Result<std::vector<QueuedPair>> IndexStore::review_list(std::size_t max) {
  Result<sql::Transaction> tx = sql::Transaction::begin_read(impl_->db, "read review queue");
  if (!tx) return tx.error();
  return impl_->resolution->review_list(max);
}

Result<ReviewDetail> IndexStore::review_pair(std::uint64_t review_id) {
  Impl& m = *impl_;
  ReviewDetail out;
  {
    Result<sql::Transaction> tx = sql::Transaction::begin_read(m.db, "read review pair");
    if (!tx) return tx.error();
    if (Status s = m.sync_pending(); !s) return s.error();
    if (m.resolver_stale)
      if (Status s = m.rebuild_resolver(); !s) return s.error();
    Result<std::optional<QueuedPair>> p = m.resolution->review_pair(review_id);
    if (!p) return p.error();
    if (!*p) return not_queued(*m.resolution, review_id);
    out.pair = std::move(**p);
    std::optional<resolve::PairScore> score = m.resolver->explain(out.pair.a, out.pair.b);
    if (!score)
      return index_error(IndexErrc::corrupt,
                         pair_label(review_id) + ": a record of the pair is not resolved");
    out.score = *score;
  }
  for (auto [side, ref] : {std::pair{&out.a, &out.pair.a}, std::pair{&out.b, &out.pair.b}}) {
    Result<std::optional<CurrentRecord>> r = record(ref->authority_id, ref->record_id);
    if (!r) return r.error();
    if (!*r || (*r)->deleted || !(*r)->identity)
      return index_error(IndexErrc::gone, pair_label(review_id) + ": a record was deleted");
    side->ref = *ref;
    side->national_id = (*r)->national_id;
    side->shielded = (*r)->shielded;
    side->identity = *(*r)->identity;
  }
  return out;
}

Result<DecisionResult> IndexStore::decide(const OperatorDecision& decision, std::uint64_t now_ms,
                                          const IndexSigning& signing) {
  if (!valid_operator_id(decision.operator_id))
    return index_error(IndexErrc::invalid_argument,
                       "operator: 1-64 characters of A-Z a-z 0-9 . _ @ - required");
  if (!valid_reason(decision.reason))
    return index_error(IndexErrc::invalid_argument,
                       "reason: 1-1000 characters without control characters required");
  Impl& m = *impl_;
  Result<sql::Transaction> tx =
      sql::Transaction::begin(m.db, pair_label(decision.review_id) + ": operator decision");
  if (!tx) return tx.error();
  if (Status s = m.sync_pending(); !s) return s.error();
  if (m.resolver_stale)
    if (Status s = m.rebuild_resolver(); !s) return s.error();
  Result<std::optional<QueuedPair>> p = m.resolution->review_pair(decision.review_id);
  if (!p) return p.error();
  if (!*p) return not_queued(*m.resolution, decision.review_id);
  const QueuedPair& pair = **p;
  if (!m.resolver->contains(pair.a) || !m.resolver->contains(pair.b))
    return index_error(IndexErrc::gone, pair_label(decision.review_id) + ": a record was deleted");

  DecisionResult out;
  out.decision = {
      0, now_ms, decision.kind, pair.a, pair.b, decision.operator_id, decision.reason, pair.id};
  if (Status s = m.resolution->add_decision(out.decision); !s) return s.error();
  const MintScope mint(m.mint_source, signing.national_id_bits);
  // From here the engine changes: on any failure it is rebuilt from the store before next use.
  Result<ResolutionChange> change = m.apply_decision(
      {decision.kind, pair.a, pair.b, decision.operator_id + ": " + decision.reason}, now_ms,
      signing);
  // The decision is audited in its own transaction: who, which pair, link or separate (the
  // reason stays in the linkage history, not in the audit log).
  Status audited = protocol::Ok{};
  if (!change) audited = change.error();
  else if (auto a = m.append_audit(review_audit_entry(out.decision)); !a) audited = a.error();
  Status committed = audited ? tx->commit() : audited;
  if (!committed) {
    m.resolver_stale = true;
    m.pending_synced = false;
    return committed.error();
  }
  out.change = std::move(change).value();
  out.national_id_a = m.resolver->national_id(pair.a);
  out.national_id_b = m.resolver->national_id(pair.b);
  return out;
}

Result<ResolveAllResult> IndexStore::resolve_all(std::uint64_t now_ms,
                                                 const IndexSigning& signing) {
  Impl& m = *impl_;
  Result<sql::Transaction> tx = sql::Transaction::begin(m.db, "resolve all");
  if (!tx) return tx.error();
  if (Status s = m.sync_pending(); !s) return s.error();
  const MintScope mint(m.mint_source, signing.national_id_bits);
  Result<ResolutionChange> change = m.apply_resolve_all(now_ms, signing);
  Status committed = change ? tx->commit() : Status(change.error());
  if (!committed) {
    m.resolver_stale = true;
    m.pending_synced = false;
    return committed.error();
  }
  m.resolver_stale = false;
  ResolveAllResult out;
  const resolve::ResolverStats stats = m.resolver->stats();
  out.records = stats.records;
  out.clusters = stats.clusters;
  out.review_pairs = m.resolver->review_queue().size();
  out.change = std::move(change).value();
  return out;
}

Result<std::vector<LinkRow>> IndexStore::links() {
  Impl& m = *impl_;
  std::map<std::pair<resolve::RecordRef, resolve::RecordRef>, resolve::DecisionKind> decided;
  {
    Result<sql::Transaction> tx = sql::Transaction::begin_read(m.db, "links export");
    if (!tx) return tx.error();
    if (Status s = m.sync_pending(); !s) return s.error();
    if (m.resolver_stale)
      if (Status s = m.rebuild_resolver(); !s) return s.error();
    Result<std::vector<StoredDecision>> ds = m.resolution->decisions();
    if (!ds) return ds.error();
    for (StoredDecision& d : *ds) decided[{d.a, d.b}] = d.kind;  // the latest wins
  }
  const resolve::Resolver& engine = *m.resolver;
  std::vector<LinkRow> out;
  for (const std::vector<resolve::RecordRef>& cluster : engine.partition()) {
    const std::string nid = engine.national_id(cluster.front()).value_or("");
    for (const resolve::RecordRef& r : cluster) {
      LinkRow row{nid, r, LinkedBy::single, std::nullopt};
      // The strongest pair tying r to another record of its cluster: an operator link first,
      // then a link pair with an agreeing identifier, then the best link score.
      for (const resolve::RecordRef& o : cluster) {
        if (o == r) continue;
        const auto key = r < o ? std::pair{r, o} : std::pair{o, r};
        const auto d = decided.find(key);
        const std::optional<resolve::PairScore> score = engine.explain(r, o);
        if (!score) continue;
        LinkedBy how = LinkedBy::single;
        if (d != decided.end() && d->second == resolve::DecisionKind::link) {
          how = LinkedBy::operator_;
        } else if (score->outcome == resolve::Outcome::link) {
          const bool identifier = std::any_of(
              score->evidence.begin(), score->evidence.end(), [](const resolve::FieldEvidence& e) {
                return (e.field == resolve::Field::upn || e.field == resolve::Field::uln ||
                        e.field == resolve::Field::nhs_number) &&
                       e.level == resolve::Level::agree;
              });
          how = identifier ? LinkedBy::identifier : LinkedBy::score;
        } else {
          continue;
        }
        const auto rank = [](LinkedBy l) {
          return l == LinkedBy::operator_    ? 3
                 : l == LinkedBy::identifier ? 2
                 : l == LinkedBy::score      ? 1
                                             : 0;
        };
        if (rank(how) > rank(row.how) ||
            (how == row.how && score->score > row.score.value_or(-1e9))) {
          row.how = how;
          row.score = score->score;
        }
      }
      // Linked only through others (a chain): the best score with any member.
      if (row.how == LinkedBy::single && cluster.size() > 1) {
        row.how = LinkedBy::score;
        for (const resolve::RecordRef& o : cluster)
          if (o != r)
            if (auto sc = engine.explain(r, o); sc && sc->score > row.score.value_or(-1e9))
              row.score = sc->score;
      }
      out.push_back(std::move(row));
    }
  }
  return out;
}

}  // namespace aegis::index
