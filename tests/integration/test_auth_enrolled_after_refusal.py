#!/usr/bin/env python3
# auth_enrolled_after_refusal: the usual order of enrolling a new authority is not guaranteed:
# york's daemon may start before the index has the bundle that certifies it. Its first
# handshakes are refused (ZAP: unknown key) and nothing of it is stored. Then the index gets
# bundle v2 with york's certificate and SIGHUP: york, still running, must get in by itself
# (reconnects back off up to sync.reconnect_max_ms, docs/aegisd.md §3 and §5) and its changes
# sync exactly once, without anyone restarting it.
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def test(c):
    kent, york = c.authority("kent"), c.authority("york")
    kent.add_many(c.child_file("kent-e", family="Enrolled"), 10)
    york.add_many(c.child_file("york-e", family="Enrolled"), 10)
    index_since = c.index.start()
    kent.start()
    york_since = york.start()
    c.wait_synced(["kent"])
    c.index.wait_log(r"^<4>connection_refused reason=unknown_key", index_since, 60)
    york.wait_log(r"^<4>handshake_failed .*reason=auth", york_since, 60)
    h.check("york" not in c.index.known_authorities(), "the index stored something of york")

    # Enrol york: a bundle certifying it, installed at the index, SIGHUP.
    york_cert = c.key("york", "cert")
    c.certs.append(york_cert)
    c.install_bundle(c.index, c.make_bundle())
    since = c.index.log_size()
    c.index.signal(signal.SIGHUP)
    c.index.wait_log(r"^<6>trust_reloaded trust_version=2", since, 60)

    # york gets in by itself (its reconnect ceiling is 1 s in these tests; 60 s is generous).
    try:
        c.index.wait_log(r"^<6>admitted authority=york", since, 60)
    except h.TestFailure as e:
        p = york.peer()
        raise h.TestFailure(
            f"{e}: york never retried after its refused handshake (status: connection="
            f"{p['connection']}, handshake_failures={p['handshake_failures']}; index "
            f"refused_connections={c.index.status()['refused_connections']})") from None
    c.authorities["york"] = york
    c.wait_synced(["kent", "york"], timeout=60)
    counts = c.check_exactly_once(["kent", "york"])
    h.check(counts == {"kent": 10, "york": 10}, f"{counts}")
    c.check_national_ids(["kent", "york"])


if __name__ == "__main__":
    h.run("auth_enrolled_after_refusal", test, authorities=["kent"], outsiders=["york"])
