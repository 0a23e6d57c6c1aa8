#!/usr/bin/env python3
# review_operator_decisions: Kent and Leeds each hold two children with no identifiers, the same
# names and dates of birth but other homes: the index queues both pairs for review. An index
# operator lists and shows them (names, dates of birth, evidence per field), links one pair
# (both authorities learn the shared national id at once) and separates the other; bad requests
# (no reason, an unknown pair, a pair already decided) change nothing. After an index restart,
# Leeds makes its separated record identical to Kent's: it is still not linked. `aegis resolve
# --all` changes nothing, and `aegis links export --format csv` lists every record with how it
# is linked.
import csv
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def review_list(index):
    return json.loads(index.aegis("--json", "review", "list").stdout)


def refused(index, *args):
    r = index.aegis("--json", *args, check_rc=False)
    return r.returncode, (json.loads(r.stdout)["error"]["code"] if r.stdout.strip() else ""), r


def decisions(index):
    return h.query(index.db, "SELECT count(*) FROM operator_decisions")[0][0]


def test(c):
    kent, leeds, index = c.authority("kent"), c.authority("leeds"), c.index
    c.start_all()
    kent.add(h.child_record("K-1"))
    leeds.add(h.child_record("L-1", street="4 Station Road", town="Leeds", postcode="LS1 4AP"))
    kent.add(h.child_record("K-2", given="Oliver", family="Quennell", dob="2016-07-01"))
    moved = h.child_record("L-2", given="Oliver", family="Quennell", dob="2016-07-01",
                           street="9 Mill Lane", town="Leeds", postcode="LS2 7EW")
    leeds.add(moved)
    c.wait_synced()

    h.wait_until(lambda: review_list(index)["total"] == 2, h.SYNC_TIMEOUT, "two pairs in review")
    pairs = {p["a"]["record_id"]: p for p in review_list(index)["pairs"]}
    amelia, oliver = pairs["K-1"]["id"], pairs["K-2"]["id"]
    h.check(pairs["K-1"]["b"] == {"authority_id": "leeds", "record_id": "L-1"}, f"pairs: {pairs}")

    shown = json.loads(index.aegis("--json", "review", "show", str(amelia)).stdout)
    names = [r["name"]["given"] + " " + r["name"]["family"] for r in shown["records"]]
    h.check(names == ["Amelia Hartley", "Amelia Hartley"], f"show: {shown['records']}")
    h.check(shown["records"][0]["date_of_birth"] == "2015-03-14", f"show: {shown}")
    levels = {e["field"]: e["level"] for e in shown["evidence"]}
    h.check(levels["date_of_birth"] == "agree" and levels["postcode"] == "disagree",
            f"evidence: {levels}")
    human = index.aegis("review", "show", str(amelia)).stdout
    h.check("Amelia" in human and "date_of_birth" in human, f"human show: {human}")
    h.check("Amelia" not in index.log_text(), "a name reached the index log")

    # Bad requests change nothing.
    r = index.aegis("review", "link", str(amelia), "--operator", "op.alice", check_rc=False)
    h.check(r.returncode == 2 and "--reason" in r.stderr, f"no reason: {r.returncode} {r.stderr}")
    rc, code, r = refused(index, "review", "link", str(amelia), "--operator", "op.alice",
                          "--reason", "")
    h.check(rc == 1 and code == "invalid_argument", f"empty reason: {rc} {code} {r.stderr}")
    rc, code, r = refused(index, "review", "separate", "999", "--operator", "op.alice",
                          "--reason", "x")
    h.check(rc == 1 and code == "not_found", f"unknown pair: {rc} {code} {r.stderr}")
    r = index.aegis("review", "link", str(amelia), "--reason", "x", check_rc=False)
    h.check(r.returncode == 2 and "--operator" in r.stderr, f"no operator: {r.stderr}")
    h.check(decisions(index) == 0, "a refused request stored a decision")

    # Link Amelia: both authorities learn one national id.
    out = json.loads(index.aegis("--json", "review", "link", str(amelia), "--operator",
                                 "op.alice", "--reason", "same school report").stdout)
    nid = out["national_ids"]["a"]
    h.check(nid and nid == out["national_ids"]["b"], f"link: {out}")
    h.wait_until(lambda: kent.national_ids().get("K-1") == nid and
                 leeds.national_ids().get("L-1") == nid, h.SYNC_TIMEOUT,
                 "both authorities to learn the linked national id")
    rc, code, r = refused(index, "review", "separate", str(amelia), "--operator", "op.bob",
                          "--reason", "second thoughts")
    h.check(rc == 1 and code == "gone" and "already decided" in r.stderr,
            f"decided twice: {rc} {code} {r.stderr}")

    # Separate Oliver; restart the index; Leeds's record becomes Kent's exactly: still apart.
    index.aegis("review", "separate", str(oliver), "--operator", "op.alice",
                "--reason", "different mothers")
    h.check(review_list(index)["total"] == 0, "the queue is not empty")
    index.stop()
    index.start()
    same = h.child_record("L-2", given="Oliver", family="Quennell", dob="2016-07-01")
    leeds.aegis("record", "update", c.write_json(os.path.join(leeds.dir, "L-2b.json"), same))
    c.wait_synced()
    ids_k, ids_l = index.national_ids("kent"), index.national_ids("leeds")
    h.check(ids_k["K-2"] != ids_l["L-2"], "a separated pair was linked automatically")
    h.check(ids_k["K-1"] == ids_l["L-1"] == nid, "the operator link did not survive the restart")
    h.check(review_list(index)["total"] == 0, "a decided pair came back to review")
    h.check(h.query(index.db, "SELECT count(*) FROM linkage_events "
                              "WHERE decided_by = 'operator'")[0][0] >= 1, "no operator event")

    # Full re-resolution: the same partition and ids.
    full = json.loads(index.aegis("--json", "resolve", "--all").stdout)
    h.check(full["records"] == 4 and full["clusters"] == 3 and full["records_moved"] == 0 and
            full["events"] == 0, f"resolve --all: {full}")
    h.check(index.national_ids("kent") == ids_k and index.national_ids("leeds") == ids_l,
            "resolve --all changed national ids")

    # Links export.
    path = os.path.join(index.dir, "links.csv")
    index.aegis("links", "export", "--format", "csv", "--output", path)
    h.check(os.stat(path).st_mode & 0o077 == 0, "the export is readable by others")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    by = {(r["authority_id"], r["record_id"]): r for r in rows}
    h.check(len(rows) == 4, f"export rows: {rows}")
    h.check(by[("kent", "K-1")]["linked_by"] == "operator" and
            by[("leeds", "L-1")]["national_id"] == nid, f"export: {rows}")
    h.check(by[("kent", "K-2")]["linked_by"] == "single" and by[("kent", "K-2")]["score"] == "",
            f"export: {rows}")
    stdout = index.aegis("links", "export", "--format", "csv").stdout
    h.check(list(csv.DictReader(io.StringIO(stdout))) == rows, "stdout export differs")
    r = index.aegis("links", "export", "--format", "xml", check_rc=False)
    h.check(r.returncode == 2 and "xml" in r.stderr, f"unknown format: {r.returncode} {r.stderr}")


if __name__ == "__main__":
    h.run("review_operator_decisions", test, authorities=["kent", "leeds"])
