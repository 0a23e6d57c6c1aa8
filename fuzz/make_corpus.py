#!/usr/bin/env python3
"""Regenerates the seed corpora in fuzz/corpus/<target>/ (docs/RELIABILITY.md) from the
project's own test vectors and test files: valid examples, plus a few small invalid ones so
each decoder's error paths are reached from the start. Run from anywhere; rewrites the folders
but keeps the regression-* seeds.
"""
import json
import pathlib
import re
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
MAX_SEED = 8192  # bytes: small seeds keep runs fast (libFuzzer's max_len follows the largest)
MAX_INVALID = 12  # invalid vectors per target


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]


def write(target, name, data):
    if len(data) > MAX_SEED:
        return
    (CORPUS / target / name).write_bytes(data)


def vectors(target, file, key, prefix, kind=None):
    """The cases of a vector file (those whose "object" is `kind`, when given)."""
    cases = json.loads((ROOT / "protocol" / "vectors" / file).read_text())["cases"]
    cases = [c for c in cases if kind is None or c["object"] == kind]
    taken = 0
    for i, case in enumerate(cases):
        data = bytes.fromhex(case[key])
        if prefix == "invalid":
            if not data or len(data) > MAX_SEED or taken == MAX_INVALID:
                continue
            taken += 1
        write(target, f"{prefix}-{i:02d}-{slug(case['name'])}", data)


def files(target, folder, pattern):
    for f in sorted((ROOT / folder).glob(pattern)):
        if f.stat().st_size:
            write(target, f.name, f.read_bytes())


CSV_AEGIS = (
    "local_id,given_name,middle_name,family_name,gender,date_of_birth,upn,uln,nhs_number,"
    "address_line1,postcode,contact1_given_name,contact1_family_name,contact1_relationship,"
    "contact1_parental_responsibility,contact1_phone1,involvement1_kind,"
    "involvement1_organisation,involvement1_start,involvement1_lead_professional\n"
    'L-1,Amira,Jane,Khan,F,2015-03-02,B801200005001,1234567899,943 476 5919,"1 High Street, '
    'Flat ""2""",LS1 4AP,Sara,Khan,PAM,Y,0113 496 0000,educational_setting,Leeds Primary,'
    "2019-09-01,1\n"
    "L-2,Tom,,Smith,M,2030-01-01,C801200005001,,,,,,,,,,,,,\n"
)


def main():
    # Regression seeds (inputs a run once found, named regression-*) are kept; the rest is
    # written again.
    kept = {f: f.read_bytes() for f in CORPUS.glob("*/regression-*")}
    shutil.rmtree(CORPUS, ignore_errors=True)
    for t in ["envelope", "sync_message", "feed_item", "query_message", "ctf", "cin", "csv",
              "config"]:
        (CORPUS / t).mkdir(parents=True)
    vectors("envelope", "valid_envelope.json", "wire_hex", "valid")
    vectors("envelope", "invalid_envelope.json", "wire_hex", "invalid")
    vectors("sync_message", "valid_sync.json", "message_hex", "valid")
    vectors("sync_message", "invalid_sync.json", "message_hex", "invalid")
    vectors("feed_item", "valid_feed.json", "wire_hex", "valid")
    vectors("feed_item", "invalid_feed.json", "wire_hex", "invalid")
    vectors("query_message", "valid_query.json", "hex", "valid", "query_message")
    vectors("query_message", "invalid_query.json", "hex", "invalid", "query_message")
    files("ctf", "tests/data/ctf", "*.xml")
    files("cin", "tests/data/cin", "*.xml")
    files("csv", "tests/data/febrl", "*.csv")
    write("csv", "aegis-columns.csv", CSV_AEGIS.encode())
    files("config", "packaging", "*.toml")
    write("config", "authority-inbox.toml", (ROOT / "fuzz" / "seed-authority.toml").read_bytes())
    for f, data in kept.items():
        f.write_bytes(data)
    for t in sorted(CORPUS.iterdir()):
        print(f"{t.name}: {len(list(t.iterdir()))} seeds")


if __name__ == "__main__":
    main()
