// The record JSON format of the CLI (docs/store.md, "Record JSON"): ChildRecord <-> JSON.
// Reading is strict: unknown fields, wrong types and bad dates or codes are errors naming the
// JSON path ("record.details.contacts[1].phones[0]"), the same paths protocol::check_record
// uses, so every refusal reads the same whichever layer made it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aegis/protocol/query.hpp"
#include "aegis/protocol/record.hpp"
#include "aegis/protocol/result.hpp"

namespace aegis::cli {

struct JsonError {
  std::string path;     // e.g. "record.identity.date_of_birth"
  std::string problem;  // e.g. "not a valid date (expected YYYY-MM-DD)"
  std::string message() const { return path + ": " + problem; }
};

// Maps a parsed JSON document to a record. Checks the JSON shape only; the caller runs
// protocol::check_record for the domain rules (lengths, identifiers...).
protocol::Result<protocol::ChildRecord, JsonError> record_from_json(const nlohmann::json& j);

// Every field, absent optionals as null, in the documented order; record_from_json reads it
// back to the same record.
nlohmann::ordered_json record_to_json(const protocol::ChildRecord& r);

// The `contacts` and `involvements` members of record JSON on their own (what `record show`
// prints of another authority's record, docs/store.md §12).
nlohmann::ordered_json contacts_to_json(const std::vector<protocol::Contact>& contacts);
nlohmann::ordered_json involvements_to_json(const std::vector<protocol::Involvement>& list);

// An access or override notice (feed kinds 5 and 6, docs/query.md rule 8) as `aegis notices`
// and the subject access export show it: who, when, why; the reason of an override.
nlohmann::ordered_json notice_to_json(const protocol::AccessNotice& n, bool override_notice);

// Parses JSON text strictly (a duplicate key is an error, unlike plain nlohmann::json::parse).
protocol::Result<nlohmann::json, JsonError> parse_json_text(const std::string& text);

}  // namespace aegis::cli
