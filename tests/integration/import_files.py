# Helpers for the import integration tests (test_import_*.py): aegis CSV files (docs/csv-format.md)
# of fictional children, an [[inbox]] table added to an authority's config, and waits on the
# inbox's processed/ and failed/ directories. Python standard library only.
import json
import os
import random

import harness as h

HEADER = ("local_id,given_name,family_name,gender,date_of_birth,address_line1,address_line2,"
          "postcode,contact1_given_name,contact1_family_name,contact1_relationship,"
          "contact1_phone1,involvement1_kind,involvement1_organisation,"
          "involvement1_organisation_id,involvement1_start\n")
GIVEN = ["Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Leo", "Grace", "Alfie"]
FAMILY = ["Hartley", "Okafor", "Patel", "Nowak", "Evans", "Khan", "Murphy", "Clarke"]
POSTCODES = ["ME14 1XX", "ME15 6AA", "CT1 2AB", "TN23 1AB", "DA1 1AA"]


def csv_row(n, version=0):
    """Child n (local id L-n); a different `version` changes its postcode."""
    rnd = random.Random(n)
    dob = f"{rnd.randint(2009, 2021)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
    postcode = POSTCODES[(n + version) % len(POSTCODES)]
    return (f"L-{n},{GIVEN[n % len(GIVEN)]},{FAMILY[n % len(FAMILY)]},{'FM'[n % 2]},{dob},"
            f"{n} Orchard Way,Maidstone,{postcode},Claire,{FAMILY[n % len(FAMILY)]},PAM,"
            f"07700 900{n % 1000:03d},educational_setting,Orchard Primary,8231234,2019-09-04\n")


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
