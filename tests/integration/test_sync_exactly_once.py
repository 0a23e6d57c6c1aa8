#!/usr/bin/env python3
# sync_exactly_once: one index and three authorities as real aegisd processes. While the daemons
# run, the authorities commit 10,000 changes in total (clear and shielded records, one
# transaction each, from `aegis record add-many` running alongside each daemon). Every change
# reaches the index exactly once, byte for byte, in chain order; the chains re-verify from the
# stored bytes; each authority's own log verifies; every record's national id came back to its
# authority through the feed; `aegis status` agrees on both sides.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

TOTAL = 10_000
SHIELDED_EACH = 100  # of each authority's share, the rest clear


def test(c):
    c.start_all()
    names = list(c.authorities)
    shares = [TOTAL // len(names) + (1 if i < TOTAL % len(names) else 0)
              for i in range(len(names))]  # 3334, 3333, 3333
    h.log(f"committing {shares} changes while the daemons run")
    writers = []
    for name, share in zip(names, shares):
        a = c.authority(name)
        clear = c.child_file(f"{name}-c", family=f"{name.title()}son")
        writers.append((name, a.add_many(clear, share - SHIELDED_EACH, background=True)))
    for name, p in writers:
        rc = h.reap(p, 600)
        h.check(rc == 0, f"{name}: add-many exited {rc}")
    for name in names:  # shielded ones after the clear ones, still with the daemons running
        shielded = c.child_file(f"{name}-s", family="Whitfield", shielded=True)
        c.authority(name).add_many(shielded, SHIELDED_EACH)

    c.wait_synced()
    counts = c.check_exactly_once()
    h.log(f"at the index: {counts}")
    h.check(sum(counts.values()) == TOTAL, f"{sum(counts.values())} envelopes, not {TOTAL}")
    h.check(counts == dict(zip(names, shares)), f"per authority {counts}, expected {shares}")
    c.check_national_ids()
    h.check(c.index.rejections() == [], f"rejections: {c.index.rejections()}")

    # Each authority's own chain (signatures included) verifies: the index holds those bytes.
    for name in names:
        out = c.authority(name).aegis("log", "verify").stdout
        h.check("chain intact" in out, f"{name}: log verify said {out!r}")

    # Status, both sides.
    s = c.index.status()
    h.check(s["totals"]["envelopes"] == TOTAL, f"index totals: {s['totals']}")
    h.check(s["totals"]["live_records"] == TOTAL, f"index totals: {s['totals']}")
    for p in s["peers"]:
        h.check(p["applied_seq"] == counts[p["peer"]], f"index status: {p}")
        h.check(p["rejections"] == 0, f"index status: {p}")
    for name in names:
        p = h.wait_until(lambda: (lambda q: q if q and q["backlog"] == 0 and
                                  q["national_ids"] == counts[name] else None)(
                             c.authority(name).peer()), 60, f"{name}: status caught up")
        h.check(p["connection"] == "connected", f"{name}: {p}")
        h.check(p["last_acked_seq"] == counts[name], f"{name}: {p}")
        h.check(p["last_reject"] is None, f"{name}: {p}")

    c.stop_all()
    c.check_integrity()
    # No personal data in any log line.
    for node in c.nodes():
        text = node.log_text().lower()
        for word in ("whitfield", "kentson", "orchard way", "07700"):
            h.check(word not in text, f"{node.name}: '{word}' in its log")


if __name__ == "__main__":
    h.run("sync_exactly_once", test)
