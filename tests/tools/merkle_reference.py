#!/usr/bin/env python3
"""Independent reference of the audit log's Merkle tree (RFC 9162 section 2.1), written straight
from the RFC's recursive definitions with Python's hashlib, sharing no code with
protocol/src/merkle.cpp. It writes protocol/vectors/valid_merkle.json (docs/PROTOCOL.md §11.5),
which tests/protocol/merkle_test.cpp checks the C++ implementation against.

Usage: python3 tests/tools/merkle_reference.py [OUTPUT_FILE]
"""
import hashlib
import json
import os
import sys

# The first eight leaves are the inputs of the Certificate Transparency reference tests
# (RFC 6962 era), whose 8-leaf root is well known; the rest are "aegis-leaf-<i>" in ASCII.
CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
             "606162636465666768696a6b6c6d6e6f"]
MAX_LEAVES = 13


def sha256(b):
    return hashlib.sha256(b).digest()


def leaf_hash(data):
    return sha256(b"\x00" + data)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d):
    if len(d) == 0:
        return sha256(b"")
    if len(d) == 1:
        return leaf_hash(d[0])
    k = split(len(d))
    return node_hash(mth(d[:k]), mth(d[k:]))


def path(m, d):
    if len(d) == 1:
        return []
    k = split(len(d))
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = split(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "..", "protocol", "vectors", "valid_merkle.json")
    leaves = [bytes.fromhex(h) for h in CT_LEAVES]
    leaves += [("aegis-leaf-%d" % i).encode() for i in range(len(leaves), MAX_LEAVES)]
    doc = {
        "description": "RFC 9162 section 2.1 Merkle tree vectors (docs/PROTOCOL.md section 15.1), "
                       "written by tests/tools/merkle_reference.py (Python hashlib).",
        "leaves_hex": [l.hex() for l in leaves],
        "leaf_hashes_hex": [leaf_hash(l).hex() for l in leaves],
        "roots": [{"size": n, "root_hex": mth(leaves[:n]).hex()}
                  for n in range(0, MAX_LEAVES + 1)],
        "inclusion": [{"index": m, "size": n, "proof_hex": [h.hex() for h in path(m, leaves[:n])]}
                      for n in range(1, MAX_LEAVES + 1) for m in range(n)],
        "consistency": [{"old_size": m, "new_size": n,
                         "proof_hex": [h.hex() for h in subproof(m, leaves[:n], True)]}
                        for n in range(1, MAX_LEAVES + 1) for m in range(1, n + 1)],
    }
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
