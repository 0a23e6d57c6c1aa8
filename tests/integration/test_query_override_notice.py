#!/usr/bin/env python3
# query_override_notice: break-glass end to end (docs/query.md rule 6, PROTOCOL.md §16.7).
# Poppy is shielded at Kent, every sealed field carrying a canary; Amelia is known to Leeds in
# clear. A Leeds user with child_protection_override overrides Poppy with a reason: the answer
# file (0600) holds Kent's sealed blob, which Leeds's own key cannot open and the shield
# officer's key (--key) does; Kent (the owner) gets an override_notice with the reason at once;
# the index's audit entry is an override marked `investigate` and `aegis audit verify` passes;
# Kent's own override opens with its own key. An override of a child that is not shielded, or
# by another role, is refused with its code. No canary reaches the index's files or log.
import json
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from test_query_search_end_to_end import (  # noqa: E402
    CANARIES, add_query_config, check_no_canary_at_index)

REASON = "Section 47 enquiry: child missing, police request 2026/118"
POPPY = ["--given", "Poppy", "--family", "Ashworth", "--dob", "2013-02-11"]
AMELIA = ["--given", "Amelia", "--family", "Hartley", "--dob", "2015-03-14"]


def override(a, national_id, *extra, check_rc=True):
    return a.aegis("--json", "override", national_id, "--user", "cp-0007", "--purpose",
                   "safeguarding", "--reason", REASON, *extra, check_rc=check_rc)


def test(c):
    kent, leeds = c.authority("kent"), c.authority("leeds")
    add_query_config(c)
    c.start_all()
    poppy = h.child_record("K-3", given="Poppy", family="Ashworth", dob="2013-02-11",
                           shielded=True, street=CANARIES[0], town=CANARIES[1],
                           postcode=CANARIES[2], phone=CANARIES[3], school=CANARIES[4])
    poppy["details"]["contacts"][0]["name"]["given"] = CANARIES[5]
    kent.add(poppy)
    leeds.add(h.child_record("L-1"))
    c.wait_synced()
    poppy_id = h.wait_until(lambda: kent.national_ids().get("K-3"), h.SYNC_TIMEOUT,
                            "kent to learn Poppy's national id")
    amelia_id = h.wait_until(lambda: leeds.national_ids().get("L-1"), h.SYNC_TIMEOUT,
                             "leeds to learn Amelia's national id")

    # Leeds breaks the glass; the answer goes to a file only its user can read.
    answer_file = os.path.join(leeds.dir, "poppy.override")
    r = json.loads(override(leeds, poppy_id, *POPPY, "--output", answer_file).stdout)
    h.check(r["records"] == 1, f"override: {r}")
    h.check(stat.S_IMODE(os.stat(answer_file).st_mode) == 0o600, "answer file not 0600")
    with open(answer_file, "rb") as f:
        h.check(all(canary.encode() not in f.read() for canary in CANARIES),
                "a canary in clear in the answer file")

    # Leeds's own key is no recipient: shown as sealed. The shield officer's key opens it.
    opened = json.loads(leeds.aegis("--json", "shield", "open", answer_file).stdout)
    rec = opened["records"][0]
    h.check(opened["national_id"] == poppy_id and rec["authority_id"] == "kent" and
            rec["shielded"] and "sealed for kent" in rec["sealed"], f"leeds opened: {opened}")
    h.check(all(canary not in json.dumps(opened) for canary in CANARIES), "leeds read a canary")
    officer = json.loads(leeds.aegis("--json", "shield", "open", answer_file, "--key",
                                     c.key("officer-1", "key")).stdout)["records"][0]
    h.check(officer.get("opened_by") == "officer-1", f"officer: {officer}")
    h.check(officer["details"]["address"]["lines"] == [CANARIES[0], CANARIES[1]] and
            officer["details"]["shield"]["set_by"] == "SO-0042", f"officer opened: {officer}")
    again = override(leeds, poppy_id, *POPPY, "--output", answer_file, check_rc=False)
    h.check(again.returncode == 1 and "exists" in again.stderr, "answer file overwritten")

    # Kent, the owner, is told at once, with the reason.
    seen = h.wait_until(
        lambda: [n for n in json.loads(kent.aegis("--json", "notices").stdout)["notices"]
                 if n["kind"] == "override"], h.SYNC_TIMEOUT, "kent's override notice")
    h.check(seen[0]["record_id"] == "K-3" and seen[0]["viewer_authority_id"] == "leeds" and
            seen[0]["user_id"] == "cp-0007" and seen[0]["reason"] == REASON and
            seen[0]["role"] == "child_protection_override", f"notice: {seen[0]}")
    listed = kent.aegis("notices").stdout
    h.check("override" in listed and REASON in listed, f"readable notices list: {listed}")
    # Subject access at kent: the record's export says who broke the glass, when and why.
    sar_file = os.path.join(c.dir, "kent-K-3.sar.json")
    kent.aegis("sar", "K-3", "--output", sar_file)
    with open(sar_file, encoding="utf-8") as f:
        accessed = json.load(f)["access_notices"]
    h.check([(n["kind"], n["viewer_authority_id"], n["reason"]) for n in accessed] ==
            [("override", "leeds", REASON)], f"kent's subject access: {accessed}")

    # Kent's own user opens its own record with Kent's key (no notice to itself).
    mine = json.loads(override(kent, poppy_id, *POPPY).stdout)["records"][0]
    h.check(mine.get("opened_by") == "kent" and
            mine["details"]["contacts"][0]["name"]["given"] == CANARIES[5], f"kent: {mine}")

    # Refused: a child that is not shielded (use search), another role.
    clear = override(leeds, amelia_id, *AMELIA, check_rc=False)
    h.check(clear.returncode == 1 and json.loads(clear.stdout)["error"]["code"] ==
            "invalid_field" and "not shielded" in clear.stderr, f"not shielded: {clear.stderr}")
    role = override(leeds, poppy_id, *POPPY, "--role", "practitioner", check_rc=False)
    h.check(role.returncode == 1 and "role" in role.stderr, f"role: {role.stderr}")

    # The audit log: two overrides, each marked for investigation; it verifies.
    entries = [bytes(e) for (e,) in h.query(c.index.db, "SELECT entry FROM audit_entries")]
    marked = [e for e in entries if b"investigate;" in e]
    h.check(len(marked) == 2, f"{len(marked)} entries marked for investigation")
    h.check(all(REASON.encode() not in e for e in entries), "the reason in the audit log")
    c.index.aegis("audit", "verify")

    # Canaries: nowhere at the index (database, WAL, log).
    check_no_canary_at_index(c)


if __name__ == "__main__":
    h.run("query_override_notice", test, authorities=["kent", "leeds"])
