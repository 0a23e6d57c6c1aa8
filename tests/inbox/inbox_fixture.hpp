// Shared setup for the inbox tests: a store with deterministic keys (tests/store's fixture),
// and small generated input files: aegis CSV rows and DfE Common Transfer Files whose UPNs
// carry correct check letters. Every person is fictional.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "../store/store_fixture.hpp"
#include "inbox/importer.hpp"

namespace aegis::test {

inline const std::string kCsvHeader =
    "local_id,given_name,family_name,gender,date_of_birth,address_line1,address_line2,postcode,"
    "contact1_given_name,contact1_family_name,contact1_relationship,contact1_phone1,"
    "involvement1_kind,involvement1_organisation,involvement1_organisation_id,"
    "involvement1_start\n";

// One valid row of kCsvHeader for child n; `postcode` varies it.
inline std::string csv_row(int n, const std::string& postcode = "ME14 1XX") {
  const std::string id = std::to_string(n);
  return "L-" + id + ",Canary" + id + ",Hartley,F,2015-03-14,12 Orchard Way,Maidstone," +
         postcode + ",Claire,Hartley,PAM,07700 900123,educational_setting,Orchard Primary," +
         "8231234,2019-09-04\n";
}

inline std::string csv_file(int first, int count) {
  std::string s = kCsvHeader;
  for (int n = first; n < first + count; ++n) s += csv_row(n);
  return s;
}

// A permanent UPN with its DfE check letter: LA 823, then 9 digits from n.
inline std::string upn(int n) {
  const std::string body = "823" + std::string(9 - std::to_string(n).size(), '0') +
                           std::to_string(n);
  constexpr std::string_view letters = "ABCDEFGHJKLMNPQRTUVWXYZ";
  int total = 0;
  for (std::size_t k = 0; k < body.size(); ++k) total += (body[k] - '0') * static_cast<int>(k + 2);
  return std::string(1, letters[static_cast<std::size_t>(total % 23)]) + body;
}

// A CTF from school 823/4001 dated 2024-02-01 listing pupils `ns` (full or partial).
inline std::string ctf_file(bool full, const std::vector<int>& ns) {
  std::string s =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CTfile>\n<Header>\n"
      "<DocumentName>Common Transfer File</DocumentName><CTFversion>24.0</CTFversion>\n"
      "<DateTime>2024-02-01T10:30:00</DateTime>\n<DocumentQualifier>" +
      std::string(full ? "full" : "partial") +
      "</DocumentQualifier>\n<SupplierID>SIMS</SupplierID>\n"
      "<SourceSchool><LEA>823</LEA><Estab>4001</Estab><URN>118234</URN>"
      "<SchoolName>Riverside Primary School</SchoolName><AcademicYear>2023</AcademicYear>"
      "</SourceSchool>\n<DestSchool><LEA>823</LEA><Estab>LLLL</Estab></DestSchool>\n</Header>\n"
      "<CTFpupilData>\n";
  for (int n : ns)
    s += "<Pupil><UPN>" + upn(n) + "</UPN><Surname>Okafor</Surname><Forename>Canary" +
         std::to_string(n) + "</Forename><DOB>2012-05-17</DOB><Sex>F</Sex></Pupil>\n";
  return s + "</CTFpupilData>\n</CTfile>\n";
}

inline std::filesystem::path write_file(const std::filesystem::path& path,
                                        const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

inline inbox::Source csv_source() { return inbox::Source{}; }
inline inbox::Source ctf_source() {
  inbox::Source s;
  s.format = adapters::Format::ctf;
  return s;
}

struct ImportFixture : StoreFixture {
  store::Store store = create();
  TempDir files{"aegis-inbox"};

  inbox::Report run(const std::filesystem::path& input,
                    const inbox::Source& source = csv_source()) {
    inbox::Report r = inbox::import_file(store, signing, input, source);
    INFO(r.line());
    return r;
  }
  inbox::Report imported(const std::filesystem::path& input,
                         const inbox::Source& source = csv_source()) {
    inbox::Report r = run(input, source);
    INFO(r.line());
    REQUIRE(r.outcome == inbox::Outcome::imported);
    return r;
  }
  std::string report_json(const inbox::Report& r) {
    std::ostringstream out;
    REQUIRE(r.write(out));
    return out.str();
  }
};

}  // namespace aegis::test
