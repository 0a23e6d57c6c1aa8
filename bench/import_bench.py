#!/usr/bin/env python3
# Import benchmark (figures only, never pass/fail; bench/README.md). Everything real: a CTF of
# --pupils pupils (default 300,000) made by scripts/make-ctf.py, imported by the real `aegis
# import FILE --format ctf --json` into a real authority store (keys, certificate, trust bundle,
# config and `aegis store init` made by tests/integration/harness.py, as the tests do; no
# daemon runs), Ed25519 signatures, SQLite with synchronous=FULL.
#
#   1. Import: wall time of the `aegis` process -> records/s; its peak RSS (ru_maxrss of that
#      child, from wait4).
#   2. Import the same file again: its time, and the changes it produced (delta: 0 expected).
#   3. In the same run, the machine's raw limit: aegis_import_bench_tool copies the rows the
#      import wrote (records and outbox, every column, the same bytes) into a fresh SQLite file,
#      sorted by key, in one transaction (WAL, synchronous=FULL): records/s.
#   Targets (issue "Adapters"): import >= 0.5 x the bulk-load rate; peak RSS < 100 MiB.
#
#   python3 bench/import_bench.py [--pupils N] [--seed S] [--keep]
# Binaries: AEGIS_BIN, AEGIS_IMPORT_BENCH_TOOL (default: under $BUILD_DIR or ./build).
# Names: scripts/synthetic_people.py's DEFAULT_NAMES ($AEGIS_NAMES_DIR, else ../shared/data/
# uk-names beside the checkout) when present, else make-ctf.py's built-in list (said so).
import argparse
import datetime
import json
import os
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
source = os.path.dirname(here)
build = os.environ.get("BUILD_DIR", os.path.join(source, "build"))
os.environ.setdefault("AEGIS_BIN", os.path.join(build, "daemon", "cli", "aegis"))
TOOL = os.environ.get("AEGIS_IMPORT_BENCH_TOOL",
                      os.path.join(build, "bench", "aegis_import_bench_tool"))
MAKE_CTF = os.path.join(source, "scripts", "make-ctf.py")
sys.path.insert(0, os.path.join(source, "tests", "integration"))
sys.path.insert(0, os.path.join(source, "scripts"))
import harness as h  # noqa: E402
from synthetic_people import DEFAULT_NAMES  # noqa: E402

MIB = 1024 * 1024


def make_ctf(path, pupils, seed):
    """make-ctf.py picks its names itself (DEFAULT_NAMES, else its built-in lists)."""
    h.run_cmd([sys.executable, MAKE_CTF, "--pupils", str(pupils), "--seed", str(seed),
               "--date",
               datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
               "--output", path], timeout=3600)


def import_ctf(authority, ctf, name):
    """`aegis --json import CTF --format ctf`: (wall seconds, CPU seconds, peak RSS bytes,
    report)."""
    out, err = (os.path.join(authority.dir, f"{name}.{ext}") for ext in ("json", "err"))
    with open(out, "wb") as o, open(err, "wb") as e:
        start = time.monotonic()
        p = subprocess.Popen([h.AEGIS, "--config", authority.config, "--json", "import", ctf,
                              "--format", "ctf"], stdout=o, stderr=e, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.monotonic() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        with open(err) as e:
            sys.exit(f"import_bench: {name} failed (exit {p.returncode}):\n{e.read()}")
    with open(out) as f:
        report = json.load(f)
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, report


def main():
    ap = argparse.ArgumentParser(description="Import benchmark (bench/README.md)")
    ap.add_argument("--pupils", type=int, default=300_000, help="pupils in the CTF")
    ap.add_argument("--seed", type=int, default=7, help="make-ctf.py seed")
    ap.add_argument("--keep", action="store_true", help="keep the directory")
    ap.add_argument("--json", help="also write the figures to this file, for bench/report.py")
    opt = ap.parse_args()
    for b in (h.AEGIS, TOOL):
        if not os.access(b, os.X_OK):
            sys.exit(f"import_bench: no executable {b} (build first, or set BUILD_DIR)")

    load_start = os.getloadavg()[0]
    c = h.Cluster("import_bench", authorities=("kent",))
    kent = c.authority("kent")
    print(f"import_bench: {c.dir}")
    try:
        if os.path.isdir(DEFAULT_NAMES):
            print(f"names: {DEFAULT_NAMES}")
        else:
            print(f"names: NO uk-names directory at {DEFAULT_NAMES}; using make-ctf.py's "
                  "BUILT-IN list")
        ctf = os.path.join(c.dir, "pupils.xml")
        start = time.monotonic()
        make_ctf(ctf, opt.pupils, opt.seed)
        print(f"setup: {opt.pupils:,}-pupil CTF, {os.path.getsize(ctf) / MIB:,.0f} MiB, made in "
              f"{time.monotonic() - start:.0f} s (untimed)", flush=True)

        # 1. The import.
        secs, cpu, rss, first = import_ctf(kent, ctf, "import-1")
        h.check(first["outcome"] == "imported", f"first import: {first['outcome']}")
        rate = first["records"] / secs
        inner = (first["finished_ms"] - first["started_ms"]) / 1000
        print(f"import: {first['records']:,} records ({first['changed']:,} changes, "
              f"{first['quarantined']:,} quarantined) in {secs:.1f} s = {rate:,.0f} records/s; "
              f"{inner:.1f} s of it inside the import, {cpu:.1f} s of CPU; peak RSS "
              f"{rss / MIB:.1f} MiB", flush=True)

        # 2. The same file again.
        secs2, cpu2, rss2, second = import_ctf(kent, ctf, "import-2")
        h.check(second["outcome"] == "imported", f"second import: {second['outcome']}")
        print(f"second import: {second['records']:,} records, {second['changed']:,} changes, "
              f"{second['unchanged']:,} unchanged in {secs2:.1f} s = "
              f"{second['records'] / secs2:,.0f} records/s, {cpu2:.1f} s of CPU; peak RSS "
              f"{rss2 / MIB:.1f} MiB",
              flush=True)

        # 3. The raw limit, same run, same machine.
        bulk = json.loads(h.run_cmd([TOOL, "--store", kent.db, "--out",
                                     os.path.join(c.dir, "bulk.db")], timeout=3600).stdout)
        print(f"bulk load: {bulk['records']:,} records rows + {bulk['outbox_rows']:,} outbox rows "
              f"({bulk['bytes'] / MIB:,.0f} MiB) in {bulk['seconds']:.1f} s = "
              f"{bulk['rows_per_s']:,.0f} records/s")

        load_end = os.getloadavg()[0]
        if opt.json:
            with open(opt.json, "w") as f:
                json.dump({"pupils": opt.pupils, "records": first["records"], "rate": rate,
                           "seconds": secs, "bulk_rate": bulk["rows_per_s"],
                           "peak_rss_mib": rss / MIB, "second_seconds": secs2,
                           "second_changes": second["changed"]}, f)
        print()
        print(f"== import_bench: {opt.pupils:,}-pupil CTF, {os.cpu_count()} CPUs, load average "
              f"{load_start:.1f} before, {load_end:.1f} after")
        print(f"import                     {rate:10,.0f} records/s  "
              f"({secs:.1f} s, {first['changed']:,} changes)")
        print(f"sorted bulk load           {bulk['rows_per_s']:10,.0f} records/s  "
              f"({bulk['seconds']:.1f} s, same rows)")
        print(f"ratio                      {rate / bulk['rows_per_s']:10.2f}             "
              f"(target >= 0.5)")
        print(f"peak RSS                   {rss / MIB:10.1f} MiB        (target < 100; second "
              f"import {rss2 / MIB:.1f} MiB)")
        print(f"second import              {secs2:10.1f} s          "
              f"{second['changed']:,} changes (delta: 0 expected)")
    except BaseException:
        print(f"import_bench: failed; directory kept: {c.dir}", file=sys.stderr)
        raise
    if opt.keep:
        print(f"kept: {c.dir}")
    else:
        subprocess.run(["rm", "-rf", c.dir])


if __name__ == "__main__":
    main()
