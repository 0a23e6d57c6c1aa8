// The nickname and spelling-variant table of given names (own data, written for aegis from
// common English usage; not taken from any list). One line per group, names normalised
// (lower case, no accents); a name may be in several groups ("alex", "chris"). The first name
// of a group stands for it in blocking keys. Extend it by adding lines.
#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "resolve/compare.hpp"

namespace aegis::resolve {

namespace {

constexpr std::string_view kGroups[] = {
    "william will bill billy willie willy liam wills",
    "catherine katherine kathryn katharine catharine kathrine kate katie katy cathy kathy kat kitty",
    "caitlin kaitlyn katelyn caitlyn kaitlin",
    "elizabeth eliza liz lizzie lizzy beth betty libby elsie bess bessie",
    "margaret maggie meg peggy maisie",
    "robert rob robbie bob bobby bert",
    "richard rich richie rick ricky dick",
    "edward ed eddie eddy ted teddy ned",
    "michael mike mikey mick mickey",
    "matthew matt matty",
    "christopher chris kit",
    "christine christina chris tina kirsty kirstie kristy",
    "nicholas nick nicky nico",
    "nicola nicole nikki nicky",
    "john jon johnny jonny jack",
    "jonathan jon jonny",
    "james jim jimmy jamie",
    "joseph joe joey",
    "samuel sam sammy",
    "samantha sam sammy",
    "daniel dan danny",
    "danielle dani",
    "benjamin ben benny",
    "alexander alex alec sandy xander",
    "alexandra alex alexa lexi sandra",
    "anthony tony antony",
    "stephen steven steve stevie",
    "joshua josh",
    "zachary zach zack zak zachariah",
    "nathan nathaniel nate",
    "frederick fred freddie freddy",
    "theodore theo ted",
    "archibald archie",
    "alfred alfie alf",
    "henry harry hal hank",
    "harold harry",
    "charles charlie chas chuck",
    "charlotte charlie lottie lotte",
    "thomas tom tommy",
    "oliver ollie olly",
    "olivia liv livvy livia",
    "rebecca becky becca",
    "jessica jess jessie",
    "abigail abbie abby gail",
    "victoria vicky vikki tori",
    "emily emilie em emmy millie",
    "amelia amelie millie milly",
    "emma em",
    "hannah hanna",
    "sarah sara sally",
    "mary molly polly mae may",
    "ann anne anna annie",
    "jacob jake",
    "lewis louis",
    "louise louisa lou",
    "frances francesca fran frankie",
    "francis frank frankie",
    "grace gracie",
    "lucy lucie",
    "evelyn evie eve eva",
    "amy aimee amie",
    "chloe cloe",
    "megan meghan meg",
    "bethany beth",
    "jennifer jenny jen",
    "patrick paddy pat",
    "peter pete",
    "david dave davey",
    "andrew andy drew",
    "gregory greg",
    "timothy tim timmy",
    "kenneth ken kenny",
    "ronald ron ronnie",
    "leonard leo len lenny",
    "kieran ciaran",
    "connor conor",
    "aidan aiden ayden",
    "jayden jaden jaiden",
    "dylan dillon",
    "rhys reece reese",
    "sean shaun shawn",
    "ian iain",
    "neil neal",
    "philip phillip phil pip",
    "geoffrey jeffrey geoff jeff",
    "isaac izaak",
    "mohammed muhammad mohammad mohamed muhammed mohamad",
    "aisha ayesha aysha",
    "niamh neve neave",
    "freya freja",
    "imogen immy",
    "phoebe pheobe",
    "harriet hattie",
    "susan sue susie suzanne",
    "deborah debbie debra",
    "teresa theresa tess tessa",
    "jacqueline jackie",
    "gabriel gabe",
    "gabriella gabrielle gabby",
    "georgia georgie",
    "george georgie",
    "maximilian max",
    "maxwell max",
    "lily lilly lillie",
    "sophie sophia",
    "isabel isabelle isobel isabella izzy bella",
    "zoe zoey",
    "leah lea",
    "eleanor elinor ellie nell ella",
    "madeleine madeline maddie maddy",
    "jasmine jasmin yasmin",
    "scarlett scarlet",
    "ruby rubie",
    "harvey harvie",
    "stanley stan",
    "reginald reg reggie",
    "albert bert bertie",
    "arthur art artie",
    "edmund ed eddie",
    "ethan ethen",
    "callum calum",
    "cameron camron",
    "jamal jamaal",
    "luke luc",
    "mathew matthew",
    "katrina katrine",
};

// name -> the groups it is in, sorted by name; views into kGroups (static storage).
using VariantTable = std::vector<std::pair<std::string_view, std::vector<std::uint16_t>>>;

const VariantTable& table() {
  static const VariantTable t = [] {
    VariantTable v;
    std::uint16_t g = 0;
    for (std::string_view line : kGroups) {
      std::size_t start = 0;
      while (start < line.size()) {
        std::size_t end = line.find(' ', start);
        if (end == std::string_view::npos) end = line.size();
        v.emplace_back(line.substr(start, end - start), std::vector<std::uint16_t>{g});
        start = end + 1;
      }
      ++g;
    }
    std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    // One entry per name, with all its groups (in group order).
    VariantTable merged;
    for (auto& e : v) {
      if (!merged.empty() && merged.back().first == e.first) {
        merged.back().second.push_back(e.second.front());
      } else {
        merged.push_back(std::move(e));
      }
    }
    return merged;
  }();
  return t;
}

const std::vector<std::uint16_t>* groups_of(std::string_view name) {
  const auto& t = table();
  const auto it = std::lower_bound(t.begin(), t.end(), name,
                                   [](const auto& e, std::string_view n) { return e.first < n; });
  return it != t.end() && it->first == name ? &it->second : nullptr;
}

// The first name of group g.
std::string_view canonical(std::uint16_t g) {
  const std::string_view line = kGroups[g];
  return line.substr(0, line.find(' '));
}

}  // namespace

bool name_variants(std::string_view a, std::string_view b) {
  const auto* ga = groups_of(a);
  const auto* gb = groups_of(b);
  if (!ga || !gb) return false;
  for (std::uint16_t g : *ga) {
    if (std::find(gb->begin(), gb->end(), g) != gb->end()) return true;
  }
  return false;
}

std::string_view canonical_given(std::string_view given) {
  const auto* g = groups_of(given);
  return g ? canonical(g->front()) : given;
}

}  // namespace aegis::resolve
