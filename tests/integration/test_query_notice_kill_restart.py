#!/usr/bin/env python3
# query_notice_kill_restart: a query's access notice is committed with its audit entry and
# signed into the owner's feed by the index's next flush (every second; docs/query.md "Access
# notices"). Five times, right after Kent's search is answered, the index is stopped
# (SIGSTOP), its queued notices counted from its database, and killed (SIGKILL), then started
# again: the queued notice is not lost — every search's notice reaches Leeds, exactly once — and
# the index's database passes integrity_check and its audit log verifies.
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_query_search_end_to_end import add_query_config, notices, search  # noqa: E402

NHS = h.nhs_number("943476591")
ROUNDS = 5


def test(c):
    kent, leeds = c.authority("kent"), c.authority("leeds")
    add_query_config(c)
    c.start_all()
    kent.add(h.child_record("K-1", nhs=NHS))
    leeds.add(h.child_record("L-7", nhs=NHS))
    c.wait_synced()
    h.wait_until(lambda: (lambda r: r["children"] and len(r["children"][0]["records"]) == 2)(
        search(kent, "--given", "Amelia", "--family", "Hartley", "--dob", "2015-03-14")),
        h.SYNC_TIMEOUT, "kent's search to find both records of Amelia")

    killed_waiting = 0
    users = [f"pr-kill-{i}" for i in range(ROUNDS)]
    for user in users:
        r = kent.aegis("--json", "search", "--user", user, "--purpose", "safeguarding",
                       "--given", "Amelia", "--family", "Hartley", "--dob", "2015-03-14")
        h.check('"L-7"' in r.stdout, f"{user}: answer without leeds's record: {r.stdout}")
        c.index.signal(signal.SIGSTOP)  # the answer is sent: its notice is queued or flushed
        waiting = h.query(c.index.db, "SELECT count(*) FROM pending_notices")[0][0]
        killed_waiting += 1 if waiting else 0
        h.log(f"{user}: index killed with {waiting} notice(s) queued")
        c.index.kill()
        c.index.start()

    # Almost always the kill comes before the flush (it runs once a second); the run shows it.
    h.check(killed_waiting >= 1, "every kill came after the flush: nothing was tested")

    def kent_notices():
        return [n for n in notices(leeds) if n["user_id"] in users]

    h.wait_until(lambda: {n["user_id"] for n in kent_notices()} == set(users),
                 h.SYNC_TIMEOUT, "leeds to receive the notice of every search")
    time.sleep(2.5)  # two more flushes: a notice sent twice would show now
    got = sorted(n["user_id"] for n in kent_notices())
    h.check(got == sorted(users), f"notices at leeds, each exactly once: {got}")
    h.check(all(n["record_id"] == "L-7" and n["viewer_authority_id"] == "kent"
                for n in kent_notices()), f"notices: {kent_notices()}")
    h.check(h.query(c.index.db, "SELECT count(*) FROM pending_notices")[0][0] == 0,
            "notices still queued at the index")
    h.integrity_check(c.index.db)
    c.index.aegis("audit", "verify")


if __name__ == "__main__":
    h.run("query_notice_kill_restart", test, authorities=["kent", "leeds"])
