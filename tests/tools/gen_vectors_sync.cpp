// Writes the sync message and feed item test vectors (docs/PROTOCOL.md §11.4) from fixed seeds:
//   protocol/vectors/valid_sync.json, invalid_sync.json, valid_feed.json, invalid_feed.json.
// Usage: aegis_gen_vectors_sync [OUTPUT_DIR]   (default: the source tree's protocol/vectors)
// The output is deterministic, and every case is checked against this implementation before it
// is written; tests/protocol/vectors_sync_test.cpp checks the committed files.
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../protocol/audit_fixtures.hpp"
#include "../protocol/feed_fixtures.hpp"
#include "aegis/protocol/sync.hpp"
#include "test_support.hpp"

using namespace aegis::protocol;
using namespace aegis::test::feed_fixtures;
using aegis::test::seed;
using aegis::test::SeedKeyAgreement;
using aegis::test::SeedSigner;
using json = nlohmann::ordered_json;

namespace {

std::string hex(ByteView b) { return to_hex(b); }
template <std::size_t N>
std::string hex(const ByteArray<N>& b) { return to_hex(ByteView(b.data(), N)); }

json hex_list(const std::vector<Bytes>& items) {
  json out = json::array();
  for (const Bytes& b : items) out.push_back(hex(b));
  return out;
}

// ---- Sync messages --------------------------------------------------------------------------

// The fields of a message as the vector files spell them.
struct FieldsJson {
  json operator()(const Hello& m) const {
    return {{"authority_id", m.authority_id}, {"feed_seq", m.feed_seq}};
  }
  json operator()(const Welcome& m) const {
    return {{"applied_seq", m.applied_seq}, {"applied_hash_hex", hex(m.applied_hash)}};
  }
  json operator()(const Push& m) const { return {{"envelopes_hex", hex_list(m.envelopes)}}; }
  json operator()(const Ack& m) const {
    return {{"applied_seq", m.applied_seq}, {"applied_hash_hex", hex(m.applied_hash)}};
  }
  json operator()(const Reject& m) const {
    return {{"seq", m.seq}, {"code", m.code}, {"detail", m.detail}};
  }
  json operator()(const FeedBatch& m) const { return {{"items_hex", hex_list(m.items)}}; }
  json operator()(const FeedAck& m) const { return {{"feed_seq", m.feed_seq}}; }
  json operator()(const Ping& m) const { return {{"nonce", m.nonce}}; }
  json operator()(const Pong& m) const { return {{"nonce", m.nonce}}; }
  json operator()(const Refused& m) const { return {{"code", m.code}, {"detail", m.detail}}; }
};

json valid_sync() {
  json cases = json::array();
  auto add = [&](const std::string& name, const Message& m) {
    Bytes bytes = encode_message(m);
    auto back = decode_message(bytes);
    if (!back || !(*back == m)) throw std::logic_error("valid sync vector fails: " + name);
    cases.push_back({{"name", name},
                     {"message_hex", hex(bytes)},
                     {"type", std::string(message_name(m))},
                     {"type_code", m.index() + 1},
                     {"fields", std::visit(FieldsJson{}, m)}});
  };
  std::vector<Bytes> envelopes;
  Hash last{};
  for (const auto& link : aegis::test::envelope_fixtures::sample_chain()) {
    envelopes.push_back(link.wire);
    last = link.hash;
  }
  std::vector<Bytes> items;
  for (const FeedLink& l : sample_feed()) items.push_back(l.wire);

  add("Hello: kent, nothing of its feed yet", Hello{"kent", 0});
  add("Hello: kent holds its feed up to 3", Hello{"kent", 3});
  add("Welcome: nothing applied yet", Welcome{0, Hash{}});
  add("Welcome: applied up to kent's envelope 3", Welcome{3, last});
  add("Push: kent's envelopes 1-3 (those of valid_envelope.json)", Push{envelopes});
  add("Push: one envelope", Push{{envelopes[2]}});
  add("Ack: applied up to 3", Ack{3, last});
  add("Ack: a seq needing uint64", Ack{UINT64_MAX, last});
  add("Reject: envelope 4 has a bad signature",
      Reject{4, "bad_signature", "envelope.signature: does not verify with certificate 1"});
  add("Reject: detail of 200 bytes", Reject{1, "revoked_signer", std::string(kMaxDetailLen, 'd')});
  add("Reject: empty detail", Reject{9, "broken_chain", ""});
  add("FeedBatch: kent's feed items 1-3 (those of valid_feed.json)", FeedBatch{items});
  add("FeedAck: stored up to 3", FeedAck{3});
  add("FeedAck: nothing stored", FeedAck{0});
  add("Ping", Ping{1});
  add("Pong: nonce 2^64-1", Pong{UINT64_MAX});
  add("Refused: not authorised", Refused{"not_authorised", "certificate 5 is revoked"});
  add("Refused: a code this document does not define", Refused{"maintenance_2", ""});
  return {{"description",
           "Sync messages (§12) every implementation MUST decode to exactly `fields`, "
           "re-encode byte-equal, and whose type is `type` (`type_code` on the wire)."},
          {"cases", cases}};
}

// [version, type, fields...] written by hand.
Bytes raw(std::uint64_t version, std::uint64_t type, std::size_t fields,
          const std::function<void(Writer&)>& write_fields) {
  Writer w;
  w.array(static_cast<std::uint32_t>(2 + fields));
  w.uint(version);
  w.uint(type);
  write_fields(w);
  return w.take();
}

json invalid_sync() {
  json cases = json::array();
  auto add = [&](const std::string& name, const Bytes& bytes, Errc code) {
    auto m = decode_message(bytes);
    if (m || m.error().code != code)
      throw std::logic_error("invalid sync vector does not fail as described: " + name +
                             (m ? "" : " (" + m.error().message() + ")"));
    cases.push_back({{"name", name}, {"message_hex", hex(bytes)}, {"error", errc_name(code)}});
  };
  const Bytes hello = encode_message(Hello{"kent", 5});
  add("empty input", Bytes{}, Errc::truncated);
  add("truncated Hello", Bytes(hello.begin(), hello.end() - 1), Errc::truncated);
  Bytes trailing = hello;
  trailing.push_back(0xc0);
  add("Hello with a trailing nil", trailing, Errc::trailing_bytes);
  add("not msgpack (0xc1)", Bytes{0xc1}, Errc::malformed);
  add("a map", Bytes{0x81, 0x01, 0x01}, Errc::malformed);
  add("an integer, not an array", Bytes{0x01}, Errc::malformed);
  add("an empty array", Bytes{0x90}, Errc::malformed);
  add("header claiming 4 billion elements", Bytes{0xdd, 0xff, 0xff, 0xff, 0xff}, Errc::too_large);
  add("array16 of 1025 elements (over kMaxBatch)", Bytes{0xdc, 0x04, 0x01}, Errc::too_large);
  add("version 2", raw(2, 1, 2, [](Writer& w) {
        w.str("kent");
        w.uint(5);
      }),
      Errc::unknown_version);
  add("version 2 with another arity", Bytes{0x92, 0x02, 0x01}, Errc::unknown_version);
  add("type 0", raw(1, 0, 0, [](Writer&) {}), Errc::invalid_field);
  add("type 11", raw(1, 11, 1, [](Writer& w) { w.uint(0); }), Errc::invalid_field);
  add("type as a string", Bytes{0x93, 0x01, 0xa1, 0x37, 0x05}, Errc::malformed);
  add("type as a negative integer", Bytes{0x93, 0x01, 0xff, 0x05}, Errc::malformed);
  add("Hello with an extra field", raw(1, 1, 3, [](Writer& w) {
        w.str("kent");
        w.uint(5);
        w.nil();
      }),
      Errc::malformed);
  add("Hello without feed_seq", raw(1, 1, 1, [](Writer& w) { w.str("kent"); }), Errc::malformed);
  add("Hello: authority id in upper case", raw(1, 1, 2, [](Writer& w) {
        w.str("Kent");
        w.uint(5);
      }),
      Errc::invalid_field);
  add("Hello: authority id of 33 bytes", raw(1, 1, 2, [](Writer& w) {
        w.str(std::string(33, 'k'));
        w.uint(5);
      }),
      Errc::too_large);
  add("Hello: feed_seq as a string", raw(1, 1, 2, [](Writer& w) {
        w.str("kent");
        w.str("5");
      }),
      Errc::malformed);
  add("Welcome: hash of 31 bytes", raw(1, 2, 2, [](Writer& w) {
        w.uint(3);
        w.bin(Bytes(31, 0));
      }),
      Errc::invalid_field);
  add("Ack: hash as a string", raw(1, 4, 2, [](Writer& w) {
        w.uint(3);
        w.str(std::string(32, 'h'));
      }),
      Errc::malformed);
  add("Push: empty batch", raw(1, 3, 1, [](Writer& w) { w.array(0); }), Errc::malformed);
  add("Push: 1025 envelopes", raw(1, 3, 1, [](Writer& w) {
        w.array(static_cast<std::uint32_t>(kMaxBatch + 1));
        for (std::size_t i = 0; i < kMaxBatch + 1; ++i) w.bin(Bytes{});
      }),
      Errc::too_large);
  add("Push: an envelope that is a string", raw(1, 3, 1, [](Writer& w) {
        w.array(1);
        w.str("envelope");
      }),
      Errc::malformed);
  add("Push: an array inside the batch (too deep)", raw(1, 3, 1, [](Writer& w) {
        w.array(1);
        w.array(0);
      }),
      Errc::too_large);
  add("FeedBatch: an item of " + std::to_string(kMaxFeedItemSize + 1) + " bytes", raw(1, 6, 1, [](Writer& w) {
        w.array(1);
        w.bin(Bytes(kMaxFeedItemSize + 1, 0));
      }),
      Errc::too_large);
  add("Reject: seq 0", raw(1, 5, 3, [](Writer& w) {
        w.uint(0);
        w.str("replayed");
        w.str("");
      }),
      Errc::invalid_field);
  add("Reject: a code that is not an error code", raw(1, 5, 3, [](Writer& w) {
        w.uint(1);
        w.str("not_authorised");
        w.str("");
      }),
      Errc::invalid_field);
  add("Reject: detail of 201 bytes", raw(1, 5, 3, [](Writer& w) {
        w.uint(1);
        w.str("replayed");
        w.str(std::string(kMaxDetailLen + 1, 'd'));
      }),
      Errc::too_large);
  add("Reject: detail not UTF-8", raw(1, 5, 3, [](Writer& w) {
        w.uint(1);
        w.str("replayed");
        w.str("bad \xc3\x28");
      }),
      Errc::invalid_field);
  add("Refused: code with a hyphen", raw(1, 10, 2, [](Writer& w) {
        w.str("not-authorised");
        w.str("");
      }),
      Errc::invalid_field);
  add("Refused: empty code", raw(1, 10, 2, [](Writer& w) {
        w.str("");
        w.str("");
      }),
      Errc::invalid_field);
  add("Ping: nonce as a bool", raw(1, 8, 1, [](Writer& w) { w.boolean(true); }), Errc::malformed);
  add("non-canonical: FeedAck 5 as uint8", Bytes{0x93, 0x01, 0x07, 0xcc, 0x05},
      Errc::non_canonical);
  add("non-canonical: the message as array16", Bytes{0xdc, 0x00, 0x03, 0x01, 0x07, 0x05},
      Errc::non_canonical);
  add("non-canonical: a batch item as bin16", Bytes{0x93, 0x01, 0x03, 0x91, 0xc5, 0x00, 0x01, 0x09},
      Errc::non_canonical);
  return {{"description",
           "Sync messages (§12) every implementation MUST refuse with exactly `error`."},
          {"cases", cases}};
}

// ---- Feed items -----------------------------------------------------------------------------

struct NamedKey {
  const char* name;
  std::uint8_t seed_byte;
};
const NamedKey kKeys[] = {{"kent", kKentSeed},
                          {"leeds", aegis::test::envelope_fixtures::kLeedsSeed},
                          {"index", kIndexSeed},
                          {"so-0042", aegis::test::envelope_fixtures::kOfficerSeed},
                          {"kent-revoked", aegis::test::envelope_fixtures::kKentRevokedSeed},
                          {"kent-expired", aegis::test::envelope_fixtures::kKentExpiredSeed},
                          {"index-revoked", kIndexRevokedSeed},
                          {"index-expired", kIndexExpiredSeed}};

json keys_json() {
  json keys = json::object();
  for (const NamedKey& k : kKeys)
    keys[k.name] = {{"sign_seed_hex", hex(seed(k.seed_byte))},
                    {"sign_public_key_hex", hex(SeedSigner(seed(k.seed_byte)).sign_public_key())}};
  return keys;
}

json certificates_json() {
  json out = json::array();
  for (const Certificate& c : feed_certificates())
    out.push_back({{"serial", c.serial},
                   {"subject_id", c.subject_id},
                   {"role", std::string(role_name(c.role))},
                   {"sign_public_key_hex", hex(c.sign_key)},
                   {"not_before_ms", c.not_before_ms},
                   {"not_after_ms", c.not_after_ms}});
  return out;
}

json feed_file(const std::string& description, json cases) {
  return {{"description", description},
          {"keys", keys_json()},
          {"certificates", certificates_json()},
          {"revoked_serials", feed_revoked_serials()},
          {"cases", std::move(cases)}};
}

json chain_json(const ChainState& c) {
  return {{"last_seq", c.last_seq}, {"last_hash_hex", hex(c.last_hash)}};
}

const char* const kStateNames[] = {"unlinked", "linked", "shielded"};

json valid_feed_case(const std::string& name, const FeedLink& l, const ChainState& chain) {
  const FeedItem& f = l.item;
  auto v = verify_feed_item(l.wire, make_feed_trust(), f.authority_id, chain, kNowMs);
  if (!v || v->hash != l.hash) throw std::logic_error("valid feed vector fails: " + name);
  json expect = {{"hash_hex", hex(l.hash)},
                 {"version", f.version},
                 {"authority_id", f.authority_id},
                 {"seq", f.seq},
                 {"prev_hash_hex", hex(f.prev_hash)},
                 {"timestamp_ms", f.timestamp_ms},
                 {"signer_serial", f.signer_serial}};
  switch (f.kind) {
    case FeedKind::applied:
      expect["kind"] = "applied";
      expect["applied_seq"] = f.applied_seq;
      expect["applied_hash_hex"] = hex(f.applied_hash);
      break;
    case FeedKind::national_id: {
      expect["kind"] = "national_id";
      json ids = json::array();
      for (const NationalIdAssignment& a : f.national_ids)
        ids.push_back({a.record_id, a.national_id});
      expect["national_ids"] = ids;
      break;
    }
    case FeedKind::elsewhere: {
      const ElsewhereLink& e = f.elsewhere;
      expect["kind"] = "elsewhere";
      expect["record_id"] = e.record_id;
      expect["national_id"] = e.national_id;
      expect["other_authority_id"] = e.other_authority_id;
      expect["other_record_id"] = e.other_record_id;
      expect["state"] = std::string(kStateNames[static_cast<std::size_t>(e.state)]);
      expect["details_hex"] = e.details ? json(hex(encode_child_details(*e.details))) : json();
      break;
    }
    case FeedKind::audit_checkpoint: {
      const CheckpointNotice& n = f.checkpoint_notice;
      expect["kind"] = "audit_checkpoint";
      expect["checkpoint_hex"] = hex(n.checkpoint);
      expect["from_size"] = n.from_size;
      json proof = json::array();
      for (const MerkleHash& h : n.proof) proof.push_back(hex(h));
      expect["proof_hex"] = proof;
      break;
    }
    case FeedKind::access_notice:
    case FeedKind::override_notice:
      // Notices have their own vectors (valid_query.json, gen_vectors_query.cpp).
      throw std::logic_error("notices are not in the sync vectors: " + name);
  }
  return {{"name", name},
          {"now_ms", kNowMs},
          {"authority_id", f.authority_id},
          {"chain", chain_json(chain)},
          {"wire_hex", hex(l.wire)},
          {"body_hex", hex(encode_feed_item_body(f))},
          {"expect", expect}};
}

json valid_feeds() {
  json cases = json::array();
  ChainState state;
  const char* names[] = {"feed 1: national id of child-1", "feed 2: applied up to 2",
                         "feed 3: applied up to 3"};
  auto feed = sample_feed();
  for (std::size_t i = 0; i < feed.size(); ++i) {
    cases.push_back(valid_feed_case(names[i], feed[i], state));
    state = ChainState{feed[i].item.seq, feed[i].hash};
  }
  // Version 3: kent's feed goes on (one chain may hold items of both versions).
  FeedItem v3_national = make_national_id(4, state.last_hash, "child-2", "GHJKMNPQRSTVWXYZ");
  v3_national.version = 3;
  const FeedLink kent4 = sign_feed_link(v3_national);
  const FeedLink kent5 =
      sign_feed_link(make_elsewhere(5, kent4.hash, "child-1", ElsewhereState::linked));
  const FeedLink kent6 = sign_feed_link(
      make_elsewhere(6, kent5.hash, "child-1", ElsewhereState::shielded, "york", "Y-7"));
  const FeedLink kent7 =
      sign_feed_link(make_elsewhere(7, kent6.hash, "child-1", ElsewhereState::unlinked));
  const std::pair<const char*, const FeedLink*> v3[] = {
      {"feed 4 (version 3): national id of child-2", &kent4},
      {"feed 5: child-1 is also known to leeds as L:42; what kent may see of it", &kent5},
      {"feed 6: child-1 is also known to york as Y-7, shielded there", &kent6},
      {"feed 7: child-1 and leeds's L:42 are no longer linked", &kent7}};
  for (const auto& [name, link] : v3) {
    cases.push_back(valid_feed_case(name, *link, state));
    state = ChainState{link->item.seq, link->hash};
  }
  // Version 4: the audit log's checkpoints (§15.5), over the entries of valid_audit.json.
  using aegis::test::audit_fixtures::make_checkpoint_item;
  const FeedLink kent8 = sign_feed_link(make_checkpoint_item(8, state.last_hash, 0, 3));
  const FeedLink kent9 = sign_feed_link(make_checkpoint_item(9, kent8.hash, 3, 5));
  const std::pair<const char*, const FeedLink*> v4[] = {
      {"feed 8 (version 4): the first audit checkpoint kent is sent, of 3 entries", &kent8},
      {"feed 9: the checkpoint of 5 entries, with the consistency proof from 3", &kent9}};
  for (const auto& [name, link] : v4) {
    cases.push_back(valid_feed_case(name, *link, state));
    state = ChainState{link->item.seq, link->hash};
  }
  cases.push_back(valid_feed_case("leeds's first item: three national ids, at the alphabet's edges",
                                  sign_feed_link([] {
                                    FeedItem f = make_national_id(1, Hash{}, "L:42_a.b-c",
                                                                  "0000ZZZZGHJKMNPQ");
                                    f.national_ids.push_back({"ctf:B801200005001",
                                                              "RSTVWXYZ01234567"});
                                    f.national_ids.push_back({"c", "89ABCDEFGHJKMNPQ"});
                                    f.authority_id = "leeds";
                                    return f;  // version 2, as make_national_id
                                  }()),
                                  ChainState{}));
  return feed_file(
      "Feed items (§13) every implementation MUST accept: decode, re-encode byte-equal "
      "(`body_hex` is the body), verify the Ed25519 signature under AEGIS-FEED-V1 with the key "
      "of the certificate named by signer_serial, compare hash_hex with BLAKE2b-256(wire), and "
      "verify as received by `authority_id` against `chain` at `now_ms`. Cases 1-9 form one "
      "feed of authority kent (1-3 version 2, 4-7 version 3, 8-9 version 4); the last case is "
      "leeds's. `details_hex` of an elsewhere item is its canonical ChildDetails (§3.8), or "
      "null; an audit_checkpoint item's `checkpoint_hex`, `from_size` and `proof_hex` are its "
      "CheckpointNotice (§15.5), which MUST be accepted by an authority holding the checkpoint "
      "of the previous one (none for case 8).",
      cases);
}

json invalid_feeds() {
  json cases = json::array();
  auto add = [&](const std::string& name, const Bytes& wire, Errc code,
                 const ChainState& chain = ChainState{}, const std::string& receiver = "kent",
                 std::uint64_t now_ms = kNowMs) {
    auto v = verify_feed_item(wire, make_feed_trust(), receiver, chain, now_ms);
    if (v || v.error().code != code)
      throw std::logic_error("invalid feed vector does not fail as described: " + name +
                             (v ? "" : " (" + v.error().message() + ")"));
    cases.push_back({{"name", name},
                     {"now_ms", now_ms},
                     {"authority_id", receiver},
                     {"chain", chain_json(chain)},
                     {"wire_hex", hex(wire)},
                     {"error", errc_name(code)}});
  };
  auto feed = sample_feed();
  const Bytes& first = feed[0].wire;
  const ChainState after1{1, feed[0].hash};

  add("empty input", Bytes{}, Errc::truncated);
  add("truncated: last byte missing", Bytes(first.begin(), first.end() - 1), Errc::truncated);
  Bytes trailing = first;
  trailing.push_back(0);
  add("trailing byte", trailing, Errc::trailing_bytes);
  add("not msgpack (0xc1)", Bytes{0xc1}, Errc::malformed);
  add("header claiming 4 billion elements", Bytes{0xdd, 0xff, 0xff, 0xff, 0xff}, Errc::too_large);
  // The wrapper's own bytes around a body of about that size (array, bin header, signature).
  const std::size_t wrapping =
      encode_signed(Signed{Bytes(kMaxFeedItemSize, 0), Signature{}}).size() - kMaxFeedItemSize;
  Bytes oversized =
      encode_signed(Signed{Bytes(kMaxFeedItemSize + 1 - wrapping, 0), Signature{}});
  if (oversized.size() != kMaxFeedItemSize + 1) throw std::logic_error("oversized size");
  add("oversized: " + std::to_string(kMaxFeedItemSize + 1) + " bytes", oversized,
      Errc::too_large);
  add("an envelope, not a feed item",
      aegis::test::envelope_fixtures::sample_chain()[2].wire, Errc::unknown_version);

  // 92 c4 len body...: the body length written as bin16 (c5 00 len).
  if (first[1] != 0xc4) throw std::logic_error("expected a bin8 body");
  Bytes w16{0x92, 0xc5, 0x00};
  w16.insert(w16.end(), first.begin() + 2, first.end());
  add("non-canonical wrapper: body length as bin16", w16, Errc::non_canonical);
  Bytes body = encode_feed_item_body(feed[0].item);
  if (body[7] != 0x01) throw std::logic_error("seq offset");
  body[7] = 0xcc;
  body.insert(body.begin() + 8, 0x01);
  add("non-canonical int: seq 1 as uint8 (signed)", sign_raw_feed(body), Errc::non_canonical);
  Bytes v1 = encode_feed_item_body(feed[0].item);
  if (v1[1] != 0x02) throw std::logic_error("version offset");
  v1[1] = 0x01;
  add("version 1, retired (signed)", sign_raw_feed(v1), Errc::unknown_version);
  Bytes v7 = v1;
  v7[1] = 0x07;
  add("version 7 (signed)", sign_raw_feed(v7), Errc::unknown_version);
  FeedItem twice = make_national_id(1, Hash{}, "child-1", "0123456789ABCDEF");
  twice.national_ids.push_back({"child-1", "GHJKMNPQRSTVWXYZ"});
  add("the same record twice in one item (signed)", sign_feed_link(twice).wire,
      Errc::invalid_field);
  FeedItem none = make_national_id(1, Hash{}, "child-1", "0123456789ABCDEF");
  none.national_ids.clear();
  add("a national id item with no assignment (signed)", sign_feed_link(none).wire,
      Errc::malformed);
  FeedItem bad = feed[0].item;
  bad.seq = 0;
  add("seq 0 (signed)", sign_feed_link(bad).wire, Errc::invalid_field);
  // Version 2 knows kinds 1 and 2 only: item 1 (version 2) with its kind byte made 3.
  // 98 02 a4"kent" 01 c4 20 <32> cf <8> 03 | 02: the kind is byte 52.
  Bytes kind3 = encode_feed_item_body(feed[0].item);
  if (kind3[52] != 0x02) throw std::logic_error("kind offset");
  kind3[52] = 0x03;
  add("kind 3 (signed)", sign_raw_feed(kind3), Errc::invalid_field);
  bad = feed[1].item;
  bad.seq = 1;
  bad.prev_hash = Hash{};
  bad.applied_seq = 0;
  add("applied_seq 0 (signed)", sign_feed_link(bad).wire, Errc::invalid_field);
  add("national id with an I (signed)",
      sign_feed_link(make_national_id(1, Hash{}, "child-1", "0123456789ABCDEI")).wire,
      Errc::invalid_field);
  add("national id in lower case (signed)",
      sign_feed_link(make_national_id(1, Hash{}, "child-1", "0123456789abcdef")).wire,
      Errc::invalid_field);
  add("national id of 17 characters (signed)",
      sign_feed_link(make_national_id(1, Hash{}, "child-1", "0123456789ABCDEFG")).wire,
      Errc::too_large);

  // Elsewhere items (version 3): each shares one thing it may not, or is inconsistent.
  auto linked = [] { return make_elsewhere(1, Hash{}, "child-1", ElsewhereState::linked); };
  auto elsewhere_case = [&](const std::string& what, const std::function<void(FeedItem&)>& edit,
                            Errc code = Errc::invalid_field) {
    FeedItem f = linked();
    edit(f);
    add("elsewhere: " + what + " (signed)", sign_feed_link(f).wire, code);
  };
  elsewhere_case("the child's address",
                 [](FeedItem& f) { f.elsewhere.details->address = Address{{"1 Road"}, "LS1 1AA"}; });
  elsewhere_case("a UPN", [](FeedItem& f) { f.elsewhere.details->upn = "A123456789012"; });
  elsewhere_case("a ULN", [](FeedItem& f) { f.elsewhere.details->uln = "1234567890"; });
  elsewhere_case("an NHS number",
                 [](FeedItem& f) { f.elsewhere.details->nhs_number = "9434765919"; });
  elsewhere_case("a shield", [](FeedItem& f) {
    f.elsewhere.details->shield = Shield{1, "SO-0042", *Date::parse("2024-06-01")};
  });
  elsewhere_case("a sensitive involvement (with consent)", [](FeedItem& f) {
    Involvement& v = f.elsewhere.details->involvements.at(0);
    v.sensitive = true;
    v.consent = true;
  });
  elsewhere_case("details breaking §3 (a contact without relationship)",
                 [](FeedItem& f) { f.elsewhere.details->contacts.at(0).relationship = ""; });
  elsewhere_case("unlinked with details",
                 [](FeedItem& f) { f.elsewhere.state = ElsewhereState::unlinked; });
  elsewhere_case("shielded there with details",
                 [](FeedItem& f) { f.elsewhere.state = ElsewhereState::shielded; });
  elsewhere_case("linked without details", [](FeedItem& f) { f.elsewhere.details.reset(); });
  elsewhere_case("state 3", [](FeedItem& f) {
    f.elsewhere.state = static_cast<ElsewhereState>(3);
    f.elsewhere.details.reset();
  });
  elsewhere_case("linked to its own record", [](FeedItem& f) {
    f.elsewhere.other_authority_id = "kent";
    f.elsewhere.other_record_id = "child-1";
  });
  elsewhere_case("other authority id in upper case",
                 [](FeedItem& f) { f.elsewhere.other_authority_id = "Leeds"; });
  elsewhere_case("other record id of 65 bytes",
                 [](FeedItem& f) { f.elsewhere.other_record_id = std::string(65, 'r'); },
                 Errc::too_large);
  elsewhere_case("national id with an O",
                 [](FeedItem& f) { f.elsewhere.national_id = "0V5K8Q2MZ7H4R9TO"; });
  elsewhere_case("in a version 2 item", [](FeedItem& f) { f.version = 2; });
  {
    // data of five fields: the elsewhere data of an unlinked item without its details.
    FeedItem f = make_elsewhere(1, Hash{}, "child-1", ElsewhereState::unlinked);
    Bytes five = encode_feed_item_body(f);
    const std::size_t data_at = five.size() - (1 + 8 + 17 + 6 + 5 + 1 + 1);
    if (five[data_at] != 0x96 || five.back() != 0xc0) throw std::logic_error("data offset");
    five[data_at] = 0x95;
    five.pop_back();
    add("elsewhere: data of five fields (signed)", sign_raw_feed(five), Errc::malformed);
  }

  {
    // audit_checkpoint items (version 4): the notice's own rules (§15.5), named under data.
    using aegis::test::audit_fixtures::make_checkpoint_item;
    auto checkpoint_case = [&](const std::string& what, const std::function<void(FeedItem&)>& edit,
                               Errc code) {
      FeedItem f = make_checkpoint_item(1, Hash{}, 3, 5);
      edit(f);
      add("audit_checkpoint: " + what + " (signed)", sign_raw_feed(encode_feed_item_body(f)), code);
    };
    checkpoint_case("in a version 3 item", [](FeedItem& f) { f.version = 3; },
                    Errc::invalid_field);
    checkpoint_case("a checkpoint of 257 bytes",
                    [](FeedItem& f) { f.checkpoint_notice.checkpoint = Bytes(257, 0x5a); },
                    Errc::too_large);
    checkpoint_case("a proof of 129 hashes",
                    [](FeedItem& f) { f.checkpoint_notice.proof.resize(129); }, Errc::too_large);
    // The notice's bytes replaced by a hand-written one: a rule the struct cannot break.
    auto raw_notice_case = [&](const std::string& what, std::uint64_t version,
                               std::size_t hash_size, Errc code) {
      const FeedItem f = make_checkpoint_item(1, Hash{}, 3, 5);
      Bytes raw_body = encode_feed_item_body(f);
      raw_body.resize(raw_body.size() - encode_checkpoint_notice(f.checkpoint_notice).size());
      Writer w;
      w.array(4);
      w.uint(version);
      w.bin(f.checkpoint_notice.checkpoint);
      w.uint(f.checkpoint_notice.from_size);
      w.array(1);
      w.bin(Bytes(hash_size, 0x11));
      const Bytes notice = w.take();
      raw_body.insert(raw_body.end(), notice.begin(), notice.end());
      add("audit_checkpoint: " + what + " (signed)", sign_raw_feed(raw_body), code);
    };
    raw_notice_case("notice version 2", 2, kMerkleHashSize, Errc::unknown_version);
    raw_notice_case("a proof hash of 31 bytes", 1, kMerkleHashSize - 1, Errc::invalid_field);
  }
  add("unknown signer serial 99", sign_feed_link(make_applied(1, Hash{}, 2, 99)).wire,
      Errc::unknown_signer);
  add("signed by kent's authority certificate",
      sign_feed_link(make_applied(1, Hash{}, 2, kKentSerial), kKentSeed).wire, Errc::wrong_role);
  add("signed by the shield officer's certificate",
      sign_feed_link(make_applied(1, Hash{}, 2, aegis::test::envelope_fixtures::kOfficerSerial),
                     aegis::test::envelope_fixtures::kOfficerSeed)
          .wire,
      Errc::wrong_role);
  add("revoked index certificate",
      sign_feed_link(make_applied(1, Hash{}, 2, kIndexRevokedSerial), kIndexRevokedSeed).wire,
      Errc::revoked_signer);
  FeedItem old = make_applied(1, Hash{}, 2, kIndexExpiredSerial);
  old.timestamp_ms = kNowMs - 2 * kDayMs;
  add("expired index certificate", sign_feed_link(old, kIndexExpiredSeed).wire,
      Errc::expired_signer);
  const Trust feed_trust = make_feed_trust();  // outlives the reference below
  const Certificate& index = *feed_trust.by_serial(kIndexSerial);
  FeedItem early = make_applied(1, Hash{}, 2);
  early.timestamp_ms = index.not_before_ms - 1;
  add("item time before the certificate's not_before", sign_feed_link(early).wire,
      Errc::expired_signer);
  add("verified after the certificate's not_after", first, Errc::expired_signer, ChainState{},
      "kent", index.not_after_ms + 1);
  add("signed with kent's key under the index's serial",
      sign_feed_link(feed[0].item, kKentSeed).wire, Errc::bad_signature);
  add("signed under the envelope domain",
      encode_signed(sign_body(encode_feed_item_body(feed[0].item), kDomainEnvelope,
                              SeedSigner(seed(kIndexSeed)))),
      Errc::bad_signature);
  Bytes flipped = first;
  flipped.back() ^= 0x01;
  add("a flipped signature bit", flipped, Errc::bad_signature);
  add("kent's item received by leeds", first, Errc::wrong_role, ChainState{}, "leeds");
  add("leeds's item received by kent",
      sign_feed_link(make_applied(1, Hash{}, 2, kIndexSerial, "leeds")).wire, Errc::wrong_role);
  add("replayed: item 1 again", first, Errc::replayed, after1);
  add("replayed: item 1 after item 2", first, Errc::replayed, ChainState{2, feed[1].hash});
  add("gap: item 2 first", feed[1].wire, Errc::out_of_order);
  add("gap: item 3 after item 1", feed[2].wire, Errc::out_of_order, after1);
  Hash wrong{};
  wrong.fill(0xee);
  add("broken chain: item 2 after another item 1", feed[1].wire, Errc::broken_chain,
      ChainState{1, wrong});
  Hash nonzero{};
  nonzero[31] = 0x01;
  add("broken chain: item 1 with a non-zero prev_hash",
      sign_feed_link(make_applied(1, nonzero, 2)).wire, Errc::broken_chain);
  return feed_file(
      "Feed items every implementation MUST refuse with exactly `error` when verified as "
      "received by `authority_id` against `chain` at `now_ms` with the certificates and "
      "revocations of this file.",
      cases);
}

void write_json(const std::filesystem::path& path, const json& j) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << j.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + path.string());
  std::cout << "wrote " << path.string() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::filesystem::path dir = argc > 1 ? argv[1] : AEGIS_VECTORS_DIR;
    std::filesystem::create_directories(dir);
    write_json(dir / "valid_sync.json", valid_sync());
    write_json(dir / "invalid_sync.json", invalid_sync());
    write_json(dir / "valid_feed.json", valid_feeds());
    write_json(dir / "invalid_feed.json", invalid_feeds());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "gen_vectors_sync: " << e.what() << "\n";
    return 1;
  }
}
