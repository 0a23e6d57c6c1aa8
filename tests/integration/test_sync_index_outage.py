#!/usr/bin/env python3
# sync_index_outage: the index is stopped while the authorities keep committing (kent 3,000
# changes, the others 500 each). The backlog grows on disk, not in memory: kent's resident
# memory (VmRSS) is recorded at a backlog of 1,000 and of 3,000 and must not double (a generous
# bound; no timing assertion). When the index comes back everything drains, in order, exactly
# once, and the national ids come back through the feed.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

BEFORE_EACH = 100
KENT_BACKLOG = (1000, 3000)
OTHERS_EACH = 500


def backlog_reported(a, want):
    """kent's status once it reports `want` envelopes waiting (it reads its outbox tail)."""
    return h.wait_until(lambda: (lambda p: p if p and p["backlog"] == want else None)(a.peer()),
                        60, f"{a.name} to report a backlog of {want}")


def test(c):
    names = list(c.authorities)
    c.start_all()
    files = {n: c.child_file(f"{n}-o", family=f"{n.title()}ford") for n in names}
    for n in names:
        c.authority(n).add_many(files[n], BEFORE_EACH)
    c.wait_synced()

    c.index.stop()
    h.log("index stopped")
    kent = c.authority("kent")
    others = [n for n in names if n != "kent"]
    writers = [c.authority(n).add_many(files[n], OTHERS_EACH, start=BEFORE_EACH + 1,
                                       background=True) for n in others]
    rss = {}
    done = 0
    for backlog in KENT_BACKLOG:
        kent.add_many(files["kent"], backlog - done, start=BEFORE_EACH + done + 1)
        done = backlog
        p = backlog_reported(kent, backlog)
        h.check(p["connection"] != "connected", f"kent: connected to a stopped index: {p}")
        h.check(p["last_acked_seq"] == BEFORE_EACH, f"kent: {p}")
        rss[backlog] = kent.vmrss_kb()
        h.log(f"kent: backlog {backlog}, VmRSS {rss[backlog]} kB, lag {p['lag_s']} s")
    for n, w in zip(others, writers):
        rc = h.reap(w, 600)
        h.check(rc == 0, f"{n}: add-many exited {rc}")
    low, high = rss[KENT_BACKLOG[0]], rss[KENT_BACKLOG[1]]
    h.check(high < 2 * low, f"kent's memory grew with its backlog: {low} kB at "
                            f"{KENT_BACKLOG[0]}, {high} kB at {KENT_BACKLOG[1]}")
    h.check(c.index.applied().get("kent") == BEFORE_EACH, "the stopped index applied something")

    since = kent.log_size()
    c.index.start()
    h.log("index restarted")
    c.wait_synced()
    kent.wait_log(r"^<6>drained ", since, timeout=60)
    h.log(f"kent after draining: VmRSS {kent.vmrss_kb()} kB")

    counts = c.check_exactly_once()  # contiguous seqs, chain links, bytes = outbox
    h.check(counts["kent"] == BEFORE_EACH + KENT_BACKLOG[-1], f"kent: {counts}")
    for n in others:
        h.check(counts[n] == BEFORE_EACH + OTHERS_EACH, f"{n}: {counts}")
    # In order: the index received each authority's envelopes in seq order.
    for n in names:
        times = [t for (t,) in h.query(
            c.index.db, "SELECT e.received_ms FROM envelopes e JOIN authorities a "
                        "ON a.aid = (e.id >> 40) WHERE a.authority_id = ? ORDER BY e.id", (n,))]
        h.check(times == sorted(times), f"{n}: envelopes applied out of seq order")
    c.check_national_ids()
    p = kent.peer()
    h.check(p["backlog"] == 0 and p["connection"] == "connected", f"kent: {p}")
    c.stop_all()
    c.check_integrity()


if __name__ == "__main__":
    h.run("sync_index_outage", test)
