#!/usr/bin/env python3
# Writes DIR/REPORT.md and its PNG charts from the figures bench/run_all.sh left in DIR/raw
# (one JSON file per benchmark, the resolution benchmark's log). Every figure is put next to
# the raw limit of this machine measured in the same run (aegis_limits_tool) as a ratio.
# A benchmark that did not run (or failed) is reported as NOT RUN, never silently left out.
#
#   python3 bench/report.py DIR
import json
import os
import re
import shutil
import subprocess
import sys

NATIONAL_CHILDREN = 11_000_000  # England (issue 8 item 7)
TARGET_SECONDS = 600            # the target for the national load on 2 cores


def load(raw, name):
    try:
        with open(os.path.join(raw, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def n(x, digits=0):
    return f"{x:,.{digits}f}"


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "–"


def table(rows, head):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def gnuplot(script, out_dir):
    if not shutil.which("gnuplot"):
        return False
    p = subprocess.run(["gnuplot"], input=script, text=True, cwd=out_dir, capture_output=True)
    if p.returncode != 0:
        print(f"report: gnuplot failed: {p.stderr.strip()}", file=sys.stderr)
    return p.returncode == 0


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def resolve_figures(raw):
    """The scale lines of resolve_bench.py's log (its own format; bench/resolve_bench.py)."""
    try:
        text = open(os.path.join(raw, "resolve.log")).read()
    except OSError:
        return None, ""
    scale = re.compile(r"scale ([\d,]+) children: ([\d,]+) records resolved.*?= ([\d,]+) "
                       r"records/s \(([\d.]+) CPU us/record\).*?F1 ([\d.]+).*?at ([\d,]+) "
                       r"records/s")
    rows = [(int(m[1].replace(",", "")), int(m[2].replace(",", "")),
             float(m[3].replace(",", "")), float(m[4]), float(m[5]),
             float(m[6].replace(",", ""))) for m in scale.finditer(text)]
    keep = [l for l in text.splitlines() if l.startswith(("febrl", "synthetic", "scale",
                                                          "linearity"))]
    return rows, "\n".join(keep)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "report")
    raw = os.path.join(out, "raw")
    machine = load(raw, "machine") or {}
    end = load(raw, "end") or {}
    limits = load(raw, "limits") or {}
    national = load(raw, "national")
    reopen = load(raw, "national_reopen")  # the restart, measured in its own process
    sync = load(raw, "sync")
    imp = load(raw, "import")
    query = load(raw, "query")
    resolve_rows, resolve_log = resolve_figures(raw)
    failed = open(os.path.join(raw, "failed.txt")).read().strip() \
        if os.path.exists(os.path.join(raw, "failed.txt")) else ""
    cpus = machine.get("cpus") or os.cpu_count() or 1
    verify = limits.get("ed25519_verify_per_s")
    md = []
    md.append("# aegis benchmark report\n")
    md.append(f"Made by `bash bench/run_all.sh --size {machine.get('size', '?')}` at commit "
              f"`{machine.get('commit', '?')}`{' (with uncommitted changes)' if machine.get('dirty') else ''}, "
              f"{machine.get('started', '?')} – {end.get('finished', '?')}. Machine: {cpus} CPUs "
              f"({machine.get('cpu_model', '?')}), {machine.get('mem_gib', '?')} GiB; load "
              f"average {machine.get('load_start', '?')} at the start, "
              f"{end.get('load_end', '?')} at the end. A shared or busy machine lowers every "
              f"rate; the ratios to the raw limits of the same run are the comparable figures.\n")
    if failed:
        md.append("**Steps that failed** (their figures are missing below):\n\n```\n" + failed +
                  "\n```\n")

    # Raw limits.
    md.append("## Raw limits of this machine (same run)\n")
    if limits:
        md.append(table([
            ["SQLite insert, keys in order (append), WAL, synchronous=FULL, "
             f"{limits['txn']:,} rows/transaction, {limits['bytes']}-byte rows",
             n(limits["sqlite_append_per_s"]) + " rows/s"],
            [f"SQLite insert, random TEXT keys, same ({limits['rows']:,} rows)",
             n(limits["sqlite_random_per_s"]) + " rows/s"],
            ["Ed25519 verify, one thread", n(verify) + " /s"],
            ["Ed25519 sign, one thread", n(limits["ed25519_sign_per_s"]) + " /s"],
            [f"ZeroMQ DEALER→ROUTER, loopback TCP, {limits['bytes']}-byte messages, plain",
             n(limits["zmq_plain_per_s"]) + " msg/s"],
            ["ZeroMQ, same, CURVE", n(limits["zmq_curve_per_s"]) + " msg/s"],
        ], ["limit", "rate"]))
        md.append("\n`aegis_limits_tool` (bench/limits_tool.cpp): no aegis code in the loops.\n")
    else:
        md.append("NOT RUN (see raw/limits.log).\n")

    # Headline.
    md.append("## Headline: national initial load\n")
    if national:
        rate = national["rate"]
        envelopes_full = NATIONAL_CHILDREN * national["envelopes"] / national["children"]
        chunks = national.get("chunks") or []
        # The last chunk of full size (a short tail chunk is one group: not representative).
        full = [c for c in chunks if len(c) < 3 or c[2] >= max(x[2] for x in chunks) // 2] \
            if chunks else []
        last = full[-1] if full else [national["envelopes"], rate]
        last_rate = last[1]
        linear = envelopes_full / rate
        slowing = envelopes_full / min(rate, last_rate)
        md.append(
            f"**{n(national['children'])} synthetic children from {national['authorities']} "
            f"authorities** ({n(national['envelopes'])} signed envelopes: 5% of the children are "
            f"known to two authorities) applied and resolved by the index store into an empty "
            f"index in **{national['apply_seconds']:.0f} s = {n(rate)} changes/s** "
            f"({national['cpu_seconds']:.0f} s of CPU, {national['cpu_seconds'] / national['apply_seconds']:.2f} "
            f"cores busy; {n(national['clusters'])} clusters, {n(national['linked_clusters'])} "
            f"of them linking two records; peak RSS "
            f"{n(national.get('load_peak_rss_mib', national['peak_rss_mib']))} MiB during the "
            f"load, {n(national['peak_rss_mib'])} MiB with the partition after it, database "
            f"{n(national['db_mib'])} MiB). Every change verified (Ed25519, one signature per "
            f"Push), stored with synchronous=FULL, resolved, its national id fed back; the "
            f"authorities' signing ({national['sign_seconds']:.0f} s) is not counted. In process "
            f"(`aegis_national_load_tool`): no network, see sync below for the transport.\n")
        if reopen:
            md.append(f"The index's restart on that store (its matching engine rebuilt from "
                      f"{n(reopen['records'])} live records), in a process of its own: "
                      f"**{reopen['reopen_seconds']:.1f} s**, peak RSS "
                      f"{n(reopen['peak_rss_mib'])} MiB.\n")
        if national["children"] >= NATIONAL_CHILDREN:
            md.append(f"The full national size: **{national['apply_seconds'] / 60:.1f} min** "
                      f"(target: under {TARGET_SECONDS // 60} min on 2 cores).\n")
        else:
            md.append(
                f"**Extrapolated to {NATIONAL_CHILDREN:,} children** ({n(envelopes_full)} "
                f"envelopes): {linear / 60:.0f} min at this run's average rate; "
                f"{slowing / 60:.0f} min at the rate of its last chunk "
                f"({n(last_rate)} changes/s, with {n(last[0])} records held). Neither is a "
                f"measurement: the rate includes the engine learning its figures at 5,000 "
                f"records and each doubling up to 100,000 (a full rebuild each time, "
                f"docs/resolution.md \"At the index\"), and it falls as the store grows (the chart below), once the database (~{n(national['db_mib'] * NATIONAL_CHILDREN / national['children'] / 1024, 1)} "
                f"GiB at full size) no longer fits the page cache and the OS cache every change "
                f"pays a random read, and the matching engine's memory "
                f"(~{n(national.get('load_peak_rss_mib', national['peak_rss_mib']) * NATIONAL_CHILDREN / national['children'] / 1024, 1)} "
                f"GiB at full size, linearly, from the load's peak RSS) must fit the machine. `--size full` measures it. "
                f"Target: under {TARGET_SECONDS // 60} min on 2 cores.\n")
        if limits:
            md.append(table([
                ["SQLite append (rows/s)", n(limits["sqlite_append_per_s"]),
                 ratio(rate, limits["sqlite_append_per_s"])],
                ["SQLite random-key insert (rows/s)", n(limits["sqlite_random_per_s"]),
                 ratio(rate, limits["sqlite_random_per_s"])],
                [f"Ed25519 verify × {cpus} cores (/s)", n(verify * cpus), ratio(rate, verify * cpus)],
            ], ["national load rate / raw limit", "limit", "ratio"]))
            md.append("")
        if chunks:
            with open(os.path.join(raw, "national.dat"), "w") as f:
                for c in full:
                    f.write(f"{c[0]} {c[1]}\n")
            if gnuplot(f"""set terminal pngcairo size 900,500
set output 'throughput_vs_records.png'
set title 'National load: index apply rate vs records held ({national['authorities']} authorities)'
set xlabel 'records held at the index'
set ylabel 'changes/s (per chunk, log scale)'
set format x '%.0s%c'
set logscale y
set grid
plot 'raw/national.dat' using 1:2 with linespoints title 'apply + resolve', \\
     {limits.get('sqlite_random_per_s', 0)} title 'raw: SQLite random-key insert' dashtype 2
""", out):
                md.append("\n![throughput vs records](throughput_vs_records.png)\n")
    else:
        md.append("NOT RUN (see raw/national.log).\n")

    # Sync.
    md.append("## End-to-end sync (issue 3)\n")
    if sync:
        rows = [
            ["drain (backlog at full speed)", n(sync["drain"]) + " changes/s",
             ratio(sync["drain"], sync["naive"]), ratio(sync["drain"], limits.get("sqlite_random_per_s")),
             ratio(sync["drain"], limits.get("zmq_curve_per_s")),
             ratio(sync["drain"], verify * cpus if verify else None)],
            ["drain incl. the merge it left", n(sync["drain_merged"]) + " changes/s",
             ratio(sync["drain_merged"], sync["naive"]),
             ratio(sync["drain_merged"], limits.get("sqlite_random_per_s")),
             ratio(sync["drain_merged"], limits.get("zmq_curve_per_s")),
             ratio(sync["drain_merged"], verify * cpus if verify else None)],
            ["live end to end", n(sync["live"]) + " changes/s", ratio(sync["live"], sync["naive"]),
             ratio(sync["live"], limits.get("sqlite_random_per_s")),
             ratio(sync["live"], limits.get("zmq_curve_per_s")),
             ratio(sync["live"], verify * cpus if verify else None)],
            ["naive baseline (median of " + str(len(sync.get("naive_runs", []))) + ")",
             n(sync["naive"]) + " rows/s", "1.00", ratio(sync["naive"], limits.get("sqlite_random_per_s")),
             "–", "–"],
        ]
        md.append(f"`sync_bench.py`: 1 index + 3 authority aegisd on loopback (CURVE, real "
                  f"signatures, synchronous=FULL), {n(sync['records'])} records already at the "
                  f"index; index start (engine rebuilt from the store) {sync['start']:.1f} s; "
                  f"drain of {n(sync['drained'])} changes, {sync['txn']:.0f} changes per "
                  f"transaction, {sync['cores']:.2f} cores busy. Issue 3's target: drain ≥ 2× "
                  f"the naive baseline.\n")
        md.append(table(rows, ["figure", "rate", "× naive", "× SQLite random insert",
                               "× ZeroMQ CURVE", f"× Ed25519 verify ({cpus} cores)"]))
        lat = sync.get("latencies_ms") or []
        md.append(f"\nLight load, {sync['rate']:g} changes/s: commit → applied p50 "
                  f"**{sync['p50']:.0f} ms**, p99 **{sync['p99']:.0f} ms** (target < 50 ms)"
                  + (f", max {max(lat):.0f} ms over {len(lat)} changes" if lat else "") + ".\n")
        if lat:
            with open(os.path.join(raw, "latency.dat"), "w") as f:
                for i, v in enumerate(sorted(lat)):
                    f.write(f"{v} {100 * (i + 1) / len(lat)}\n")
            if gnuplot(f"""set terminal pngcairo size 900,500
set output 'latency.png'
set title 'Commit-to-applied latency at {sync['rate']:g} changes/s ({len(lat)} changes)'
set xlabel 'ms (commit at the authority -> durably applied at the index)'
set ylabel 'cumulative %'
set yrange [0:100]
set grid
set arrow from 50, graph 0 to 50, graph 1 nohead dashtype 2
set label 'target p99' at 50, 95 offset 1,0
plot 'raw/latency.dat' using 1:2 with steps title 'changes'
""", out):
                md.append("![latency distribution](latency.png)\n")
    else:
        md.append("NOT RUN (see raw/sync.log).\n")

    # Import.
    md.append("## Import (CTF through `aegis import`)\n")
    if imp:
        md.append(table([
            ["import", n(imp["rate"]) + " records/s", ratio(imp["rate"], imp["bulk_rate"]),
             ratio(imp["rate"], limits.get("sqlite_append_per_s"))],
            ["sorted bulk load of the same rows", n(imp["bulk_rate"]) + " records/s", "1.00",
             ratio(imp["bulk_rate"], limits.get("sqlite_append_per_s"))],
        ], ["figure", "rate", "× bulk load (target ≥ 0.5)", "× SQLite append"]))
        md.append(f"\n{n(imp['pupils'])}-pupil CTF, {imp['seconds']:.1f} s, peak RSS "
                  f"{imp['peak_rss_mib']:.1f} MiB (target < 100); the same file again: "
                  f"{imp['second_seconds']:.1f} s, {imp['second_changes']} changes.\n")
    else:
        md.append("NOT RUN (see raw/import.log).\n")

    # Resolution.
    md.append("## Resolution\n")
    if resolve_rows:
        md.append(table([[n(c), n(r), n(rate) + " records/s", f"{us:.1f}", f"{f1:.4f}",
                          n(parse) + " records/s", ratio(rate, parse)]
                         for c, r, rate, us, f1, parse in resolve_rows],
                        ["children", "records", "resolved", "CPU µs/record", "F1",
                         "raw: CSV adapter alone", "× adapter"]))
        md.append("\n`resolve_bench.py` (engineer h26's), its summary lines:\n\n```\n" +
                  resolve_log + "\n```\n")
    elif os.path.exists(os.path.join(raw, "resolve.log")):
        md.append("NOT RUN or failed (see raw/resolve.log).\n")
    else:
        md.append("NOT RUN (not part of this run's size).\n")

    # Query.
    md.append("## Query (issue 6)\n")
    if query:
        commit = query["commit_limit"]
        rows = []
        for name, key in (("audited (the real path: answer_query)", "audited"),
                          ("unaudited (search + answer, no write)", "unaudited"),
                          ("first pass, unaudited (cache as the load left it)", "cold")):
            if key not in query:  # "cold" since the twelfth session
                continue
            q = query[key]
            rows.append([name, n(q["qps"]) + " queries/s", f"{q['p50_ms']:.2f}",
                         f"{q['p99_ms']:.2f}", f"{q['service_p50_ms']:.2f}",
                         f"{q['service_p99_ms']:.2f}", ratio(q["qps"], commit)])
        rows.append(["raw: single-row SQLite commits (WAL, synchronous=FULL)",
                     n(commit) + " commits/s", "–", "–", "–", "–", "1.00"])
        md.append(f"`aegis_query_bench_tool`: {n(query['children'])} synthetic children "
                  f"({n(query['records'])} records, {query['authorities']} authorities), name + "
                  f"date of birth searches from {query['clients']} client threads, "
                  f"{n(query['queries'])} per mode. The index store is one SQLite writer "
                  f"connection: queries are **serialised** (as on aegisd's event loop), so "
                  f"latency includes the wait for the store. Issue 6's targets: p99 < 20 ms at "
                  f"11M; the audit append must not halve throughput.\n")
        md.append(table(rows, ["mode", "rate", "p50 ms", "p99 ms", "service p50 ms",
                               "service p99 ms", "× commit limit"]))
        md.append(f"\nAudited / unaudited throughput: **{query['audit_ratio']:.2f}** (target "
                  f"≥ 0.5). First search {query['first_search_seconds']:.2f} s (it searches the "
                  f"matching engine the apply path keeps); setup load "
                  f"{query['load_seconds']:.0f} s; peak RSS {n(query['peak_rss_mib'])} MiB.\n")
    else:
        md.append("NOT RUN (see raw/query.log).\n")

    with open(os.path.join(out, "REPORT.md"), "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
