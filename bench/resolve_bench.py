#!/usr/bin/env python3
# Resolution benchmark (docs/resolution.md, "Evaluation"; bench/README.md): matching quality and
# scale of the index's resolution engine, through the real CSV adapter.
#
#   python3 bench/resolve_bench.py [--children 1000000] [--quick] [--keep] [--posterior P]
#                                  [--analyse]
#
# 1. FEBRL quality (when ../shared/data/febrl is beside the checkout, or $AEGIS_FEBRL_DIR):
#    dataset1 and dataset2, original records in one authority and duplicates in another,
#    read with the CSV adapter's FEBRL mapping; precision, recall, F1 of the pairwise links
#    against the ground truth (rec-N-org / rec-N-dup-K: same N, same person).
# 2. Synthetic quality: scripts/make-children.py, 20,000 children over 10 authorities with 20%
#    known in two (corrupted second records, twins, siblings); same figures against truth.csv.
# 3. Scale: 100,000 and --children (1,000,000) children over 150 authorities, 5% known in two;
#    records/s, peak RSS, pairs compared, and per-record cost at the large size over the small
#    one (the linearity target: at most 1.2x).
# The raw limit measured in the same run: the adapter alone reading the same files
# (aegis_resolve_bench_tool --parse-only), so "resolution costs N x parsing".
# Parameters: every run first estimates m, u and the prior from the records themselves (EM over
# the candidate pairs, u from drawn pairs: --estimate, untimed training) and sets the link
# threshold from a target posterior probability of a link, 0.99 by default (--posterior P;
# the precision of all links is far higher: most score well above the threshold), never from
# the truth file (docs/resolution.md, "Estimating m, u and the prior", "Thresholds");
# --documented runs the engine's documented national figures and fixed thresholds instead.
# --analyse adds, per quality run, why true pairs were missed (counts by reason).
# Figures only, never pass/fail; a busy machine (load average printed) lowers every rate.
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = os.environ.get("BUILD_DIR", os.path.join(source, "build"))
TOOL = os.environ.get("AEGIS_RESOLVE_BENCH_TOOL",
                      os.path.join(build, "bench", "aegis_resolve_bench_tool"))
MAKE_CHILDREN = os.path.join(source, "scripts", "make-children.py")
FEBRL_DIRS = [os.environ.get("AEGIS_FEBRL_DIR", ""),
              os.path.join(os.path.dirname(source), "shared", "data", "febrl")]


def febrl_dir():
    for d in FEBRL_DIRS:
        if d and os.path.isfile(os.path.join(d, "dataset1.csv")):
            return os.path.abspath(d)
    return None


POSTERIOR = 0.99
MODEL = ["--estimate", "--posterior", str(POSTERIOR)]


def tool(args, timeout=7200):
    p = subprocess.run([TOOL] + args, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        sys.exit(f"resolve_bench: {' '.join([TOOL] + args)} failed (exit {p.returncode}):\n"
                 f"{p.stderr}")
    return json.loads(p.stdout)


def split_febrl(dataset, out_dir):
    """dataset -> (org file, dup file): the same header, original records and duplicates."""
    name = os.path.splitext(os.path.basename(dataset))[0]
    org_path = os.path.join(out_dir, f"{name}-org.csv")
    dup_path = os.path.join(out_dir, f"{name}-dup.csv")
    with open(dataset, encoding="utf-8") as f, open(org_path, "w", encoding="utf-8") as org, \
            open(dup_path, "w", encoding="utf-8") as dup:
        header = f.readline()
        org.write(header)
        dup.write(header)
        for line in f:
            (dup if "-dup-" in line.split(",", 1)[0] else org).write(line)
    return org_path, dup_path


def quality_line(what, r):
    return (f"{what}: {r['records']:,} records ({r.get('quarantined', 0):,} quarantined by the "
            f"adapter), {r.get('true_pairs', 0):,} true pairs; links: precision "
            f"{r['precision']:.4f}, recall {r['recall']:.4f}, F1 {r['f1']:.4f} "
            f"({r['false_positive_pairs']:,} wrong pairs); review "
            f"{r.get('review_pairs', 0):,} pairs ({r.get('review_pairs_true', 0):,} true); after "
            f"review F1 {r['after_review']['f1']:.4f}; {r.get('pairs_compared', 0):,} pairs "
            f"compared; {r['cpu_us_per_record']:.1f} CPU us/record; link threshold "
            f"{r['link_threshold']:.1f} bits{estimate_note(r)}; wrong pairs with one family name and date of "
            f"birth (twins) {r.get('false_pairs_same_family_and_dob', 0)}{missed_note(r)}")


def missed_note(r):
    m = r.get("missed")
    if not m:
        return ""
    reasons = ", ".join(f"{k} {v['pairs']}" for k, v in sorted(m.get("by_reason", {}).items()))
    return f"; missed true pairs {m['pairs']:,} ({reasons})"


def estimate_note(r):
    e = r.get("estimate")
    if not e:
        return ""
    return (f" (estimated prior {e['prior']:.3g}, {e['candidate_prior']:.3f} of candidate pairs, "
            f"{e['iterations']} EM iterations, {e['cpu_seconds']:.1f} s CPU)")


def make_children(out, children, authorities, two_area, seed):
    start = time.monotonic()
    summary = json.loads(subprocess.run(
        [sys.executable, MAKE_CHILDREN, "--children", str(children), "--authorities",
         str(authorities), "--two-area", str(two_area), "--seed", str(seed), "--out", out],
        capture_output=True, text=True, check=True, timeout=7200).stdout)
    return summary, time.monotonic() - start


def csv_args(directory, authorities):
    args = []
    for k in range(authorities):
        name = "la-%03d" % (k + 1)
        args += ["--csv", f"{name}={os.path.join(directory, name + '.csv')}"]
    return args


def main():
    ap = argparse.ArgumentParser(description="Resolution benchmark (bench/README.md)")
    ap.add_argument("--children", type=int, default=1_000_000, help="the large scale run")
    ap.add_argument("--quick", action="store_true", help="10,000 and 100,000 children")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--repeat", type=int, default=3,
                    help="resolve each scale's files this many times; the median CPU time counts "
                         "(a 100k run takes under a second: one run is at the mercy of the "
                         "machine's moment)")
    ap.add_argument("--documented", action="store_true",
                    help="the documented m/u and fixed thresholds, no estimation")
    ap.add_argument("--posterior", type=float, default=POSTERIOR,
                    help="target posterior of a link (sets the link threshold)")
    ap.add_argument("--analyse", action="store_true",
                    help="why true pairs are missed (counts by reason and pattern, bench tool "
                         "--analyse)")
    opt = ap.parse_args()
    MODEL[2] = str(opt.posterior)
    if opt.analyse:
        MODEL.extend(["--analyse", "0"])
    if opt.documented:
        MODEL.clear()
    if not os.access(TOOL, os.X_OK):
        sys.exit(f"resolve_bench: no executable {TOOL} (build with -DAEGIS_BUILD_BENCH=ON)")
    work = tempfile.mkdtemp(prefix="aegis-resolve-bench-")
    print(f"resolve_bench: {work}; load average {os.getloadavg()[0]:.2f}")
    try:
        # 1. FEBRL.
        febrl = febrl_dir()
        if febrl is None:
            print("febrl: NOT RUN — no FEBRL directory found (looked in: "
                  f"{', '.join(d for d in FEBRL_DIRS if d)}; set AEGIS_FEBRL_DIR)")
        else:
            for dataset in ("dataset1.csv", "dataset2.csv"):
                org, dup = split_febrl(os.path.join(febrl, dataset), work)
                r = tool(["--mapping", "febrl", "--csv", f"febrl-org={org}",
                          "--csv", f"febrl-dup={dup}", "--febrl-truth"] + MODEL)
                print(quality_line(f"febrl {dataset}", r), flush=True)

        # 2. Synthetic quality.
        d = os.path.join(work, "quality")
        summary, _ = make_children(d, 20_000, 10, 0.2, 11)
        print(f"synthetic: names from {summary['names']}; corruptions {summary['counts']}")
        r = tool(csv_args(d, 10) + ["--truth", os.path.join(d, "truth.csv")] + MODEL)
        print(quality_line("synthetic 20,000 children, 10 authorities, 20% in two", r),
              flush=True)
        shutil.rmtree(d)

        # 3. Scale.
        sizes = [10_000, 100_000] if opt.quick else [100_000, opt.children]
        per_record = []
        for n in sizes:
            d = os.path.join(work, f"scale-{n}")
            summary, made = make_children(d, n, 150, 0.05, 5)
            parse = tool(csv_args(d, 150) + ["--parse-only"])
            runs = [tool(csv_args(d, 150) + ["--truth", os.path.join(d, "truth.csv")] + MODEL)
                    for _ in range(max(1, opt.repeat))]
            # CPU time per record: on a shared machine wall time counts other people's work.
            # The run with the median CPU time is the one reported (its links are every run's:
            # resolution is deterministic).
            runs.sort(key=lambda run: run["cpu_us_per_record"])
            r = runs[len(runs) // 2]
            us = r["cpu_us_per_record"]
            per_record.append(us)
            if len(runs) > 1:
                print(f"scale {n:,} children: CPU us/record over {len(runs)} runs: "
                      + ", ".join(f"{run['cpu_us_per_record']:.2f}" for run in runs)
                      + " (the median counts)", flush=True)
            print(f"scale {n:,} children: {r['records']:,} records resolved in "
                  f"{r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU = "
                  f"{r['records_per_s']:,.0f} records/s ({us:.1f} CPU us/record), "
                  f"{r.get('pairs_compared', 0):,} pairs compared "
                  f"({r.get('pairs_compared', 0) / r['records']:.2f}/record; "
                  f"{r.get('pairs_prescreened', 0):,} of them prescreened, not scored), "
                  f"{r.get('clusters', 0):,} clusters, peak RSS "
                  f"{r.get('peak_rss_mib', 0):,.0f} MiB; F1 {r['f1']:.4f} (precision "
                  f"{r['precision']:.4f}, recall {r['recall']:.4f}, "
                  f"{r['false_positive_pairs']:,} wrong pairs, "
                  f"{r.get('false_pairs_same_family_and_dob', 0)} of them look-alikes); review "
                  f"{r['review_pairs']:,} pairs ({r['review_pairs_true']:,} true), after "
                  f"review F1 {r['after_review']['f1']:.4f}; link threshold "
                  f"{r['link_threshold']:.1f} bits; raw limit: the adapter "
                  f"alone reads the same files at {parse['records_per_s']:,.0f} records/s, "
                  f"resolution costs {parse['records_per_s'] / r['records_per_s']:.2f}x "
                  f"parsing (files made in {made:.0f} s, untimed)", flush=True)
            if not opt.keep:
                shutil.rmtree(d)
        print(f"linearity: per-record CPU cost at {sizes[1]:,} / at {sizes[0]:,} = "
              f"{per_record[1] / per_record[0]:.2f} (target <= 1.2)")
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
    finally:
        if opt.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
