#!/usr/bin/env python3
# auth_revoked_cut_off_after_sighup: the national root issues trust bundle v2 revoking kent's
# certificate; it is installed at the index and the index gets SIGHUP. From then on kent is
# disconnected and refused (ZAP refuses its reconnections): its further changes are not stored.
# leeds and manchester carry on. Reinstalling the older bundle v1 and SIGHUP again is refused
# (rolled back): v2 stays in force, and kent, restarted, is refused at the handshake again.
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

FIRST = 20
AFTER = 15


def test(c):
    names = list(c.authorities)
    kent = c.authority("kent")
    others = [n for n in names if n != "kent"]
    files = {n: c.child_file(f"{n}-v", family=f"{n.title()}ham") for n in names}
    c.start_all()
    for n in names:
        c.authority(n).add_many(files[n], FIRST)
    c.wait_synced()

    v1 = c.current_bundle
    v2 = c.make_bundle(revoke=[kent.serial])
    c.install_bundle(c.index, v2)
    index_since = c.index.log_size()
    kent_since = kent.log_size()
    c.index.signal(signal.SIGHUP)
    c.index.wait_log(r"^<6>trust_reloaded trust_version=2", index_since, 60)
    c.index.wait_log(r"refused authority=kent code=not_authorised", index_since, 60)
    h.check(c.index.status()["trust_version"] == 2, "index still on bundle v1")

    for n in names:
        c.authority(n).add_many(files[n], AFTER, start=FIRST + 1)
    c.authority("leeds").add(h.child_record("leeds-late", family="Lateham"))
    c.wait_synced(others)
    # kent was told (Refused) or can no longer complete a handshake; wait for its retry to fail.
    kent.wait_log(r"^<3>refused peer=national code=not_authorised", kent_since, 60)
    retry_since = kent.log_size()
    kent.wait_log(r"^<4>handshake_failed ", retry_since, 60)
    p = kent.peer()
    h.check(p["connection"] != "connected", f"kent: {p}")
    h.check(p["last_acked_seq"] == FIRST and p["backlog"] == AFTER, f"kent: {p}")
    h.check(p["last_refused"] and p["last_refused"]["code"] == "not_authorised", f"kent: {p}")

    stored = c.index.envelopes("kent")
    h.check(sorted(stored) == list(range(1, FIRST + 1)), f"kent: the index stored {sorted(stored)}")
    counts = c.check_exactly_once(others)
    h.check(counts == {"leeds": FIRST + AFTER + 1, "manchester": FIRST + AFTER}, f"{counts}")
    peers = {q["peer"]: q for q in c.index.status()["peers"]}
    h.check(peers["kent"]["connection"] != "connected", f"index: {peers['kent']}")
    h.check(peers["kent"]["applied_seq"] == FIRST, f"index: {peers['kent']}")

    # An older bundle is refused on reload; v2 stays in force and kent stays out.
    c.install_bundle(c.index, v1)
    since = c.index.log_size()
    c.index.signal(signal.SIGHUP)
    line = c.index.wait_log(r"^<3>reload_failed ", since, 60)
    h.check("bundle_rolled_back" in line, f"unexpected: {line}")
    h.check(c.index.status()["trust_version"] == 2, "the index went back to bundle v1")
    # kent restarted (a fresh handshake, judged by the bundle in force) is refused again.
    kent.add_many(files["kent"], 5, start=FIRST + AFTER + 1)
    refused = c.index.status()["refused_connections"]
    kent.stop()
    kent_since = kent.start()
    kent.wait_log(r"^<4>handshake_failed .*reason=auth", kent_since, 60)
    h.wait_until(lambda: c.index.status()["refused_connections"] > refused, 60,
                 "the index to refuse kent's new connection")
    h.check(kent.peer()["connection"] == "refused", f"kent: {kent.peer()}")
    h.check(sorted(c.index.envelopes("kent")) == list(range(1, FIRST + 1)), "kent got through")
    c.stop_all()
    c.check_integrity()


if __name__ == "__main__":
    h.run("auth_revoked_cut_off_after_sighup", test)
