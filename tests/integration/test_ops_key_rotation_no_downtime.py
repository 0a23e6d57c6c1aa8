#!/usr/bin/env python3
# ops_key_rotation_no_downtime: kent rotates its identity (signing, box and CURVE keys) while kent
# and leeds keep committing changes and no daemon stops (docs/operations.md, "Rotate a key"):
#   1. kent makes a new identity; the root certifies it under a new serial; trust bundle v2 holds
#      both kent certificates and goes to every node (SIGHUP).
#   2. kent's config names the new key and certificate; SIGHUP: kent signs with the new key and
#      reconnects with the new CURVE key (before v2 reached kent, the same switch is refused and
#      kent carries on with the old key; an index whose config names other keys refuses the
#      reload: its keys change with a restart).
#   3. once the changes signed with the old key are at the index, bundle v3 revokes the old
#      serial everywhere (SIGHUP).
# Nothing is lost or applied twice, nothing is rejected; `aegis index verify` passes under v2
# (every envelope, old key or new, verifies); under v3 kent's new changes are still accepted,
# and after an index restart kent gets in again (its CURVE key is the new one: the old one is
# revoked).
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

NEW_SERIAL = 50
BATCH = 5


class Writer:
    """Commits batches of changes in the background, one `aegis record add-many` process each
    (so every batch reads the config, and the keys it names, afresh), until stopped."""

    def __init__(self, authority, stem, family):
        self.authority, self.next = authority, 1
        self.file = authority.cluster.child_file(stem, family=family)
        self.stop_flag, self.error = threading.Event(), None
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        try:
            while not self.stop_flag.is_set():
                self.authority.add_many(self.file, BATCH, start=self.next)
                self.next += BATCH
        except Exception as e:  # noqa: BLE001 - reported by stop()
            self.error = e

    def stop(self):
        self.stop_flag.set()
        self.thread.join(timeout=300)
        h.check(not self.thread.is_alive(), f"{self.authority.name}: writer did not stop")
        h.check(self.error is None, f"{self.authority.name}: writer failed: {self.error}")
        return self.next - 1  # changes committed


def switch_config(c, node, identity=None):
    """Rewrites the node's config atomically (CLI processes read it at any moment)."""
    tmp = node.config + ".new"
    c.write_config(node, path=tmp, identity=identity)
    os.replace(tmp, node.config)


def reload(node, pattern):
    since = node.log_size()
    node.signal(signal.SIGHUP)
    return node.wait_log(pattern, since, 60)


def test(c):
    kent, leeds = c.authority("kent"), c.authority("leeds")
    c.start_all()
    kent.add_many(c.child_file("k0", family="Hartley"), 10)
    c.wait_synced()

    # 1. The new identity, certified. Before a bundle holds it, kent refuses to switch to it and
    #    carries on with the old key.
    new_cert = c.new_identity("kent-2", "kent", "authority", NEW_SERIAL, "Kent Council (2026)")
    switch_config(c, kent, identity="kent-2")
    line = reload(kent, r"^<3>reload_failed ")
    h.check("keys.certificate" in line, f"unexpected: {line}")
    h.check(kent.status()["trust_version"] == 1, "kent changed its bundle")
    switch_config(c, kent)  # back to the old key until the bundle is out
    # The index's own keys change only with a restart: a reload that finds them changed is
    # refused before anything is loaded.
    switch_config(c, c.index, identity="kent-2")
    line = reload(c.index, r"^<3>reload_failed ")
    h.check("code=restart_required" in line, f"unexpected: {line}")
    switch_config(c, c.index)
    kent.add_many(c.child_file("k1", family="Hartley"), 5, start=11)
    c.wait_synced(["kent"])

    writers = [Writer(kent, "k", "Hartley"), Writer(leeds, "l", "Leedsham")]
    h.wait_until(lambda: kent.outbox_tail() > 30, 120, "kent's writer under way")
    c.certs.append(new_cert)
    v2 = c.make_bundle()
    for node in c.nodes():
        c.install_bundle(node, v2)
        reload(node, r"^<6>trust_reloaded trust_version=2")
    h.check(c.index.status()["trust_version"] == 2, "index on v2")

    # 2. kent switches keys, writes going on.
    switch_config(c, kent, identity="kent-2")
    since = kent.log_size()
    kent.signal(signal.SIGHUP)
    kent.wait_log(rf"^<6>identity_changed serial={NEW_SERIAL}", since, 60)
    kent.wait_log(r"^<6>connected peer=national", since, 60)
    switched_at = kent.outbox_tail()
    # The changes signed with the old key: every add-many started before the switch has ended
    # once the writer has moved on by two batches.
    h.wait_until(lambda: kent.outbox_tail() >= switched_at + 2 * BATCH, 120, "kent writing on")
    old_key_tail = switched_at + BATCH
    h.wait_until(lambda: c.index.applied().get("kent", 0) >= old_key_tail, h.SYNC_TIMEOUT,
                 "the changes signed with the old key at the index")
    h.check(not c.index.rejections(), f"rejections: {c.index.rejections()}")
    verify = c.index.aegis("--json", "index", "verify", check_rc=False)
    h.check(verify.returncode == 0, f"index verify under v2: {verify.stdout} {verify.stderr}")

    # 3. The old certificate revoked everywhere; kent carries on with the new key.
    v3 = c.make_bundle(revoke=[kent.serial])
    for node in c.nodes():
        c.install_bundle(node, v3)
        reload(node, r"^<6>trust_reloaded trust_version=3")
    applied = c.index.applied().get("kent", 0)
    h.wait_until(lambda: c.index.applied().get("kent", 0) >= applied + 2 * BATCH, h.SYNC_TIMEOUT,
                 "kent's new changes accepted under v3")
    counts = {w.authority.name: w.stop() for w in writers}
    c.wait_synced()
    h.check(not c.index.rejections(), f"rejections: {c.index.rejections()}")
    stored = c.check_exactly_once()
    h.check(stored["kent"] == 15 + counts["kent"] and stored["leeds"] == counts["leeds"],
            f"stored {stored}, committed {counts}")
    c.check_national_ids()

    # The index restarts: kent's new handshake is judged by v3, so only the new CURVE key gets in.
    c.index.stop()
    c.index.start()
    kent.add_many(c.child_file("k-after", family="Hartley"), 5)
    c.wait_synced(["kent"])
    h.check(kent.peer()["connection"] == "connected", f"kent: {kent.peer()}")
    c.check_exactly_once()
    h.check(not c.index.rejections(), f"rejections: {c.index.rejections()}")
    c.stop_all()
    c.check_integrity()


if __name__ == "__main__":
    h.run("ops_key_rotation_no_downtime", test, authorities=["kent", "leeds"])
