#!/usr/bin/env python3
# auth_unknown_key_refused: two ways in without a valid certificate, both refused.
#  1. "rogue": an authority certified by the national root but not enrolled (its certificate
#     is not in the index's trust bundle). Its daemon starts (its own bundle holds its
#     certificate) but its CURVE key is unknown to the index's ZAP handler: no handshake, nothing
#     delivered, nothing stored; its status shows it not connected, the index counts the refusal.
#  2. leeds, enrolled (its CURVE key is admitted), whose outbox holds envelopes signed by a
#     second "leeds" key the index has never seen certified. The daemon cannot be configured to
#     sign with a key other than its certified identity, so the forged envelopes are written by
#     `aegis record add` under a second config naming that key and a bundle that certifies it
#     (serial FORGED_SERIAL), into leeds's own store; the daemon then pushes them over its
#     genuine connection. The index applies leeds's genuine envelopes 1..5, rejects 6 with
#     unknown_signer, stores nothing from 6 on, and leeds's status reports the rejection.
# kent, meanwhile, syncs normally.
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

FORGED_SERIAL = 60
GENUINE = 5
FORGED = 5


def test(c):
    kent, leeds, rogue = c.authority("kent"), c.authority("leeds"), c.authority("rogue")

    # leeds: 5 genuine changes, then 5 signed by an uncertified key of the same subject.
    leeds.add_many(c.child_file("leeds-g", family="Genuine"), GENUINE)
    forged_cert = c.new_identity("leeds-forged", "leeds", "authority", FORGED_SERIAL,
                                 "Leeds (second key, never enrolled)")
    forged_bundle = c.make_bundle(c.certs + [forged_cert], version=1, name="bundle-forged")
    shutil.copyfile(forged_bundle, os.path.join(leeds.dir, "forged.bundle"))
    forged_config = c.write_config(leeds, path=os.path.join(leeds.dir, "forged.toml"),
                                   identity="leeds-forged", trust_bundle="forged.bundle")
    h.run_cmd([h.AEGIS, "--config", forged_config, "record", "add-many", "--count", str(FORGED),
               c.child_file("leeds-f", family="Forged")])
    h.check(leeds.outbox_tail() == GENUINE + FORGED, "leeds's outbox")

    rogue.add_many(c.child_file("rogue-r", family="Rogue"), 10)
    kent.add_many(c.child_file("kent-k", family="Honest"), 10)

    index_since = c.index.start()
    rogue_since = rogue.start()
    kent.start()
    leeds_since = leeds.start()

    # kent goes through.
    c.wait_synced(["kent"])
    # leeds: 1..5 applied, 6 rejected.
    c.index.wait_log(r"^<4>rejected authority=leeds seq=6 code=unknown_signer", index_since, 120)
    p = h.wait_until(lambda: (lambda q: q if q and q["last_reject"] else None)(leeds.peer()),
                     60, "leeds's status to report the rejection")
    h.check(p["last_reject"]["seq"] == GENUINE + 1, f"leeds: {p}")
    h.check(p["last_reject"]["code"] == "unknown_signer", f"leeds: {p}")
    h.check(p["last_acked_seq"] == GENUINE, f"leeds: {p}")
    leeds.wait_log(r"^<4>rejected peer=national seq=6 code=unknown_signer", leeds_since, 60)

    # rogue: refused at the handshake (ZAP: unknown key), so no message of it is ever
    # delivered; restarted, it is refused again.
    c.index.wait_log(r"^<4>connection_refused reason=unknown_key", index_since, 60)
    rogue.wait_log(r"^<4>handshake_failed .*reason=auth", rogue_since, 60)
    p = rogue.peer()
    h.check(p["connection"] == "refused", f"rogue: {p}")
    h.check(p["last_acked_seq"] == 0 and p["backlog"] == 10, f"rogue: {p}")
    h.check(p["handshake_failures"] >= 1, f"rogue: {p}")
    refused = c.index.status()["refused_connections"]
    h.check(refused >= 1, f"index: refused_connections {refused}")
    rogue.stop()
    rogue.start()
    h.wait_until(lambda: c.index.status()["refused_connections"] > refused, 60,
                 "the index to refuse the restarted rogue")

    # What the index holds: kent complete, leeds 1..5, nothing of rogue at all.
    counts = c.check_exactly_once(["kent"])
    h.check(counts == {"kent": 10}, f"{counts}")
    leeds_stored = c.index.envelopes("leeds")
    h.check(sorted(leeds_stored) == list(range(1, GENUINE + 1)),
            f"leeds: the index stored seqs {sorted(leeds_stored)}")
    outbox = leeds.outbox()
    h.check(all(leeds_stored[s] == outbox[s][1] for s in leeds_stored), "leeds: bytes differ")
    h.verify_chain("leeds", leeds_stored)
    h.check("rogue" not in c.index.known_authorities(), "the index knows rogue")
    h.check(all(a != "rogue" for a, _ in c.index.pairs()), "the index stored rogue's envelopes")
    rejections = c.index.rejections()
    h.check({(a, s, code) for a, s, code, _ in rejections} == {("leeds", 6, "unknown_signer")},
            f"index rejections: {rejections}")
    s = c.index.status()
    peers = {q["peer"]: q for q in s["peers"]}
    h.check("rogue" not in peers, f"index status lists rogue: {peers}")
    h.check(peers["leeds"]["applied_seq"] == GENUINE, f"index status: {peers['leeds']}")
    h.check(peers["leeds"]["last_reject"]["code"] == "unknown_signer", f"{peers['leeds']}")
    c.check_integrity()


if __name__ == "__main__":
    h.run("auth_unknown_key_refused", test, authorities=["kent", "leeds"], outsiders=["rogue"])
