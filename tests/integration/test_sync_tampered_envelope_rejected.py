#!/usr/bin/env python3
# sync_tampered_envelope_rejected: one bit of one envelope in kent's outbox is flipped (sqlite3,
# kent stopped; a letter of the child's family name inside the signed body, so the envelope
# still decodes and only its signature betrays it). When kent starts again the index applies
# what comes before it, rejects it with a reason (bad_signature), stores nothing at or after
# it from kent (not even kent's later, genuine changes: the chain cannot skip), and kent's
# `aegis status` reports the rejection. leeds and manchester carry on unaffected.
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

FIRST = 20        # synced before the tampering
OFFLINE = 10      # committed while kent is stopped: seqs 21..30
TAMPERED = 25
FAMILY = "Tamperfield"


def tamper(db, seq):
    """Flips the low bit of the first letter of FAMILY inside envelope `seq`."""
    con = sqlite3.connect(db)
    try:
        (wire,) = con.execute("SELECT envelope FROM outbox WHERE seq = ?", (seq,)).fetchone()
        wire = bytes(wire)
        at = wire.find(FAMILY.encode())
        h.check(at > 0, f"'{FAMILY}' not found in envelope {seq}")
        bad = h.flip_bit(wire, at)
        con.execute("UPDATE outbox SET envelope = ? WHERE seq = ?", (bad, seq))
        con.commit()
    finally:
        con.close()


def test(c):
    names = list(c.authorities)
    kent = c.authority("kent")
    others = [n for n in names if n != "kent"]
    files = {n: c.child_file(f"{n}-t", family=FAMILY) for n in names}
    c.start_all()
    for n in names:
        c.authority(n).add_many(files[n], FIRST)
    c.wait_synced()

    kent.stop()
    kent.add_many(files["kent"], OFFLINE, start=FIRST + 1)
    tamper(kent.db, TAMPERED)
    h.log(f"kent: envelope {TAMPERED} tampered")
    index_since = c.index.log_size()
    kent_since = kent.start()

    line = c.index.wait_log(rf"^<4>rejected authority=kent seq={TAMPERED} ", index_since, 120)
    h.log(f"index: {line}")
    h.check("code=bad_signature" in line, f"unexpected reason: {line}")
    kent.wait_log(rf"^<4>rejected peer=national seq={TAMPERED} code=bad_signature", kent_since, 60)
    p = h.wait_until(lambda: (lambda q: q if q and q["last_reject"] else None)(kent.peer()), 60,
                     "kent's status to report the rejection")
    h.check(p["last_reject"]["seq"] == TAMPERED and p["last_reject"]["code"] == "bad_signature",
            f"kent: {p}")
    h.check(p["last_acked_seq"] == TAMPERED - 1, f"kent: {p}")
    h.check(p["backlog"] == FIRST + OFFLINE - (TAMPERED - 1), f"kent: {p}")

    # kent keeps committing; the others too. Only the others' changes reach the index.
    kent.add_many(files["kent"], 5, start=FIRST + OFFLINE + 1)
    for n in others:
        c.authority(n).add_many(files[n], 30, start=FIRST + 1)
    c.wait_synced(others)
    counts = c.check_exactly_once(others)
    h.check(all(counts[n] == FIRST + 30 for n in others), f"{counts}")
    c.check_national_ids(others)

    stored = c.index.envelopes("kent")
    h.check(sorted(stored) == list(range(1, TAMPERED)), f"kent: the index stored {sorted(stored)}")
    outbox = kent.outbox()
    h.check(all(stored[s] == outbox[s][1] for s in stored), "kent: stored bytes differ")
    h.verify_chain("kent", stored)
    rejections = c.index.rejections()
    h.check(len(rejections) == 1 and rejections[0][:3] == ("kent", TAMPERED, "bad_signature"),
            f"index rejections: {rejections}")
    h.check(rejections[0][3], "the rejection has no detail")
    s = c.index.status()
    peers = {q["peer"]: q for q in s["peers"]}
    h.check(peers["kent"]["applied_seq"] == TAMPERED - 1, f"index: {peers['kent']}")
    h.check(peers["kent"]["last_reject"]["code"] == "bad_signature", f"index: {peers['kent']}")
    for n in others:
        h.check(peers[n]["rejections"] == 0 and peers[n]["last_reject"] is None, f"{peers[n]}")
    # kent's own verifier finds the damage too.
    r = kent.aegis("log", "verify", check_rc=False)
    h.check(r.returncode != 0, "aegis log verify accepted the tampered outbox")
    c.stop_all()
    c.check_integrity()


if __name__ == "__main__":
    h.run("sync_tampered_envelope_rejected", test)
