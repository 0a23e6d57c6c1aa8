// DfE Children in Need census importer (docs/cin.md): streams <Message> with xml::Reader while
// libxml2 validates it against the compiled-in DfE XSD, turns each <Child> into a ChildRecord
// (id "cin:" + LAchildID, no names: the census holds none) whose social-care episodes,
// assessments and plans become involvements, and hands it to the Sink, or quarantines it with
// the element path of its first problem. A schema error ends the parse with a FileError: the
// importer then discards what it was given (one transaction per file), so a schema-invalid file
// is rejected whole. Memory is bounded by one child plus the identifiers seen (DuplicateGuard).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aegis/adapters/adapter.hpp"
#include "aegis/adapters/duplicates.hpp"
#include "aegis/adapters/validate.hpp"
#include "cin_schema.hpp"
#include "input_file.hpp"
#include "xml_reader.hpp"

namespace aegis::adapters {
namespace {

using protocol::ChildRecord;
using protocol::Date;
using protocol::Gender;
using protocol::Involvement;
using Node = xml::Reader::Node;

constexpr std::string_view kRoot = "Message";
constexpr std::string_view kChildren = "Message/Children";

// CIN GenderCurrent: 0 not recorded or unborn, 1 male, 2 female, 9 indeterminate. The codes are
// ISO/IEC 5218's numbers, so each maps to the Gender of the same number.
std::optional<Gender> parse_gender(std::string_view code) {
  if (code == "0") return Gender::not_known;
  if (code == "1") return Gender::male;
  if (code == "2") return Gender::female;
  if (code == "9") return Gender::not_applicable;
  return std::nullopt;
}

bool is_lea(std::string_view s) {
  return s.size() == 3 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// One dated piece of social-care work as the census writes it: the element names of its start
// and end dates, and the role its involvement gets.
struct Stage {
  std::string_view role;
  std::string_view start;
  std::string_view end;
};
constexpr Stage kEpisode{"Child in need", "CINreferralDate", "CINclosureDate"};
constexpr Stage kAssessment{"Assessment", "AssessmentActualStartDate",
                            "AssessmentAuthorisationDate"};
constexpr Stage kCinPlan{"Child in need plan", "CINPlanStartDate", "CINPlanEndDate"};
constexpr Stage kProtectionPlan{"Child protection plan", "CPPstartDate", "CPPendDate"};

using xml::file_error;

class CinParser {
 public:
  CinParser(xml::Reader& reader, const ParseOptions& options, Sink& sink)
      : r_(reader), options_(options), sink_(sink) {}

  ParseResult run();

 private:
  FileError sink_error(const protocol::Error& e) const { return xml::sink_error(r_, e); }

  std::optional<FileError> parse_header();
  bool parse_children();  // false: stop (reader error or stop_ set)
  bool parse_child(std::size_t index);
  void parse_identifiers(const std::string& path);
  void parse_episode(const std::string& path);
  // Reads one Stage's element (the reader is on it) into an involvement; `nested` visits the
  // elements that are not its dates (an episode's assessments and plans).
  template <typename Nested>
  Involvement parse_stage(const Stage& stage, const std::string& path, Nested&& nested);
  std::optional<Date> read_date(const std::string& path, std::string_view field);
  void add_involvement(Involvement&& v, std::uint64_t line, const std::string& path);
  void finish_child();

  // Keeps the first problem of the current child; the rest of the child is still read.
  void fault(std::uint64_t line, const std::string& path, std::string_view field,
             std::string reason) {
    if (fault_) return;
    fault_ = Quarantined{Location{line, path}, {}, std::string(field), std::move(reason)};
  }

  xml::Reader& r_;
  const ParseOptions& options_;
  Sink& sink_;
  DuplicateGuard seen_;
  ParseSummary summary_;
  std::optional<FileError> stop_;  // a header or sink error: ends the parse

  // From the header: the sending authority, the organisation of every involvement.
  std::string lea_;
  std::string organisation_;

  // The child being read.
  ChildRecord child_;
  Location child_at_;
  std::optional<Quarantined> fault_;
  std::string local_id_;
  bool has_dob_ = false;
  std::optional<Location> expected_dob_at_;  // ExpectedPersonBirthDate: an unborn child
  std::optional<Location> death_at_;
};

ParseResult CinParser::run() {
  // The schema already refuses any other root; checked here too so the rule does not rest on
  // the XSD alone.
  if (std::optional<FileError> e = xml::open_root(r_, kRoot)) return *e;
  const std::uint64_t root_line = r_.line();

  bool has_header = false;
  bool has_children = false;
  const bool root_complete = r_.children([&] {
    if (r_.name() == "Header" && !has_header && !has_children) {
      has_header = true;
      stop_ = parse_header();
      return !stop_;
    }
    if (r_.name() == "Children" && !has_children) {
      has_children = true;
      if (!has_header) {
        stop_ = file_error(r_.line(), std::string(kRoot),
                           "Header missing: not a Children in Need census message");
        return false;
      }
      summary_.info.format = Format::cin;
      summary_.info.source = "LA " + lea_;
      if (auto begun = sink_.begin(summary_.info); !begun) {
        stop_ = sink_error(begun.error());
        return false;
      }
      return parse_children();
    }
    r_.skip();
    return true;
  });
  if (std::optional<FileError> e = xml::finish_document(r_, kRoot, root_complete, stop_))
    return *e;
  if (!has_header)
    return file_error(root_line, std::string(kRoot),
                      "Header missing: not a Children in Need census message");
  if (!has_children) return file_error(root_line, std::string(kRoot), "Children missing");
  return summary_;
}

// Header/CollectionDetails/Collection must say CIN; Header/Source/LEA names the authority.
std::optional<FileError> CinParser::parse_header() {
  const std::uint64_t header_line = r_.line();
  const std::string header = std::string(kRoot) + "/Header";
  std::string collection;
  std::optional<FileError> problem;
  const bool complete = r_.children([&] {
    if (r_.name() == "CollectionDetails") {
      r_.children([&] {
        if (r_.name() == "Collection") collection = r_.read_text();
        else r_.skip();  // Year, ReferenceDate
        return true;
      });
    } else if (r_.name() == "Source") {
      r_.children([&] {
        if (r_.name() != "LEA") {
          r_.skip();  // SourceLevel, SoftwareCode, Release, SerialNo, DateTime
          return true;
        }
        const std::uint64_t line = r_.line();
        const std::string lea = r_.read_text();
        const std::string at = header + "/Source/LEA";
        if (!is_lea(lea)) problem = file_error(line, at, "not 3 digits");
        else if (!lea_.empty() && lea != lea_) problem = file_error(line, at, "differs from the first Source's");
        else lea_ = lea;
        return !problem;
      });
    } else {
      r_.skip();
    }
    return !problem;
  });
  if (problem) return problem;
  if (!complete) return r_.error() ? *r_.error() : FileError{{}, "the file ends inside Header"};
  if (collection != "CIN")
    return file_error(header_line, header + "/CollectionDetails/Collection",
                      collection.empty() ? "missing: not a Children in Need census message"
                                         : "not CIN");
  if (lea_.empty()) return file_error(header_line, header + "/Source/LEA", "missing");
  organisation_ = "Children's social care, LA " + lea_;
  return std::nullopt;
}

bool CinParser::parse_children() {
  std::size_t index = 0;
  return r_.children([&] {
    if (r_.name() != "Child") {
      r_.skip();
      return true;
    }
    return parse_child(++index);
  });
}

bool CinParser::parse_child(std::size_t index) {
  child_ = ChildRecord{};
  child_at_ = Location{r_.line(), std::string(kChildren) + "/Child[" + std::to_string(index) + "]"};
  fault_.reset();
  local_id_.clear();
  has_dob_ = false;
  expected_dob_at_.reset();
  death_at_.reset();

  std::size_t episodes = 0;
  const bool complete = r_.children([&] {
    const std::string& name = r_.name();
    if (name == "ChildIdentifiers") {
      parse_identifiers(child_at_.path + "/ChildIdentifiers");
    } else if (name == "CINdetails") {
      parse_episode(child_at_.path + "/CINdetails[" + std::to_string(++episodes) + "]");
    } else {
      r_.skip();  // ChildCharacteristics (ethnicity, disabilities): not imported, docs/cin.md
    }
    return true;
  });
  if (!complete || r_.error()) return false;  // a broken file: its error ends the parse
  finish_child();

  protocol::Status delivered = protocol::Ok{};
  if (fault_) {
    fault_->local_id = local_id_;
    delivered = sink_.quarantine(std::move(*fault_));
    ++summary_.quarantined;
  } else {
    delivered = sink_.record(Parsed{std::move(child_), child_at_});
    ++summary_.records;
  }
  if (!delivered) {
    stop_ = sink_error(delivered.error());
    return false;
  }
  return true;
}

void CinParser::parse_identifiers(const std::string& path) {
  r_.children([&] {
    const std::string name = r_.name();  // a copy: reading moves the reader on
    const std::string at = path + "/" + name;
    const std::uint64_t line = r_.line();
    if (name == "LAchildID") {
      const std::string id = r_.read_text();
      std::string record_id = "cin:" + id;
      if (id.empty() || !protocol::valid_record_id(record_id)) {
        fault(line, at, name,
              "not usable as a record id (1.." +
                  std::to_string(protocol::kMaxRecordIdLen - 4) +
                  " characters of A-Z a-z 0-9 . _ : -)");
        return true;
      }
      local_id_ = record_id;
      child_.record_id = std::move(record_id);
      if (auto dup = seen_.seen(name, id)) fault(line, at, name, *dup);
    } else if (name == "UPN") {
      std::string upn = normalise_identifier(r_.read_text());
      if (upn.empty()) return true;  // the XSD refuses an empty UPN; no UPN is no UPN
      if (auto p = check_upn(upn)) {
        fault(line, at, name, *p);
        return true;
      }
      if (auto dup = seen_.seen(name, upn)) fault(line, at, name, *dup);
      child_.details.upn = std::move(upn);
    } else if (name == "PersonBirthDate") {
      if (auto dob = read_date(at, name)) {
        if (auto p = check_date_of_birth(*dob, options_.today)) fault(line, at, name, *p);
        child_.identity.date_of_birth = *dob;
        has_dob_ = true;
      }
    } else if (name == "ExpectedPersonBirthDate") {
      expected_dob_at_ = Location{line, at};
      r_.skip();
    } else if (name == "GenderCurrent") {
      const std::optional<Gender> g = parse_gender(r_.read_text());
      if (!g) fault(line, at, name, "not 0, 1, 2 or 9");
      else child_.identity.gender = *g;
    } else if (name == "PersonDeathDate") {
      if (auto died = read_date(at, name)) {
        if (auto p = check_not_future(*died, options_.today)) fault(line, at, name, *p);
        child_.identity.date_of_death = *died;
        death_at_ = Location{line, at};
      }
    } else {
      r_.skip();  // FormerUPN, UPNunknown: not imported, docs/cin.md
    }
    return true;
  });
}

// A <CINdetails> episode: the episode itself, then its assessments, child in need plans and
// child protection plans, each one involvement, in the file's order.
void CinParser::parse_episode(const std::string& path) {
  const std::uint64_t line = r_.line();
  std::vector<std::pair<Involvement, Location>> parts;
  std::size_t assessments = 0, plans = 0, protection_plans = 0;
  Involvement episode = parse_stage(kEpisode, path, [&](const std::string& name) {
    const Stage* stage = nullptr;
    std::string at;
    if (name == "Assessments") {
      stage = &kAssessment;
      at = path + "/Assessments[" + std::to_string(++assessments) + "]";
    } else if (name == "CINPlanDates") {
      stage = &kCinPlan;
      at = path + "/CINPlanDates[" + std::to_string(++plans) + "]";
    } else if (name == "ChildProtectionPlans") {
      stage = &kProtectionPlan;
      at = path + "/ChildProtectionPlans[" + std::to_string(++protection_plans) + "]";
    } else {
      // ReferralSource, PrimaryNeedCode, ReasonForClosure, DateOfInitialCPC, Section47,
      // ReferralNFA: not imported, docs/cin.md.
      r_.skip();
      return;
    }
    const std::uint64_t part_line = r_.line();
    Involvement part = parse_stage(*stage, at, [&](const std::string&) { r_.skip(); });
    // Parts beyond the limit are not kept: the child is quarantined in add_involvement.
    if (parts.size() <= protocol::kMaxInvolvements)
      parts.emplace_back(std::move(part), Location{part_line, at});
  });
  add_involvement(std::move(episode), line, path);
  for (auto& [part, at] : parts) add_involvement(std::move(part), at.line, at.path);
}

template <typename Nested>
Involvement CinParser::parse_stage(const Stage& stage, const std::string& path, Nested&& nested) {
  const std::uint64_t line = r_.line();
  Involvement v;
  v.kind = protocol::InvolvementKind::social_care;
  v.organisation = organisation_;
  v.organisation_id = lea_;
  v.role = std::string(stage.role);
  std::uint64_t end_line = line;
  r_.children([&] {
    const std::string name = r_.name();  // a copy: reading moves the reader on
    const std::string at = path + "/" + name;
    if (name == stage.start || name == stage.end) {
      const std::uint64_t date_line = r_.line();
      const std::optional<Date> d = read_date(at, name);
      if (!d) return true;
      if (auto p = check_not_future(*d, options_.today)) fault(date_line, at, name, *p);
      if (name == stage.start) {
        v.start = d;
      } else {
        v.end = d;
        end_line = date_line;
      }
    } else {
      nested(name);
    }
    return true;
  });
  if (!v.start) fault(line, path, stage.start, "missing");
  if (v.start && v.end && *v.end < *v.start)
    fault(end_line, path + "/" + std::string(stage.end), stage.end,
          "before " + std::string(stage.start));
  // An assessment is completed once it is authorised (AssessmentAuthorisationDate).
  v.assessment_completed = &stage == &kAssessment && v.end.has_value();
  return v;
}

std::optional<Date> CinParser::read_date(const std::string& path, std::string_view field) {
  const std::uint64_t line = r_.line();
  const std::string text = r_.read_text();
  std::optional<Date> d = Date::parse(text);
  if (!d) fault(line, path, field, "not a date YYYY-MM-DD (no time zone) in 1900..2199");
  return d;
}

void CinParser::add_involvement(Involvement&& v, std::uint64_t line, const std::string& path) {
  auto& involvements = child_.details.involvements;
  if (involvements.size() == protocol::kMaxInvolvements) {
    fault(line, path, "CINdetails",
          "more than " + std::to_string(protocol::kMaxInvolvements) +
              " involvements (episodes, assessments and plans)");
    return;
  }
  involvements.push_back(std::move(v));
}

// Required fields and cross-field rules; then the protocol's own rules.
void CinParser::finish_child() {
  const std::string identifiers = child_at_.path + "/ChildIdentifiers";
  if (child_.record_id.empty()) fault(child_at_.line, identifiers, "LAchildID", "missing");
  if (!has_dob_) {
    // An unborn child has only an expected date of birth: not imported until born (docs/cin.md).
    if (expected_dob_at_)
      fault(expected_dob_at_->line, expected_dob_at_->path, "ExpectedPersonBirthDate",
            "unborn child (no PersonBirthDate): imported once born");
    else
      fault(child_at_.line, identifiers, "PersonBirthDate", "missing");
  }
  const auto& identity = child_.identity;
  if (has_dob_ && death_at_ && identity.date_of_death && *identity.date_of_death < identity.date_of_birth)
    fault(death_at_->line, death_at_->path, "PersonDeathDate", "before PersonBirthDate");
  if (fault_) return;

  if (auto checked = protocol::check_record(child_); !checked) {
    // The detail is "<protocol path>: <what>"; neither part carries a value.
    const std::string& detail = checked.error().detail;
    const std::size_t colon = detail.find(": ");
    fault(child_at_.line, child_at_.path, detail.substr(0, colon),
          colon == std::string::npos ? detail : detail.substr(colon + 2));
  }
}

}  // namespace

ParseResult parse_cin(const std::filesystem::path& file, const ParseOptions& options, Sink& sink) {
  if (auto bad = check_input_file(file, options.max_file_bytes)) return *bad;
  auto reader = xml::Reader::open(file, cin_schema_xsd());
  if (!reader) return reader.error();
  return CinParser(*reader, options, sink).run();
}

}  // namespace aegis::adapters
