#!/usr/bin/env python3
# disk_full (docs/RELIABILITY.md §5): writes that fail because the disk is full, made without
# mount privileges: the process gets RLIMIT_FSIZE (setrlimit in the child before exec, SIGXFSZ
# ignored), so every write past the limit fails with EFBIG as it would with ENOSPC.
#  1. The index, limited to a little more than its database, while the authorities push: it
#     reports the failure (log, error level), acknowledges nothing it did not store (every
#     authority's acknowledged seq <= what the index holds, contiguous), keeps a consistent
#     database (integrity_check), keeps running, and once the limit is lifted (prlimit on the
#     running process: the disk has room again) everything drains exactly once.
#  2. `aegis record add-many` at an authority under the limit: exits non-zero with a message,
#     every record committed has its envelope (nothing half-written), log verify clean; without
#     the limit the same command carries on.
#  3. An authority daemon under the limit while the index sends it its feed (national ids):
#     it reports the failure, acknowledges no feed item it did not store, keeps running, and
#     once the limit is lifted holds every national id.
import os
import resource
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness as h  # noqa: E402

BEFORE_EACH = 50
PUSHED_EACH = 1500
SLACK = 256 << 10  # bytes a limited index may add past its largest file
AUTHORITY_LIMIT = 64 << 10  # bytes an authority's files may reach (its fresh log, its WAL)


def file_limit(nbytes):
    """A preexec function: writes past nbytes fail with EFBIG (instead of killing the process
    with SIGXFSZ). Only the soft limit: lift_limit() raises it again without privileges."""
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, resource.RLIM_INFINITY))
    return apply


def fresh_log(node):
    """Starts the node's log afresh (it is written under the limit too); the old one is kept
    beside it."""
    if os.path.exists(node.log_path):
        os.replace(node.log_path, node.log_path + f".{node.log_size()}")


def largest_file(node):
    """Bytes of the node's largest data file (its log started afresh)."""
    fresh_log(node)
    return max(os.path.getsize(os.path.join(node.data, f)) for f in os.listdir(node.data))


def lift_limit(node):
    """The disk has room again: the running daemon's limit is lifted (prlimit), and it must
    carry on by itself, without a restart."""
    h.check(node.running(), f"{node.name}: aegisd exited under the limit\n{node.log_tail()}")
    resource.prlimit(node.pid, resource.RLIMIT_FSIZE,
                     (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    h.check(resource.prlimit(node.pid, resource.RLIMIT_FSIZE)[0] == resource.RLIM_INFINITY,
            f"{node.name}: the limit is still set")
    h.log(f"{node.name}: limit lifted")


def acked(a):
    p = a.peer()
    return p["last_acked_seq"] if p else None


def stored_prefix(c, name):
    """How many of `name`'s envelopes the index holds, checking they are 1..k."""
    seqs = sorted(c.index.envelopes(name))
    h.check(seqs == list(range(1, len(seqs) + 1)), f"{name}: the index holds a gap: {seqs[:5]}…")
    return len(seqs)


def index_disk_full(c, names, files):
    c.index.stop()
    limit = largest_file(c.index) + SLACK
    c.index.start(preexec=file_limit(limit))
    h.log(f"index restarted with RLIMIT_FSIZE {limit} bytes")
    for n in names:
        c.authority(n).add_many(files[n], PUSHED_EACH, start=BEFORE_EACH + 1)
    line = c.index.wait_log(r"^<3>", 0, timeout=h.SYNC_TIMEOUT)
    h.log(f"index reported: {line}")
    h.check("apply_failed" in line or "store_failed" in line, f"unexpected report: {line}")
    # Whatever the daemon does now (retry or exit), no authority holds an acknowledgement of
    # something the index does not hold.
    for n in names:
        a = c.authority(n)
        held = stored_prefix(c, n)
        got = acked(a)
        h.check(got is not None and got <= held, f"{n}: acknowledged {got}, index holds {held}")
        h.log(f"{n}: acknowledged {got} of {BEFORE_EACH + PUSHED_EACH}, index holds {held}")
    h.integrity_check(c.index.db)
    h.check(any(c.index.applied().get(n, 0) < BEFORE_EACH + PUSHED_EACH for n in names),
            "the limit did not stop the index")
    lift_limit(c.index)
    c.wait_synced()
    c.check_exactly_once()
    c.check_national_ids()


def cli_disk_full(c, kent, path):
    start = BEFORE_EACH + PUSHED_EACH + 1
    kent.stop()
    limit = largest_file(kent) + SLACK
    before = kent.outbox_tail()
    r = subprocess.run([h.AEGIS, "--config", kent.config, "record", "add-many", "--count",
                        "20000", "--start", str(start), path], capture_output=True, text=True,
                       timeout=600, preexec_fn=file_limit(limit))
    h.log(f"add-many under RLIMIT_FSIZE {limit}: exit {r.returncode}: {r.stderr.strip()}")
    h.check(r.returncode != 0, "add-many did not notice the full disk")
    h.check(r.stderr.strip(), "add-many failed without a message")
    added = kent.outbox_tail() - before
    h.check(0 <= added < 20000, f"kent: {added} changes")
    h.integrity_check(kent.db)
    h.check(len(kent.record_ids()) == kent.outbox_tail(), "kent: records and outbox disagree")
    out = kent.aegis("log", "verify").stdout
    h.check("chain intact" in out, f"kent: log verify said {out!r}")
    kent.add_many(path, 10, start=start + added)
    kent.start()
    return added


def authority_feed_disk_full(c, leeds, path):
    # leeds commits while stopped, then runs under a limit its write-ahead log soon meets (the
    # WAL is gone after a clean close; the database file cannot grow): the index applies its
    # changes and sends national ids that leeds cannot store.
    leeds.stop()
    leeds.add_many(path, PUSHED_EACH, start=BEFORE_EACH + PUSHED_EACH + 1)
    h.check(not os.path.exists(leeds.db + "-wal"), "leeds: a WAL is left after a clean close")
    fresh_log(leeds)
    limit = AUTHORITY_LIMIT
    leeds.start(preexec=file_limit(limit))
    h.log(f"leeds restarted with RLIMIT_FSIZE {limit} bytes")
    line = leeds.wait_log(r"^<3>", 0, timeout=h.SYNC_TIMEOUT)
    h.log(f"leeds reported: {line}")
    held = len(leeds.national_ids())
    fed = dict(h.query(c.index.db, "SELECT authority_id, feed_acked FROM authorities"))
    feed_rows = h.query(leeds.db, "SELECT coalesce(max(seq), 0) FROM feed")[0][0]
    h.check(fed["leeds"] <= feed_rows, f"leeds: the index has feed acknowledged up to "
                                       f"{fed['leeds']}, leeds stored {feed_rows}")
    h.integrity_check(leeds.db)
    lift_limit(leeds)
    h.log(f"({held} national ids held under the limit)")


def test(c):
    names = list(c.authorities)
    files = {n: c.child_file(f"{n}-d", family=f"{n.title()}field") for n in names}
    c.start_all()
    for n in names:
        c.authority(n).add_many(files[n], BEFORE_EACH)
    c.wait_synced()

    index_disk_full(c, names, files)
    added = cli_disk_full(c, c.authority("kent"), files["kent"])
    h.log(f"kent: {added} records committed before the limit")
    authority_feed_disk_full(c, c.authority("leeds"), files["leeds"])
    c.wait_synced()
    c.check_exactly_once()
    c.check_national_ids()
    c.stop_all()
    c.check_integrity()
    for n in names:
        out = c.authority(n).aegis("log", "verify").stdout
        h.check("chain intact" in out, f"{n}: log verify said {out!r}")


if __name__ == "__main__":
    h.run("disk_full", test)
