// Change envelopes (docs/PROTOCOL.md §6): one signed, hash-chained change to one record.
//
//   EnvelopeBody = [ 1, authority_id, seq, prev_hash, timestamp_ms, signer_serial, op,
//                    record_id, payload ]
//   payload (upsert) = [ 2, ChildIdentity, shielded, ChildDetails | SealedBlob, match ]
//                      (version 1, without `match`, is still decoded: stored envelopes stay
//                      verifiable; senders always build version 2). A version-2 clear
//                      ChildDetails never holds upn, uln or nhs_number: identifiers reach the
//                      index only as match tokens.
//   payload (delete) = nil
//   wire form = Signed{ body, Ed25519(domain "AEGIS-ENVELOPE-V1") }
//   hash(envelope) = BLAKE2b-256(encoded Signed), chained through prev_hash (all zeros at seq 1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/match.hpp"
#include "aegis/protocol/record.hpp"
#include "aegis/protocol/result.hpp"
#include "aegis/protocol/seal.hpp"
#include "aegis/protocol/signed.hpp"

namespace aegis::protocol {

inline constexpr std::uint64_t kEnvelopeVersion = 1;
inline constexpr std::size_t kMaxEnvelopeSize = 256u << 10;  // encoded Signed, bytes
// RecordPayload versions: 2 carries match tokens (§14); 1 did not and is only decoded.
inline constexpr std::uint64_t kPayloadVersion = 2;
inline constexpr std::uint64_t kPayloadVersionWithoutMatch = 1;

enum class Operation : std::uint8_t {
  upsert = 1,  // create or replace the whole record
  remove = 2,  // delete the record (spelt "delete" in the spec)
};

// What an upsert carries. `details` is in clear unless the child is shielded, in which case it
// is sealed: the bytes then hold no address, identifier, contact or involvement in clear.
// `match` holds the keyed tokens of the child's valid identifiers (shielded or not); it is
// absent only in a version-1 payload decoded from an envelope signed before version 2.
// In version 2, clear details never hold an identifier (upn, uln, nhs_number are nil: the
// decoder refuses any); a version-1 payload's clear details may.
struct RecordPayload {
  ChildIdentity identity;
  std::variant<ChildDetails, SealedBlob> details;
  std::optional<MatchTokens> match;  // present: version 2; absent: version 1
  bool shielded() const { return std::holds_alternative<SealedBlob>(details); }
  std::uint64_t version() const { return match ? kPayloadVersion : kPayloadVersionWithoutMatch; }
  bool operator==(const RecordPayload&) const = default;
};

struct Envelope {
  std::string authority_id;
  std::uint64_t seq = 0;          // 1, 2, 3... per authority, no gaps
  Hash prev_hash{};               // hash of envelope seq-1; zeros for seq 1
  std::uint64_t timestamp_ms = 0; // Unix time of the change, milliseconds, UTC
  std::uint64_t signer_serial = 0;// serial of the certificate whose key signed
  Operation op = Operation::upsert;
  std::string record_id;
  std::optional<RecordPayload> payload;  // present iff op == upsert
  bool operator==(const Envelope&) const = default;
};

Bytes encode_envelope_body(const Envelope& e);
Result<Envelope> decode_envelope_body(ByteView bytes);

// Builds the version-2 payload for a record: clear details without identifiers
// (without_identifiers), or the whole details sealed for a shielded child, and in both cases
// the match tokens of its valid identifiers made by `tokenizer`.
// `recipients` must hold the owning authority's box key and every shield officer's.
Result<RecordPayload> make_payload(const ChildRecord& record, std::string_view authority_id,
                                   std::span<const BoxPublicKey> recipients,
                                   const SealRandomness& rnd, const MatchTokenizer& tokenizer);

// The details a clear version-2 payload carries: `details` with upn, uln and nhs_number nil.
ChildDetails without_identifiers(ChildDetails details);

// Signs the envelope and returns the wire bytes (encoded Signed).
Bytes sign_envelope(const Envelope& e, const Signer& signer);
// Hash that the next envelope's prev_hash must carry.
Hash envelope_hash(ByteView signed_envelope_bytes);

}  // namespace aegis::protocol
