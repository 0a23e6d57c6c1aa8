#!/usr/bin/env python3
# packaging: syscall_filter — every system call aegisd makes is allowed by the unit's
# SystemCallFilter= (packaging/aegis@.service), every socket it opens is of a family in the
# unit's RestrictAddressFamilies=, it never maps memory writable and executable or makes a
# mapping executable (MemoryDenyWriteExecute=), and it reads nothing in /proc but processes'
# own entries (ProcSubset=pid hides the rest). A call outside it fails with EPERM under systemd,
# and some libraries abort on that (libzmq asserts when it cannot set its threads' scheduling),
# so a new call in the code would make the service die in production while every other test
# passes. Both roles run under `strace -f` through a short life: start, sync with the feed,
# status, an inbox import, a SIGHUP reload, SIGTERM. The allowed set is computed from the unit's
# own lines (systemd-analyze syscall-filter expands the groups). Negative: the same trace under
# a filter without @io-event (epoll) shows violations, so an empty result means something.
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness as h  # noqa: E402

UNIT = os.path.join(h.SOURCE_DIR, "packaging", "aegis@.service")
# SQLite gives the files it creates to root only when running as root (robust_open); the unit's
# user is aegis, so these never happen there.
ROOT_ONLY = {"fchown"}
SYSCALL = re.compile(r"^\d+\s+([a-z_0-9]+)\(")
SOCKET_FAMILY = re.compile(r"^\d+\s+socket(?:pair)?\((AF_[A-Z0-9]+)")
# What MemoryDenyWriteExecute= refuses: a mapping both writable and executable, or made
# executable afterwards.
# One exception: jemalloc (the allocator, CMakeLists.txt AEGIS_JEMALLOC) reads
# /proc/sys/vm/overcommit_memory once at start; hidden by ProcSubset=pid, the open fails and
# jemalloc takes the kernel for one that does not overcommit (it maps without MAP_NORESERVE and
# gives pages back by remapping them): a probe with a fallback, not a need.
PROC_OUTSIDE_PID = re.compile(
    r'"/proc/(?!self/|self"|thread-self|[0-9]+(?:/|")|sys/vm/overcommit_memory")[^"]*"')
WRITE_EXECUTE = re.compile(r"^\d+\s+(?:mmap\(.*PROT_WRITE\|PROT_EXEC|(?:pkey_)?mprotect\(.*PROT_EXEC)")


def expand(name, seen=None):
    """The system calls of a name: itself, or every member of a @group (recursively)."""
    if not name.startswith("@"):
        return {name}
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    out = h.run_cmd(["systemd-analyze", "syscall-filter", name]).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        word = line.strip()
        if word and not word.startswith("#"):
            calls |= expand(word, seen)
    return calls


def allowed_by(lines):
    """The allow list of SystemCallFilter= lines applied in order (the first is an allow list;
    a later "~" line removes, a later plain line adds)."""
    allowed = set()
    for i, value in enumerate(lines):
        deny = value.startswith("~")
        names = value.lstrip("~").split()
        h.check(i > 0 or not deny, "the unit's first SystemCallFilter= is not an allow list")
        for n in names:
            allowed = allowed - expand(n) if deny else allowed | expand(n)
    return allowed


def unit_values(key):
    """The values of every `key=` line of the unit, in order."""
    with open(UNIT) as f:
        lines = [l.split("=", 1)[1].strip() for l in f if l.startswith(key + "=")]
    h.check(lines, f"the unit has no {key}=")
    return lines


def traced(trace_path):
    """(system calls, socket families, lines the sandbox refuses) in an strace -f output."""
    calls, families, refused = set(), set(), []
    with open(trace_path) as f:
        for line in f:
            if WRITE_EXECUTE.match(line) or PROC_OUTSIDE_PID.search(line):
                refused.append(line.strip())
            m = SYSCALL.match(line)
            if m:
                calls.add(m.group(1))
            m = SOCKET_FAMILY.match(line)
            if m:
                families.add(m.group(1))
    return calls, families, refused


def start_traced(c, node):
    """aegisd under strace -f; returns (strace process, aegisd pid)."""
    trace = os.path.join(c.dir, f"{node.name}.strace")
    log = open(node.log_path, "ab")
    try:
        p = subprocess.Popen(["strace", "-f", "-qq", "-o", trace, h.AEGISD, "--config", node.config],
                             stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             cwd=node.dir)
    finally:
        log.close()
    h._live.add(p)
    ready = node.wait_log(r"^<6>ready role=.* pid=[0-9]+")
    return p, int(re.search(r" pid=([0-9]+)", ready).group(1)), trace


def test(c):
    kent = c.authority("kent")
    inbox = os.path.join(kent.dir, "inbox")
    os.makedirs(inbox)
    with open(kent.config, "a") as f:
        f.write(f'\n[[inbox]]\ndir = "{inbox}"\nformat = "ctf"\nstable_ms = 0\n')
    for node in (c.index, kent):  # the metrics endpoint's threads and sockets are traced too
        with open(node.config, "a") as f:
            f.write('\n[metrics]\nlisten = "127.0.0.1:0"\n')

    index_proc, index_pid, index_trace = start_traced(c, c.index)
    kent_proc, kent_pid, kent_trace = start_traced(c, kent)
    kent.add_many(c.child_file("k", family="Hartley"), 20)
    c.wait_synced(["kent"])
    h.check(kent.status() and c.index.status(), "status did not answer")
    for node in (c.index, kent):
        with urllib.request.urlopen(f"http://{node.status()['metrics']}/metrics", timeout=30) as r:
            h.check(r.status == 200 and b"aegis_up 1" in r.read(), f"{node.name}: /metrics")

    ctf = os.path.join(h.SOURCE_DIR, "tests", "data", "ctf", "good-full.xml")
    shutil.copyfile(ctf, os.path.join(inbox, ".school.part"))
    os.rename(os.path.join(inbox, ".school.part"), os.path.join(inbox, "school.xml"))
    h.wait_until(lambda: os.path.exists(os.path.join(inbox, "processed", "school.xml")),
                 h.SYNC_TIMEOUT, "the import of a school's CTF")
    c.wait_synced(["kent"])  # the imported children reach the index

    for node, pid in ((c.index, index_pid), (kent, kent_pid)):
        since = node.log_size()
        os.kill(pid, signal.SIGHUP)
        node.wait_log(r"^<6>trust_reloaded ", since)
    for node, pid, proc in ((kent, kent_pid, kent_proc), (c.index, index_pid, index_proc)):
        os.kill(pid, signal.SIGTERM)
        rc = h.reap(proc, h.STOP_TIMEOUT)
        h.check(rc == 0, f"{node.name}: exit {rc} under strace")

    lines = unit_values("SystemCallFilter")
    allowed = allowed_by(lines)
    families_allowed = set(" ".join(unit_values("RestrictAddressFamilies")).split())
    for name, trace in (("index", index_trace), ("authority", kent_trace)):
        used, families, refused = traced(trace)
        h.check(not refused, f"{name}: refused by MemoryDenyWriteExecute= or ProcSubset=pid: "
                             f"{refused[:3]}")
        h.check({"AF_UNIX", "AF_INET"} <= families, f"{name}: sockets traced: {families}")
        h.check(families <= families_allowed,
                f"{name}: socket families outside RestrictAddressFamilies=: "
                f"{sorted(families - families_allowed)}")
        h.check(len(used) > 30, f"{name}: only {len(used)} system calls traced: {sorted(used)}")
        outside = sorted(used - allowed - ROOT_ONLY)
        h.check(not outside, f"{name}: system calls outside the unit's SystemCallFilter=: {outside}")
        h.log(f"{name}: {len(used)} distinct system calls and sockets {sorted(families)}, "
              "all allowed")
        tighter = allowed_by(lines + ["~@io-event"])
        h.check(used - tighter - ROOT_ONLY, f"{name}: a filter without @io-event shows no "
                                            "violation: the check proves nothing")


if __name__ == "__main__":
    if not shutil.which("strace"):
        print("syscall_filter: FAIL: strace is not installed (scripts/install-deps.sh)")
        sys.exit(1)
    h.run("syscall_filter", test, authorities=["kent"])
