# Helpers for the import integration tests (test_import_*.py): aegis CSV files (docs/csv-format.md)
# of fictional children, an [[inbox]] table added to an authority's config, and waits on the
# inbox's processed/ and failed/ directories. Python standard library only.
#
# The children are told apart as real ones are: names from the few hundred built-in names of
# scripts/synthetic_people.py (never the optional uk-names directory, so every machine makes
# the same files), dates of birth over 13 years, their own street and postcode in Kent. (Ten
# names and five postcodes made thousands of look-alikes the index could not tell apart.)
import json
import os
import random
import sys

import harness as h

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "scripts"))
import synthetic_people as people  # noqa: E402

HEADER = ("local_id,given_name,family_name,gender,date_of_birth,address_line1,address_line2,"
          "postcode,contact1_given_name,contact1_family_name,contact1_relationship,"
          "contact1_phone1,involvement1_kind,involvement1_organisation,"
          "involvement1_organisation_id,involvement1_start\n")
GIVEN = people.BUILTIN_MALE + people.BUILTIN_FEMALE
FAMILY = people.BUILTIN_SURNAMES
STREETS = ["Orchard Way", "High Street", "Station Road", "Church Lane", "Mill Lane",
           "Park Road", "London Road", "Victoria Road", "The Green", "Manor Road",
           "School Lane", "Queens Road", "New Road", "Kings Road", "Grange Road", "West Street"]
AREAS = ["ME", "CT", "TN", "DA", "BR"]  # Kent's postcode areas


def home(n, version):
    """Child n's address line and postcode in one version of the file (a move per version)."""
    rnd = random.Random(f"home-{n}-{version}")
    line1 = f"{rnd.randint(1, 250)} {rnd.choice(STREETS)}"
    postcode = (f"{rnd.choice(AREAS)}{rnd.randint(1, 20)} {rnd.randint(0, 9)}"
                f"{rnd.choice(people.INWARD_LETTERS)}{rnd.choice(people.INWARD_LETTERS)}")
    return line1, postcode


def csv_row(n, version=0):
    """Child n (local id L-n); a different `version` moves it (another address and postcode)."""
    rnd = random.Random(n)
    female = rnd.random() < 0.5
    given = rnd.choice(people.BUILTIN_FEMALE if female else people.BUILTIN_MALE)
    family = rnd.choice(FAMILY)
    dob = f"{rnd.randint(2009, 2021)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
    line1, postcode = home(n, version)
    return (f"L-{n},{given},{family},{'F' if female else 'M'},{dob},{line1},Maidstone,"
            f"{postcode},Claire,{family},PAM,07700 900{n % 1000:03d},educational_setting,"
            f"Orchard Primary,8231234,2019-09-04\n")


def csv_text(ids, version=0):
    return HEADER + "".join(csv_row(n, version) for n in ids)


def write_csv(path, ids, version=0):
    with open(path, "w") as f:
        f.write(csv_text(ids, version))
    return path


def drop(inbox, name, text):
    """Writes the file the documented way: a temporary name in the inbox, then a rename."""
    tmp = os.path.join(inbox, f".{name}.part")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(inbox, name))
    return os.path.join(inbox, name)


def add_inbox(authority, name="csv", fmt="csv", stable_ms=300, mapping=None):
    """Appends an [[inbox]] table to the authority's config; returns the directory (created)."""
    inbox = os.path.join(authority.dir, "inbox", name)
    os.makedirs(inbox, exist_ok=True)
    lines = ["", "[[inbox]]", f'dir = "inbox/{name}"', f'format = "{fmt}"',
             f"stable_ms = {stable_ms}"]
    if mapping:
        lines.append(f'mapping = "{mapping}"')
    with open(authority.config, "a") as f:
        f.write("\n".join(lines) + "\n")
    return inbox


def wait_report(inbox, name, where="processed", timeout=h.SYNC_TIMEOUT):
    """Waits for <inbox>/<where>/<name>.report.json; returns it parsed."""
    path = os.path.join(inbox, where, name + ".report.json")

    def ready():
        if not os.path.exists(path) or not os.path.exists(os.path.join(inbox, where, name)):
            return None
        with open(path) as f:
            return json.load(f)

    return h.wait_until(ready, timeout, f"{where}/{name}.report.json")


def csv_ids(ids):
    return {f"csv:L-{n}" for n in ids}


def index_record_ids(c, authority):
    """Live record ids the index holds for one authority."""
    return set(c.index.national_ids(authority))
