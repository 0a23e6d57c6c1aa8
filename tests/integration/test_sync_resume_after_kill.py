#!/usr/bin/env python3
# sync_resume_after_kill: authorities killed with SIGKILL mid-push and the index killed with
# SIGKILL mid-apply, several times each, at random moments, while every authority keeps
# committing (`aegis record add-many` running throughout); each daemon restarted. Each kill is
# logged with what was still to sync at that moment. Afterwards: nothing lost, nothing
# duplicated (every (authority, seq) exactly once, no gaps, chains re-verified from the stored
# bytes, bytes equal to the outboxes), every national id back at its authority, and
# PRAGMA integrity_check ok on every database. The index's daily retention job ran once, not at
# every restart (its store keeps the day it ran).
# AEGIS_TEST_SEED=<n> replays one sequence of random choices (the moments still vary).
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

BACKLOG_EACH = 1500   # committed before the daemons start: the first pushes are full batches
ROUNDS = 8            # index and authorities in turn
WRITER_COUNT = 20000  # per authority, committed during the kills (stopped when they end)


def applied(c, names):
    a = c.index.applied()
    return sum(a.get(n, 0) for n in names)


def backlog(c, names):
    a = c.index.applied()
    return sum(c.authority(n).outbox_tail() - a.get(n, 0) for n in names)


def kill_index_mid_apply(c, names):
    """The index stays down a random while (the authorities' backlogs grow), comes back, and is
    killed again as soon as it has applied something more: while it drains."""
    c.index.kill()
    time.sleep(random.uniform(0.2, 1.0))
    before = applied(c, names)
    c.index.start()
    h.wait_until(lambda: applied(c, names) > before or c.caught_up(names), 120,
                 "the index to apply again", 0.02)
    time.sleep(random.uniform(0, 0.05))
    waiting = backlog(c, names)
    c.index.kill()
    h.log(f"index killed while applying (applied {before} -> {applied(c, names)}, "
          f"{waiting} still to apply)")
    c.index.start()
    return waiting > 0


def kill_authority_mid_push(c, name):
    """An authority killed as soon as the index has applied more of its changes: mid-push."""
    a = c.authority(name)
    before = c.index.applied().get(name, 0)
    h.wait_until(lambda: c.index.applied().get(name, 0) > before or c.caught_up([name]), 120,
                 f"{name} to push more", 0.02)
    time.sleep(random.uniform(0, 0.05))
    waiting = a.outbox_tail() - c.index.applied().get(name, 0)
    a.kill()
    h.log(f"{name} killed while pushing (applied {before} -> "
          f"{c.index.applied().get(name, 0)}, {waiting} still to push)")
    a.start()
    return waiting > 0


def test(c):
    names = list(c.authorities)
    files = {n: c.child_file(f"{n}-r", family=f"{n.title()}ley") for n in names}
    for n in names:
        c.authority(n).add_many(files[n], BACKLOG_EACH)
    c.start_all()
    writers = {n: c.authority(n).add_many(files[n], WRITER_COUNT, start=BACKLOG_EACH + 1,
                                          background=True) for n in names}
    kills = {"index": 0, **{n: 0 for n in names}}
    mid_stream = 0
    try:
        for round_ in range(ROUNDS):
            if round_ % 2 == 0:
                mid_stream += kill_index_mid_apply(c, names)
                kills["index"] += 1
            else:
                name = random.choice(names)
                mid_stream += kill_authority_mid_push(c, name)
                kills[name] += 1
    finally:
        # The writers stop (SIGKILL: a commit is one transaction, all or nothing).
        for p in writers.values():
            if p.poll() is None:
                p.kill()
            h.reap(p, 30)
    h.log(f"kills: {kills}; {mid_stream} of {ROUNDS} with changes still to sync")
    for n, p in writers.items():
        h.check(p.returncode in (0, -9), f"{n}: add-many failed ({p.returncode})")

    c.wait_synced()
    counts = c.check_exactly_once()
    h.log(f"at the index: {counts}")
    for n in names:
        h.check(counts[n] >= BACKLOG_EACH, f"{n}: {counts[n]} envelopes")
    c.check_national_ids()
    h.check(c.index.rejections() == [], f"rejections: {c.index.rejections()}")
    # The retention job: run at the first start, skipped by restarts on the same UTC day (a
    # kill during a run, or midnight, may add one more run; never one per restart).
    text = c.index.log_text()
    starts = len(re.findall(r"^<6>ready role=index", text, re.M))
    runs = len(re.findall(r"^<6>retention ", text, re.M))
    skipped = len(re.findall(r"^<6>retention_already_run ", text, re.M))
    h.log(f"index: {starts} starts, retention ran {runs} times, skipped {skipped}")
    h.check(runs >= 1 and skipped >= 1 and runs < starts,
            f"retention: {runs} runs and {skipped} skipped in {starts} index starts")
    c.stop_all()
    c.check_integrity()
    for n in names:
        out = c.authority(n).aegis("log", "verify").stdout
        h.check("chain intact" in out, f"{n}: log verify said {out!r}")


if __name__ == "__main__":
    h.run("sync_resume_after_kill", test)
