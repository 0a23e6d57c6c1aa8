// CSV importer (docs/csv-format.md): streams a CSV file row by row (RFC 4180 quoting, bounded
// field and row sizes), maps the header's columns to the aegis record through a CsvMapping,
// validates each row and hands it to the Sink as a record or a quarantine entry.
#include "aegis/adapters/csv.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <fstream>
#include <map>
#include <set>
#include <span>

#include "aegis/adapters/adapter.hpp"
#include "aegis/adapters/duplicates.hpp"
#include "aegis/adapters/validate.hpp"
#include "aegis/protocol/codec.hpp"
#include "input_file.hpp"

namespace aegis::adapters {

using protocol::ChildRecord;
using protocol::Date;

CsvMapping CsvMapping::aegis() { return CsvMapping{}; }

CsvMapping CsvMapping::febrl() {
  CsvMapping m;
  m.name = "csv febrl";
  m.separator = ", ";
  m.columns = {
      {"rec_id", "local_id"},
      {"surname", "family_name"},
      {"street_number", "address_line1"},
      {"address_1", "address_line1"},
      {"address_2", "address_line2"},
      {"suburb", "address_line3"},
      {"state", "address_line4"},
      {"soc_sec_id", ""},  // no slot in the record model: dropped, never read
  };
  m.date_format = CsvDateFormat::yyyymmdd;
  m.uk_postcode = false;  // Australian 4-digit postcodes, kept as text
  m.child_age = false;    // FEBRL people are adults
  return m;
}

namespace {

FileError file_error(std::uint64_t line, const std::string& what) {
  return FileError{Location{line, ""}, (line ? "line " + std::to_string(line) + ": " : "") + what};
}

// ---- Rows ---------------------------------------------------------------------------------

// Reads logical rows (a quoted field may span lines) with every size bounded by the mapping.
// Spaces and tabs around a field are dropped; inside quotes they are kept.
class RowReader {
 public:
  RowReader(std::istream& in, const CsvMapping& m) : in_(in), m_(m) {
    assert(!m.separator.empty() && m.separator[0] != ' ' && m.separator[0] != '\t' &&
           m.separator[0] != '"' && m.separator[0] != '\n' && m.separator[0] != '\r');
  }

  // Reads the next non-blank row into `fields`. False at the end of the file or on an error.
  bool next(std::vector<std::string>& fields);
  std::uint64_t row_line() const { return row_line_; }
  const std::optional<FileError>& error() const { return error_; }

 private:
  enum class State { start, unquoted, quoted, after_quote };

  // `continuing`: the line continues a quoted field of the row that started on row_line_.
  bool read_line(std::size_t budget, bool continuing);
  bool fail(std::uint64_t line, const std::string& what) {
    if (!error_) error_ = file_error(line, what);
    return false;
  }
  bool separator_at(std::size_t i) const {
    return line_.compare(i, m_.separator.size(), m_.separator) == 0;
  }
  bool push(std::string& field, char c) {
    if (field.size() >= m_.max_field_bytes)
      return fail(row_line_,
                  "a field is longer than " + std::to_string(m_.max_field_bytes) + " bytes");
    field.push_back(c);
    return true;
  }
  bool finish(std::vector<std::string>& fields, std::size_t& count, State state);

  std::istream& in_;
  const CsvMapping& m_;
  std::string line_;
  std::uint64_t line_no_ = 0;
  std::uint64_t row_line_ = 0;
  std::optional<FileError> error_;
};

// One physical line into line_, without its "\n" or "\r\n" (so a line break inside quotes is
// kept as "\n"). False at the end of the file or on an error.
bool RowReader::read_line(std::size_t budget, bool continuing) {
  line_.clear();
  auto* buf = in_.rdbuf();
  bool any = false;
  for (;;) {
    const int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) break;
    any = true;
    if (c == '\n') break;
    if (line_.size() >= budget)
      return fail(continuing ? row_line_ : line_no_ + 1,
                  "a row is longer than " + std::to_string(m_.max_row_bytes) + " bytes");
    line_.push_back(static_cast<char>(c));
  }
  if (!any) return false;
  ++line_no_;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  if (line_no_ == 1) {
    if (line_.starts_with("\xEF\xBB\xBF"))
      line_.erase(0, 3);  // UTF-8 byte order mark
    else if (line_.starts_with("\xFF\xFE") || line_.starts_with("\xFE\xFF"))
      return fail(1, "the file is UTF-16; it must be UTF-8");
  }
  return true;
}

bool RowReader::finish(std::vector<std::string>& fields, std::size_t& count, State state) {
  std::string& f = fields[count];
  if (state == State::unquoted)
    while (!f.empty() && (f.back() == ' ' || f.back() == '\t')) f.pop_back();
  if (!protocol::valid_utf8(f)) return fail(line_no_, "not valid UTF-8 (the file must be UTF-8)");
  if (++count > m_.max_columns)
    return fail(row_line_, "more than " + std::to_string(m_.max_columns) + " columns");
  if (count == fields.size()) fields.emplace_back();
  fields[count].clear();
  return true;
}

bool RowReader::next(std::vector<std::string>& fields) {
  do {
    if (!read_line(m_.max_row_bytes, false)) return false;
  } while (line_.empty());
  row_line_ = line_no_;
  std::size_t row_bytes = 0;
  std::size_t count = 0;
  if (fields.empty()) fields.emplace_back();
  fields[0].clear();
  State state = State::start;
  std::size_t i = 0;
  for (;;) {
    if (i == line_.size()) {
      if (state != State::quoted) {
        if (!finish(fields, count, state)) return false;
        fields.resize(count);
        return true;
      }
      row_bytes += line_.size() + 1;  // a line break inside quotes is part of the value
      if (row_bytes > m_.max_row_bytes || !read_line(m_.max_row_bytes - row_bytes, true))
        return error_ ? false
                      : fail(row_line_, row_bytes > m_.max_row_bytes
                                            ? "a row is longer than " +
                                                  std::to_string(m_.max_row_bytes) + " bytes"
                                            : "a quoted field is not closed before the end of "
                                              "the file");
      if (!push(fields[count], '\n')) return false;
      i = 0;
      continue;
    }
    const char c = line_[i];
    switch (state) {
      case State::start:
        if (separator_at(i)) {
          if (!finish(fields, count, State::start)) return false;
          i += m_.separator.size();
        } else if (c == ' ' || c == '\t') {
          ++i;
        } else if (c == '"') {
          state = State::quoted;
          ++i;
        } else {
          state = State::unquoted;
        }
        break;
      case State::unquoted:
        if (separator_at(i)) {
          if (!finish(fields, count, State::unquoted)) return false;
          i += m_.separator.size();
          state = State::start;
        } else if (c == '"') {
          return fail(line_no_, "a quote inside an unquoted field (quote the whole field)");
        } else {
          if (!push(fields[count], c)) return false;
          ++i;
        }
        break;
      case State::quoted:
        if (c != '"') {
          if (!push(fields[count], c)) return false;
          ++i;
        } else if (i + 1 < line_.size() && line_[i + 1] == '"') {
          if (!push(fields[count], '"')) return false;
          i += 2;
        } else {
          state = State::after_quote;
          ++i;
        }
        break;
      case State::after_quote:
        if (separator_at(i)) {
          if (!finish(fields, count, State::after_quote)) return false;
          i += m_.separator.size();
          state = State::start;
        } else if (c == ' ' || c == '\t') {
          ++i;
        } else {
          return fail(line_no_, "text after a closing quote");
        }
        break;
    }
  }
}

// ---- Columns ------------------------------------------------------------------------------

// What a column holds: a field of the child, or of its n-th former name, contact or involvement;
// `item` numbers the entries of a list field (address_line1..6, phone1..8), else 0.
enum class Group : std::uint8_t { child, former, contact, involvement };
enum class Field : std::uint8_t {
  local_id,
  given_name,
  middle_name,
  family_name,
  gender,
  date_of_birth,
  date_of_death,
  upn,
  uln,
  nhs_number,
  address_line,
  postcode,
  relationship,
  parental_responsibility,
  phone,
  address_as_child,
  kind,
  organisation,
  organisation_id,
  role,
  practitioner,
  start,
  end,
  lead_professional,
  assessment_completed,
  sensitive,
  consent,
};

struct Key {
  Group group = Group::child;
  unsigned n = 0;
  Field field = Field::local_id;
  unsigned item = 0;
  auto operator<=>(const Key&) const = default;
};

struct FieldName {
  std::string_view name;
  Field field;
  unsigned max_items;  // 0: a single column; else name1..name<max_items>
};

constexpr std::array<FieldName, 12> kChildFields = {{
    {"local_id", Field::local_id, 0},
    {"given_name", Field::given_name, 0},
    {"middle_name", Field::middle_name, 0},
    {"family_name", Field::family_name, 0},
    {"gender", Field::gender, 0},
    {"date_of_birth", Field::date_of_birth, 0},
    {"date_of_death", Field::date_of_death, 0},
    {"upn", Field::upn, 0},
    {"uln", Field::uln, 0},
    {"nhs_number", Field::nhs_number, 0},
    {"address_line", Field::address_line, protocol::kMaxAddressLines},
    {"postcode", Field::postcode, 0},
}};
constexpr std::array<FieldName, 3> kFormerFields = {{
    {"given_name", Field::given_name, 0},
    {"middle_name", Field::middle_name, 0},
    {"family_name", Field::family_name, 0},
}};
constexpr std::array<FieldName, 9> kContactFields = {{
    {"given_name", Field::given_name, 0},
    {"middle_name", Field::middle_name, 0},
    {"family_name", Field::family_name, 0},
    {"relationship", Field::relationship, 0},
    {"parental_responsibility", Field::parental_responsibility, 0},
    {"phone", Field::phone, protocol::kMaxPhones},
    {"address_as_child", Field::address_as_child, 0},
    {"address_line", Field::address_line, protocol::kMaxAddressLines},
    {"postcode", Field::postcode, 0},
}};
constexpr std::array<FieldName, 12> kInvolvementFields = {{
    {"kind", Field::kind, 0},
    {"organisation", Field::organisation, 0},
    {"organisation_id", Field::organisation_id, 0},
    {"role", Field::role, 0},
    {"practitioner", Field::practitioner, 0},
    {"phone", Field::phone, 0},
    {"start", Field::start, 0},
    {"end", Field::end, 0},
    {"lead_professional", Field::lead_professional, 0},
    {"assessment_completed", Field::assessment_completed, 0},
    {"sensitive", Field::sensitive, 0},
    {"consent", Field::consent, 0},
}};

struct GroupName {
  std::string_view prefix;  // "contact" in contact2_family_name
  Group group;
  unsigned max_n;
  std::span<const FieldName> fields;
};

const std::array<GroupName, 4> kGroups = {{
    {"", Group::child, 0, kChildFields},
    {"former", Group::former, protocol::kMaxFormerNames, kFormerFields},
    {"contact", Group::contact, protocol::kMaxContacts, kContactFields},
    {"involvement", Group::involvement, protocol::kMaxInvolvements, kInvolvementFields},
}};

// Columns every file needs, and those every former name, contact or involvement it has needs.
constexpr std::array<std::pair<Group, Field>, 8> kRequired = {{
    {Group::child, Field::local_id},
    {Group::child, Field::family_name},
    {Group::child, Field::date_of_birth},
    {Group::former, Field::family_name},
    {Group::contact, Field::family_name},
    {Group::contact, Field::relationship},
    {Group::involvement, Field::kind},
    {Group::involvement, Field::organisation},
}};

const GroupName& group_name(Group g) { return kGroups[static_cast<std::size_t>(g)]; }

// "12" -> 12 when 1..max without a leading zero, else 0.
unsigned parse_number(std::string_view s, unsigned max) {
  if (s.empty() || s.size() > 3 || s[0] == '0') return 0;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v <= max ? v : 0;
}

std::optional<Key> find_field(const GroupName& g, unsigned n, std::string_view rest) {
  for (const auto& f : g.fields) {
    if (f.max_items == 0 && rest == f.name) return Key{g.group, n, f.field, 0};
    if (f.max_items != 0 && rest.starts_with(f.name)) {
      if (unsigned item = parse_number(rest.substr(f.name.size()), f.max_items))
        return Key{g.group, n, f.field, item};
    }
  }
  return std::nullopt;
}

// An aegis column name ("contact2_phone1") -> its key; nullopt when it is not one.
std::optional<Key> parse_column(std::string_view name) {
  for (const auto& g : kGroups) {
    if (g.group == Group::child || !name.starts_with(g.prefix)) continue;
    const auto underscore = name.find('_', g.prefix.size());
    if (underscore == std::string_view::npos) continue;
    const unsigned n =
        parse_number(name.substr(g.prefix.size(), underscore - g.prefix.size()), g.max_n);
    if (n == 0) continue;
    if (auto k = find_field(g, n, name.substr(underscore + 1))) return k;
  }
  return find_field(group_name(Group::child), 0, name);
}

std::string column_name(const Key& k) {
  const GroupName& g = group_name(k.group);
  std::string out(g.prefix);
  if (k.group != Group::child) out += std::to_string(k.n) + "_";
  for (const auto& f : g.fields)
    if (f.field == k.field) out += f.name;
  if (k.item) out += std::to_string(k.item);
  return out;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// A header name quoted in an error message, cut short so a pasted row cannot flood the log.
std::string quoted_name(std::string_view s) {
  return "\"" + std::string(s.substr(0, 64)) + (s.size() > 64 ? "...\"" : "\"");
}

// The header, resolved: which slot (aegis column) each file column feeds, and which source
// columns feed each slot (for reports).
class Header {
 public:
  static protocol::Result<Header, FileError> make(const std::vector<std::string>& names,
                                                  const CsvMapping& m, std::uint64_t line);

  std::size_t width() const { return column_slot_.size(); }
  // Fills the slots from one row (the row has width() fields).
  void load(const std::vector<std::string>& row);
  // The value of a column in the row loaded last; empty when the header lacks the column.
  std::string_view value(const Key& k) const {
    auto it = slot_of_.find(k);
    return it == slot_of_.end() ? std::string_view{} : std::string_view(values_[it->second]);
  }
  // The file's name for a column, for reports ("surname", "street_number+address_1").
  std::string label(const Key& k) const {
    auto it = slot_of_.find(k);
    return it == slot_of_.end() ? column_name(k) : labels_[it->second];
  }
  // The numbers n of the former names, contacts or involvements the header has columns for.
  const std::set<unsigned>& numbers(Group g) const { return numbers_[static_cast<std::size_t>(g)]; }
  // True when the row loaded last has any value for group g number n.
  bool present(Group g, unsigned n) const;

 private:
  static constexpr std::size_t kDropped = static_cast<std::size_t>(-1);
  std::vector<std::size_t> column_slot_;  // per file column: slot, or kDropped
  std::map<Key, std::size_t> slot_of_;
  std::vector<std::string> labels_;  // per slot
  std::vector<std::string> values_;  // per slot, for the row loaded last
  std::array<std::set<unsigned>, 4> numbers_;
};

protocol::Result<Header, FileError> Header::make(const std::vector<std::string>& names,
                                                 const CsvMapping& m, std::uint64_t line) {
  Header h;
  std::set<std::string> sources;
  std::map<std::string, std::string> target_of;
  for (const auto& [source, target] : m.columns) target_of[lower_ascii(source)] = target;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string source = lower_ascii(names[i]);
    if (source.empty()) return file_error(line, "column " + std::to_string(i + 1) + " has no name");
    if (!sources.insert(source).second)
      return file_error(line, "column " + quoted_name(source) + " appears twice");
    auto mapped = target_of.find(source);
    const std::string target = mapped == target_of.end() ? source : mapped->second;
    if (target.empty()) {
      h.column_slot_.push_back(kDropped);
      continue;
    }
    const auto key = parse_column(target);
    if (!key) return file_error(line, "unknown column " + quoted_name(source));
    auto [it, added] = h.slot_of_.try_emplace(*key, h.labels_.size());
    if (added) {
      h.labels_.push_back(source);
    } else {
      h.labels_[it->second] += "+" + source;
    }
    h.column_slot_.push_back(it->second);
    h.numbers_[static_cast<std::size_t>(key->group)].insert(key->n);
  }
  h.values_.resize(h.labels_.size());
  for (const auto& [group, field] : kRequired) {
    for (unsigned n : h.numbers(group)) {
      const Key k{group, n, field, 0};
      if (h.slot_of_.count(k)) continue;
      std::string what = "required column " + quoted_name(column_name(k));
      for (const auto& [source, target] : m.columns)
        if (target == column_name(k)) what += " (in this mapping " + quoted_name(source) + ")";
      return file_error(line, what + " missing");
    }
  }
  if (h.numbers(Group::child).empty())  // no child column at all: the required ones are missing
    return file_error(line, "required column \"local_id\" missing");
  return h;
}

void Header::load(const std::vector<std::string>& row) {
  for (auto& v : values_) v.clear();
  for (std::size_t i = 0; i < row.size(); ++i) {
    const std::size_t slot = column_slot_[i];
    if (slot == kDropped || row[i].empty()) continue;
    std::string& v = values_[slot];
    if (!v.empty()) v.push_back(' ');
    v += row[i];
  }
}

bool Header::present(Group g, unsigned n) const {
  for (auto it = slot_of_.lower_bound(Key{g, n, Field::local_id, 0});
       it != slot_of_.end() && it->first.group == g && it->first.n == n; ++it)
    if (!values_[it->second].empty()) return true;
  return false;
}

// ---- Values -------------------------------------------------------------------------------

constexpr std::array<std::pair<std::string_view, protocol::Gender>, 12> kGenders = {{
    {"", protocol::Gender::not_known},
    {"0", protocol::Gender::not_known},
    {"u", protocol::Gender::not_known},
    {"not_known", protocol::Gender::not_known},
    {"1", protocol::Gender::male},
    {"m", protocol::Gender::male},
    {"male", protocol::Gender::male},
    {"2", protocol::Gender::female},
    {"f", protocol::Gender::female},
    {"female", protocol::Gender::female},
    {"9", protocol::Gender::not_applicable},
    {"not_applicable", protocol::Gender::not_applicable},
}};

constexpr std::array<std::pair<std::string_view, protocol::InvolvementKind>, 9> kKinds = {{
    {"educational_setting", protocol::InvolvementKind::educational_setting},
    {"gp_practice", protocol::InvolvementKind::gp_practice},
    {"health_visitor", protocol::InvolvementKind::health_visitor},
    {"school_nurse", protocol::InvolvementKind::school_nurse},
    {"social_care", protocol::InvolvementKind::social_care},
    {"youth_justice", protocol::InvolvementKind::youth_justice},
    {"early_help", protocol::InvolvementKind::early_help},
    {"other_health", protocol::InvolvementKind::other_health},
    {"other", protocol::InvolvementKind::other},
}};

constexpr std::array<std::pair<std::string_view, bool>, 9> kBooleans = {{
    {"", false},
    {"0", false},
    {"n", false},
    {"no", false},
    {"false", false},
    {"1", true},
    {"y", true},
    {"yes", true},
    {"true", true},
}};

template <typename T, std::size_t N>
std::optional<T> lookup(const std::array<std::pair<std::string_view, T>, N>& table,
                        std::string_view text) {
  const std::string key = lower_ascii(text);
  for (const auto& [name, value] : table)
    if (name == key) return value;
  return std::nullopt;
}

// Builds one record from the row loaded into the header, keeping the first problem found.
class RowBuilder {
 public:
  RowBuilder(const Header& h, const CsvMapping& m, const ParseOptions& o) : h_(h), m_(m), o_(o) {}

  ChildRecord build();
  // Registers the row's identifiers with the guard; a duplicate becomes the row's problem.
  void check_duplicates(DuplicateGuard& guard, const ChildRecord& r);
  void problem(const std::string& field, std::string reason) {
    if (!problem_) problem_ = std::pair{field, std::move(reason)};
  }
  const std::optional<std::pair<std::string, std::string>>& problem() const { return problem_; }
  bool local_id_valid() const { return local_id_valid_; }

 private:
  std::string text(const Key& k) const { return std::string(h_.value(k)); }
  std::string required(const Key& k);
  std::optional<Date> date(const Key& k, bool child_dob);
  bool boolean(const Key& k);
  std::optional<std::string> identifier(const Key& k, Problem (*check)(std::string_view));
  std::optional<protocol::Address> address(Group g, unsigned n);
  protocol::PersonName name(Group g, unsigned n);

  const Header& h_;
  const CsvMapping& m_;
  const ParseOptions& o_;
  std::optional<std::pair<std::string, std::string>> problem_;
  bool local_id_valid_ = false;
};

std::string RowBuilder::required(const Key& k) {
  std::string v = text(k);
  if (v.empty()) problem(h_.label(k), "required");
  return v;
}

std::optional<Date> RowBuilder::date(const Key& k, bool child_dob) {
  const std::string_view v = h_.value(k);
  if (v.empty()) return std::nullopt;
  std::optional<Date> d;
  if (m_.date_format == CsvDateFormat::iso) {
    d = Date::parse(v);
  } else if (v.size() == 8 &&
             std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    d = Date::parse(std::string(v.substr(0, 4)) + "-" + std::string(v.substr(4, 2)) + "-" +
                    std::string(v.substr(6, 2)));
  }
  if (!d) {
    problem(h_.label(k), m_.date_format == CsvDateFormat::iso ? "not a real date YYYY-MM-DD"
                                                              : "not a real date YYYYMMDD");
    return std::nullopt;
  }
  const Problem p = child_dob && m_.child_age ? check_date_of_birth(*d, o_.today)
                                              : check_not_future(*d, o_.today);
  if (p) {
    problem(h_.label(k), *p);
    return std::nullopt;
  }
  return d;
}

bool RowBuilder::boolean(const Key& k) {
  const auto b = lookup(kBooleans, h_.value(k));
  if (!b) problem(h_.label(k), "not yes or no (Y, N, yes, no, true, false, 1, 0)");
  return b.value_or(false);
}

std::optional<std::string> RowBuilder::identifier(const Key& k,
                                                  Problem (*check)(std::string_view)) {
  if (h_.value(k).empty()) return std::nullopt;
  std::string id = normalise_identifier(h_.value(k));
  if (auto p = check(id)) {
    problem(h_.label(k), *p);
    return std::nullopt;
  }
  return id;
}

std::optional<protocol::Address> RowBuilder::address(Group g, unsigned n) {
  protocol::Address a;
  for (unsigned item = 1; item <= protocol::kMaxAddressLines; ++item) {
    std::string line = text(Key{g, n, Field::address_line, item});
    if (!line.empty()) a.lines.push_back(std::move(line));
  }
  const Key pc{g, n, Field::postcode, 0};
  if (!h_.value(pc).empty()) {
    if (!m_.uk_postcode) {
      a.postcode = text(pc);
    } else if (auto normal = normalise_postcode(h_.value(pc))) {
      a.postcode = *normal;
    } else {
      problem(h_.label(pc), "not a UK postcode");
    }
  }
  if (a.lines.empty() && a.postcode.empty()) return std::nullopt;
  if (a.lines.empty())
    problem(h_.label(Key{g, n, Field::address_line, 1}), "required with a postcode");
  return a;
}

protocol::PersonName RowBuilder::name(Group g, unsigned n) {
  protocol::PersonName p;
  p.given = text(Key{g, n, Field::given_name, 0});
  p.middle = text(Key{g, n, Field::middle_name, 0});
  p.family = required(Key{g, n, Field::family_name, 0});
  return p;
}

ChildRecord RowBuilder::build() {
  ChildRecord r;
  const Key local_id{Group::child, 0, Field::local_id, 0};
  if (const std::string id = required(local_id); !id.empty()) {
    r.record_id = "csv:" + id;
    local_id_valid_ = protocol::valid_record_id(r.record_id);
    if (!local_id_valid_)
      problem(h_.label(local_id), "not a local id (1..60 characters of A-Z a-z 0-9 . _ : -)");
  }
  r.identity.name = name(Group::child, 0);
  const Key gender{Group::child, 0, Field::gender, 0};
  if (auto g = lookup(kGenders, h_.value(gender)))
    r.identity.gender = *g;
  else
    problem(h_.label(gender), "unknown gender code");
  const Key dob{Group::child, 0, Field::date_of_birth, 0};
  if (h_.value(dob).empty()) problem(h_.label(dob), "required");
  if (auto d = date(dob, true)) r.identity.date_of_birth = *d;
  r.identity.date_of_death = date(Key{Group::child, 0, Field::date_of_death, 0}, false);
  for (unsigned n : h_.numbers(Group::former))
    if (h_.present(Group::former, n)) r.identity.former_names.push_back(name(Group::former, n));

  auto& d = r.details;
  d.upn = identifier(Key{Group::child, 0, Field::upn, 0}, check_upn);
  d.uln = identifier(Key{Group::child, 0, Field::uln, 0}, check_uln);
  d.nhs_number = identifier(Key{Group::child, 0, Field::nhs_number, 0}, check_nhs_number);
  d.address = address(Group::child, 0);
  for (unsigned n : h_.numbers(Group::contact)) {
    if (!h_.present(Group::contact, n)) continue;
    const auto k = [n](Field f, unsigned item = 0) { return Key{Group::contact, n, f, item}; };
    protocol::Contact c;
    c.name = name(Group::contact, n);
    c.relationship = required(k(Field::relationship));
    c.parental_responsibility = boolean(k(Field::parental_responsibility));
    for (unsigned item = 1; item <= protocol::kMaxPhones; ++item)
      if (std::string phone = text(k(Field::phone, item)); !phone.empty())
        c.phones.push_back(phone);
    c.address_as_child = boolean(k(Field::address_as_child));
    c.address = address(Group::contact, n);
    d.contacts.push_back(std::move(c));
  }
  for (unsigned n : h_.numbers(Group::involvement)) {
    if (!h_.present(Group::involvement, n)) continue;
    const auto k = [n](Field f) { return Key{Group::involvement, n, f, 0}; };
    protocol::Involvement v;
    if (auto kind = lookup(kKinds, required(k(Field::kind))))
      v.kind = *kind;
    else if (!h_.value(k(Field::kind)).empty())
      problem(h_.label(k(Field::kind)), "unknown involvement kind");
    v.organisation = required(k(Field::organisation));
    v.organisation_id = text(k(Field::organisation_id));
    v.role = text(k(Field::role));
    v.practitioner = text(k(Field::practitioner));
    v.phone = text(k(Field::phone));
    v.start = date(k(Field::start), false);
    v.end = date(k(Field::end), false);
    v.lead_professional = boolean(k(Field::lead_professional));
    v.assessment_completed = boolean(k(Field::assessment_completed));
    v.sensitive = boolean(k(Field::sensitive));
    v.consent = boolean(k(Field::consent));
    d.involvements.push_back(std::move(v));
  }
  return r;
}

void RowBuilder::check_duplicates(DuplicateGuard& guard, const ChildRecord& r) {
  const auto check = [&](Field f, std::string_view kind, const std::string& value) {
    if (auto dup = guard.seen(kind, value)) problem(h_.label(Key{Group::child, 0, f, 0}), *dup);
  };
  if (local_id_valid_) check(Field::local_id, "local id", r.record_id);
  if (r.details.upn) check(Field::upn, "UPN", *r.details.upn);
  if (r.details.uln) check(Field::uln, "ULN", *r.details.uln);
  if (r.details.nhs_number) check(Field::nhs_number, "NHS number", *r.details.nhs_number);
}

}  // namespace

// ---- parse_csv ----------------------------------------------------------------------------

ParseResult parse_csv(const std::filesystem::path& file, const ParseOptions& options,
                      const CsvMapping& mapping, Sink& sink) {
  if (auto e = check_input_file(file, options.max_file_bytes)) return *e;
  std::ifstream in(file, std::ios::binary);
  if (!in) return file_error(0, "cannot open the file");

  RowReader reader(in, mapping);
  std::vector<std::string> row;
  if (!reader.next(row)) {
    if (reader.error()) return *reader.error();
    return file_error(0, in.bad() ? "read error" : "empty file (no header row)");
  }
  auto header = Header::make(row, mapping, reader.row_line());
  if (!header) return header.error();

  const auto sink_failed = [&](const protocol::Error& e) {
    return file_error(reader.row_line(), e.message());
  };
  ParseSummary summary;
  summary.info = FileInfo{Format::csv, mapping.name, std::nullopt};
  if (auto s = sink.begin(summary.info); !s) return sink_failed(s.error());

  DuplicateGuard guard;
  while (reader.next(row)) {
    const std::uint64_t line = reader.row_line();
    Quarantined q;
    q.where.line = line;
    if (row.size() != header->width()) {
      q.field = "row";
      q.reason = std::to_string(row.size()) + " columns, the header has " +
                 std::to_string(header->width());
    } else {
      header->load(row);
      RowBuilder builder(*header, mapping, options);
      ChildRecord record = builder.build();
      builder.check_duplicates(guard, record);
      if (!builder.problem()) {
        if (auto s = protocol::check_record(record); !s) {
          const std::string& detail = s.error().detail;  // "record.identity...: what"
          const auto colon = detail.find(": ");
          builder.problem(detail.substr(0, colon),
                          colon == std::string::npos ? detail : detail.substr(colon + 2));
        }
      }
      if (!builder.problem()) {
        ++summary.records;
        if (auto s = sink.record(Parsed{std::move(record), Location{line, ""}}); !s)
          return sink_failed(s.error());
        continue;
      }
      q.field = builder.problem()->first;
      q.reason = builder.problem()->second;
      if (builder.local_id_valid()) q.local_id = record.record_id;
    }
    q.where.path = q.field;
    ++summary.quarantined;
    if (auto s = sink.quarantine(std::move(q)); !s) return sink_failed(s.error());
  }
  if (reader.error()) return *reader.error();
  if (in.bad()) return file_error(reader.row_line(), "read error");
  return summary;
}

}  // namespace aegis::adapters
