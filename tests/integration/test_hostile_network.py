#!/usr/bin/env python3
# hostile_network (docs/RELIABILITY.md §4): what a hostile or broken peer can send the index over
# a real, authenticated connection, none of it stored, the daemon unharmed. kent's daemon never
# runs: aegis_hostile_peer (tests/fault/hostile_peer.cpp) connects with kent's certified keys
# and sends, one frame at a time, what it is given: kent's genuine envelopes (from kent's
# outbox, written by `aegis record add-many`) in Push messages, then
#   - the same Push again (a replay), also after the index restarted;
#   - every single-bit flip of envelope 3 (each in its own Push): each rejected, counted;
#   - every truncation of a Push frame, a frame of a 5-byte msgpack header claiming 4 billion
#     elements (alone and as a Push's envelope array), a multi-frame message: each refused;
#   - a frame one byte over the size limit: the connection dropped;
#   - 1,000 connections with fresh keys no certificate names: none admitted;
# and the index meanwhile serves leeds (a normal daemon) as if nothing happened. At the index
# afterwards: kent's envelopes 1..5 exactly once, byte for byte, after the genuine Push that
# follows the abuse; the rejections counted in its status; integrity_check ok.
# (Revoked keys and rolled-back bundles: test_auth_revoked_cut_off_after_sighup.py,
# tests/process/trust_rollback_refused.sh; unknown signer: test_auth_unknown_key_refused.py.)
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

PEER = os.environ.get("AEGIS_HOSTILE_PEER") or h._default_bin("tests", "fault",
                                                              "aegis_hostile_peer")
KENT_CHANGES = 5
FLIPPED = 3          # the envelope whose every bit is flipped
UNKNOWN_KEYS = int(os.environ.get("AEGIS_HOSTILE_UNKNOWN_KEYS", "1000"))
MAX_MESSAGE = 16 << 20


# --- just enough msgpack (PROTOCOL.md §4) to build sync messages (§12) ------------------------

def mp_uint(n):
    if n <= 0x7f:
        return bytes([n])
    for tag, size in ((0xcc, 1), (0xcd, 2), (0xce, 4), (0xcf, 8)):
        if n < 1 << (8 * size):
            return bytes([tag]) + n.to_bytes(size, "big")
    raise ValueError(n)


def mp_str(s):
    b = s.encode()
    return (bytes([0xa0 | len(b)]) if len(b) < 32 else bytes([0xd9, len(b)])) + b


def mp_bin(b):
    for tag, size in ((0xc4, 1), (0xc5, 2), (0xc6, 4)):
        if len(b) < 1 << (8 * size):
            return bytes([tag]) + len(b).to_bytes(size, "big") + b
    raise ValueError(len(b))


def mp_array(items):
    n = len(items)
    head = bytes([0x90 | n]) if n < 16 else bytes([0xdc]) + n.to_bytes(2, "big")
    return head + b"".join(items)


def hello(authority, feed_seq=0):
    return mp_array([mp_uint(1), mp_uint(1), mp_str(authority), mp_uint(feed_seq)])


def push(envelopes):
    return mp_array([mp_uint(1), mp_uint(3), mp_array([mp_bin(e) for e in envelopes])])


# --- the tool ----------------------------------------------------------------------------------

def session(node, commands, timeout=600, replies=None):
    """Runs one aegis_hostile_peer session as `node`; returns its replies (dicts) after the
    handshake's; `replies`: how many, if not one per command."""
    r = h.run_cmd([PEER, "--config", node.config, "session", "--reply-ms", "10000"],
                  timeout=timeout, input="".join(c + "\n" for c in commands))
    got = [json.loads(line) for line in r.stdout.splitlines()]
    h.check(got and got[0] == {"type": "handshake", "result": "succeeded"},
            f"no session: {got[:1]} {r.stderr}")
    want = len(commands) if replies is None else replies
    h.check(len(got) == want + 1, f"{len(got) - 1} replies, expected {want}")
    return got[1:]


def send(frame):
    return "send " + (frame.hex() or "-")


def bursts(frames, size=200):
    """burst commands of at most `size` frames each (the tool's send queue holds 1,000)."""
    return ["burst " + " ".join(f.hex() or "-" for f in frames[i:i + size])
            for i in range(0, len(frames), size)]


def expect(reply, kind, what, **fields):
    h.check(reply.get("type") == kind and all(reply.get(k) == v for k, v in fields.items()),
            f"{what}: expected {kind} {fields}, got {reply}")


def kent_stored(c):
    return sorted(c.index.envelopes("kent"))


def test(c):
    kent, leeds = c.authority("kent"), c.authority("leeds")
    h.check(os.access(PEER, os.X_OK), f"no executable {PEER} (set AEGIS_HOSTILE_PEER)")
    kent.add_many(c.child_file("kent-h", family="Hostileton"), KENT_CHANGES)
    env = {seq: wire for seq, (_hash, wire) in kent.outbox().items()}
    leeds_file = c.child_file("leeds-h", family="Calmfield")
    c.index.start()
    leeds.start()
    leeds.add_many(leeds_file, 10)
    c.wait_synced(["leeds"], feed=False)

    # A genuine session, then its Push replayed: applied once.
    first = push([env[1], env[2]])
    r = session(kent, [send(hello("kent")), send(first), send(first)])
    expect(r[0], "welcome", "hello", applied_seq=0)
    expect(r[1], "ack", "push 1-2", applied_seq=2)
    h.check(r[2]["type"] in ("ack", "reject"), f"replayed push: {r[2]}")
    h.check(kent_stored(c) == [1, 2], f"after the replay: {kent_stored(c)}")
    h.log(f"replayed push: {r[2]}")

    # Every single-bit flip of envelope 3: none applied. Most are rejected (Reject with the
    # code) or refused (undecodable Push); a flip that turns seq 3 into 2 or 1 makes a resend
    # of an applied envelope, which is answered by an Ack of the unchanged head.
    bits = 8 * len(env[FLIPPED])
    flips = [push([h.flip_bit(env[FLIPPED], i // 8, i % 8)]) for i in range(bits)]
    r = session(kent, [send(hello("kent"))] + bursts(flips), replies=1 + bits)
    expect(r[0], "welcome", "hello", applied_seq=2)
    kinds = {}
    for i, reply in enumerate(r[1:]):
        h.check(reply["type"] in ("reject", "refused") or
                (reply["type"] == "ack" and reply["applied_seq"] == 2),
                f"bit {i} of envelope 3: {reply}")
        key = reply["type"] + (":" + reply["code"] if "code" in reply else "")
        kinds[key] = kinds.get(key, 0) + 1
    rejected = sum(v for k, v in kinds.items() if k.startswith("reject:"))
    h.log(f"{bits} single-bit flips of envelope {FLIPPED} ({len(env[FLIPPED])} bytes): {kinds}")
    h.check(kinds.get("ack", 0) <= 8, f"more flips acknowledged than the seq byte has bits")
    h.check(kent_stored(c) == [1, 2], f"a flipped envelope was stored: {kent_stored(c)}")

    # Truncated frames, huge headers, several frames, one frame over the limit.
    frame = push([env[3]])
    malformed = [frame[:n] for n in range(len(frame))]
    malformed += [bytes([0xdd, 0xff, 0xff, 0xff, 0xff]),
                  bytes([0x93, 0x01, 0x03, 0xdd, 0xff, 0xff, 0xff, 0xff]),
                  frame + b"\x00"]
    hostile = bursts(malformed) + [f"multi {frame.hex()} {frame.hex()}"]
    r = session(kent, [send(hello("kent"))] + hostile +
                [f"oversized {MAX_MESSAGE + 1}", "reconnect", send(hello("kent"))],
                replies=len(malformed) + 5)
    expect(r[0], "welcome", "hello", applied_seq=2)
    for i, reply in enumerate(r[1:len(malformed) + 2]):
        expect(reply, "refused", f"malformed frame {i}", code="protocol_error")
    expect(r[-3], "disconnected", "a frame over the limit")
    expect(r[-2], "handshake", "reconnecting", result="succeeded")
    expect(r[-1], "welcome", "hello after the drop", applied_seq=2)
    h.log(f"{len(malformed) + 1} malformed messages refused; the oversized frame dropped the connection")
    refused_messages = c.index.status()["refused_messages"]
    h.check(refused_messages >= len(malformed) + 1,
            f"index status counts the refused messages: {refused_messages}")
    h.check(kent_stored(c) == [1, 2], f"after the malformed frames: {kent_stored(c)}")

    # Strangers: fresh keys no certificate names.
    refused_before = c.index.status()["refused_connections"]
    out = h.run_cmd([PEER, "--config", kent.config, "unknown-keys", str(UNKNOWN_KEYS)],
                    timeout=600).stdout
    result = json.loads(out)
    h.log(f"{UNKNOWN_KEYS} unknown keys: {result}")
    h.check(result == {"refused": UNKNOWN_KEYS, "admitted": 0, "undecided": 0}, f"{result}")
    refused = h.wait_until(
        lambda: (lambda n: n if n >= refused_before + UNKNOWN_KEYS else None)(
            c.index.status()["refused_connections"]), 60, "the index to count the refusals")
    h.log(f"index refused_connections {refused_before} -> {refused}")

    # The index is fine: leeds carries on, and kent's genuine envelopes still apply.
    leeds.add_many(leeds_file, 10, start=11)
    c.wait_synced(["leeds"], feed=False)
    r = session(kent, [send(hello("kent")), send(push([env[3], env[4], env[5]]))])
    expect(r[1], "ack", "push 3-5 after the abuse", applied_seq=5)

    # Replays after a restart of the index: nothing stored twice.
    c.index.stop()
    c.index.start()
    r = session(kent, [send(hello("kent")), send(first), send(push([env[3], env[4], env[5]]))])
    expect(r[0], "welcome", "hello after the restart", applied_seq=5)
    for reply in r[1:]:
        h.check(reply["type"] in ("ack", "reject"), f"replay after the restart: {reply}")
        h.check(reply.get("applied_seq", 5) == 5, f"replay after the restart: {reply}")
    counts = c.check_exactly_once(["kent", "leeds"])
    h.check(counts == {"kent": KENT_CHANGES, "leeds": 20}, f"{counts}")

    # Counted where the index counts: its status (per peer) and the rejections table.
    peers = {q["peer"]: q for q in c.index.status()["peers"]}
    h.check(peers["kent"]["rejections"] == rejected, f"index status: {peers['kent']}")
    h.check(peers["leeds"]["rejections"] == 0, f"index status: {peers['leeds']}")
    h.log(f"index status for kent: rejections {peers['kent']['rejections']}, "
          f"last_reject {peers['kent']['last_reject']}")

    c.check_integrity()


if __name__ == "__main__":
    h.run("hostile_network", test, authorities=["kent", "leeds"])
