#!/usr/bin/env python3
# retention_purge_and_sar: Kent and Leeds hold the same child (a canary family name), linked at
# the index. Subject access at the index lists both records, their linkage history, the feed
# items about them and the audit entries; at Kent, its record and envelopes; an unknown id is
# refused. Retention on a moved clock (`aegis retention run --now`): archived at 18, then at the
# purge date each authority deletes and, once acknowledged, erases its record; the index erases
# the deleted records and audits each purge. Afterwards every chain and the audit log still
# verify, and the canary is in no database file, WAL or log of any node.
import json
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

NHS = h.nhs_number("943476591")
CANARY = "Zqxcanaryvole"
DOB = "2008-05-17"
ARCHIVE_DAY, PURGE_DAY = "2026-05-17", "2032-05-17"


def run_json(node, *args, check_rc=True):
    r = node.aegis("--json", *args, check_rc=check_rc)
    return r, (json.loads(r.stdout) if r.stdout.strip() else None)


def sar(node, ident, path, fmt="json"):
    node.aegis("sar", ident, "--output", path, "--format", fmt)
    h.check(stat.S_IMODE(os.stat(path).st_mode) == 0o600, f"{path} is not mode 0600")
    with open(path) as f:
        return json.load(f) if fmt == "json" else f.read()


def stored_ack(a):
    """The acknowledged seq the authority has saved (what its retention run reads)."""
    rows = h.query(a.db, "SELECT coalesce(max(acked_seq), 0) FROM sync_state")
    return rows[0][0] if rows else 0


def feeds_acked(c):
    return h.query(c.index.db, "SELECT count(*) FROM authorities WHERE feed_acked < feed_seq")[0][0] == 0


def test(c):
    kent, leeds = c.authority("kent"), c.authority("leeds")
    c.start_all()
    # Every daemon runs its own daily job at start (an authority without an inbox too).
    for node in (c.index, kent, leeds):
        node.wait_log(r"retention day=")
        h.check("retention_postponed" not in node.log_text(), f"{node.name}: job postponed")
    kent.add(h.child_record("K-1", family=CANARY, dob=DOB, nhs=NHS))
    kent.add(h.child_record("K-2", given="Oliver", dob="2016-07-01"))
    leeds.add(h.child_record("L-1", family=CANARY, dob=DOB, nhs=NHS, street="4 Station Road",
                             town="Leeds", postcode="LS1 4AP"))
    c.wait_synced()
    h.wait_until(lambda: feeds_acked(c) and
                 json.loads(kent.aegis("--json", "record", "show", "K-1").stdout)["also_known_to"],
                 h.SYNC_TIMEOUT, "kent to learn the child is known elsewhere")
    nid = c.index.national_ids("kent")["K-1"]
    h.check(c.index.national_ids("leeds")["L-1"] == nid, "the two records are not linked")
    out = os.path.join(c.dir, "sar")
    os.makedirs(out)

    # Subject access at the index: both records, history, feed items; refused for an unknown id.
    doc = sar(c.index, nid, os.path.join(out, "index.json"))
    refs = {(r["authority_id"], r["record_id"]) for r in doc["records"]}
    h.check(refs == {("kent", "K-1"), ("leeds", "L-1")}, f"sar records: {refs}")
    h.check(all(r["record"]["identity"]["name"]["family"] == CANARY for r in doc["records"]),
            "sar: identity missing")
    h.check(doc["linkage_history"], "sar: no linkage history")
    h.check({f["kind"] for f in doc["feed_items"]} >= {"national_id", "elsewhere"},
            f"sar feed items: {doc['feed_items']}")
    text = sar(c.index, nid, os.path.join(out, "index.txt"), fmt="text")
    h.check("K-1" in text and "linkage_history:" in text, "sar text document incomplete")
    r = c.index.aegis("sar", "0000000000000000", "--output", os.path.join(out, "none.json"),
                      check_rc=False)
    h.check(r.returncode == 1 and "not_found" in r.stderr, f"unknown id: {r.returncode} {r.stderr}")
    h.check(not os.path.exists(os.path.join(out, "none.json")), "a file written for an unknown id")
    r = c.index.aegis("sar", nid, "--output", os.path.join(out, "index.json"), check_rc=False)
    h.check(r.returncode == 1 and "exists" in r.stderr, "an existing export was overwritten")
    mine = sar(kent, "K-1", os.path.join(out, "kent.json"))
    h.check(mine["state"] == "live" and mine["national_id"] == nid and len(mine["envelopes"]) == 1,
            f"kent's sar: {mine}")
    r = kent.aegis("sar", "K-404", "--output", os.path.join(out, "k404.json"), check_rc=False)
    h.check(r.returncode == 1 and "no record 'K-404'" in r.stderr, "kent: unknown record not refused")

    # Archive at 18: kept, counted, still in subject access.
    _, st = run_json(kent, "retention", "status", "--now", ARCHIVE_DAY)
    h.check(st["archive_due"] == 1 and st["active"] == 1, f"kent status: {st}")
    _, run = run_json(c.index, "retention", "run", "--now", ARCHIVE_DAY)
    h.check({(x["authority_id"], x["record_id"]) for x in run["archived"]} ==
            {("kent", "K-1"), ("leeds", "L-1")}, f"index archive: {run}")

    # Purge date: each authority deletes first, erases once the index acknowledged everything.
    for a, rid in ((kent, "K-1"), (leeds, "L-1")):
        _, run = run_json(a, "retention", "run", "--now", PURGE_DAY)
        h.check(run["waiting_sync"] == [rid] and run["purged"] == [], f"{a.name}: {run}")
    c.wait_synced(feed=False)
    h.wait_until(lambda: feeds_acked(c) and all(stored_ack(a) >= a.outbox_tail()
                                                for a in (kent, leeds)),
                 h.SYNC_TIMEOUT, "the feeds and the deletes to be acknowledged")
    for a, rid in ((kent, "K-1"), (leeds, "L-1")):
        _, run = run_json(a, "retention", "run", "--now", PURGE_DAY)
        h.check(run["purged"] == [rid], f"{a.name}: {run}")
    _, st = run_json(c.index, "retention", "status", "--now", PURGE_DAY)
    h.check(st["purge_due"] == 2, f"index status: {st}")
    _, run = run_json(c.index, "retention", "run", "--now", PURGE_DAY)
    h.check(len(run["purged"]) == 2, f"index purge: {run}")

    # Chains and the audit log still verify; subject access shows the purge and its audit.
    for a in (kent, leeds):
        a.aegis("log", "verify")
    c.index.aegis("index", "verify")
    c.index.aegis("audit", "verify")
    doc = sar(c.index, nid, os.path.join(out, "after.json"))
    h.check({r["state"] for r in doc["records"]} == {"purged"}, f"after: {doc['records']}")
    h.check(sum(e["action"] == "purge" for e in doc["audit_entries"]) == 2,
            f"purge audit entries: {doc['audit_entries']}")
    h.check(CANARY not in json.dumps(doc), "the purged name is still exported")

    # The canary is gone from every database file, WAL and log (daemons stopped: WALs closed).
    c.stop_all()
    for node in (kent, leeds, c.index):
        for path in (node.db, node.db + "-wal", node.log_path):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    h.check(CANARY.encode() not in f.read(), f"{CANARY} found in {path}")
    with open(kent.db, "rb") as f:
        h.check(b"Oliver" in f.read(), "kent's other child is gone too")


if __name__ == "__main__":
    h.run("retention_purge_and_sar", test, authorities=["kent", "leeds"])
