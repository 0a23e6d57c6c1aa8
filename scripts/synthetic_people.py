"""Shared pieces of aegis's synthetic test-data generators (make-ctf.py, make-children.py):
UK name lists, identifiers with correct check characters, postcodes. Standard library only.

Names come from ../shared/data/uk-names (ONS-derived lists, see its README) when a directory is
given or that default exists; otherwise from the small built-in lists below (a user's clone has
no shared data), and `Names.source` says which.
"""
import csv
import os

DEFAULT_NAMES = os.environ.get("AEGIS_NAMES_DIR") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data",
                 "uk-names"))
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # value order A=0 .. Z=22; no I, O, S
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # postcode inward letters never C I K M O V

# Used when no names directory is available (and by the integration tests, which must not
# depend on one): common English forenames and surnames, a few hundred, so that distinct
# children are told apart as in real data. Own lists, written from common usage.
BUILTIN_MALE = """
Oliver George Harry Jack Jacob Noah Charlie Muhammad Thomas Oscar William James Alfie Henry
Joshua Archie Ethan Isaac Joseph Samuel Daniel Logan Edward Mason Lucas Benjamin Adam Theo
Dylan Reuben Frederick Harrison Arthur Toby Elijah Sebastian Hugo Finley Alexander Tommy Louie
Jenson Riley Albert Stanley Arlo Rory Ronnie Bobby Jude Hunter Caleb Elliot Frankie Tyler
Zachary Michael Matthew Gabriel Nathan Kian Blake Harvey Ellis Kyle Louis Aaron Connor Callum
Cameron Declan Dominic Douglas Duncan Fraser Gregory Hamish Ibrahim Jasper Jayden Kieran
Lewis Luca Marcus Maxwell Nathaniel Owen Patrick Ralph Rowan Rufus Sonny Spencer Tristan
Vincent Yusuf Zain Ashton Bradley Bailey Curtis Dexter Ewan Felix Gideon Hayden Jensen Kaden
""".split()
BUILTIN_FEMALE = """
Olivia Amelia Isla Emily Isabella Poppy Ella Lily Sophie Grace Evie Freya Ruby Chloe Jessica
Sophia Charlotte Florence Daisy Alice Phoebe Matilda Imani Harper Sienna Willow Evelyn Elsie
Rosie Scarlett Imogen Millie Eliza Esme Maisie Darcy Violet Martha Penelope Aurora Hallie
Layla Emilia Bella Maya Lucy Holly Erin Megan Hannah Lauren Abigail Amber Beatrice Bethany
Caitlin Clara Eleanor Elodie Fatima Georgia Gracie Harriet Heidi Iris Jasmine Katie Leah
Lola Lydia Madison Maryam Molly Naomi Nancy Niamh Paige Pippa Primrose Rebecca Robyn Rosalie
Sadie Sarah Serena Skye Summer Tilly Verity Victoria Wren Zara Aisha Annabel Bonnie Cora
Delilah Edith Ffion Gemma Hazel Jemima Kayla Lilian Marnie Nadia Orla Rhiannon Seren Thea
""".split()
BUILTIN_SURNAMES = """
Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson
Wright Walker White Edwards Hughes Green Hall O'Brien Patel Wood Harris Lewis Martin Jackson
Clarke Clark Turner Hill Scott Cooper Morris Ward Moore King Watson Baker Harrison Morgan
Young Allen Mitchell James Anderson Phillips Leigh Bell Parker Davis Kelly Bennett Miller Cook
Shaw Griffiths Richardson Carter Marshall Collins Simpson Murphy Bailey Campbell Stewart
Graham Chapman Adams Mason Russell Ellis Webb Powell Rogers Khan Hunt Holmes Mills Owen Palmer
Matthews Reynolds Lloyd Fisher Barnes Knight Harvey Butler Barker Jenkins Stevens Pearson
Fletcher Dixon Gibson Howard Foxall Andrews Kennedy Wells Payne Grant Hussain Lawrence Dawson
Atkinson Ferguson Hartley Okafor Nowak Ahmed Begum Singh Kaur Akhtar Rahman Chowdhury Osei
Mensah Adeyemi Kowalski Novak Santos Silva Costa Ferreira Murray Burns Gordon Hamilton
Henderson Armstrong Berry Boyd Bradley Burton Chambers Cole Cunningham Dunn Elliott Ford
Foster Gardner Gray Hart Hayes Hudson Hunter Jordan Lane Lambert Lawson Marsh Miles Newman
Nicholson Norris Osborne Page Pearce Porter Price Quinn Rees Reid Riley Rose Saunders Sharp
Sutton Tucker Wade Walsh Warren Watts Weston Whitehead Wilkinson Willis Woods Yates Booth
Brennan Doyle Farrell Gallagher Hogan Kavanagh Lynch McCarthy McDonald Nolan Regan Sheridan
""".split()
BUILTIN_AREAS = ["B", "BS", "CB", "E", "G", "L", "LS", "M", "ME", "N", "NE", "OX", "S", "SW",
                 "TN", "W"]


def upn_check_letter(body12):
    """The check letter for the 12 characters after it (DfE UPN guide)."""
    total = 0
    for k, c in enumerate(body12, start=2):
        total += (int(c) if c.isdigit() else UPN_LETTERS.index(c)) * k
    return UPN_LETTERS[total % 23]


def make_upn(lea, i):
    """A permanent UPN unique for each i < 135,000,000: LA, allocating school, year, serial."""
    serial = i % 1000
    year = 10 + (i // 1000) % 15
    estab = 1000 + i // 15000
    body = "%s%04d%02d%03d" % (lea, estab, year, serial)
    return upn_check_letter(body) + body


def make_uln(i):
    """A ULN unique for each i, or None when this number can carry no check digit."""
    body = "%09d" % (100000000 + i * 7)
    remainder = sum(int(d) * w for d, w in zip(body, range(10, 1, -1))) % 11
    if remainder == 0:
        return None
    return body + str(10 - remainder)


def make_nhs_number(i):
    """An NHS number (modulus 11) unique for each i, or None when this body has no valid check
    digit (about 1 in 11)."""
    body = "%09d" % (400000000 + i * 3)
    check = 11 - sum(int(d) * w for d, w in zip(body, range(10, 1, -1))) % 11
    if check == 10:
        return None
    return body + str(0 if check == 11 else check)


def read_names(directory):
    def column(name):
        with open(os.path.join(directory, name), newline="", encoding="utf-8") as f:
            return [row for row in csv.DictReader(f)]
    male = [r["name"] for r in column("first_names_male.csv")]
    female = [r["name"] for r in column("first_names_female.csv")]
    surname_rows = column("last_names.csv")
    surnames = [r["name"] for r in surname_rows]
    weights = [float(r.get("weight") or 1) for r in surname_rows]
    with open(os.path.join(directory, "uk_postcode_areas.txt"), encoding="utf-8") as f:
        areas = [line.strip() for line in f if line.strip()]
    return male, female, surnames, weights, areas


class Names:
    """Forenames, weighted surnames and postcode areas, from a directory or the built-ins."""

    def __init__(self, rng, directory=None):
        self.rng = rng
        if directory is None and os.path.isdir(DEFAULT_NAMES):
            directory = DEFAULT_NAMES
        if directory:
            self.male, self.female, self.surnames, weights, self.areas = read_names(directory)
            self.source = directory
        else:
            self.male, self.female, self.surnames = BUILTIN_MALE, BUILTIN_FEMALE, BUILTIN_SURNAMES
            weights, self.areas = [1.0] * len(BUILTIN_SURNAMES), BUILTIN_AREAS
            self.source = "built-in lists (no uk-names directory found)"
        self.cum_weights = []
        total = 0.0
        for w in weights:
            total += w
            self.cum_weights.append(total)

    def surname(self):
        return self.rng.choices(self.surnames, cum_weights=self.cum_weights)[0]

    def forename(self, female):
        return self.rng.choice(self.female if female else self.male)

    def postcode(self):
        r = self.rng
        area = r.choice(self.areas)
        district = str(r.randint(1, 9)) if r.random() < 0.5 else str(r.randint(10, 29))
        return "%s%s %d%s%s" % (area, district, r.randint(0, 9), r.choice(INWARD_LETTERS),
                                r.choice(INWARD_LETTERS))
