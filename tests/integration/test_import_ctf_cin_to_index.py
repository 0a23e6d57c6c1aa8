#!/usr/bin/env python3
# import_ctf_cin_to_index: one authority with two inboxes, a school's Common Transfer Files and
# the social care system's Children in Need census. A full CTF lands every pupil at the index;
# the next full CTF from that school, which no longer lists 20 of them, ends those children's
# setting at the school (they are kept) and changes nothing else; a partial CTF says nothing
# about the children it does not list. The CIN census lands its children as cin: records.
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import import_files as imp  # noqa: E402

MAKE_CTF = os.path.join(h.SOURCE_DIR, "scripts", "make-ctf.py")
CIN_GOOD = os.path.join(h.SOURCE_DIR, "tests", "data", "cin", "good.xml")


def make_ctf(c, name, pupils, date, qualifier="full"):
    """The first `pupils` pupils of one synthetic school (the same children for the same date:
    make-ctf.py derives dates of birth from it)."""
    path = os.path.join(c.dir, name)
    h.run_cmd([sys.executable, MAKE_CTF, "--pupils", str(pupils), "--seed", "3", "--lea", "823",
               "--estab", "4001", "--date", date, "--qualifier", qualifier, "--output", path])
    with open(path) as f:
        return f.read()


def drop_and_wait(inbox, name, text):
    imp.drop(inbox, name, text)
    report = imp.wait_report(inbox, name)
    h.check(report["outcome"] == "imported", f"{name}: {report}")
    return report


def ended_settings(kent):
    """Record ids whose school involvement has an end date, read back through the CLI."""
    ended = set()
    for rid in sorted(kent.record_ids()):
        if not rid.startswith("ctf:"):
            continue
        record = json.loads(kent.aegis("--json", "record", "show", rid).stdout)["record"]
        if any(i.get("end") for i in record["details"]["involvements"]):
            ended.add(rid)
    return ended


def test(c):
    kent = c.authority("kent")
    ctf_inbox = imp.add_inbox(kent, name="sims", fmt="ctf", stable_ms=200)
    cin_inbox = imp.add_inbox(kent, name="cin", fmt="cin", stable_ms=200)
    c.start_all()

    autumn = drop_and_wait(ctf_inbox, "autumn.xml",
                           make_ctf(c, "a.xml", 120, "2024-02-01T10:30:00"))
    h.check(autumn["records"] == 120 and autumn["left_roll"] == 0, f"autumn: {autumn}")
    h.check(autumn["source"], "no source in the report")
    c.wait_synced(["kent"])
    pupils = {r for r in imp.index_record_ids(c, "kent") if r.startswith("ctf:")}
    h.check(len(pupils) == 120, f"{len(pupils)} pupils at the index")

    spring = drop_and_wait(ctf_inbox, "spring.xml",
                           make_ctf(c, "b.xml", 100, "2024-02-01T10:30:00"))
    h.check(spring["records"] == 100 and spring["unchanged"] == 100, f"spring: {spring}")
    h.check(spring["left_roll"] == 20 and spring["changed"] == 20, f"spring: {spring}")
    left = ended_settings(kent)
    h.check(len(left) == 20, f"{len(left)} settings ended")
    h.check(len(kent.record_ids()) == 120, "children who left were removed")

    partial = drop_and_wait(ctf_inbox, "partial.xml",
                            make_ctf(c, "c.xml", 10, "2024-02-01T10:30:00", "partial"))
    h.check(partial["changed"] == 0 and partial["left_roll"] == 0, f"partial: {partial}")

    with open(CIN_GOOD) as f:
        census = drop_and_wait(cin_inbox, "census.xml", f.read())
    h.check(census["records"] == 3 and census["format"] == "cin", f"census: {census}")
    c.wait_synced(["kent"])
    at_index = imp.index_record_ids(c, "kent")
    h.check({r for r in at_index if r.startswith("cin:")} == {r for r in kent.record_ids()
                                                              if r.startswith("cin:")},
            "cin records differ")
    h.check(len(at_index) == 123, f"{len(at_index)} records at the index")
    c.check_exactly_once(["kent"])
    h.check(kent.outbox_tail() == 120 + 20 + 3, f"outbox tail {kent.outbox_tail()}")


if __name__ == "__main__":
    h.run("import_ctf_cin_to_index", test, authorities=["kent"])
