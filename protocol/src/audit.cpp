// Audit entries and signed checkpoints (docs/PROTOCOL.md §15): canonical encoding, the rules of
// each field, checkpoint signing and verification (the signer checks are those of feed items,
// chain_rules.hpp).
#include "aegis/protocol/audit.hpp"

#include "aegis/protocol/codec.hpp"
#include "aegis/protocol/signed.hpp"
#include "chain_rules.hpp"
#include "decode_rules.hpp"

namespace aegis::protocol {

namespace {

inline constexpr std::size_t kEntryFields = 9;
inline constexpr std::size_t kRecordRefFields = 2;
inline constexpr std::size_t kCheckpointFields = 5;
inline constexpr std::size_t kNoticeFields = 4;
// A notice: a checkpoint and a proof of at most kMaxProofHashes hashes, with their headers.
inline constexpr std::size_t kMaxNoticeSize =
    kMaxCheckpointSize + kMaxProofHashes * (kMerkleHashSize + 2) + 32;

DecodeLimits entry_limits() {
  DecodeLimits limits;
  limits.max_input = kMaxAuditEntrySize;
  return limits;
}

DecodeLimits checkpoint_limits() {
  DecodeLimits limits;
  limits.max_input = kMaxCheckpointSize;
  return limits;
}

std::string read_authority_id(const Node& n) {
  std::string id = n.as_str(detail::kAnyLen);
  if (!n.context().failed()) detail::check_authority_id(n.context(), n.path(), id);
  return id;
}

AuditRecordRef read_record_ref(const Node& n) {
  ArrayNode a = detail::read_struct(n, kRecordRefFields);
  AuditRecordRef r;
  r.authority_id = read_authority_id(a.field(0, "authority_id"));
  Node record_id = a.field(1, "record_id");
  r.record_id = record_id.as_str(detail::kAnyLen);
  if (!n.context().failed()) detail::check_record_id(n.context(), record_id.path(), r.record_id);
  return r;
}

bool needs_authority(AuditAction a) {
  return a == AuditAction::query || a == AuditAction::enrolment ||
         a == AuditAction::revocation || a == AuditAction::purge ||
         a == AuditAction::query_refused;
}

AuditEntry read_entry(const Node& n) {
  AuditEntry e;
  DecodeContext& ctx = n.context();
  ArrayNode a = detail::read_versioned_struct(n, kAuditEntryVersion, kEntryFields);
  e.timestamp_ms = a.field(1, "timestamp_ms").as_uint();
  Node action = a.field(2, "action");
  const std::uint64_t code = action.as_uint(UINT8_MAX);
  if (ctx.failed()) return e;
  if (code < static_cast<std::uint64_t>(AuditAction::query) ||
      code > static_cast<std::uint64_t>(AuditAction::query_refused)) {
    action.fail(Errc::invalid_field, "unknown action " + std::to_string(code));
    return e;
  }
  e.action = static_cast<AuditAction>(code);
  e.actor = a.field(3, "actor").as_str(kMaxAuditActorLen, 1);
  Node authority = a.field(4, "authority_id");
  if (!authority.is_nil()) e.authority_id = read_authority_id(authority);
  if (!ctx.failed() && !e.authority_id && needs_authority(e.action))
    authority.fail(Errc::invalid_field,
                   "required for action " + std::string(audit_action_name(e.action)));
  e.purpose = a.field(5, "purpose").as_str(kMaxAuditPurposeLen);
  Node records = a.field(6, "records");
  ArrayNode list = records.as_array(0, kMaxAuditRecords);
  for (std::size_t i = 0; i < list.size() && !ctx.failed(); ++i)
    e.records.push_back(read_record_ref(list.item(i)));
  if (!ctx.failed() && e.action == AuditAction::query_refused && !e.records.empty())
    records.fail(Errc::invalid_field, "must be empty for action query_refused");
  Node digest = a.field(7, "query_digest");
  if (!digest.is_nil()) e.query_digest = digest.as_fixed_bin<kHashSize>();
  if (!ctx.failed() && e.action == AuditAction::query && !e.query_digest)
    digest.fail(Errc::invalid_field, "required for action query");
  if (!ctx.failed() && e.action != AuditAction::query && e.query_digest)
    digest.fail(Errc::invalid_field, "must be nil unless the action is query");
  e.detail = a.field(8, "detail").as_str(kMaxAuditDetailLen);
  return e;
}

Checkpoint read_checkpoint(const Node& n) {
  Checkpoint c;
  DecodeContext& ctx = n.context();
  ArrayNode a = detail::read_versioned_struct(n, kCheckpointVersion, kCheckpointFields);
  c.tree_size = a.field(1, "tree_size").as_uint();
  c.root_hash = a.field(2, "root_hash").as_fixed_bin<kMerkleHashSize>();
  c.timestamp_ms = a.field(3, "timestamp_ms").as_uint();
  Node serial = a.field(4, "signer_serial");
  c.signer_serial = serial.as_uint();
  if (!ctx.failed() && c.signer_serial == 0) serial.fail(Errc::invalid_field, "must be at least 1");
  return c;
}

Error forked(const std::string& why) {
  return make_error(Errc::broken_chain, "checkpoint_notice: forked: " + why);
}

}  // namespace

std::string_view audit_action_name(AuditAction a) noexcept {
  switch (a) {
    case AuditAction::query: return "query";
    case AuditAction::override_shield: return "override";
    case AuditAction::review: return "review";
    case AuditAction::enrolment: return "enrolment";
    case AuditAction::revocation: return "revocation";
    case AuditAction::purge: return "purge";
    case AuditAction::query_refused: return "query_refused";
  }
  return "unknown";
}

Bytes encode_audit_entry(const AuditEntry& e) {
  Writer w;
  w.array(kEntryFields);
  w.uint(kAuditEntryVersion);
  w.uint(e.timestamp_ms);
  w.uint(static_cast<std::uint64_t>(e.action));
  w.str(e.actor);
  w.optional_str(e.authority_id);
  w.str(e.purpose);
  w.array(static_cast<std::uint32_t>(e.records.size()));
  for (const AuditRecordRef& r : e.records) {
    w.array(kRecordRefFields);
    w.str(r.authority_id);
    w.str(r.record_id);
  }
  if (e.query_digest)
    w.bin(*e.query_digest);
  else
    w.nil();
  w.str(e.detail);
  return w.take();
}

Result<AuditEntry> decode_audit_entry(ByteView bytes) {
  return decode_canonical<AuditEntry>(bytes, entry_limits(), "audit_entry", read_entry,
                                      encode_audit_entry);
}

Bytes encode_checkpoint_body(const Checkpoint& c) {
  Writer w;
  w.array(kCheckpointFields);
  w.uint(kCheckpointVersion);
  w.uint(c.tree_size);
  w.bin(c.root_hash);
  w.uint(c.timestamp_ms);
  w.uint(c.signer_serial);
  return w.take();
}

Result<Checkpoint> decode_checkpoint_body(ByteView bytes) {
  return decode_canonical<Checkpoint>(bytes, checkpoint_limits(), "checkpoint", read_checkpoint,
                                      encode_checkpoint_body);
}

Bytes sign_checkpoint(const Checkpoint& c, const Signer& index) {
  return encode_signed(sign_body(encode_checkpoint_body(c), kDomainAuditCheckpoint, index));
}

Result<Checkpoint> verify_checkpoint(ByteView wire, const Trust& trust, std::uint64_t now_ms) {
  auto wrapper = decode_signed(wire, "checkpoint", checkpoint_limits());
  if (!wrapper) return wrapper.error();
  auto c = decode_checkpoint_body(wrapper->body);
  if (!c) return c.error();
  // A checkpoint is not chained: seq and prev_hash are unused by the signer checks.
  const detail::ChainedFields fields{"checkpoint", 0, Hash{}, c->timestamp_ms, c->signer_serial};
  const detail::SignerRule rule{Role::index, std::nullopt, kDomainAuditCheckpoint};
  if (auto signer = detail::check_signer(fields, *wrapper, rule, trust, now_ms); !signer)
    return signer.error();
  return c;
}

void write_checkpoint_notice(Writer& w, const CheckpointNotice& n) {
  w.array(kNoticeFields);
  w.uint(kCheckpointNoticeVersion);
  w.bin(n.checkpoint);
  w.uint(n.from_size);
  w.array(static_cast<std::uint32_t>(n.proof.size()));
  for (const MerkleHash& h : n.proof) w.bin(h);
}

CheckpointNotice read_checkpoint_notice(const Node& n) {
  CheckpointNotice c;
  DecodeContext& ctx = n.context();
  ArrayNode a = detail::read_versioned_struct(n, kCheckpointNoticeVersion, kNoticeFields);
  c.checkpoint = a.field(1, "checkpoint").as_bin(kMaxCheckpointSize);
  c.from_size = a.field(2, "from_size").as_uint();
  ArrayNode proof = a.field(3, "proof").as_array(0, kMaxProofHashes);
  for (std::size_t i = 0; i < proof.size() && !ctx.failed(); ++i)
    c.proof.push_back(proof.item(i).as_fixed_bin<kMerkleHashSize>());
  return c;
}

Bytes encode_checkpoint_notice(const CheckpointNotice& n) {
  Writer w;
  write_checkpoint_notice(w, n);
  return w.take();
}

Result<CheckpointNotice> decode_checkpoint_notice(ByteView bytes) {
  DecodeLimits limits;
  limits.max_input = kMaxNoticeSize;
  return decode_canonical<CheckpointNotice>(bytes, limits, "checkpoint_notice", read_checkpoint_notice,
                                            encode_checkpoint_notice);
}

Result<Checkpoint> accept_checkpoint_notice(const CheckpointNotice& notice,
                                            const std::optional<Checkpoint>& held,
                                            const Trust& trust, std::uint64_t now_ms) {
  auto c = verify_checkpoint(notice.checkpoint, trust, now_ms);
  if (!c) return c.error();
  const std::uint64_t held_size = held ? held->tree_size : 0;
  const std::string sizes = std::to_string(c->tree_size) + " entries (held: " +
                            std::to_string(held_size) + ")";
  if (notice.from_size != held_size)
    return forked("the proof starts from " + std::to_string(notice.from_size) +
                  " entries, this authority holds the checkpoint of " + std::to_string(held_size));
  if (c->tree_size < held_size)
    return forked("a checkpoint of " + sizes + ": the log shrank");
  const MerkleHash held_root = held ? held->root_hash : merkle_root({}, 0);
  if (!verify_consistency(held_size, held_root, c->tree_size, c->root_hash, notice.proof))
    return forked("the checkpoint of " + sizes +
                  " does not extend the one held: the index signed two histories");
  return c;
}

}  // namespace aegis::protocol
