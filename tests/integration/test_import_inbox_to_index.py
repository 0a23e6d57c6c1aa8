#!/usr/bin/env python3
# import_inbox_to_index: a CSV file dropped into an authority's inbox (written under a temporary
# name, then renamed) is imported in one transaction, moved to processed/ with its report, and
# every record arrives at the index with a national id back. Then: an updated file changes
# exactly the changed children; the same file again changes nothing; a broken file goes to
# failed/ with nothing imported; `aegis import` by hand does what the inbox does, leaving the
# file where it is; the log names files and counts, never a child.
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import import_files as imp  # noqa: E402

FIRST = range(1, 301)


def test(c):
    kent = c.authority("kent")
    inbox = imp.add_inbox(kent)
    c.start_all()
    h.wait_until(lambda: (kent.status() or {}).get("inbox"), h.START_TIMEOUT, "inbox in status")

    imp.drop(inbox, "roll-1.csv", imp.csv_text(FIRST))
    report = imp.wait_report(inbox, "roll-1.csv")
    h.check(report["outcome"] == "imported", f"report: {report}")
    h.check(report["records"] == 300 and report["changed"] == 300, f"report: {report}")
    h.check(report["first_seq"] == 1 and report["last_seq"] == 300, f"report: {report}")
    h.check(not os.path.exists(os.path.join(inbox, "roll-1.csv")), "file still in the inbox")
    c.wait_synced(["kent"])
    h.check(imp.index_record_ids(c, "kent") == imp.csv_ids(FIRST), "index records differ")
    c.check_national_ids(["kent"])
    h.check(kent.status()["inbox"]["imported"] == 1, "status inbox.imported")

    # An update: 10 children move (postcode), 5 join; the other 290 are not sent again.
    moved = set(range(1, 11))
    text = imp.HEADER + "".join(imp.csv_row(n, 1 if n in moved else 0) for n in range(1, 306))
    imp.drop(inbox, "roll-2.csv", text)
    report = imp.wait_report(inbox, "roll-2.csv")
    h.check(report["changed"] == 15 and report["unchanged"] == 290, f"report: {report}")
    c.wait_synced(["kent"])
    h.check(kent.outbox_tail() == 315, f"outbox tail {kent.outbox_tail()}")
    h.check(len(imp.index_record_ids(c, "kent")) == 305, "index does not hold 305 records")

    # The same bytes again under another name: nothing changes, the report says so.
    imp.drop(inbox, "roll-2-again.csv", text)
    report = imp.wait_report(inbox, "roll-2-again.csv")
    h.check(report["changed"] == 0, f"report: {report}")
    h.check(report["previous_import"]["file"] == "roll-2.csv", f"report: {report}")
    h.check(kent.outbox_tail() == 315, "a re-import appended envelopes")

    # A broken file: rejected whole to failed/, nothing imported.
    imp.drop(inbox, "broken.csv", imp.csv_text(range(400, 450)) + 'L-999,"unterminated\n')
    report = imp.wait_report(inbox, "broken.csv", where="failed")
    h.check(report["outcome"] == "rejected" and report["error"]["line"] > 0, f"report: {report}")
    h.check(kent.outbox_tail() == 315, "a rejected file appended envelopes")

    # By hand: the same transaction, the file stays where it is.
    by_hand = imp.write_csv(os.path.join(c.dir, "by-hand.csv"), range(500, 520))
    r = kent.aegis("--json", "import", by_hand, "--format", "csv")
    doc = json.loads(r.stdout)
    h.check(doc["outcome"] == "imported" and doc["changed"] == 20, f"aegis import: {doc}")
    h.check(os.path.exists(by_hand), "aegis import moved the file")
    again = kent.aegis("import", by_hand, "--format", "csv").stdout
    h.check("20 records, 0 changed, 0 quarantined" in again, f"aegis import again: {again!r}")
    mixed = os.path.join(c.dir, "mixed.csv")
    with open(mixed, "w") as f:
        f.write(imp.csv_text([600]) + imp.csv_row(601).replace("Maidstone,", "Maidstone,ZZ9") +
                imp.csv_row(602).replace("2019-09-04", "2099-09-04"))
    out = kent.aegis("import", mixed, "--format", "csv").stdout
    h.check("1 records, 1 changed, 2 quarantined" in out, f"aegis import mixed: {out!r}")
    h.check("quarantined line 3 postcode (csv:L-601)" in out, f"aegis import mixed: {out!r}")
    h.check("quarantined line 4" in out, f"aegis import mixed: {out!r}")
    h.check("ZZ9" not in out and "2099" not in out, f"aegis import mixed: {out!r}")
    bad = kent.aegis("import", by_hand, "--format", "ctf", check_rc=False)
    h.check(bad.returncode == 1 and "rejected" in bad.stderr, f"ctf import of a csv: {bad}")
    # A wrong command line is refused before anything is read, with exit 2 and its reason.
    tail = kent.outbox_tail()
    for args, why in ((["--format", "xml"], "--format: xml not in"),
                      (["--format", "ctf", "--mapping", "febrl"], "only for --format csv"),
                      (["--format", "csv", "--mapping", "latin"], "--mapping: latin not in")):
        r = kent.aegis("import", by_hand, *args, check_rc=False)
        h.check(r.returncode == 2 and why in r.stderr, f"aegis import {args}: {r}")
    gone = kent.aegis("import", os.path.join(c.dir, "no-such.csv"), "--format", "csv",
                      check_rc=False)
    h.check(gone.returncode == 1 and "no-such.csv" in gone.stderr, f"missing file: {gone}")
    h.check(kent.outbox_tail() == tail, "a refused command line appended envelopes")
    c.wait_synced(["kent"])
    h.check(imp.index_record_ids(c, "kent") == imp.csv_ids(list(range(1, 306)) +
                                                           list(range(500, 520)) + [600]),
            "index records differ after aegis import")
    c.check_exactly_once(["kent"])

    log = kent.log_text()
    h.check("imported file=roll-1.csv format=csv records=300 changed=300 quarantined=0" in log,
            "no 'imported' log line")
    h.check("import_rejected file=broken.csv" in log, "no 'import_rejected' log line")
    for name in imp.GIVEN + imp.FAMILY:
        h.check(name not in log, f"the log names a person ({name})")


if __name__ == "__main__":
    h.run("import_inbox_to_index", test, authorities=["kent"])
