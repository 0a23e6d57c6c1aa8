// DfE Common Transfer File importer (docs/ctf.md): streams <CTfile> with xml::Reader, turns each
// <Pupil> into a ChildRecord (id "ctf:" + UPN) and hands it to the Sink, or quarantines it with
// the element path of the first problem. Memory is bounded by one pupil plus the set of UPNs and
// ULNs seen so far (DuplicateGuard).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aegis/adapters/adapter.hpp"
#include "aegis/adapters/duplicates.hpp"
#include "aegis/adapters/validate.hpp"
#include "input_file.hpp"
#include "xml_reader.hpp"

namespace aegis::adapters {
namespace {

using protocol::ChildRecord;
using protocol::Date;
using protocol::Gender;
using Node = xml::Reader::Node;
using namespace std::string_view_literals;

constexpr std::string_view kRoot = "CTfile";
constexpr std::string_view kPupilData = "CTfile/CTFpupilData";

bool is_digits(std::string_view s, std::size_t n) {
  return s.size() == n &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string upper_ascii(std::string s) {
  for (char& c : s) c = upper(c);
  return s;
}

bool same_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return upper(x) == upper(y); });
}

// xs:boolean as CTF writes it.
std::optional<bool> parse_bool(std::string_view s) {
  if (s == "true" || s == "1") return true;
  if (s == "false" || s == "0") return false;
  return std::nullopt;
}

// CTF Sex (and the older Gender element): M, F, or U for not known.
std::optional<Gender> parse_sex(std::string_view s) {
  const std::string code = upper_ascii(std::string(s));
  if (code == "M") return Gender::male;
  if (code == "F") return Gender::female;
  if (code == "U") return Gender::not_known;
  return std::nullopt;
}

// A PAON that is a house number ("12", "12A", "12-14") belongs on the street's line.
bool is_house_number(std::string_view paon) {
  return !paon.empty() && paon.size() <= 10 && paon.front() >= '0' && paon.front() <= '9' &&
         paon.find(' ') == std::string_view::npos;
}

// Address lines, most specific first: empty parts and parts repeating an earlier line (Town and
// PostTown are often the same) are dropped; parts beyond the protocol's limit are joined into
// the last line so nothing is lost.
class AddressLines {
 public:
  static constexpr std::size_t kMaxParts = 16;  // BS7666 has 7, AddressLines 5, plus County

  void add(std::string line) {
    if (line.empty()) return;
    for (const auto& l : lines_)
      if (same_ignoring_case(l, line)) return;
    if (lines_.size() == kMaxParts) {
      too_many_ = true;
      return;
    }
    lines_.push_back(std::move(line));
  }
  bool too_many() const { return too_many_; }
  std::vector<std::string> take() {
    while (lines_.size() > protocol::kMaxAddressLines) {
      std::string last = std::move(lines_.back());
      lines_.pop_back();
      lines_.back() += ", " + last;
    }
    return std::move(lines_);
  }
  bool empty() const { return lines_.empty(); }

 private:
  std::vector<std::string> lines_;
  bool too_many_ = false;
};

// One <Contact> while it is read; `order` sorts the pupil's contacts (unordered ones last).
struct ContactDraft {
  std::optional<std::uint32_t> order;
  protocol::Contact contact;
};

// One <Pupil> while it is read.
struct PupilDraft {
  ChildRecord record;
  Location at;                     // where the <Pupil> starts
  std::optional<Quarantined> fault;  // its first problem
  std::string local_id;            // "ctf:" + UPN once a valid UPN was read
  std::string preferred_surname, preferred_forename, former_surname, former_forename;
  std::optional<Gender> sex, older_gender;
  bool has_dob = false;
  std::vector<ContactDraft> contacts;
};

using xml::file_error;

class CtfParser {
 public:
  CtfParser(xml::Reader& reader, const ParseOptions& options, Sink& sink)
      : r_(reader), options_(options), sink_(sink) {}

  ParseResult run();

 private:
  FileError sink_error(const protocol::Error& e) const { return xml::sink_error(r_, e); }

  std::optional<FileError> parse_header();
  bool parse_pupils();  // false: stop (reader error or stop_ set)
  bool parse_pupil(std::size_t index);
  void parse_pupil_field();
  void parse_basic_details();
  std::optional<protocol::Address> parse_address(const std::string& path);
  ContactDraft parse_contact(const std::string& path);
  void finish_pupil();

  // Keeps the first problem of the current pupil; the rest of the pupil is still read so its
  // UPN (the quarantine entry's local id) is known wherever it stands.
  void fault(std::uint64_t line, const std::string& path, std::string_view field,
             std::string reason) {
    if (p_.fault) return;
    p_.fault = Quarantined{Location{line, path}, {}, std::string(field), std::move(reason)};
  }

  xml::Reader& r_;
  const ParseOptions& options_;
  Sink& sink_;
  DuplicateGuard seen_;
  ParseSummary summary_;
  std::optional<FileError> stop_;  // a header or sink error: ends the parse

  // The school the file comes from (Header/SourceSchool): every pupil's educational setting.
  std::string school_name_;
  std::string la_estab_;

  PupilDraft p_;  // the pupil being read
};

ParseResult CtfParser::run() {
  if (std::optional<FileError> e = xml::open_root(r_, kRoot)) return *e;
  const std::uint64_t root_line = r_.line();

  bool has_header = false;
  bool has_pupil_data = false;
  const bool root_complete = r_.children([&] {
    if (r_.name() == "Header"sv && !has_header && !has_pupil_data) {
      has_header = true;
      stop_ = parse_header();
      if (!stop_) {
        if (auto begun = sink_.begin(summary_.info); !begun) stop_ = sink_error(begun.error());
      }
      return !stop_;
    }
    if (r_.name() == "CTFpupilData"sv && !has_pupil_data) {
      has_pupil_data = true;
      if (!has_header) {
        stop_ = file_error(r_.line(), std::string(kRoot), "Header missing before CTFpupilData");
        return false;
      }
      return parse_pupils();
    }
    r_.skip();
    return true;
  });
  if (std::optional<FileError> e = xml::finish_document(r_, kRoot, root_complete, stop_))
    return *e;
  if (!has_header) return file_error(root_line, std::string(kRoot), "Header missing");
  if (!has_pupil_data) return file_error(root_line, std::string(kRoot), "CTFpupilData missing");
  return summary_;
}

std::optional<FileError> CtfParser::parse_header() {
  const std::uint64_t header_line = r_.line();
  const std::string header = "CTfile/Header";
  std::string date_time, qualifier, lea, estab, urn;
  std::uint64_t date_time_line = header_line, qualifier_line = header_line;
  std::uint64_t school_line = header_line;
  bool has_school = false;
  const bool complete = r_.children([&] {
    const std::string& name = r_.name();
    if (name == "DateTime"sv) {
      date_time_line = r_.line();
      date_time = r_.read_text();
    } else if (name == "DocumentQualifier"sv) {
      qualifier_line = r_.line();
      qualifier = r_.read_text();
    } else if (name == "SourceSchool"sv) {
      has_school = true;
      school_line = r_.line();
      r_.children([&] {
        const std::string& part = r_.name();
        if (part == "LEA"sv) lea = r_.read_text();
        else if (part == "Estab"sv) estab = r_.read_text();
        else if (part == "URN"sv) urn = r_.read_text();
        else if (part == "SchoolName"sv) school_name_ = r_.read_text();
        else r_.skip();
        return true;
      });
    } else {
      r_.skip();  // DocumentName, CTFversion, DataDescriptor, SupplierID, DestSchool...
    }
    return true;
  });
  if (!complete) return r_.error() ? *r_.error() : FileError{{}, "the file ends inside Header"};

  if (date_time.empty()) return file_error(header_line, header, "DateTime missing");
  const std::optional<Date> as_of =
      (date_time.size() == 10 || (date_time.size() > 10 && date_time[10] == 'T'))
          ? Date::parse(std::string_view(date_time).substr(0, 10))
          : std::nullopt;
  if (!as_of)
    return file_error(date_time_line, header + "/DateTime", "not a date-time YYYY-MM-DDThh:mm:ss");
  if (auto p = check_not_future(*as_of, options_.today))
    return file_error(date_time_line, header + "/DateTime", *p);

  if (qualifier.empty()) return file_error(header_line, header, "DocumentQualifier missing");
  qualifier = upper_ascii(qualifier);
  if (qualifier != "FULL" && qualifier != "PARTIAL")
    return file_error(qualifier_line, header + "/DocumentQualifier", "not full or partial");

  const std::string school = header + "/SourceSchool";
  if (!has_school) return file_error(header_line, header, "SourceSchool missing");
  if (!is_digits(lea, 3)) return file_error(school_line, school + "/LEA", "not 3 digits");
  if (!is_digits(estab, 4)) return file_error(school_line, school + "/Estab", "not 4 digits");
  if (!urn.empty() && !is_digits(urn, 6))
    return file_error(school_line, school + "/URN", "not 6 digits");
  if (school_name_.empty()) return file_error(school_line, school, "SchoolName missing");
  if (school_name_.size() > protocol::kMaxTextLen)
    return file_error(school_line, school + "/SchoolName",
                      "longer than " + std::to_string(protocol::kMaxTextLen) + " bytes");

  la_estab_ = lea + estab;
  summary_.info.format = Format::ctf;
  summary_.info.source = "school " + la_estab_;
  if (qualifier == "FULL") summary_.info.roll = Roll{la_estab_, *as_of};
  return std::nullopt;
}

bool CtfParser::parse_pupils() {
  std::size_t index = 0;
  return r_.children([&] {
    if (r_.name() != "Pupil"sv) {
      r_.skip();
      return true;
    }
    return parse_pupil(++index);
  });
}

bool CtfParser::parse_pupil(std::size_t index) {
  p_ = PupilDraft{};
  p_.at = Location{r_.line(), std::string(kPupilData) + "/Pupil[" + std::to_string(index) + "]"};

  const bool complete = r_.children([&] {
    parse_pupil_field();
    return true;
  });
  if (!complete || r_.error()) return false;  // a broken file: its error ends the parse
  finish_pupil();

  protocol::Status delivered = protocol::Ok{};
  if (p_.fault) {
    p_.fault->local_id = p_.local_id;
    delivered = sink_.quarantine(std::move(*p_.fault));
    ++summary_.quarantined;
  } else {
    delivered = sink_.record(Parsed{std::move(p_.record), p_.at});
    ++summary_.records;
  }
  if (!delivered) {
    stop_ = sink_error(delivered.error());
    return false;
  }
  return true;
}

void CtfParser::parse_pupil_field() {
  const std::string name = r_.name();  // a copy: reading moves the reader on
  const auto path = [&] { return p_.at.path + "/" + name; };  // built only when needed
  auto& identity = p_.record.identity;
  auto& details = p_.record.details;
  if (name == "UPN"sv) {
    const std::uint64_t line = r_.line();
    std::string upn = normalise_identifier(r_.read_text());
    if (upn.empty()) return;  // reported as missing in finish_pupil
    if (auto p = check_upn(upn)) return fault(line, path(), "UPN", *p);
    p_.local_id = "ctf:" + upn;
    p_.record.record_id = p_.local_id;
    if (auto dup = seen_.seen("UPN", upn)) fault(line, path(), "UPN", *dup);
    details.upn = std::move(upn);
  } else if (name == "UniqueLearnerNumber"sv) {
    const std::uint64_t line = r_.line();
    std::string uln = normalise_identifier(r_.read_text());
    if (uln.empty()) return;
    if (auto p = check_uln(uln)) return fault(line, path(), "UniqueLearnerNumber", *p);
    if (auto dup = seen_.seen("ULN", uln)) fault(line, path(), "UniqueLearnerNumber", *dup);
    details.uln = std::move(uln);
  } else if (name == "Surname"sv) {
    identity.name.family = r_.read_text();
  } else if (name == "Forename"sv) {
    identity.name.given = r_.read_text();
  } else if (name == "DOB"sv) {
    const std::uint64_t line = r_.line();
    const std::string text = r_.read_text();
    if (text.empty()) return;
    const std::optional<Date> dob = Date::parse(text);
    if (!dob) return fault(line, path(), "DOB", "not a date YYYY-MM-DD");
    if (auto p = check_date_of_birth(*dob, options_.today)) return fault(line, path(), "DOB", *p);
    identity.date_of_birth = *dob;
    p_.has_dob = true;
  } else if (name == "Sex"sv || name == "Gender"sv) {
    const std::uint64_t line = r_.line();
    const std::string text = r_.read_text();
    if (text.empty()) return;
    const std::optional<Gender> g = parse_sex(text);
    if (!g) return fault(line, path(), name, "not M, F or U");
    (name == "Sex"sv ? p_.sex : p_.older_gender) = g;
  } else if (name == "BasicDetails"sv) {
    parse_basic_details();
  } else if (name == "Address"sv) {
    details.address = parse_address(path());
  } else if (name == "Contacts"sv) {
    std::size_t index = 0;
    r_.children([&] {
      if (r_.name() != "Contact"sv) {
        r_.skip();
        return true;
      }
      ContactDraft contact = parse_contact(path() + "/Contact[" + std::to_string(++index) + "]");
      // One more than the limit is kept so that check_record reports it.
      if (p_.contacts.size() <= protocol::kMaxContacts) p_.contacts.push_back(std::move(contact));
      return true;
    });
  } else {
    // Not in the record model (docs/ctf.md): Phones, Email, UCI, FSMhistory, SENhistory,
    // LookedAfter, Attendance, StageAssessments, SchoolHistory and anything newer.
    r_.skip();
  }
}

void CtfParser::parse_basic_details() {
  r_.children([&] {
    const std::string& name = r_.name();
    if (name == "MiddleNames"sv) p_.record.identity.name.middle = r_.read_text();
    else if (name == "PreferredSurname"sv) p_.preferred_surname = r_.read_text();
    else if (name == "PreferredForename"sv) p_.preferred_forename = r_.read_text();
    else if (name == "FormerSurname"sv) p_.former_surname = r_.read_text();
    else if (name == "FormerForename"sv) p_.former_forename = r_.read_text();
    else r_.skip();  // FormerUPN, NCyearActual, Ethnicity, Languages, EnrolStatus, ...
    return true;
  });
}

std::optional<protocol::Address> CtfParser::parse_address(const std::string& path) {
  const std::uint64_t line = r_.line();
  AddressLines lines;
  std::string county, postcode;
  std::uint64_t postcode_line = line;
  r_.children([&] {
    const std::string& name = r_.name();
    if (name == "BS7666Address"sv) {
      std::string saon, paon, street, locality, town, area, post_town;
      r_.children([&] {
        const std::string& part = r_.name();
        if (part == "SAON"sv) saon = r_.read_text();
        else if (part == "PAON"sv) paon = r_.read_text();
        else if (part == "Street"sv) street = r_.read_text();
        else if (part == "Locality"sv) locality = r_.read_text();
        else if (part == "Town"sv) town = r_.read_text();
        else if (part == "AdministrativeArea"sv) area = r_.read_text();
        else if (part == "PostTown"sv) post_town = r_.read_text();
        else r_.skip();  // UniquePropertyReferenceNumber
        return true;
      });
      lines.add(std::move(saon));
      if (is_house_number(paon) && !street.empty()) {
        lines.add(paon + " " + street);
      } else {
        lines.add(std::move(paon));
        lines.add(std::move(street));
      }
      lines.add(std::move(locality));
      lines.add(std::move(town));
      lines.add(std::move(area));
      lines.add(std::move(post_town));
    } else if (name == "AddressLines"sv) {
      r_.children([&] {
        if (r_.name().rfind("AddressLine", 0) == 0) lines.add(r_.read_text());
        else r_.skip();
        return true;
      });
    } else if (name == "County"sv) {
      county = r_.read_text();
    } else if (name == "PostCode"sv) {
      postcode_line = r_.line();
      postcode = r_.read_text();
    } else {
      r_.skip();  // Zip, Country, Easting, Northing
    }
    return true;
  });
  lines.add(std::move(county));
  if (lines.too_many()) {
    fault(line, path, "Address", "more than " + std::to_string(AddressLines::kMaxParts) + " parts");
    return std::nullopt;
  }

  protocol::Address address;
  if (!postcode.empty()) {
    // normalise_postcode accepts only what check_postcode does, in the official form.
    std::optional<std::string> normal = normalise_postcode(postcode);
    if (!normal) {
      fault(postcode_line, path + "/PostCode", "PostCode", "not a postcode");
      return std::nullopt;
    }
    address.postcode = std::move(*normal);
  }
  if (lines.empty()) {
    if (!address.postcode.empty()) fault(line, path, "Address", "no address lines");
    return std::nullopt;  // an empty <Address/> is no address
  }
  address.lines = lines.take();
  return address;
}

ContactDraft CtfParser::parse_contact(const std::string& path) {
  const std::uint64_t line = r_.line();
  ContactDraft draft;
  protocol::Contact& c = draft.contact;
  bool has_address = false;
  r_.children([&] {
    const std::string name = r_.name();  // a copy: reading moves the reader on
    const auto at = [&] { return path + "/" + name; };  // built only when needed
    const std::uint64_t field_line = r_.line();
    if (name == "Order"sv) {
      const std::string text = r_.read_text();
      if (text.empty()) return true;
      if (text.size() > 9 || !is_digits(text, text.size()))
        fault(field_line, at(), name, "not a whole number");
      else
        draft.order = static_cast<std::uint32_t>(std::stoul(text));
    } else if (name == "Surname"sv) {
      c.name.family = r_.read_text();
    } else if (name == "Forename"sv) {
      c.name.given = r_.read_text();
    } else if (name == "MiddleNames"sv) {
      c.name.middle = r_.read_text();
    } else if (name == "Relationship"sv) {
      c.relationship = r_.read_text();
    } else if (name == "Responsibility"sv || name == "AddressAsPupil"sv) {
      const std::string text = r_.read_text();
      // <AddressAsPupil/> on its own says yes; an empty <Responsibility/> says nothing.
      if (text.empty() && name == "Responsibility"sv) return true;
      const std::optional<bool> flag = text.empty() ? std::optional<bool>(true) : parse_bool(text);
      if (!flag) fault(field_line, at(), name, "not true or false");
      else (name == "Responsibility"sv ? c.parental_responsibility : c.address_as_child) = *flag;
    } else if (name == "Address"sv) {
      has_address = true;
      c.address = parse_address(at());
    } else if (name == "Phones"sv) {
      r_.children([&] {
        if (r_.name() != "Phone"sv) {
          r_.skip();
          return true;
        }
        r_.children([&] {
          if (r_.name() != "PhoneNo"sv) {
            r_.skip();  // TelephoneType
            return true;
          }
          std::string number = r_.read_text();
          // One more than the limit is kept so that check_record reports it.
          if (!number.empty() && c.phones.size() <= protocol::kMaxPhones)
            c.phones.push_back(std::move(number));
          return true;
        });
        return true;
      });
    } else {
      r_.skip();  // Title, Gender, Email
    }
    return true;
  });
  if (c.name.family.empty()) fault(line, path, "Surname", "missing");
  if (c.relationship.empty()) fault(line, path, "Relationship", "missing");
  if (c.address_as_child && has_address)
    fault(line, path + "/Address", "Address", "given together with AddressAsPupil");
  return draft;
}

// Required fields, names, gender, contacts in order, the school; then the protocol's own rules.
void CtfParser::finish_pupil() {
  auto& identity = p_.record.identity;
  const std::string& at = p_.at.path;
  if (!p_.record.details.upn) fault(p_.at.line, at, "UPN", "missing");
  if (identity.name.family.empty()) fault(p_.at.line, at, "Surname", "missing");
  if (identity.name.given.empty()) fault(p_.at.line, at, "Forename", "missing");
  if (!p_.has_dob) fault(p_.at.line, at, "DOB", "missing");
  if (p_.fault) return;

  // The legal name is the child's name; a preferred or former name is kept as another name the
  // child is known by (former_names), for matching.
  const auto add_other_name = [&](const std::string& surname, const std::string& forename) {
    if (surname.empty() && forename.empty()) return;
    protocol::PersonName other{forename.empty() ? identity.name.given : forename,
                               identity.name.middle,
                               surname.empty() ? identity.name.family : surname};
    if (other == identity.name) return;
    if (std::find(identity.former_names.begin(), identity.former_names.end(), other) !=
        identity.former_names.end())
      return;
    identity.former_names.push_back(std::move(other));
  };
  add_other_name(p_.preferred_surname, p_.preferred_forename);
  add_other_name(p_.former_surname, p_.former_forename);

  identity.gender = p_.sex.value_or(p_.older_gender.value_or(Gender::not_known));

  std::stable_sort(p_.contacts.begin(), p_.contacts.end(),
                   [](const ContactDraft& a, const ContactDraft& b) {
                     if (a.order && b.order) return *a.order < *b.order;
                     return a.order.has_value() && !b.order.has_value();
                   });
  for (auto& draft : p_.contacts) p_.record.details.contacts.push_back(std::move(draft.contact));

  protocol::Involvement school;
  school.kind = protocol::InvolvementKind::educational_setting;
  school.organisation = school_name_;
  school.organisation_id = la_estab_;
  p_.record.details.involvements.push_back(std::move(school));

  if (auto checked = protocol::check_record(p_.record); !checked) {
    // The detail is "<protocol path>: <what>"; neither part carries a value.
    const std::string& detail = checked.error().detail;
    const std::size_t colon = detail.find(": ");
    fault(p_.at.line, at, detail.substr(0, colon),
          colon == std::string::npos ? detail : detail.substr(colon + 2));
  }
}

}  // namespace

ParseResult parse_ctf(const std::filesystem::path& file, const ParseOptions& options, Sink& sink) {
  if (auto refused = check_input_file(file, options.max_file_bytes)) return *refused;
  auto reader = xml::Reader::open(file);
  if (!reader) return reader.error();
  return CtfParser(*reader, options, sink).run();
}

}  // namespace aegis::adapters
