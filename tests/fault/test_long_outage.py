#!/usr/bin/env python3
# long_outage (docs/RELIABILITY.md §3): the index is stopped while the three authorities commit
# AEGIS_FAULT_OUTAGE_CHANGES changes between them (default 20,000, the CI size; 100,000 for the
# full run of issue 8), in chunks. After every chunk each authority's resident memory (VmRSS,
# /proc) is sampled and printed: the backlog lives on disk, so memory must stay bounded (every
# sample below twice the first one taken with a backlog; no timing assertion). When the index
# comes back everything drains: each authority's changes at the index exactly once and in seq
# order, chains re-verified, national ids back, integrity_check ok everywhere.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness as h  # noqa: E402

CHANGES = int(os.environ.get("AEGIS_FAULT_OUTAGE_CHANGES", "20000"))
CHUNKS = 10
BEFORE_EACH = 50


def test(c):
    names = list(c.authorities)
    files = {n: c.child_file(f"{n}-l", family=f"{n.title()}wood") for n in names}
    c.start_all()
    for n in names:
        c.authority(n).add_many(files[n], BEFORE_EACH)
    c.wait_synced()
    c.index.stop()
    h.log("index stopped")

    each = CHANGES // len(names)
    chunk = max(1, each // CHUNKS)
    done = 0
    samples = {n: [] for n in names}
    while done < each:
        count = min(chunk, each - done)
        writers = [c.authority(n).add_many(files[n], count, start=BEFORE_EACH + done + 1,
                                           background=True) for n in names]
        for n, w in zip(names, writers):
            rc = h.reap(w, 600)
            h.check(rc == 0, f"{n}: add-many exited {rc}")
        done += count
        for n in names:
            samples[n].append(c.authority(n).vmrss_kb())
        h.log(f"backlog {done} each; VmRSS kB " +
              ", ".join(f"{n} {samples[n][-1]}" for n in names))
    for n in names:
        a = c.authority(n)
        p = h.wait_until(lambda: (lambda q: q if q and q["backlog"] == each else None)(a.peer()),
                         60, f"{n} to report its backlog of {each}")
        h.check(p["last_acked_seq"] == BEFORE_EACH, f"{n}: {p}")
        h.log(f"{n}: VmRSS samples (kB) {samples[n]}")
        first, peak = samples[n][0], max(samples[n])
        h.check(peak < 2 * first, f"{n}: memory grew with the backlog: {first} kB at the first "
                                  f"chunk, {peak} kB at the peak")
    h.check(all(v == BEFORE_EACH for v in c.index.applied().values()),
            "the stopped index applied something")

    c.index.start()
    h.log("index restarted")
    c.wait_synced(timeout=max(h.SYNC_TIMEOUT, CHANGES / 50))
    h.log("drained; VmRSS kB " + ", ".join(f"{n} {c.authority(n).vmrss_kb()}" for n in names))
    counts = c.check_exactly_once()
    for n in names:
        h.check(counts[n] == BEFORE_EACH + each, f"{n}: {counts}")
        times = [t for (t,) in h.query(
            c.index.db, "SELECT e.received_ms FROM envelopes e JOIN authorities a "
                        "ON a.aid = (e.id >> 40) WHERE a.authority_id = ? ORDER BY e.id", (n,))]
        h.check(times == sorted(times), f"{n}: envelopes applied out of seq order")
    c.check_national_ids()
    c.stop_all()
    c.check_integrity()


if __name__ == "__main__":
    h.run("long_outage", test)
