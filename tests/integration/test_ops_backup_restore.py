#!/usr/bin/env python3
# ops_backup_restore: `aegis backup` while changes are being committed, `aegis restore` into a
# fresh data directory (docs/operations.md, "Back up and restore").
#   1. The index is down (an outage) while kent commits 300 changes; a backup is taken in the
#      middle. kent's disk is then lost; the backup is restored into a new data directory: it
#      passes integrity_check and `aegis log verify`, kent and the index start, and the index
#      ends up with exactly the restored outbox (it held less than the backup).
#   2. Restored to an older point than the index holds: kent's session is `diverged`, nothing
#      is pushed, and the index's chain stays as it was. New changes made after that restore
#      get seqs the index already holds for other changes: the index never applies them (the
#      first beyond its head is rejected: its prev_hash does not link), so no seq is re-used.
# Refusals: a backup onto an existing file; a restore while aegisd runs, onto an existing store,
# of another role's or another authority's backup, of a corrupt file. Backups are 0600 and one
# file (no -wal) of the store's own tables (key files are never in it).
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

FIRST = 20
DURING = 300


def refused(node, args, code):
    r = node.aegis("--json", *args, check_rc=False)
    h.check(r.returncode == 1, f"{args}: exit {r.returncode}\n{r.stdout}{r.stderr}")
    h.check(f'"code":"{code}"' in r.stdout.replace(" ", ""), f"{args}: {r.stdout}")
    return r


def outbox_tail(db):
    return h.query(db, "SELECT coalesce(max(seq), 0) FROM outbox")[0][0]


def check_backup_file(path):
    h.check(stat.S_IMODE(os.stat(path).st_mode) == 0o600, f"{path}: mode not 0600")
    h.check(not os.path.exists(path + "-wal"), f"{path}: a -wal file beside it")
    h.check(h.query(path, "PRAGMA journal_mode")[0][0] == "delete", f"{path}: still WAL")
    h.integrity_check(path)
    tables = {t for (t,) in h.query(path, "SELECT name FROM sqlite_schema WHERE type = 'table'")}
    h.check("outbox" in tables and "records" in tables, f"{path}: tables {tables}")


def lose_disk(node, suffix):
    """The node's data directory is gone (moved aside); a fresh one is made by restore."""
    os.rename(node.data, node.data + suffix)


def test(c):
    kent, leeds = c.authority("kent"), c.authority("leeds")
    c.start_all()
    kent.add_many(c.child_file("k", family="Hartley"), FIRST)
    leeds.add_many(c.child_file("l", family="Leedsham"), 5)
    c.wait_synced()

    # 1. An outage, writes going on, a backup in the middle.
    c.index.stop()
    writer = kent.add_many(c.child_file("w", family="Hartley"), DURING, start=FIRST + 1,
                           background=True)
    h.wait_until(lambda: kent.outbox_tail() >= FIRST + 60, 240, "kent writing")
    b1 = os.path.join(c.dir, "kent-1.backup")
    r = kent.aegis("--json", "backup", "--output", b1)
    h.check('"role": "authority"' in r.stdout or '"role":"authority"' in r.stdout, r.stdout)
    h.check(h.reap(writer, 600) == 0, "add-many failed")
    at_backup = outbox_tail(b1)
    h.log(f"backup at seq {at_backup} of {kent.outbox_tail()}")
    h.check(FIRST + 60 <= at_backup <= FIRST + DURING, f"backup at seq {at_backup}")
    check_backup_file(b1)
    refused(kent, ["backup", "--output", b1], "exists")
    # The index's store: its own backup (the index stopped or not, the same command).
    bi = os.path.join(c.dir, "index.backup")
    c.index.aegis("backup", "--output", bi)

    kent.kill()  # the disk is lost with kent's daemon on it
    lose_disk(kent, ".lost-1")
    refused(kent, ["restore", "--input", bi], "wrong_role")
    leeds_backup = os.path.join(c.dir, "leeds.backup")
    leeds.aegis("backup", "--output", leeds_backup)
    refused(kent, ["restore", "--input", leeds_backup], "wrong_subject")
    corrupt = os.path.join(c.dir, "corrupt.backup")
    with open(b1, "rb") as f, open(corrupt, "wb") as g:
        data = bytearray(f.read())
        data[len(data) // 2:len(data) // 2 + 4096] = b"\xa5" * 4096
        g.write(data)
    r = kent.aegis("restore", "--input", corrupt, check_rc=False)
    h.check(r.returncode == 1, f"a corrupt backup restored: {r.stdout}")
    h.check(not os.path.exists(kent.db), "a refused restore left a store")
    kent.aegis("restore", "--input", b1)
    refused(kent, ["restore", "--input", b1], "exists")
    h.integrity_check(kent.db)
    verify = kent.aegis("log", "verify")
    h.check(f"{at_backup} envelopes verified, chain intact" in verify.stdout, verify.stdout)
    kent.start()
    c.index.start()
    c.wait_synced()
    counts = c.check_exactly_once()
    h.check(counts["kent"] == at_backup, f"index holds {counts['kent']}, restored {at_backup}")
    c.check_national_ids()

    # A restore while aegisd runs is refused (its lock), whatever is in the data directory.
    refused(kent, ["restore", "--input", b1], "daemon_running")

    # 2. Restored to an older point than the index holds.
    b2 = os.path.join(c.dir, "kent-2.backup")
    kent.aegis("backup", "--output", b2)
    t2 = outbox_tail(b2)
    kent.add_many(c.child_file("m", family="Hartley"), 10)
    c.wait_synced(["kent"])
    held = c.index.envelopes("kent")
    h.check(len(held) == t2 + 10, f"index holds {len(held)}")
    kent.stop()
    lose_disk(kent, ".lost-2")
    kent.aegis("restore", "--input", b2)
    since = kent.start()
    kent.wait_log(rf"^<3>diverged peer=national index_seq={t2 + 10} outbox_tail={t2}", since, 60)
    h.check(kent.peer()["session"] == "diverged", f"kent: {kent.peer()}")
    # Changes made after the restore: seqs t2+1..t2+11, the first ten held by the index already.
    kent.stop()
    kent.add_many(c.child_file("n", family="Hartley"), 11)
    since = kent.start()
    h.wait_until(lambda: [r for r in c.index.rejections("kent") if r[1] == t2 + 11],
                 h.SYNC_TIMEOUT, f"the index to reject kent's seq {t2 + 11}")
    h.check(c.index.envelopes("kent") == held, "the index's chain of kent changed")
    h.check(c.index.applied()["kent"] == t2 + 10, "the index's head of kent moved")
    verify = c.index.aegis("index", "verify")
    h.check("chains intact" in verify.stdout, verify.stdout)
    h.log(f"rejected: {c.index.rejections('kent')}")
    c.stop_all()
    c.check_integrity()


if __name__ == "__main__":
    h.run("ops_backup_restore", test, authorities=["kent", "leeds"])
