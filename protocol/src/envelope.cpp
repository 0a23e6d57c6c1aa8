// Change envelopes (docs/PROTOCOL.md §6): the body layout, the record payload (clear or sealed),
// signing and hashing. Verification against trust and the chain is in verify.cpp.
#include "aegis/protocol/envelope.hpp"

#include <optional>
#include <string>
#include <utility>

#include "aegis/protocol/codec.hpp"
#include "decode_rules.hpp"

namespace aegis::protocol {

namespace {

inline constexpr std::size_t kEnvelopeBodyFields = 9;

// Fields of a RecordPayload of each version: version 2 adds `match`.
std::size_t payload_fields(std::uint64_t version) {
  return version == kPayloadVersionWithoutMatch ? 4 : 5;
}

void write_payload(Writer& w, const RecordPayload& p) {
  w.array(static_cast<std::uint32_t>(payload_fields(p.version())));
  w.uint(p.version());
  write_child_identity(w, p.identity);
  w.boolean(p.shielded());
  if (const auto* blob = std::get_if<SealedBlob>(&p.details))
    write_sealed_blob(w, *blob);
  else
    write_child_details(w, std::get<ChildDetails>(p.details));
  if (p.match) write_match_tokens(w, *p.match);
}

// Version 2 refuses raw identifiers in clear details: they travel only as match tokens (§14).
void refuse_identifiers(DecodeContext& ctx, const Node& details, const ChildDetails& clear) {
  const std::pair<const char*, const std::optional<std::string>*> identifiers[] = {
      {"upn", &clear.upn}, {"uln", &clear.uln}, {"nhs_number", &clear.nhs_number}};
  for (const auto& [name, value] : identifiers) {
    if (!*value) continue;
    ctx.fail(Errc::invalid_field, details.path() + "." + name,
             "identifiers travel only as match tokens (§14)");
    return;
  }
}

RecordPayload read_payload(const Node& n) {
  RecordPayload p;
  DecodeContext& ctx = n.context();
  ArrayNode a = n.as_array(1, detail::kAnyLen);
  Node version_node = a.field(0, "version");
  const std::uint64_t version = version_node.as_uint();
  if (!ctx.failed() && version != kPayloadVersion && version != kPayloadVersionWithoutMatch)
    version_node.fail(Errc::unknown_version,
                      "version " + std::to_string(version) + ", this implementation knows " +
                          std::to_string(kPayloadVersionWithoutMatch) + " and " +
                          std::to_string(kPayloadVersion));
  detail::expect_arity(n, a, payload_fields(version));
  p.identity = read_child_identity(a.field(1, "identity"));
  const bool shielded = a.field(2, "shielded").as_bool();
  Node details = a.field(3, "details");
  if (shielded) {
    p.details = read_sealed_blob(details);
  } else {
    ChildDetails clear = read_child_details(details);
    if (!ctx.failed() && clear.shield)
      details.fail(Errc::invalid_field, "a shielded child's details must be sealed");
    if (!ctx.failed() && version == kPayloadVersion) refuse_identifiers(ctx, details, clear);
    p.details = std::move(clear);
  }
  if (version == kPayloadVersion) p.match = read_match_tokens(a.field(4, "match"));
  return p;
}

Envelope read_envelope_body(const Node& n) {
  Envelope e;
  DecodeContext& ctx = n.context();
  ArrayNode a = detail::read_versioned_struct(n, kEnvelopeVersion, kEnvelopeBodyFields);

  Node authority = a.field(1, "authority_id");
  e.authority_id = authority.as_str(detail::kAnyLen);
  if (!ctx.failed()) detail::check_authority_id(ctx, authority.path(), e.authority_id);

  Node seq = a.field(2, "seq");
  e.seq = seq.as_uint();
  if (!ctx.failed() && e.seq == 0) seq.fail(Errc::invalid_field, "must be at least 1");

  e.prev_hash = a.field(3, "prev_hash").as_fixed_bin<kHashSize>();
  e.timestamp_ms = a.field(4, "timestamp_ms").as_uint();

  Node serial = a.field(5, "signer_serial");
  e.signer_serial = serial.as_uint();
  if (!ctx.failed() && e.signer_serial == 0) serial.fail(Errc::invalid_field, "must be at least 1");

  Node op = a.field(6, "op");
  const std::uint64_t op_code = op.as_uint(UINT8_MAX);
  if (!ctx.failed()) {
    if (op_code == static_cast<std::uint64_t>(Operation::upsert))
      e.op = Operation::upsert;
    else if (op_code == static_cast<std::uint64_t>(Operation::remove))
      e.op = Operation::remove;
    else
      op.fail(Errc::invalid_field, "unknown operation " + std::to_string(op_code));
  }

  Node record_id = a.field(7, "record_id");
  e.record_id = record_id.as_str(detail::kAnyLen);
  if (!ctx.failed()) detail::check_record_id(ctx, record_id.path(), e.record_id);

  Node payload = a.field(8, "payload");
  if (ctx.failed()) return e;
  if (e.op == Operation::remove) {
    if (!payload.is_nil()) payload.fail(Errc::invalid_field, "must be nil for delete");
  } else if (payload.is_nil()) {
    payload.fail(Errc::invalid_field, "required for upsert");
  } else {
    e.payload = read_payload(payload);
  }
  return e;
}

DecodeLimits envelope_body_limits() {
  DecodeLimits limits;
  limits.max_input = kMaxEnvelopeSize;
  return limits;
}

}  // namespace

Bytes encode_envelope_body(const Envelope& e) {
  Writer w;
  w.array(kEnvelopeBodyFields);
  w.uint(kEnvelopeVersion);
  w.str(e.authority_id);
  w.uint(e.seq);
  w.bin(e.prev_hash);
  w.uint(e.timestamp_ms);
  w.uint(e.signer_serial);
  w.uint(static_cast<std::uint64_t>(e.op));
  w.str(e.record_id);
  if (e.payload)
    write_payload(w, *e.payload);
  else
    w.nil();
  return w.take();
}

Result<Envelope> decode_envelope_body(ByteView bytes) {
  return decode_canonical<Envelope>(bytes, envelope_body_limits(), "envelope",
                                    read_envelope_body, encode_envelope_body);
}

Result<RecordPayload> make_payload(const ChildRecord& record, std::string_view authority_id,
                                   std::span<const BoxPublicKey> recipients,
                                   const SealRandomness& rnd, const MatchTokenizer& tokenizer) {
  if (auto checked = check_record(record); !checked) return checked.error();
  DecodeContext ids;
  detail::check_authority_id(ids, "payload.authority_id", authority_id);
  if (ids.failed()) return ids.error();
  if (tokenizer.key_id() == 0)
    return make_error(Errc::invalid_field, "payload.match.key_id: must be at least 1");
  RecordPayload p;
  p.identity = record.identity;
  p.match = make_match_tokens(record.details, tokenizer);
  if (!record.shielded()) {
    p.details = without_identifiers(record.details);
    return p;
  }
  if (recipients.empty())
    return make_error(Errc::invalid_field,
                      "payload.recipients: a shielded record needs at least one recipient");
  auto sealed = seal_details(record.details, authority_id, record.record_id, recipients, rnd);
  if (!sealed) return sealed.error();
  p.details = std::move(*sealed);
  return p;
}

ChildDetails without_identifiers(ChildDetails details) {
  details.upn.reset();
  details.uln.reset();
  details.nhs_number.reset();
  return details;
}

Bytes sign_envelope(const Envelope& e, const Signer& signer) {
  return encode_signed(sign_body(encode_envelope_body(e), kDomainEnvelope, signer));
}

Hash envelope_hash(ByteView signed_envelope_bytes) { return blake2b_256(signed_envelope_bytes); }

}  // namespace aegis::protocol
