# Integration test harness: real `aegisd` processes (one index, N authorities) on 127.0.0.1,
# driven through the `aegis` CLI, their logs and their SQLite files. Python standard library only.
#
# A Cluster owns one test directory: the national root, identities, certificates and trust
# bundles made with `aegis keys ...`, one directory per node (config, trust bundle, data, log).
# Every wait is bounded; every process started is stopped when the test ends (try/finally in
# run(), atexit, and PR_SET_PDEATHSIG so that a killed test takes its daemons with it). The test
# directory is removed on success and kept (its path printed) on failure.
#
#   def test(c):                                   # c: Cluster
#       c.start_all()
#       c.authority("kent").add_many(c.child_file("k", family="Hartley"), 100)
#       c.wait_synced()
#       ...
#   harness.run("sync_exactly_once", test, authorities=["kent", "leeds", "manchester"])
import atexit
import ctypes
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback

SOURCE_DIR = os.environ.get("AEGIS_SOURCE_DIR",
                            os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))


def _default_bin(*parts):
    return os.path.join(os.environ.get("AEGIS_BUILD_DIR", os.path.join(SOURCE_DIR, "build")), *parts)


# Absolute: daemons and the CLI run with each node's directory as their working directory.
AEGIS = os.path.abspath(os.environ.get("AEGIS_BIN") or _default_bin("daemon", "cli", "aegis"))
AEGISD = os.path.abspath(os.environ.get("AEGISD_BIN") or
                         os.path.join(os.path.dirname(AEGIS), "..", "aegisd", "aegisd"))

INDEX_ID = "national"
INDEX_SERIAL = 1
OFFICER_SERIAL = 2
FIRST_AUTHORITY_SERIAL = 10

# Generous bounds for a loaded 2-core machine. They bound waits; nothing asserts on timing.
START_TIMEOUT = 30.0
STOP_TIMEOUT = 60.0
SYNC_TIMEOUT = 240.0
POLL = 0.1


class TestFailure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- processes ---------------------------------------------------------------------------------

_live = set()  # Popen objects not yet reaped, killed at exit whatever happens


def _kill_live():
    for p in list(_live):
        if p.poll() is None:
            try:
                p.kill()
                p.wait(timeout=10)
            except Exception:
                pass
        _live.discard(p)


atexit.register(_kill_live)
# ctest's timeout and a Ctrl-C end the test through atexit too.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

_PR_SET_PDEATHSIG = 1
try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:
    _libc = None


def _die_with_parent():
    # In the child, before exec: SIGKILL when the test process dies, even by SIGKILL.
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def spawn(args, log_path, cwd=None, preexec=None):
    """Starts a background process, stdout and stderr appended to log_path; preexec (optional)
    runs in the child before exec (e.g. to set a resource limit, tests/fault)."""
    def before_exec():
        _die_with_parent()
        if preexec is not None:
            preexec()

    out = open(log_path, "ab")
    try:
        p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             cwd=cwd, preexec_fn=before_exec)
    finally:
        out.close()
    _live.add(p)
    return p


def reap(p, timeout):
    """Waits for p (bounded); returns its exit code, or None if it is still running."""
    try:
        rc = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    _live.discard(p)
    return rc


def run_cmd(args, timeout=120, check_rc=True, input=None):
    """Runs a command to completion (bounded); returns CompletedProcess (text)."""
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, input=input)
    except subprocess.TimeoutExpired as e:
        raise TestFailure(f"timed out after {timeout}s: {' '.join(map(str, args))}") from e
    if check_rc and r.returncode != 0:
        raise TestFailure(f"exit {r.returncode}: {' '.join(map(str, args))}\n"
                          f"--- stdout\n{r.stdout}--- stderr\n{r.stderr}")
    return r


def wait_until(predicate, timeout, what, interval=POLL):
    """Polls predicate() until it returns something truthy (returned) or timeout (fails)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except TestFailure:
            raise
        except Exception as e:  # a status call while a daemon restarts, a locked file...
            last_error = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_error})" if last_error else ""
            raise TestFailure(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(interval)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (bound to 0, read back, closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vmrss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise TestFailure(f"no VmRSS for pid {pid}")


def cpu_seconds(pid):
    """User + system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- SQLite, read-only ------------------------------------------------------------------------

def query(db_path, sql, params=()):
    """Rows of one query on a database opened read-only (the daemon may be writing it)."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def integrity_check(db_path):
    rows = query(db_path, "PRAGMA integrity_check")
    check(rows == [("ok",)], f"integrity_check of {db_path}: {rows}")


# --- envelopes (PROTOCOL.md §4, §6): just enough msgpack to read the chain fields -------------

class _Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        check(self.pos + n <= len(self.data), "msgpack: truncated")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def uint(self, n):
        return int.from_bytes(self.take(n), "big")

    def value(self):
        t = self.take(1)[0]
        if t <= 0x7f:
            return t
        if 0x90 <= t <= 0x9f:
            return [self.value() for _ in range(t & 0x0f)]
        if 0xa0 <= t <= 0xbf:
            return self.take(t & 0x1f).decode()
        if t == 0xc0:
            return None
        if t in (0xc2, 0xc3):
            return t == 0xc3
        if t in (0xc4, 0xc5, 0xc6):
            return bytes(self.take(self.uint({0xc4: 1, 0xc5: 2, 0xc6: 4}[t])))
        if t in (0xcc, 0xcd, 0xce, 0xcf):
            return self.uint({0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8}[t])
        if t in (0xd9, 0xda, 0xdb):
            return self.take(self.uint({0xd9: 1, 0xda: 2, 0xdb: 4}[t])).decode()
        if t in (0xdc, 0xdd):
            return [self.value() for _ in range(self.uint(2 if t == 0xdc else 4))]
        if 0x80 <= t <= 0x8f or t in (0xde, 0xdf):
            raise TestFailure("msgpack: maps are not used by the protocol")
        raise TestFailure(f"msgpack: unexpected type byte {t:#x}")


def envelope_fields(wire):
    """(authority_id, seq, prev_hash, op, record_id) of an envelope's wire bytes."""
    outer = _Reader(wire).value()
    check(isinstance(outer, list) and len(outer) == 2, "envelope: not a Signed pair")
    body = _Reader(outer[0]).value()
    check(isinstance(body, list) and len(body) == 9 and body[0] == 1, "envelope: bad body")
    return body[1], body[2], body[3], body[6], body[7]


def envelope_hash(wire):
    return hashlib.blake2b(wire, digest_size=32).digest()


ZERO_HASH = bytes(32)


# --- record JSON (docs/store.md, "Record JSON") -----------------------------------------------

def nhs_number(stem9):
    """A 10-digit NHS number passing the modulus-11 check, from a 9-digit stem (None if the
    stem has no valid check digit)."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(stem9))
    check_digit = 11 - total % 11
    if check_digit == 11:
        check_digit = 0
    if check_digit == 10:
        return None
    return stem9 + str(check_digit)


def child_record(record_id, given="Amelia", family="Hartley", dob="2015-03-14", nhs=None,
                 postcode="ME14 1XX", shielded=False, phone="07700 900123",
                 street="12 Orchard Way", town="Maidstone", school="Orchard Way Primary School"):
    details = {
        "address": {"lines": [street, town], "postcode": postcode},
        "contacts": [{"name": {"given": "Claire", "family": family}, "relationship": "mother",
                      "parental_responsibility": True, "phones": [phone],
                      "address_as_child": True}],
        "involvements": [{"kind": "educational_setting", "organisation": school,
                          "start": "2019-09-04", "lead_professional": True}],
    }
    if nhs:
        details["nhs_number"] = nhs
    if shielded:
        details["shield"] = {"reason": 1, "set_by": "SO-0042", "set_on": "2024-06-01"}
    return {
        "record_id": record_id,
        "identity": {"name": {"given": given, "family": family}, "gender": "female",
                     "date_of_birth": dob},
        "details": details,
    }


# --- nodes -------------------------------------------------------------------------------------

class Node:
    """One aegisd: its directory (config, trust bundle, data, log) and its process."""

    def __init__(self, cluster, name, role):
        self.cluster, self.name, self.role = cluster, name, role
        self.dir = os.path.join(cluster.dir, name)
        self.config = os.path.join(self.dir, "aegis.toml")
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "aegisd.log")
        self.bundle = os.path.join(self.dir, "trust.bundle")
        self.proc = None
        self.started_at = 0  # log offset of the latest start
        os.makedirs(self.dir, mode=0o700, exist_ok=True)

    @property
    def db(self):
        return os.path.join(self.data, "index.db" if self.role == "index" else "aegis.db")

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # -- the process --

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except FileNotFoundError:
            return 0

    def wait_log(self, pattern, since=0, timeout=START_TIMEOUT, interval=POLL):
        """Waits for a log line matching the regex after byte offset `since`; returns it."""
        rx = re.compile(pattern)

        def found():
            if self.proc is not None and self.proc.poll() is not None:
                raise TestFailure(f"{self.name}: aegisd exited {self.proc.returncode} while "
                                  f"waiting for /{pattern}/\n{self.log_tail()}")
            with open(self.log_path, "rb") as f:
                f.seek(since)
                for line in f.read().decode(errors="replace").splitlines():
                    if rx.search(line):
                        return line
            return None

        return wait_until(found, timeout, f"{self.name}: log line /{pattern}/", interval)

    def log_tail(self, lines=30):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def start(self, wait=True, preexec=None):
        """Starts aegisd; with wait, until it logged "ready" and answers `aegis status`.
        Returns the log offset at the start (for wait_log). preexec: see spawn()."""
        check(not self.running(), f"{self.name} is already running")
        since = self.started_at = self.log_size()
        self.proc = spawn([AEGISD, "--config", self.config], self.log_path, cwd=self.dir,
                          preexec=preexec)
        if wait:
            self.wait_log(r"^<6>ready role=", since)
            wait_until(lambda: self.status(), START_TIMEOUT, f"{self.name}: status answering")
        return since

    def signal(self, sig):
        check(self.running(), f"{self.name} is not running")
        self.proc.send_signal(sig)

    def stop(self, expect_rc=0):
        """SIGTERM, wait (bounded), check the exit code and the 'stopped' log line."""
        check(self.running(), f"{self.name} is not running")
        self.proc.send_signal(signal.SIGTERM)
        rc = reap(self.proc, STOP_TIMEOUT)
        if rc is None:
            self.proc.kill()
            reap(self.proc, 10)
            raise TestFailure(f"{self.name}: still running {STOP_TIMEOUT:.0f}s after SIGTERM")
        self.proc = None
        check(rc == expect_rc, f"{self.name}: exit {rc} after SIGTERM, expected {expect_rc}\n"
                               f"{self.log_tail()}")
        if rc == 0:
            self.wait_log(rf"^<6>stopped role={self.role} ", self.started_at, timeout=1)
        return rc

    def kill(self):
        """SIGKILL: no chance to clean up."""
        check(self.running(), f"{self.name} is not running")
        self.proc.kill()
        reap(self.proc, 10)
        self.proc = None

    def vmrss_kb(self):
        return vmrss_kb(self.pid)

    def cpu_seconds(self):
        return cpu_seconds(self.pid)

    # -- the CLI --

    def aegis(self, *args, timeout=300, check_rc=True):
        """`aegis --config <this node's config> ARGS...` (CompletedProcess)."""
        return run_cmd([AEGIS, "--config", self.config] + list(args), timeout=timeout,
                       check_rc=check_rc)

    def status(self):
        """`aegis status --json`, or None when the daemon does not answer."""
        r = run_cmd([AEGIS, "--config", self.config, "--json", "status"], timeout=30,
                    check_rc=False)
        if r.returncode != 0:
            return None
        return json.loads(r.stdout)

    def peer(self, name=None):
        """The status entry of one peer (the index, for an authority), or None."""
        s = self.status()
        if not s:
            return None
        for p in s.get("peers", []):
            if name is None or p.get("peer") == name:
                return p
        return None


class Authority(Node):
    def __init__(self, cluster, name, serial):
        super().__init__(cluster, name, "authority")
        self.serial = serial

    def add(self, record):
        """`aegis record add` of one record (a dict or a JSON file path)."""
        path = record if isinstance(record, str) else self.cluster.write_json(
            os.path.join(self.dir, f"{record['record_id']}.json"), record)
        return self.aegis("record", "add", path)

    def add_many(self, path, count, start=1, background=False):
        """`aegis record add-many`: `count` records <record_id>-<n>, n = start..; in the
        background returns the Popen (see finish())."""
        args = [AEGIS, "--config", self.config, "record", "add-many", "--count", str(count),
                "--start", str(start), path]
        if background:
            return spawn(args, os.path.join(self.dir, "add-many.log"))
        return run_cmd(args, timeout=600)

    def outbox(self):
        """{seq: (hash, envelope wire)} of this authority's outbox."""
        return {seq: (bytes(h), bytes(w)) for seq, h, w in
                query(self.db, "SELECT seq, hash, envelope FROM outbox ORDER BY seq")}

    def outbox_tail(self):
        return query(self.db, "SELECT coalesce(max(seq), 0) FROM outbox")[0][0]

    def national_ids(self):
        """{record_id: national_id} received through the feed."""
        return dict(query(self.db, "SELECT record_id, national_id FROM national_ids"))

    def record_ids(self):
        return {r for (r,) in query(self.db, "SELECT record_id FROM records WHERE deleted = 0")}


class Index(Node):
    def __init__(self, cluster):
        super().__init__(cluster, "index", "index")
        self.port = free_port()
        self.endpoint = f"tcp://127.0.0.1:{self.port}"

    def exists(self):
        return os.path.exists(self.db)

    def applied(self):
        """{authority_id: applied_seq} from the index database."""
        if not self.exists():
            return {}
        return dict(query(self.db, "SELECT authority_id, applied_seq FROM authorities"))

    def pairs(self):
        """Every (authority, seq) stored, in storage order (duplicates would show twice)."""
        if not self.exists():
            return []
        return query(self.db, "SELECT a.authority_id, e.id & 1099511627775 FROM envelopes e "
                              "JOIN authorities a ON a.aid = (e.id >> 40) ORDER BY e.id")

    def envelopes(self, authority):
        """{seq: wire} of one authority's envelopes as stored at the index."""
        return {seq: bytes(w) for seq, w in query(
            self.db, "SELECT e.id & 1099511627775, e.wire FROM envelopes e "
                     "JOIN authorities a ON a.aid = (e.id >> 40) WHERE a.authority_id = ?",
            (authority,))}

    def national_ids(self, authority):
        """{record_id: national_id} the index assigned to one authority's records."""
        return dict(query(self.db, "SELECT r.record_id, r.national_id FROM current_records r "
                                   "JOIN authorities a ON a.aid = r.aid "
                                   "WHERE a.authority_id = ? AND r.deleted = 0", (authority,)))

    def rejections(self, authority=None):
        sql = ("SELECT a.authority_id, r.seq, r.code, r.detail FROM rejections r "
               "JOIN authorities a ON a.aid = r.aid")
        if not self.exists():
            return []
        if authority:
            return query(self.db, sql + " WHERE a.authority_id = ?", (authority,))
        return query(self.db, sql)

    def known_authorities(self):
        if not self.exists():
            return set()
        return {a for (a,) in query(self.db, "SELECT authority_id FROM authorities")}


# --- the cluster -------------------------------------------------------------------------------

class Cluster:
    def __init__(self, name, authorities=("kent", "leeds", "manchester"), outsiders=(),
                 sync=None):
        """authorities: certified in every trust bundle. outsiders: authorities certified by
        the same root but absent from the index's bundle (each gets its own bundle, which
        does hold its certificate, so that its daemon starts)."""
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"aegis-it-{name}-")
        self.keys = os.path.join(self.dir, "keys")
        os.makedirs(self.keys, mode=0o700)
        self.sync = {"ack_timeout_ms": 2000, "heartbeat_ms": 1000}
        self.sync.update(sync or {})
        self.bundle_version = 0
        self.index = Index(self)
        self.authorities = {}
        self.outsiders = {}
        self.keys_cmd("root-new", "--out", self.key("root", "key"),
                      "--pub-out", self.key("root", "pub"))
        # The national matching key: every authority holds a copy, the index none.
        self.keys_cmd("matching-key", "new", "--id", "1", "--out", self.key("matching", "key"))
        self.certs = [
            self.new_identity(INDEX_ID, INDEX_ID, "index", INDEX_SERIAL, "National index"),
            self.new_identity("officer-1", "officer-1", "shield-officer", OFFICER_SERIAL,
                              "National shield officer 1"),
        ]
        serial = FIRST_AUTHORITY_SERIAL
        for a in authorities:
            self.certs.append(self.new_identity(a, a, "authority", serial, f"{a.title()} Council"))
            self.authorities[a] = Authority(self, a, serial)
            serial += 1
        self.current_bundle = self.make_bundle()
        for a in outsiders:
            cert = self.new_identity(a, a, "authority", serial, f"{a.title()} (not enrolled)")
            self.outsiders[a] = Authority(self, a, serial)
            serial += 1
            own = self.make_bundle(self.certs + [cert], version=1, name=f"bundle-{a}")
            self.install_bundle(self.outsiders[a], own)
        for node in [self.index] + list(self.authorities.values()):
            self.install_bundle(node, self.current_bundle)
        for node in self.nodes():
            self.write_config(node)
        for a in list(self.authorities.values()) + list(self.outsiders.values()):
            a.aegis("store", "init")

    # -- keys and trust --

    def keys_cmd(self, *args):
        return run_cmd([AEGIS, "keys"] + list(args))

    def key(self, name, ext):
        return os.path.join(self.keys, f"{name}.{ext}")

    def new_identity(self, key_name, subject, role, serial, display_name):
        """An identity (secret key + public JSON) and its root-signed certificate."""
        self.keys_cmd("identity-new", "--id", subject, "--role", role,
                      "--out", self.key(key_name, "key"), "--pub-out", self.key(key_name, "pub.json"))
        self.keys_cmd("certify", "--root", self.key("root", "key"),
                      "--pub", self.key(key_name, "pub.json"), "--serial", str(serial),
                      "--display-name", display_name, "--days", "365",
                      "--out", self.key(key_name, "cert"))
        return self.key(key_name, "cert")

    def make_bundle(self, certs=None, revoke=(), version=None, name=None):
        """A root-signed trust bundle of `certs` (default: the index, the officer and every
        enrolled authority), version the next one by default; returns its path."""
        if version is None:
            version = self.bundle_version + 1
            self.bundle_version = version
        out = self.key(name or f"bundle-v{version}", "bin")
        args = ["bundle", "--root", self.key("root", "key"), "--version", str(version),
                "--days", "30", "--out", out]
        for c in (certs if certs is not None else self.certs):
            args += ["--cert", c]
        for serial in revoke:
            args += ["--revoke", str(serial)]
        self.keys_cmd(*args)
        return out

    def install_bundle(self, node, bundle):
        """Replaces the node's trust bundle file atomically (the daemon reads it on SIGHUP)."""
        tmp = node.bundle + ".new"
        shutil.copyfile(bundle, tmp)
        os.replace(tmp, node.bundle)

    # -- configs --

    def write_config(self, node, path=None, identity=None, trust_bundle="trust.bundle"):
        """The node's config file (or another one at `path`, e.g. with another identity key
        for the same subject; `identity` names files keys/<identity>.key and .cert)."""
        keys = os.path.relpath(self.keys, node.dir)
        subject = node.name if node.role == "authority" else INDEX_ID
        identity = identity or subject
        lines = [
            f"# {self.name}: {node.role} {node.name} (paths relative to this file)",
            f'role = "{node.role}"',
            f'subject_id = "{subject}"',
            'data_dir = "data"',
            "",
            "[keys]",
            f'identity = "{os.path.join(keys, identity + ".key")}"',
            f'certificate = "{os.path.join(keys, identity + ".cert")}"',
            f'trust_bundle = "{trust_bundle}"',
            f'root_public_key = "{os.path.join(keys, "root.pub")}"',
        ]
        if node.role == "authority":
            lines.append(f'matching_key_file = "{os.path.join(keys, "matching.key")}"')
        # Test machines are shared and noisy: a writer (`aegis record add-many`) can hold the
        # store's lock for seconds, so a restarting daemon waits longer than the default 5 s.
        lines += ["", "[store]", "busy_timeout_ms = 60000"]
        lines += ["", "[sync]"]
        if node.role == "index":
            lines.append(f'listen = "{self.index.endpoint}"')
        else:
            lines.append(f'index_endpoint = "{self.index.endpoint}"')
            lines.append(f'index_id = "{INDEX_ID}"')
            lines.append("reconnect_max_ms = 1000")
        for k, v in self.sync.items():
            lines.append(f"{k} = {v}")
        path = path or node.config
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    # -- nodes --

    def authority(self, name):
        return self.authorities.get(name) or self.outsiders[name]

    def nodes(self):
        return [self.index] + list(self.authorities.values()) + list(self.outsiders.values())

    def start_all(self):
        for node in self.nodes():
            node.start()

    def stop_all(self):
        """SIGTERM to every running node, authorities first; every exit code must be 0."""
        failures = []
        for node in self.nodes()[1:] + [self.index]:
            if node.running():
                try:
                    node.stop()
                except TestFailure as e:
                    failures.append(str(e))
        check(not failures, "; ".join(failures))

    def kill_all(self):
        for node in self.nodes():
            if node.running():
                node.kill()

    # -- files --

    def write_json(self, path, value):
        with open(path, "w") as f:
            json.dump(value, f, indent=1)
        return path

    def child_file(self, record_id, **fields):
        """A record JSON file in the test directory (for add / add-many)."""
        return self.write_json(os.path.join(self.dir, f"{record_id}.json"),
                               child_record(record_id, **fields))

    # -- what the index holds --

    def caught_up(self, names=None, feed=False):
        """True when the index has applied every named authority's outbox tail and (feed)
        each of them holds, for each of its live records, the national id the index holds now
        (a later change can move an applied record to another id: the feed then brings it)."""
        applied = self.index.applied()
        for n in names or list(self.authorities):
            a = self.authority(n)
            if applied.get(n, 0) != a.outbox_tail():
                return False
            if feed:
                mine, theirs = a.national_ids(), self.index.national_ids(n)
                if any(mine.get(r) is None or mine[r] != theirs.get(r) for r in a.record_ids()):
                    return False
        return True

    def wait_synced(self, names=None, timeout=SYNC_TIMEOUT, feed=True):
        """Waits (bounded) until caught_up(names, feed)."""
        names = names or list(self.authorities)

        def progress():
            applied = self.index.applied()
            return ", ".join(f"{n}: {applied.get(n, 0)}/{self.authority(n).outbox_tail()}"
                             for n in names)

        try:
            wait_until(lambda: self.caught_up(names, feed), timeout,
                       "the index to apply every outbox")
        except TestFailure as e:
            raise TestFailure(f"{e} (applied/outbox: {progress()})") from None

    def check_exactly_once(self, names=None):
        """Every authority's outbox is at the index exactly once, in order, byte for byte, and
        the chain re-verified from the stored bytes (hash links, seq, authority id); the
        index's applied head is the last envelope. Returns {authority: count}."""
        names = names or list(self.authorities)
        pairs = self.index.pairs()
        check(len(pairs) == len(set(pairs)), "an (authority, seq) is stored twice")
        applied = dict(query(self.index.db, "SELECT authority_id, applied_seq FROM authorities"))
        heads = {a: bytes(h) for a, h in
                 query(self.index.db, "SELECT authority_id, applied_hash FROM authorities")}
        counts = {}
        for n in names:
            outbox = self.authorities[n].outbox()
            stored = self.index.envelopes(n)
            check(sorted(stored) == list(range(1, len(stored) + 1)),
                  f"{n}: seqs at the index are not 1..{len(stored)} (gap)")
            check(set(stored) == set(outbox),
                  f"{n}: index holds {len(stored)} envelopes, outbox {len(outbox)}")
            verify_chain(n, stored)
            for seq, wire in stored.items():
                check(wire == outbox[seq][1], f"{n}: envelope {seq} differs from the outbox")
                check(envelope_hash(wire) == outbox[seq][0], f"{n}: hash of {seq} differs")
            check(applied.get(n, 0) == len(stored), f"{n}: applied_seq {applied.get(n)} "
                                                    f"!= {len(stored)} envelopes")
            if stored:
                check(heads[n] == envelope_hash(stored[len(stored)]), f"{n}: applied_hash wrong")
            counts[n] = len(stored)
        return counts

    def check_national_ids(self, names=None):
        """Every live record of each authority has the national id the index assigned to it."""
        names = names or list(self.authorities)
        for n in names:
            a = self.authorities[n]
            mine = a.national_ids()
            theirs = self.index.national_ids(n)
            live = a.record_ids()
            check(set(theirs) == live, f"{n}: the index has {len(theirs)} live records, "
                                       f"the authority {len(live)}")
            check(set(mine) >= live, f"{n}: {len(live - set(mine))} records without a national id")
            wrong = [r for r in live if mine[r] != theirs[r]]
            check(not wrong, f"{n}: {len(wrong)} national ids differ, e.g. {wrong[:3]}")
            check(all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{16}", v) for v in mine.values()),
                  f"{n}: a national id is not 16 Crockford base32 characters")

    def check_integrity(self):
        for node in self.nodes():
            if os.path.exists(node.db):
                integrity_check(node.db)

    # -- cleanup --

    def dump_logs(self):
        for node in self.nodes():
            print(f"--- {node.name}: {node.log_path} (last lines)", file=sys.stderr)
            print(node.log_tail(), file=sys.stderr)


def verify_chain(authority, stored):
    """Re-verifies the hash chain of {seq: wire} (PROTOCOL.md §6.5) from the bytes."""
    prev = ZERO_HASH
    for seq in sorted(stored):
        aid, s, prev_hash, _op, _rid = envelope_fields(stored[seq])
        check(aid == authority, f"{authority}: envelope {seq} names authority {aid!r}")
        check(s == seq, f"{authority}: envelope stored as {seq} has seq {s}")
        check(prev_hash == prev, f"{authority}: envelope {seq}: prev_hash does not link")
        prev = envelope_hash(stored[seq])


def flip_bit(data, offset, bit=0):
    b = bytearray(data)
    b[offset] ^= 1 << bit
    return bytes(b)


def run(name, test, **cluster_args):
    """Runs test(cluster) as a standalone script: exit 0 on success (directory removed),
    1 on failure (directory kept, its path and the logs printed)."""
    for b in (AEGIS, AEGISD):
        if not os.access(b, os.X_OK):
            print(f"{name}: FAIL: no executable {b} (set AEGIS_BIN / AEGISD_BIN)", file=sys.stderr)
            sys.exit(1)
    seed = os.environ.get("AEGIS_TEST_SEED", str(time.time_ns() % 10**9))
    random.seed(seed)
    log(f"{name}: AEGIS_TEST_SEED={seed}")
    started = time.monotonic()
    cluster = None
    ok = False
    try:
        cluster = Cluster(name, **cluster_args)
        log(f"{name}: test directory {cluster.dir}")
        test(cluster)
        cluster.stop_all()
        ok = True
    except Exception:
        traceback.print_exc()
    finally:
        if cluster is not None:
            if not ok:
                cluster.dump_logs()
            cluster.kill_all()
        _kill_live()
    elapsed = time.monotonic() - started
    if ok:
        shutil.rmtree(cluster.dir, ignore_errors=True)
        print(f"{name}: ok ({elapsed:.0f}s)")
        sys.exit(0)
    where = f"; data kept in {cluster.dir}" if cluster else ""
    print(f"{name}: FAILED ({elapsed:.0f}s){where}", file=sys.stderr)
    sys.exit(1)
