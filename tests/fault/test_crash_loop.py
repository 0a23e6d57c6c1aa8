#!/usr/bin/env python3
# crash_loop (docs/RELIABILITY.md §3): one index and three authorities under continuous load (a
# writer per authority commits small batches with `aegis record add-many` all along); a random
# daemon is killed with SIGKILL at a random moment and restarted, AEGIS_FAULT_KILLS times
# (default 200, the CI size; thousands for a soak run). Then the writers stop, everything
# drains, and a set checker compares what each authority committed with what the index holds:
# every (authority, seq) exactly once (lost and duplicated counted and printed before the
# checks), chains re-verified from the stored bytes, `aegis log verify` and `aegis index verify`
# clean, PRAGMA integrity_check ok in every database. Printed too: the time from each kill until
# sync moved again (the killed daemon restarted and the index applied something more, or had
# nothing left to apply), p50 / p99 / max; and, at the end, one more restart of the index with
# everything it holds (its restart grows with its records: RELIABILITY §6).
# The load is steady, not as fast as possible: each writer commits BATCH records back to back
# (each its own transaction, as fast as the store allows), then waits until its average is
# WRITE_RATE records a second (AEGIS_FAULT_WRITE_RATE). Commits, pushes and applies still go on
# all through the loop (a burst of BATCH every BATCH / WRITE_RATE s from each writer), and a
# restarted daemon always finds a backlog; but the store grows with the run's length, not with the machine's speed, so the index's restarts (and
# with them the run) stay bounded. The kill moments stay random: 0..MAX_DELAY_S, uniform, after
# the previous restart. A restart is watched every WATCH_S (log, status, the index's progress),
# so the times printed are the daemons', not the polling's.
# AEGIS_TEST_SEED=<n> replays one sequence of choices (victims, delays); the moments still vary.
import collections
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness as h  # noqa: E402

KILLS = int(os.environ.get("AEGIS_FAULT_KILLS", "200"))
WRITE_RATE = float(os.environ.get("AEGIS_FAULT_WRITE_RATE", "60"))  # records/s per writer
BATCH = 20            # records per writer commit run (each record its own transaction)
MAX_DELAY_S = 1.5     # a kill comes 0..MAX_DELAY_S after the previous restart
WATCH_S = 0.02        # between looks at a restarting daemon (its log, status, the index)


class Writer(threading.Thread):
    """Commits BATCH records at a time at one authority, WRITE_RATE a second on average, until
    stopped (the daemon's state does not matter: the writer uses the store directly, as
    `aegis record add` does)."""

    def __init__(self, authority, path):
        super().__init__(daemon=True)
        self.authority, self.path = authority, path
        self.next, self.error = 1, None
        self.stop = threading.Event()

    def run(self):
        began = time.monotonic()
        try:
            while not self.stop.is_set():
                self.authority.add_many(self.path, BATCH, start=self.next)
                self.next += BATCH
                due = began + (self.next - 1) / WRITE_RATE  # when the records so far are due
                self.stop.wait(max(0.0, due - time.monotonic()))
        except Exception as e:  # reported by the test after join()
            self.error = e


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def applied_total(c, names):
    a = c.index.applied()
    return sum(a.get(n, 0) for n in names)


def live_records(c):
    return h.query(c.index.db, "SELECT count(*) FROM current_records WHERE deleted = 0")[0][0]


def restart(victim):
    """Starts `victim` and returns once it is ready and answers `aegis status`."""
    # The index rebuilds its resolution engine from every record before it is ready (RELIABILITY
    # §6): longer than the harness's start bound once it holds tens of thousands.
    since = victim.start(wait=False)
    victim.wait_log(r"^<6>ready role=", since, timeout=h.SYNC_TIMEOUT, interval=WATCH_S)
    h.wait_until(lambda: victim.status(), h.START_TIMEOUT, f"{victim.name}: status answering",
                 WATCH_S)


def kill_and_restart(c, victim, names):
    """Kills `victim`, restarts it, and returns (seconds until it was ready again, seconds
    until sync moved again)."""
    watched = names if victim is c.index else [victim.name]
    before = applied_total(c, watched)
    killed_at = time.monotonic()
    victim.kill()
    restart(victim)
    started = time.monotonic() - killed_at
    h.wait_until(lambda: applied_total(c, watched) > before or c.caught_up(watched, feed=False),
                 h.SYNC_TIMEOUT, f"sync to resume after {victim.name} was killed", WATCH_S)
    seconds = time.monotonic() - killed_at
    h.log(f"{victim.name} killed: ready again after {started:.2f} s, sync moved after "
          f"{seconds:.2f} s")
    return started, seconds


def set_check(c, names):
    """(lost, duplicated) (authority, seq) pairs: committed at an authority but not at the
    index, and stored at the index more than once."""
    stored = collections.Counter(c.index.pairs())
    lost = duplicated = 0
    for n in names:
        for seq in c.authority(n).outbox():
            if stored[(n, seq)] == 0:
                lost += 1
    duplicated = sum(k - 1 for k in stored.values() if k > 1)
    return lost, duplicated


def test(c):
    names = list(c.authorities)
    files = {n: c.child_file(f"{n}-c", family=f"{n.title()}cross") for n in names}
    c.start_all()
    writers = [Writer(c.authority(n), files[n]) for n in names]
    for w in writers:
        w.start()
    nodes = [c.index] + [c.authority(n) for n in names]
    resume = collections.defaultdict(list)
    ready = collections.defaultdict(list)
    began = time.monotonic()
    try:
        for i in range(KILLS):
            time.sleep(random.uniform(0, MAX_DELAY_S))
            victim = random.choice(nodes)
            started, seconds = kill_and_restart(c, victim, names)
            ready[victim.name].append(started)
            resume[victim.name].append(seconds)
            if (i + 1) % 10 == 0 or i + 1 == KILLS:
                h.log(f"{i + 1}/{KILLS} kills in {time.monotonic() - began:.0f} s; "
                      f"applied {c.index.applied()}")
    finally:
        for w in writers:
            w.stop.set()
        for w in writers:
            w.join(600)
    for w in writers:
        h.check(w.error is None, f"{w.authority.name}: writer failed: {w.error}")

    c.wait_synced(timeout=600)
    lost, duplicated = set_check(c, names)
    committed = sum(c.authority(n).outbox_tail() for n in names)
    everything = [s for v in resume.values() for s in v]
    h.log(f"crash loop: {KILLS} kills ({ {k: len(v) for k, v in resume.items()} }), "
          f"{committed} changes committed, lost {lost}, duplicated {duplicated}")
    h.log(f"time to resume after a kill: p50 {percentile(everything, 50):.2f} s, "
          f"p99 {percentile(everything, 99):.2f} s, max {max(everything):.2f} s")
    for name, v in sorted(resume.items()):
        h.log(f"  {name}: {len(v)} kills, p50 {percentile(v, 50):.2f} s, max {max(v):.2f} s; "
              f"ready again p50 {percentile(ready[name], 50):.2f} s, "
              f"max {max(ready[name]):.2f} s")
    h.check(lost == 0 and duplicated == 0, f"lost {lost}, duplicated {duplicated}")
    counts = c.check_exactly_once()  # contiguous, chains re-verified, bytes equal to the outboxes
    h.check(sum(counts.values()) == committed, f"{counts} vs {committed} committed")
    c.check_national_ids()
    h.check(c.index.rejections() == [], f"rejections: {c.index.rejections()}")
    c.index.stop()
    records = live_records(c)
    t = time.monotonic()
    restart(c.index)
    h.log(f"index restart with {records} live records: ready after {time.monotonic() - t:.2f} s")
    c.stop_all()
    c.check_integrity()
    for n in names:
        out = c.authority(n).aegis("log", "verify").stdout
        h.check("chain intact" in out, f"{n}: log verify said {out!r}")
    c.index.aegis("index", "verify")


if __name__ == "__main__":
    h.run("crash_loop", test)
