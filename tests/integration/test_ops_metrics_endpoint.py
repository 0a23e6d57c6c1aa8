#!/usr/bin/env python3
# ops_metrics_endpoint: the index and an authority serve /metrics ([metrics] listen on
# 127.0.0.1, a free port). Each scrape passes a strict parser of the Prometheus text format, and
# its numbers are the node's own: outbox seq, applied changes, imports (files and records),
# national ids, feed items, ready; a tampered envelope shows up as a rejection labelled
# bad_signature at both ends, with a backlog and a lag at the authority. No child's name or
# postcode is in any scrape. Other paths answer 404, other methods 405. A bad listen value is
# refused by --check-config (exit 3, naming metrics.listen); a port already taken stops the
# daemon at start (exit 1, naming it).
import json
import os
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import import_files as imp  # noqa: E402
import prometheus_text as prom  # noqa: E402

FIRST = 20
IMPORTED = range(1, 31)
TAMPER_FAMILY = "Tamperfield"
PERSONAL = ["Hartley", "Leedsham", TAMPER_FAMILY, "Orchard Way", "ME14 1XX", "ME15 6AA"]


def add_metrics(node, listen="127.0.0.1:0"):
    with open(node.config, "a") as f:
        f.write(f'\n[metrics]\nlisten = "{listen}"\n')


def address(node):
    a = node.status()["metrics"]
    h.check(a.startswith("127.0.0.1:") and not a.endswith(":0"), f"{node.name}: metrics {a!r}")
    return a


def get(addr, path="/metrics", method="GET"):
    """(status, content type, body) of one HTTP request."""
    req = urllib.request.Request(f"http://{addr}{path}", method=method,
                                 data=b"x" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode(errors="replace")


def scrape(node):
    status, ctype, body = get(address(node))
    h.check(status == 200, f"{node.name}: /metrics answered {status}")
    h.check(ctype.startswith("text/plain; version=0.0.4"), f"{node.name}: content type {ctype}")
    for word in PERSONAL:
        h.check(word not in body, f"{node.name}: '{word}' in the metrics")
    return prom.parse(body)


def value(families, name, **labels):
    h.check(name in families, f"no metric {name}")
    return families[name].value(**labels)


def sample(families, name, **labels):
    """The value of a series, or None while it is not there (for waits)."""
    f = families.get(name)
    return f.samples.get(tuple(sorted(labels.items()))) if f else None


def check_config_refused(c, kent):
    for listen, problem in [("127.0.0.1:99999", "metrics.listen: '127.0.0.1:99999' is not"),
                            ("0.0.0.0", "metrics.listen: '0.0.0.0' is not HOST:PORT")]:
        path = os.path.join(kent.dir, "bad-metrics.toml")
        c.write_config(kent, path=path)
        with open(path, "a") as f:
            f.write(f'\n[metrics]\nlisten = "{listen}"\n')
        r = h.run_cmd([h.AEGISD, "--config", path, "--check-config"], check_rc=False)
        h.check(r.returncode == 3, f"--check-config exit {r.returncode} for {listen}")
        h.check(problem in r.stderr, f"unexpected: {r.stderr}")
    with open(path, "a") as f:
        f.write("port = 9464\n")
    r = h.run_cmd([h.AEGISD, "--config", path, "--check-config"], check_rc=False)
    h.check(r.returncode == 3 and "metrics.port: unknown key" in r.stderr, f"{r.stderr}")


def tamper(db, seq):
    con = sqlite3.connect(db)
    try:
        (wire,) = con.execute("SELECT envelope FROM outbox WHERE seq = ?", (seq,)).fetchone()
        wire = bytes(wire)
        at = wire.find(TAMPER_FAMILY.encode())
        h.check(at > 0, f"'{TAMPER_FAMILY}' not in envelope {seq}")
        con.execute("UPDATE outbox SET envelope = ? WHERE seq = ?", (h.flip_bit(wire, at), seq))
        con.commit()
    finally:
        con.close()


def test(c):
    kent, leeds = c.authority("kent"), c.authority("leeds")
    check_config_refused(c, kent)
    inbox = imp.add_inbox(kent)
    for node in (c.index, kent):
        add_metrics(node)
    c.start_all()
    h.check(leeds.status()["metrics"] == "off", "leeds has no [metrics] table: off")

    kent.add_many(c.child_file("k", family="Hartley"), FIRST)
    leeds.add_many(c.child_file("l", family="Leedsham"), 5)
    imp.drop(inbox, "roll.csv", imp.csv_text(IMPORTED))
    report = imp.wait_report(inbox, "roll.csv")
    h.check(report["outcome"] == "imported", f"{report}")
    c.wait_synced()
    tail = kent.outbox_tail()
    h.check(tail == FIRST + len(IMPORTED), f"kent outbox tail {tail}")

    k = scrape(kent)
    h.check(value(k, "aegis_up") == 1 and value(k, "aegis_ready") == 1, "kent not ready")
    h.check(value(k, "aegis_info", role="authority", id="kent", version="0.1.0") == 1, "info")
    h.check(value(k, "aegis_outbox_seq") == tail, "aegis_outbox_seq")
    h.wait_until(lambda: sample(scrape(kent), "aegis_changes_applied_total") == tail, 60,
                 "kent: applied == outbox tail")
    k = scrape(kent)
    h.check(value(k, "aegis_backlog_changes") == 0 and value(k, "aegis_lag_seconds") == 0, "lag")
    h.check(value(k, "aegis_changes_sent_total") >= tail, "aegis_changes_sent_total")
    h.check(value(k, "aegis_import_files_total", outcome="imported") == 1, "files imported")
    h.check(value(k, "aegis_import_files_total", outcome="failed") == 0, "files failed")
    h.check(value(k, "aegis_import_records_total") == len(IMPORTED), "records imported")
    h.check(value(k, "aegis_national_ids") == tail, "kent national ids")
    h.check(value(k, "aegis_feed_items") >= 1, "kent feed items")
    h.check(value(k, "aegis_trust_bundle_version") == 1, "trust bundle version")
    h.check(k["aegis_changes_rejected_total"].samples == {}, "a rejection before any tampering")
    h.check(k["aegis_changes_sent_total"].type == "counter", "sent is a counter")
    h.check(k["aegis_backlog_changes"].type == "gauge", "backlog is a gauge")
    h.check("aegis_queries_total" not in k, "queries at an authority")

    x = scrape(c.index)
    h.check(value(x, "aegis_info", role="index", id="national", version="0.1.0") == 1, "info")
    h.check(value(x, "aegis_ready") == 1, "index ready")
    h.check(value(x, "aegis_changes_applied_total") == tail + 5, "index applied")
    h.check(value(x, "aegis_authorities") == 2, "authorities")
    h.check(value(x, "aegis_authorities_connected") == 2, "authorities connected")
    h.check(value(x, "aegis_live_records") == tail + 5, "live records")
    h.check(value(x, "aegis_national_ids") >= 1, "index national ids")
    h.check(value(x, "aegis_feed_items") >= 2, "index feed items")
    h.check(value(x, "aegis_queries_total") == 0, "queries")
    waiting = json.loads(c.index.aegis("--json", "review", "list").stdout)["total"]
    h.check(value(x, "aegis_resolution_queue_length") == waiting, "resolution queue")
    h.check(value(x, "aegis_refused_connections_total") == 0, "refused connections")

    # Other paths and methods.
    h.check(get(address(kent), "/")[0] == 404, "/ is not found")
    h.check(get(address(kent), "/metrics/x")[0] == 404, "/metrics/x is not found")
    h.check(get(address(kent), "/metrics", "POST")[0] == 405, "POST /metrics is not allowed")
    h.check(get(address(kent), "/metrics", "DELETE")[0] == 405, "DELETE /metrics is not allowed")

    # A tampered envelope: rejected with its reason, counted at both ends; the backlog stays.
    kent.stop()
    kent.add_many(c.child_file("t", family=TAMPER_FAMILY), 3)
    tamper(kent.db, tail + 2)
    kent.start()
    h.wait_until(lambda: c.index.rejections("kent"), h.SYNC_TIMEOUT, "the index to reject")
    h.wait_until(lambda: sample(scrape(c.index), "aegis_changes_rejected_total",
                                reason="bad_signature"), 60, "index: rejection in metrics")
    h.wait_until(lambda: sample(scrape(kent), "aegis_changes_rejected_total",
                                reason="bad_signature"), 60, "kent: rejection in metrics")
    k = scrape(kent)
    h.check(value(k, "aegis_changes_applied_total") == tail + 1, "applied after the tampering")
    h.check(value(k, "aegis_backlog_changes") == 2, "backlog after the tampering")
    h.check(value(k, "aegis_lag_seconds") > 0, "lag after the tampering")
    h.check(value(k, "aegis_outbox_seq") == tail + 3, "outbox seq after the tampering")

    # A port already taken: leeds with the index's metrics address cannot start (exit 1).
    taken = address(c.index)
    leeds.stop()
    add_metrics(leeds, taken)
    since = leeds.start(wait=False)
    rc = h.reap(leeds.proc, h.START_TIMEOUT)
    leeds.proc = None
    h.check(rc == 1, f"leeds exit {rc} with its metrics port taken")
    line = leeds.wait_log(r"^<3>failed ", since, 5)
    h.check(f"metrics.listen {taken}" in line, f"unexpected: {line}")
    kent.signal(signal.SIGHUP)  # a reload keeps the endpoint serving
    h.check(get(address(kent))[0] == 200, "kent's endpoint after SIGHUP")
    c.check_integrity()


if __name__ == "__main__":
    h.run("ops_metrics_endpoint", test, authorities=["kent", "leeds"])
