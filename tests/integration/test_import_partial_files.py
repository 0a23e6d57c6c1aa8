#!/usr/bin/env python3
# import_partial_files: the inbox never reads a file half-way (docs/adapters.md, "Inbox").
# A file written slowly under its final name (a copy or an SFTP upload that cannot rename) is
# taken only once its size and mtime have held for stable_ms, so it is imported whole, once.
# A file written under a temporary name (".NAME.part", "NAME.tmp") is never taken, however long
# it sits there; once renamed into place it is taken. Files go in name order.
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import import_files as imp  # noqa: E402

STABLE_MS = 3000
CHUNK_PAUSE = 0.2  # well under STABLE_MS, even on a loaded machine


def imports(kent):
    return h.query(kent.db, "SELECT file_name, records FROM imports ORDER BY id")


def test(c):
    kent = c.authority("kent")
    inbox = imp.add_inbox(kent, stable_ms=STABLE_MS)
    c.start_all()

    # 1. Written slowly under its final name: 20 chunks of 50 rows, one every 0.2 s.
    slow = os.path.join(inbox, "slow.csv")
    rows = [imp.csv_row(n) for n in range(1, 1001)]
    with open(slow, "w") as f:
        f.write(imp.HEADER)
        f.flush()
        for i in range(0, len(rows), 50):
            f.write("".join(rows[i:i + 50]))
            f.flush()
            time.sleep(CHUNK_PAUSE)
            h.check(not os.path.exists(os.path.join(inbox, "processed", "slow.csv")),
                    "slow.csv was taken while still being written")
    report = imp.wait_report(inbox, "slow.csv")
    h.check(report["records"] == 1000 and report["changed"] == 1000, f"report: {report}")
    h.check(imports(kent) == [("slow.csv", 1000)], f"imports: {imports(kent)}")
    h.check(not os.path.exists(os.path.join(inbox, "failed")), "something was rejected")

    # 2. Temporary names are never taken. A file dropped after them and taken proves the
    # watcher saw them stable for longer than stable_ms (it takes ready files in name order,
    # and "upload2.csv.tmp" would come before "z-sentinel.csv").
    part = os.path.join(inbox, ".upload.csv.part")
    tmp = os.path.join(inbox, "upload2.csv.tmp")
    imp.write_csv(part, range(2001, 2101))
    imp.write_csv(tmp, range(3001, 3101))
    since = kent.log_size()
    imp.drop(inbox, "z-sentinel.csv", imp.csv_text([5000]))
    imp.wait_report(inbox, "z-sentinel.csv")
    h.check(os.path.exists(part) and os.path.exists(tmp), "a temporary file was taken")
    h.check([n for n, _ in imports(kent)] == ["slow.csv", "z-sentinel.csv"],
            f"imports: {imports(kent)}")
    h.check("importing file=.upload" not in kent.log_text()[since:], "a .part file was read")

    # 3. Renamed into place: taken. Two at once go in name order.
    os.rename(part, os.path.join(inbox, "a-upload.csv"))
    os.rename(tmp, os.path.join(inbox, "b-upload.csv"))
    imp.wait_report(inbox, "b-upload.csv")
    imp.wait_report(inbox, "a-upload.csv")
    h.check(imports(kent)[2:] == [("a-upload.csv", 100), ("b-upload.csv", 100)],
            f"imports: {imports(kent)}")
    c.wait_synced(["kent"])
    expected = imp.csv_ids(list(range(1, 1001)) + [5000] + list(range(2001, 2101)) +
                           list(range(3001, 3101)))
    h.check(imp.index_record_ids(c, "kent") == expected, "index records differ")


if __name__ == "__main__":
    h.run("import_partial_files", test, authorities=["kent"])
