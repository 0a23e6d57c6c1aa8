#!/usr/bin/env python3
"""Writes synthetic English children spread over several local authorities, some known in two,
with the errors real records carry, and the ground truth: the input of the resolution quality
and scale benchmarks (docs/resolution.md, "Evaluation"). Standard library only; deterministic
for a given --seed.

  scripts/make-children.py --children 100000 --authorities 150 --two-area 0.05 --out DIR

DIR/<authority>.csv   one file per authority, aegis CSV format (docs/csv-format.md)
DIR/truth.csv         authority_id,local_id,person_id: which records are the same child
DIR/summary.json      counts: children, records, twins, and each kind of corruption applied

What a child is: a forename and family name (names from ../shared/data/uk-names when present,
else small built-in lists), sometimes a middle name, gender, a date of birth 0-17 years before
--date, an address and a real-format postcode, an NHS number (most), a UPN (most of school age),
a ULN (some of 14 and over); all identifiers carry correct check characters.
Hard cases generated on purpose: twins (same family name, date of birth and address, different
forenames, own identifiers) and siblings (same address and family name).

A child known in a second authority gets a second record there, and that record is corrupted
the way a second system's copy is: moved house, missing identifiers, typos in names (one edit),
a nickname or spelling variant of the forename, forename and surname swapped, date of birth
with day and month transposed or one part wrong, a changed surname (the old one kept as a
former name), gender not recorded, middle name dropped. Local ids never reveal the person.
"""
import argparse
import csv
import datetime
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic_people import Names, make_nhs_number, make_uln, make_upn  # noqa: E402

# Forename variants a second system may hold (this generator's own list, kept independent of
# the matching engine's table so the evaluation does not test the engine against itself).
VARIANTS = {
    "William": ["Will", "Bill", "Billy", "Liam"], "Thomas": ["Tom", "Tommy"],
    "James": ["Jim", "Jamie", "Jimmy"], "Robert": ["Rob", "Bob", "Bobby"],
    "Richard": ["Rich", "Rick", "Dick"], "Alexander": ["Alex", "Sandy"],
    "Christopher": ["Chris"], "Daniel": ["Dan", "Danny"], "Edward": ["Ed", "Ted", "Eddie"],
    "Joseph": ["Joe", "Joey"], "Matthew": ["Matt"], "Michael": ["Mike", "Mick", "Mikey"],
    "Nicholas": ["Nick", "Nicky"], "Samuel": ["Sam", "Sammy"], "Benjamin": ["Ben", "Benny"],
    "Jonathan": ["Jon", "Jonny"], "Anthony": ["Tony"], "Charles": ["Charlie", "Chas"],
    "Henry": ["Harry", "Hal"], "Oliver": ["Ollie"], "Frederick": ["Fred", "Freddie"],
    "Elizabeth": ["Liz", "Beth", "Lizzie", "Betty"], "Katherine": ["Kate", "Katie", "Kathy"],
    "Catherine": ["Cathy", "Kate", "Katie"], "Margaret": ["Maggie", "Meg", "Peggy"],
    "Rebecca": ["Becky", "Becca"], "Jennifer": ["Jenny", "Jen"], "Victoria": ["Vicky", "Tori"],
    "Charlotte": ["Lottie", "Charlie"], "Abigail": ["Abby", "Abbie"], "Samantha": ["Sam"],
    "Jessica": ["Jess", "Jessie"], "Eleanor": ["Ellie", "Nell"], "Susan": ["Sue", "Susie"],
    "Deborah": ["Debbie", "Deb"], "Alexandra": ["Alex", "Lexi"], "Isabella": ["Bella", "Izzy"],
    "Amelia": ["Millie", "Amy"], "Sophie": ["Sophia"], "Zoe": ["Zoey"], "Mohammed": ["Muhammad",
    "Mohammad"], "Muhammad": ["Mohammed", "Mohammad"], "Stephen": ["Steven", "Steve"],
    "Steven": ["Stephen", "Steve"], "Philip": ["Phillip", "Phil"], "Sarah": ["Sara"],
    "Lewis": ["Louis"], "Aimee": ["Amy"], "Leah": ["Lea"], "Hannah": ["Hanna"],
}
STREETS = ["High", "Church", "Station", "Victoria", "Park", "Green", "Manor", "Mill", "School",
           "Queens", "Kings", "New", "Grange", "Windsor", "Albert", "Springfield", "Orchard",
           "Meadow", "Chestnut", "Oak", "Beech", "Elm", "Willow", "Cedar", "York", "London"]
STREET_KINDS = ["Street", "Road", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent", "Grove"]
TOWNS = ["Maidstone", "Leeds", "Bradford", "Sheffield", "Manchester", "Salford", "Bolton",
         "Wigan", "Leicester", "Derby", "Nottingham", "Bristol", "Bath", "Exeter", "Plymouth",
         "Norwich", "Ipswich", "Reading", "Slough", "Luton", "Croydon", "Ealing", "Hackney"]
COLUMNS = ["local_id", "given_name", "middle_name", "family_name", "gender", "date_of_birth",
           "former1_family_name", "upn", "uln", "nhs_number", "address_line1",
           "address_line2", "postcode"]
LETTERS = "abcdefghijklmnopqrstuvwxyz"


class Child:
    __slots__ = ("person", "female", "given", "middle", "family", "dob", "upn", "uln", "nhs",
                 "line1", "town", "postcode", "home")


class Maker:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.names = Names(self.rng, args.names)
        self.today = datetime.date.fromisoformat(args.date)
        self.authorities = ["la-%03d" % (k + 1) for k in range(args.authorities)]
        self.counts = {}
        self.next_local = [0] * args.authorities

    def count(self, what):
        self.counts[what] = self.counts.get(what, 0) + 1

    def address(self):
        r = self.rng
        return ("%d %s %s" % (r.randint(1, 250), r.choice(STREETS), r.choice(STREET_KINDS)),
                r.choice(TOWNS), self.names.postcode())

    def child(self, person, home, like=None, twin=False):
        """A new child; `like` a sibling (twin: same date of birth) sharing family and home."""
        r = self.rng
        c = Child()
        c.person, c.home = person, home
        c.female = r.random() < 0.5
        c.given = self.names.forename(c.female)
        while like is not None and c.given == like.given:
            c.given = self.names.forename(c.female)
        c.middle = self.names.forename(c.female) if r.random() < 0.4 else ""
        if like is not None:
            c.family, c.line1, c.town, c.postcode = like.family, like.line1, like.town, like.postcode
        else:
            c.family = self.names.surname()
            c.line1, c.town, c.postcode = self.address()
        if twin:
            c.dob = like.dob
        else:
            c.dob = self.today - datetime.timedelta(days=r.randint(0, 17 * 365))
        age_years = (self.today - c.dob).days // 365
        c.nhs = make_nhs_number(person) if r.random() < 0.92 else None
        c.upn = (make_upn("%03d" % (201 + home % 700), person)
                 if age_years >= 4 and r.random() < 0.9 else None)
        c.uln = make_uln(person) if age_years >= 14 and r.random() < 0.5 else None
        return c

    def typo(self, word):
        r = self.rng
        if len(word) < 3:
            return word
        i = r.randrange(1, len(word))
        kind = r.randrange(4)
        if kind == 0:
            return word[:i] + r.choice(LETTERS) + word[i + 1:]
        if kind == 1:
            return word[:i] + word[i + 1:]
        if kind == 2:
            return word[:i] + r.choice(LETTERS) + word[i:]
        if i + 1 < len(word):
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
        return word[:i - 1] + word[i] + word[i - 1]

    def dob_error(self, dob):
        r = self.rng
        if dob.day <= 12 and dob.day != dob.month and r.random() < 0.5:
            swapped = dob.replace(month=dob.day, day=dob.month)
            if swapped <= self.today:
                self.count("dob_transposed")
                return swapped
        for _ in range(10):
            try:
                part = r.randrange(3)
                if part == 0:
                    wrong = dob.replace(day=r.randint(1, 28))
                elif part == 1:
                    wrong = dob.replace(month=r.randint(1, 12))
                else:
                    wrong = dob.replace(year=dob.year + r.choice((-1, 1)))
            except ValueError:
                continue
            if wrong != dob and wrong <= self.today and (self.today - wrong).days < 25 * 365:
                self.count("dob_one_part")
                return wrong
        return dob

    def row(self, c, authority, corrupt):
        r = self.rng
        k = self.authorities.index(authority) if corrupt else c.home
        self.next_local[k] += 1
        local_id = "r%07d" % self.next_local[k]
        given, middle, family, former = c.given, c.middle, c.family, ""
        gender = "F" if c.female else "M"
        dob, line1, town, postcode = c.dob, c.line1, c.town, c.postcode
        nhs, upn, uln = c.nhs, c.upn, c.uln
        if corrupt:
            if r.random() < 0.6:
                line1, town, postcode = self.address()
                self.count("moved_house")
            if nhs and r.random() < 0.3:
                nhs = None
                self.count("nhs_missing")
            if upn and r.random() < 0.3:
                upn = None
                self.count("upn_missing")
            if uln and r.random() < 0.3:
                uln = None
            if r.random() < 0.08 and given in VARIANTS:
                given = r.choice(VARIANTS[given])
                self.count("nickname")
            if r.random() < 0.1:
                given = self.typo(given)
                self.count("given_typo")
            if r.random() < 0.1:
                family = self.typo(family)
                self.count("family_typo")
            if r.random() < 0.03:
                former, family = family, self.names.surname()
                self.count("surname_changed")
            if r.random() < 0.02:
                given, family = family, given
                self.count("names_swapped")
            if r.random() < 0.06:
                dob = self.dob_error(dob)
            if r.random() < 0.05:
                gender = "U"
                self.count("gender_unknown")
            if middle and r.random() < 0.3:
                middle = ""
        return authority, local_id, [local_id, given, middle, family, gender, dob.isoformat(),
                                     former, upn or "", uln or "", nhs or "", line1, town,
                                     postcode]

    def run(self):
        a = self.args
        os.makedirs(a.out, exist_ok=True)
        files = {}
        writers = {}
        for name in self.authorities:
            f = open(os.path.join(a.out, name + ".csv"), "w", newline="", encoding="utf-8")
            files[name] = f
            writers[name] = csv.writer(f, lineterminator="\n")
            writers[name].writerow(COLUMNS)
        truth = open(os.path.join(a.out, "truth.csv"), "w", newline="", encoding="utf-8")
        truth_writer = csv.writer(truth, lineterminator="\n")
        truth_writer.writerow(["authority_id", "local_id", "person_id"])
        r = self.rng
        person = 0
        previous = None
        records = 0
        while person < a.children:
            kin = r.random() if previous is not None else 1.0
            twin, sibling = kin < 0.02, 0.02 <= kin < 0.12
            home = previous.home if twin or sibling else r.randrange(len(self.authorities))
            c = self.child(person, home, like=previous if (twin or sibling) else None, twin=twin)
            self.count("twins" if twin else "siblings" if sibling else "children_alone")
            authority = self.authorities[home]
            auth, local_id, fields = self.row(c, authority, corrupt=False)
            writers[auth].writerow(fields)
            truth_writer.writerow([auth, local_id, "p%d" % person])
            records += 1
            if r.random() < a.two_area and len(self.authorities) > 1:
                other = self.authorities[(home + r.randrange(1, len(self.authorities)))
                                         % len(self.authorities)]
                auth, local_id, fields = self.row(c, other, corrupt=True)
                writers[auth].writerow(fields)
                truth_writer.writerow([auth, local_id, "p%d" % person])
                records += 1
                self.count("known_in_two_areas")
            previous = c
            person += 1
        for f in files.values():
            f.close()
        truth.close()
        summary = {"children": a.children, "records": records,
                   "authorities": len(self.authorities), "seed": a.seed, "date": a.date,
                   "names": self.names.source, "counts": dict(sorted(self.counts.items()))}
        with open(os.path.join(a.out, "summary.json"), "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")
        return summary


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--children", type=int, default=1000)
    p.add_argument("--authorities", type=int, default=5)
    p.add_argument("--two-area", type=float, default=0.05,
                   help="fraction of children with a record in a second authority")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--date", default=datetime.date.today().isoformat(),
                   help="the day the records are as of (dates of birth are before it)")
    p.add_argument("--names", help="names directory (default: ../shared/data/uk-names beside "
                   "the checkout, or $AEGIS_NAMES_DIR, else built-in lists)")
    p.add_argument("--out", required=True, help="directory to write")
    args = p.parse_args()
    if not 0 <= args.children <= 50_000_000:
        p.error("--children must be 0..50,000,000")
    if not 1 <= args.authorities <= 999:
        p.error("--authorities must be 1..999")
    if not 0.0 <= args.two_area <= 1.0:
        p.error("--two-area must be a fraction 0..1")
    try:
        datetime.date.fromisoformat(args.date)
    except ValueError:
        p.error("--date must be YYYY-MM-DD")
    summary = Maker(args).run()
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
