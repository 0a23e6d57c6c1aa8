#!/usr/bin/env python3
# audit_checkpoint_fork_detected: one index (checkpoints every second: [audit]
# checkpoint_seconds = 1) and two authorities. Each trust reload that enrols a certificate is an
# audit entry; the index checkpoints it and sends the checkpoint in every enrolled authority's
# feed with the consistency proof from the one sent before: kent and leeds hold the index's
# latest checkpoint (`aegis audit forks`, `aegis status`). `aegis audit verify` at the index
# finds an edited, a deleted and a reordered entry in copies of its database (exit 1, the code
# named), and accepts kent's checkpoint on the honest log. Then the index is stopped and its log
# rewritten (an entry edited, the Merkle frontier recomputed, the checkpoints dropped) and, on
# restart, re-signed with the index's own key: on its own the log verifies, against kent's
# checkpoint it is `forked`, and both authorities detect the fork from their feed: a log line,
# `aegis status` and `aegis audit forks` (exit 1, code forked) until an operator resolves it.
import hashlib
import json
import os
import signal
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def forks(node, check_rc=True):
    r = node.aegis("--json", "audit", "forks", check_rc=check_rc)
    return r.returncode, json.loads(r.stdout)


def held_size(node):
    _rc, j = forks(node, check_rc=False)
    held = j.get("held") if isinstance(j, dict) else None
    return held["size"] if held else None


def latest_checkpoint(index):
    return h.query(index.db, "SELECT max(tree_size) FROM audit_checkpoints")[0][0]


def enrol(c, name, serial):
    """A new certificate in the index's trust bundle, reloaded: one enrolment audit entry.
    Returns the index log offset before the reload."""
    c.certs.append(c.new_identity(name, name, "authority", serial, f"{name.title()} Council"))
    c.install_bundle(c.index, c.make_bundle())
    since = c.index.log_size()
    c.index.signal(signal.SIGHUP)
    c.index.wait_log(r"^<6>trust_reloaded ", since, 60)
    return since


def verify(index, *args):
    """`aegis --json audit verify ARGS`: (exit code, error code or None)."""
    r = index.aegis("--json", "audit", "verify", *args, check_rc=False)
    j = json.loads(r.stdout) if r.stdout.strip() else {}
    return r.returncode, j.get("error", {}).get("code")


def copy_db(src, dst):
    with sqlite3.connect(src) as s, sqlite3.connect(dst) as d:
        s.backup(d)


def tamper(path, sql_and_params):
    db = sqlite3.connect(path)
    db.executescript("DROP TRIGGER audit_entries_append_only; DROP TRIGGER audit_entries_no_delete;"
                     "DROP TRIGGER audit_checkpoints_append_only;"
                     "DROP TRIGGER audit_checkpoints_no_delete;")
    for sql, params in sql_and_params:
        db.execute(sql, params)
    db.commit()
    db.close()


def leaf(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def frontier(leaves):
    """The Merkle frontier (RFC 9162 tree, PROTOCOL.md §15.1) as audit_state stores it."""
    peaks = []
    for size, h_ in enumerate(leaves):
        while size & 1:
            h_ = hashlib.sha256(b"\x01" + peaks.pop() + h_).digest()
            size >>= 1
        peaks.append(h_)
    return b"".join(peaks)


def test(c):
    kent, leeds, index = c.authority("kent"), c.authority("leeds"), c.index
    with open(index.config, "a") as f:
        f.write("\n[audit]\ncheckpoint_seconds = 1\n")
    c.start_all()
    kent.add(h.child_record("K-1"))
    leeds.add(h.child_record("L-1", family="Okafor"))
    c.wait_synced()

    # Two enrolments, two checkpoints in both feeds; the second with a consistency proof.
    for name, serial in (("york", 20), ("derby", 21)):
        since = enrol(c, name, serial)
        index.wait_log(r"^<6>audit_checkpoint tree_size=\d+ feeds=2", since, 60)
    size = latest_checkpoint(index)
    for a in (kent, leeds):
        h.wait_until(lambda: held_size(a) == size, h.SYNC_TIMEOUT, f"{a.name} holds {size}")
        rc, j = forks(a)
        h.check(rc == 0 and j["forks"] == [], f"{a.name}: {j}")
        audit = a.peer()["audit"]
        h.check(audit["held_size"] == size and audit["open_forks"] == 0, f"status: {audit}")
    h.check(f"audit checkpoint held from {h.INDEX_ID}: {size} entries" in
            kent.aegis("status").stdout, "human status")
    kinds = h.query(kent.db, "SELECT count(*) FROM feed WHERE kind = 4")[0][0]
    h.check(kinds == 2, f"kent's feed holds {kinds} checkpoint items")
    held_file = os.path.join(c.dir, "kent-held.hex")
    with open(held_file, "w") as f:
        f.write(forks(kent)[1]["held"]["checkpoint_hex"] + "\n")

    # The index stopped: tamper cases on copies, then the rewrite of its own log.
    index.stop()
    h.check(verify(index) == (0, None), "honest log")
    h.check(verify(index, "--checkpoint", held_file) == (0, None), "honest log vs kent's")
    entries = h.query(index.db, "SELECT idx, entry FROM audit_entries ORDER BY idx")
    e0, e1 = bytes(entries[0][1]), bytes(entries[1][1])
    edited = e0.replace(b"trust-bundle", b"trust-bundlX")
    h.check(edited != e0, "entry 0 is a trust-bundle entry")
    cases = {
        "leaf_mismatch": [("UPDATE audit_entries SET entry = ? WHERE idx = 0", (edited,))],
        "missing_entry": [("DELETE FROM audit_entries WHERE idx = 1", ())],
        "root_mismatch": [("UPDATE audit_entries SET entry = ?, leaf_hash = ? WHERE idx = 0",
                           (e1, leaf(e1))),
                          ("UPDATE audit_entries SET entry = ?, leaf_hash = ? WHERE idx = 1",
                           (e0, leaf(e0)))],
    }
    for code, edits in cases.items():
        copy = os.path.join(c.dir, f"index-{code}.db")
        copy_db(index.db, copy)
        tamper(copy, edits)
        h.check(verify(index, "--store", copy) == (1, code), f"{code}: {verify(index, '--store', copy)}")

    leaves = [leaf(bytes(e)) for _i, e in entries]
    leaves[0] = leaf(edited)
    tamper(index.db, [("UPDATE audit_entries SET entry = ?, leaf_hash = ? WHERE idx = 0",
                       (edited, leaves[0])),
                      ("UPDATE audit_state SET peaks = ? WHERE id = 1", (frontier(leaves),)),
                      ("DELETE FROM audit_checkpoints", ())])
    kent_since, leeds_since = kent.log_size(), leeds.log_size()
    since = index.start()
    index.wait_log(rf"^<6>audit_checkpoint tree_size={size} feeds=2", since, 60)
    h.check(verify(index) == (0, None), "the rewritten, re-signed log verifies on its own")
    h.check(verify(index, "--checkpoint", held_file) == (1, "forked"), "kent's checkpoint: forked")

    # Both authorities detect the fork from their feed, keep their last good checkpoint.
    for a, a_since in ((kent, kent_since), (leeds, leeds_since)):
        line = a.wait_log(r"^<3>audit_checkpoint_forked ", a_since, h.SYNC_TIMEOUT)
        h.check("code=broken_chain" in line and "Hartley" not in line, f"log: {line}")
        rc, j = forks(a, check_rc=False)
        h.check(rc == 1 and j["error"]["code"] == "forked", f"{a.name} forks: {rc} {j}")
        audit = a.peer()["audit"]
        h.check(audit["open_forks"] >= 1 and audit["held_size"] == size, f"status: {audit}")
        h.check(audit["fork"]["notice_size"] == size, f"fork: {audit['fork']}")
    h.check("AUDIT LOG FORKED" in kent.aegis("status").stdout, "human status shows the fork")

    # An operator resolves kent's: no open fork, the index's new checkpoint is held.
    r = kent.aegis("--json", "audit", "forks", "--resolve")
    h.check(json.loads(r.stdout)["resolved"] >= 1, r.stdout)
    h.check(forks(kent)[0] == 0, "kent: no open fork after resolving")
    h.check(kent.peer()["audit"]["open_forks"] == 0, "kent status after resolving")
    h.check(forks(leeds, check_rc=False)[0] == 1, "leeds's fork stays open")
    c.check_integrity()


h.run("audit_checkpoint_fork_detected", test, authorities=["kent", "leeds"])
