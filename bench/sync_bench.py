#!/usr/bin/env python3
# End-to-end sync benchmark (figures only, never pass/fail; bench/README.md). Everything real:
# one index and three authority aegisd processes on 127.0.0.1, CURVE, real signatures, SQLite
# with synchronous=FULL, driven through tests/integration/harness.py.
#
#   1. Setup (untimed): N records already at the index, loaded by the documented bulk loader
#      (aegis_sync_bench_tool preload): each authority's real signed chain written into its
#      store and, up to N/3 envelopes each, into the index's database as if applied; the rest of
#      each chain (--backlog) is the authority's backlog.
#   2. Drain: the daemons start; the backlog (3 x --backlog changes, half new records, half
#      updates) syncs. changes/s = changes / (first envelope received at the index -> every
#      envelope durably applied, seen by polling the index database).
#   3. Live: the authorities import about --live children each (one CSV per authority made by
#      scripts/make-children.py, 5% of the children in two authorities) with `aegis import`
#      (one transaction per file, as an adapter would) while the daemons run: commit rate, and
#      end-to-end changes/s from the first commit to all applied at the index.
#   4. Light load: --rate changes/s (spread over the authorities, one `aegis record add` of a
#      distinct child per change)
#      for --seconds; commit-to-applied latency of each = the wall time at which the index's
#      database first shows it applied (polled every 2 ms, so durably committed) - the
#      envelope's created_ms at the authority (taken inside its transaction, before its fsync:
#      the figure slightly overstates the latency).
#   5. The merge left over: the index's store keeps each change's record state in a log and
#      merges the log into its `records` table every 100,000 changes (docs/index-store.md §4);
#      the drain paid for the merges that fell inside it, not for the states it left waiting.
#      With the daemons stopped, aegis_sync_bench_tool merge times the merge of everything still
#      waiting, and "drain incl. merge" = drained changes / (drain seconds + that merge): every
#      drained change merged once, whatever merge_every and the backlog size.
#   6. In the same run: the naive baseline (aegis_sync_bench_tool naive: random-key INSERT OR
#      REPLACE of the same row shape into one table of a fresh file holding N rows, in
#      transactions of the size the index actually committed in step 2), timed --naive-runs
#      times one after the other (default 3) and reported as the median (the machine is noisy:
#      every run is printed), and Ed25519 verifications/s on one thread
#      (aegis_sync_bench_tool verify).
#
#   python3 bench/sync_bench.py [--records N] [--backlog M] [--live K] [--rate R] [--seconds S]
#                               [--naive-runs R] [--keep] [--json FILE]
# Binaries: AEGIS_BIN, AEGISD_BIN, AEGIS_SYNC_BENCH_TOOL (default: under $BUILD_DIR or ./build).
import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
source = os.path.dirname(here)
build = os.environ.get("BUILD_DIR", os.path.join(source, "build"))
os.environ.setdefault("AEGIS_BIN", os.path.join(build, "daemon", "cli", "aegis"))
os.environ.setdefault("AEGISD_BIN", os.path.join(build, "daemon", "aegisd", "aegisd"))
TOOL = os.environ.get("AEGIS_SYNC_BENCH_TOOL", os.path.join(build, "bench", "aegis_sync_bench_tool"))
sys.path.insert(0, os.path.join(source, "tests", "integration"))
import harness as h  # noqa: E402

MAKE_CHILDREN = os.path.join(source, "scripts", "make-children.py")
GIVEN = ["Amelia", "Noah", "Isla", "George", "Priya", "Yusuf", "Niamh", "Oscar", "Zara", "Leo"]

# Production defaults of [sync] (docs/config.md), not the tests' short timeouts.
SYNC = {"ack_timeout_ms": 10000, "heartbeat_ms": 5000}


def tool(*args):
    r = h.run_cmd([TOOL] + [str(a) for a in args], timeout=3600)
    return json.loads(r.stdout)


def applied_total(c):
    return sum(c.index.applied().values())


class AppliedWatcher(threading.Thread):
    """Polls the index database (one read-only connection, a new read transaction every
    POLL_MS) and notes the wall time at which each (authority, seq) was first visible, i.e.
    durably committed: seen_ms[(authority, seq)]. Resolution: the poll interval."""
    POLL_MS = 2

    def __init__(self, db, tails):
        super().__init__(daemon=True)
        self.con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
        self.last = dict(tails)
        self.seen_ms = {}
        self.done = threading.Event()

    def poll(self):
        now = time.time() * 1000
        for authority, applied in self.con.execute(
                "SELECT authority_id, applied_seq FROM authorities"):
            for seq in range(self.last.get(authority, applied) + 1, applied + 1):
                self.seen_ms[(authority, seq)] = now
            self.last[authority] = max(self.last.get(authority, 0), applied)

    def run(self):
        while not self.done.is_set():
            self.poll()
            time.sleep(self.POLL_MS / 1000)

    def stop(self):
        self.done.set()
        self.join()
        self.poll()  # what was applied after the thread's last poll (seen now: an upper bound)
        self.con.close()


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser(description="End-to-end sync benchmark (bench/README.md)")
    ap.add_argument("--records", type=int, default=1_000_000, help="records already at the index")
    ap.add_argument("--backlog", type=int, default=60_000, help="backlog per authority (drain)")
    ap.add_argument("--live", type=int, default=1_000, help="changes per authority committed live")
    ap.add_argument("--rate", type=float, default=20.0, help="light load, changes/s")
    ap.add_argument("--seconds", type=float, default=15.0, help="light load duration")
    ap.add_argument("--window", type=int, default=0,
                    help="[sync] window of every node (default: the config default)")
    ap.add_argument("--naive-runs", type=int, default=3,
                    help="timed runs of the naive baseline; the median is reported")
    ap.add_argument("--keep", action="store_true", help="keep the directory")
    ap.add_argument("--json", help="also write the figures (and every light-load latency) to "
                                   "this file, for bench/report.py")
    opt = ap.parse_args()
    for b in (h.AEGIS, h.AEGISD, TOOL):
        if not os.access(b, os.X_OK):
            sys.exit(f"sync_bench: no executable {b} (build first, or set BUILD_DIR)")

    sync = dict(SYNC, **({"window": opt.window} if opt.window else {}))
    c = h.Cluster("sync_bench", sync=sync)
    names = list(c.authorities)
    out = {}
    try:
        per = -(-opt.records // len(names))  # at least --records in all
        print(f"sync_bench: {c.dir}")
        print(f"setup: bulk loading {per * len(names):,} records at the index and "
              f"{opt.backlog:,} backlog per authority...", flush=True)
        load = tool("preload", "--index-config", c.index.config,
                    *sum((["--authority", c.authority(n).config] for n in names), []),
                    "--preloaded", per, "--backlog", opt.backlog)
        print(f"setup: {load['envelopes']:,} signed envelopes ({load['envelope_bytes_avg']:.0f} "
              f"bytes each) in {load['seconds']:.0f} s (bulk loader, untimed)")

        # 2. Drain.
        # The index first builds its matching engine from every live record (index-store.md
        # §7, "Start"): with a million records that takes longer than the harness's start
        # timeout, so it is waited for here, and timed.
        started = time.time()
        since = c.index.start(wait=False)
        c.index.wait_log(r"^<6>ready role=", since, 1800)
        h.wait_until(lambda: c.index.status(), 60, "index: status answering")
        out["start"] = time.time() - started
        print(f"index start with {per * len(names):,} records: {out['start']:.1f} s "
              f"(matching engine rebuilt from the store)", flush=True)
        status0 = c.index.status()
        for n in names:
            c.authority(n).start(wait=False)
        cpu0 = {node.name: node.cpu_seconds() for node in c.nodes()}
        cpu_t0 = time.time()  # CPU is counted from the authorities' start, not the first push
        target = (per + opt.backlog) * len(names)
        h.wait_until(lambda: applied_total(c) == target, 3600, "the backlog to drain", 0.05)
        done_at = time.time()
        cpu = {node.name: node.cpu_seconds() - cpu0[node.name] for node in c.nodes()}
        first_ms = h.query(c.index.db, "SELECT min(received_ms) FROM envelopes WHERE "
                                       "(id & 1099511627775) > ?", (per,))[0][0]
        drained = opt.backlog * len(names)
        status1 = c.index.status()
        batches = status1["batches"] - status0["batches"]
        transactions = status1["transactions"] - status0["transactions"]
        out["drain"] = drained / (done_at - first_ms / 1000)
        out["txn"] = drained / max(1, transactions)  # the naive baseline commits as often
        print(f"drain: {drained:,} changes in {done_at - first_ms / 1000:.1f} s = "
              f"{out['drain']:,.0f} changes/s ({batches} Pushes in {transactions} transactions, "
              f"{out['txn']:.0f} changes per transaction)")
        out["cores"] = sum(cpu.values()) / (done_at - cpu_t0)
        print(f"drain: CPU seconds used from the authorities' start ({done_at - cpu_t0:.1f} s): " +
              ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()) +
              f" = {out['cores']:.2f} cores busy on average "
              f"({1e6 * cpu['index'] / drained:.0f} us of index CPU per change)")
        for n in names:
            c.authority(n).wait_log(r"^<6>ready ", 0, 60)

        # 3. Live commits.
        live_dir = os.path.join(c.dir, "live")
        subprocess.run([sys.executable, MAKE_CHILDREN, "--children", str(opt.live * len(names)),
                        "--authorities", str(len(names)), "--two-area", "0.05", "--seed", "3",
                        "--out", live_dir], check=True, capture_output=True, timeout=600)
        tails = {n: c.authority(n).outbox_tail() for n in names}
        t0 = time.time()
        writers = [h.spawn([h.AEGIS, "--config", c.authority(n).config, "import",
                            os.path.join(live_dir, "la-%03d.csv" % (k + 1)), "--format", "csv"],
                           os.path.join(c.authority(n).dir, "live.log"))
                   for k, n in enumerate(names)]
        for p in writers:
            h.check(h.reap(p, 3600) == 0, "a live import failed")
        committed_at = time.time()
        c.wait_synced(feed=False, timeout=3600)
        live_done = time.time()
        firsts = [h.query(c.authority(n).db, "SELECT created_ms FROM outbox WHERE seq = ?",
                          (tails[n] + 1,))[0][0] for n in names]
        live = sum(c.authority(n).outbox_tail() - tails[n] for n in names)
        out["commit"] = live / (committed_at - t0)
        out["live"] = live / (live_done - min(firsts) / 1000)
        print(f"live: {live:,} changes committed by `aegis import` of one CSV per authority "
              f"(scripts/make-children.py, 5% in two) at {out['commit']:,.0f} changes/s (one "
              f"transaction per file); end to end "
              f"{out['live']:,.0f} changes/s (first commit -> all applied at the index)")

        # 4. Light load.
        tails = {n: c.authority(n).outbox_tail() for n in names}
        count = int(opt.rate * opt.seconds)
        # One distinct child per change (identical copies would be one look-alike cluster).
        single = [c.child_file(f"light{i}", given=GIVEN[i % len(GIVEN)],
                               family=f"Light{chr(97 + i // 26 % 26)}{chr(97 + i % 26)}",
                               dob=f"20{10 + i % 10}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                               street=f"{i + 1} Mill Lane") for i in range(count)]
        watcher = AppliedWatcher(c.index.db, tails)
        watcher.start()
        procs = []
        start = time.monotonic()
        for i in range(count):
            delay = start + i / opt.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            a = c.authority(names[i % len(names)])
            procs.append(h.spawn([h.AEGIS, "--config", a.config, "record", "add", single[i]],
                                 os.path.join(a.dir, "light.log")))
        for p in procs:
            h.check(h.reap(p, 600) == 0, "a light-load commit failed")
        c.wait_synced(feed=False, timeout=600)
        watcher.stop()
        latencies = []
        for n in names:
            for seq, created in h.query(c.authority(n).db, "SELECT seq, created_ms FROM outbox "
                                                           "WHERE seq > ?", (tails[n],)):
                latencies.append(watcher.seen_ms[(n, seq)] - created)
        out["latencies_ms"] = latencies
        out["p50"] = percentile(latencies, 50)
        out["p99"] = percentile(latencies, 99)
        print(f"light load: {len(latencies)} changes at {opt.rate:g}/s: commit -> applied "
              f"p50 {out['p50']:.0f} ms, p99 {out['p99']:.0f} ms, max {max(latencies):.0f} ms "
              f"(mean {statistics.mean(latencies):.1f} ms)")
        c.stop_all()

        # 5. The merge the drain left waiting.
        merged = tool("merge", "--index-config", c.index.config)
        out["drain_merged"] = drained / (drained / out["drain"] + merged["seconds"])
        print(f"merge left over: {merged['states']:,} states waiting merged in "
              f"{merged['seconds']:.2f} s; drain incl. merge {out['drain_merged']:,.0f} changes/s")

        # 6. Same run, same machine: the naive baseline and Ed25519.
        naive = tool("naive", "--file", os.path.join(c.dir, "naive.db"), "--rows",
                     per * len(names), "--changes", drained, "--txn", round(out["txn"]),
                     "--envelope-bytes", round(load["envelope_bytes_avg"]),
                     "--repeat", max(1, opt.naive_runs))
        out["naive"] = statistics.median(naive["runs"])
        out["naive_runs"] = naive["runs"]
        print(f"naive baseline: {out['naive']:,.0f} rows/s, the median of "
              + ", ".join(f"{r:,.0f}" for r in naive["runs"])
              + f" (INSERT OR REPLACE, random TEXT keys, {per * len(names):,} rows already, "
              f"{naive['txn']} rows per durable transaction)")
        ed = tool("verify", "--config", c.authority(names[0]).config)
        print(f"Ed25519 verify, one thread: {ed['raw_verify_per_s']:,.0f}/s raw, "
              f"{ed['verify_envelope_per_s']:,.0f}/s verify_envelope "
              f"({ed['envelope_bytes']} bytes)")
        out.update(records=per * len(names), drained=drained, live_changes=live,
                   rate=opt.rate, verify_per_s=ed["raw_verify_per_s"],
                   verify_envelope_per_s=ed["verify_envelope_per_s"],
                   envelope_bytes=load["envelope_bytes_avg"])
        if opt.json:
            with open(opt.json, "w") as f:
                json.dump(out, f)
        print()
        print(f"== sync_bench: {per * len(names):,} records at the index, {os.cpu_count()} CPUs")
        print(f"drain (sync at full speed)   {out['drain']:10,.0f} changes/s   "
              f"{out['drain'] / out['naive']:.2f} x naive  ({out['cores']:.2f} cores busy)")
        print(f"drain incl. merge            {out['drain_merged']:10,.0f} changes/s   "
              f"{out['drain_merged'] / out['naive']:.2f} x naive  (every drained change "
              f"merged into records)")
        print(f"live end to end              {out['live']:10,.0f} changes/s   "
              f"{out['live'] / out['naive']:.2f} x naive  (bound by the commits: "
              f"{out['commit']:,.0f}/s)")
        print(f"naive baseline (median of {len(naive['runs'])})  {out['naive']:10,.0f} rows/s   "
              f"(runs: " + ", ".join(f"{r:,.0f}" for r in naive["runs"]) + ")")
        cores = os.cpu_count() or 1
        print(f"Ed25519 verify (1 thread)    {ed['raw_verify_per_s']:10,.0f} /s        "
              f"drain = {out['drain'] / (cores * ed['raw_verify_per_s']):.2f} x what {cores} "
              f"cores could verify")
        print(f"light load {opt.rate:g}/s: p50 {out['p50']:.0f} ms, p99 {out['p99']:.0f} ms "
              f"(target: p99 < 50 ms)")
    except BaseException:
        c.dump_logs()
        c.kill_all()
        print(f"sync_bench: failed; directory kept: {c.dir}", file=sys.stderr)
        raise
    if opt.keep:
        print(f"kept: {c.dir}")
    else:
        subprocess.run(["rm", "-rf", c.dir])


if __name__ == "__main__":
    main()
