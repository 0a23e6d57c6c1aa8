#!/usr/bin/env python3
# packaging: sd_notify — what aegisd tells systemd under the Type=notify unit, read from a
# NOTIFY_SOCKET this test binds (as systemd would), with real daemons (tests/integration/harness.py):
#  - READY=1 comes once, after the store is open and the sockets are bound: the admin socket
#    answers at the first try and the index accepts TCP connections on its sync port;
#  - STATUS= is one line with the role, the id and the trust bundle version, and no personal
#    data (a child's names are in the authority's store);
#  - WATCHDOG=1 keeps coming at half of WATCHDOG_USEC;
#  - SIGHUP: RELOADING=1 (with MONOTONIC_USEC) then READY=1; a bad bundle: RELOADING=1 then
#    READY=1 with the refusal's code in STATUS=, and the daemon serves on;
#  - SIGTERM: STOPPING=1, exit 0.
# Negative: no READY=1 from a daemon whose config is refused (exit 3); no WATCHDOG=1 when
# WATCHDOG_PID names another process; a NOTIFY_SOCKET nobody listens on changes nothing.
import os
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness as h  # noqa: E402

WATCHDOG_USEC = 200_000  # pings every 100 ms
NOTIFY_TIMEOUT = h.START_TIMEOUT
CHILD_NAMES = ("Peregrine", "Quillfeather")  # canaries: never in a STATUS= line


class NotifySocket:
    """A datagram socket in the role of systemd's notification socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.seen = []  # every message so far: {field: value}

    def next(self, timeout=NOTIFY_TIMEOUT):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            raise h.TestFailure(f"no sd_notify message within {timeout:.0f}s; seen: {self.seen}")
        text = data.decode()
        fields = {}
        for line in text.split("\n"):
            if line:
                key, sep, value = line.partition("=")
                h.check(sep == "=", f"not KEY=VALUE: {line!r} in {text!r}")
                fields[key] = value
        self.seen.append(fields)
        return fields

    def wait_for(self, key, skip=("WATCHDOG",)):
        """The next message with `key`; messages with only a key in `skip` are passed over,
        any other one fails the test (the order is part of the contract)."""
        while True:
            m = self.next()
            if key in m:
                return m
            h.check(set(m) <= set(skip), f"expected {key}, got {m}")

    def close(self):
        self.sock.close()
        os.unlink(self.path)


def start_notified(node, notify, extra_env=None):
    """Starts the node's aegisd with NOTIFY_SOCKET (and extra_env) in its environment."""
    env = {"NOTIFY_SOCKET": notify.path, **(extra_env or {})}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        node.start(wait=False)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def check_status_line(m, role, node_id, version):
    status = m.get("STATUS", "")
    want = f"{role} {node_id}: "
    h.check(status.startswith(want), f"STATUS {status!r} does not start with {want!r}")
    h.check(f"trust bundle v{version}" in status, f"STATUS {status!r}: no trust bundle v{version}")
    h.check(not any(n in status for n in CHILD_NAMES), f"personal data in STATUS {status!r}")


def test_ready_watchdog_reload_stop(c, node, role, node_id):
    notify = NotifySocket(os.path.join(c.dir, f"notify-{node.name}"))
    start_notified(node, notify, {"WATCHDOG_USEC": str(WATCHDOG_USEC)})
    ready = notify.wait_for("READY")
    h.check(ready["READY"] == "1", f"READY={ready['READY']}")
    # Sockets bound before READY=1: answered at once, no retry.
    h.check(node.status() is not None, f"{node.name}: READY=1 before the admin socket answers")
    if role == "index":
        with socket.create_connection(("127.0.0.1", c.index.port), timeout=5):
            pass
    check_status_line(ready, role, node_id, 1)

    for _ in range(3):
        h.check(notify.next().get("WATCHDOG") == "1", f"expected WATCHDOG=1: {notify.seen[-1]}")

    # A good reload: the same bundle file again is accepted (same version).
    node.signal(signal.SIGHUP)
    reloading = notify.wait_for("RELOADING")
    h.check(reloading["RELOADING"] == "1" and reloading.get("MONOTONIC_USEC", "").isdigit(),
            f"RELOADING message: {reloading}")
    again = notify.wait_for("READY")
    check_status_line(again, role, node_id, 1)
    h.check("refused" not in again["STATUS"], f"STATUS after a good reload: {again['STATUS']}")

    # A bad bundle: refused, the daemon serves on with v1 and says why.
    good = open(node.bundle, "rb").read()
    with open(node.bundle + ".new", "wb") as f:
        f.write(good[:-10])
    os.replace(node.bundle + ".new", node.bundle)
    node.signal(signal.SIGHUP)
    notify.wait_for("RELOADING")
    refused = notify.wait_for("READY")
    check_status_line(refused, role, node_id, 1)
    h.check("reload refused (" in refused["STATUS"], f"STATUS after a bad reload: {refused}")
    with open(node.bundle + ".new", "wb") as f:
        f.write(good)
    os.replace(node.bundle + ".new", node.bundle)
    h.check(node.status() is not None, f"{node.name}: not serving after a refused reload")

    node.proc.send_signal(signal.SIGTERM)
    stopping = notify.wait_for("STOPPING")
    h.check(stopping["STOPPING"] == "1", f"STOPPING message: {stopping}")
    check_status_line(stopping, role, node_id, 1)
    rc = h.reap(node.proc, h.STOP_TIMEOUT)
    h.check(rc == 0, f"{node.name}: exit {rc} after SIGTERM")
    node.proc = None
    notify.close()


def test_no_watchdog_for_another_pid(c, node):
    notify = NotifySocket(os.path.join(c.dir, "notify-other-pid"))
    # 2 ms: a ping every millisecond, if the daemon wrongly took the watchdog as its own.
    start_notified(node, notify, {"WATCHDOG_USEC": "2000", "WATCHDOG_PID": "1"})
    notify.wait_for("READY", skip=())
    node.signal(signal.SIGHUP)
    notify.wait_for("RELOADING", skip=())
    notify.wait_for("READY", skip=())
    node.stop()
    h.check(notify.wait_for("STOPPING", skip=()) is not None, "no STOPPING=1")
    notify.close()


def test_refused_config_never_ready(c):
    notify = NotifySocket(os.path.join(c.dir, "notify-bad-config"))
    bad = os.path.join(c.dir, "bad.toml")
    with open(bad, "w") as f:
        f.write('role = "authority"\n')  # no subject_id, no keys
    env = dict(os.environ, NOTIFY_SOCKET=notify.path)
    p = subprocess.run([h.AEGISD, "--config", bad], env=env, capture_output=True, text=True,
                       timeout=60)
    h.check(p.returncode == 3, f"a refused config: exit {p.returncode}, expected 3: {p.stderr}")
    notify.sock.setblocking(False)
    try:
        data = notify.sock.recv(4096)
        raise h.TestFailure(f"a daemon that never started sent {data!r}")
    except BlockingIOError:
        pass
    notify.close()


def test_nobody_listening(node):
    saved = os.environ.get("NOTIFY_SOCKET")
    os.environ["NOTIFY_SOCKET"] = os.path.join(node.cluster.dir, "no-such-socket")
    try:
        node.start()  # waits for the ready log line and an answering status
    finally:
        if saved is None:
            os.environ.pop("NOTIFY_SOCKET")
        else:
            os.environ["NOTIFY_SOCKET"] = saved
    node.stop()


def test(c):
    kent = c.authority("kent")
    # Personal data in the authority's store: STATUS= must never carry it.
    kent.add(h.child_record("k-1", given=CHILD_NAMES[0], family=CHILD_NAMES[1]))
    test_ready_watchdog_reload_stop(c, c.index, "index", h.INDEX_ID)
    test_ready_watchdog_reload_stop(c, kent, "authority", "kent")
    test_no_watchdog_for_another_pid(c, kent)
    test_refused_config_never_ready(c)
    test_nobody_listening(c.index)


if __name__ == "__main__":
    h.run("sd_notify", test, authorities=["kent"])
