#!/usr/bin/env python3
# resolution_same_child_two_areas: Kent and Leeds each commit a record of the same child (the same
# NHS number; different addresses, contacts and schools), and Leeds another child. The index
# links the two records under one national id, and each authority's `aegis record show --json`
# lists the other authority under also_known_to with what it may see (contacts, involvements;
# never the address or identifiers), with the same national id on both sides. When Leeds deletes
# its record, Kent's record is no longer known elsewhere.
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

NHS = h.nhs_number("943476591")
OTHER_NHS = h.nhs_number("401023213")


def shown(a, record_id):
    return json.loads(a.aegis("--json", "record", "show", record_id).stdout)


def test(c):
    kent, leeds = c.authority("kent"), c.authority("leeds")
    c.start_all()
    kent.add(h.child_record("K-1", nhs=NHS))
    leeds.add(h.child_record("L-7", nhs=NHS, street="4 Station Road", town="Leeds",
                             postcode="LS1 4AP", phone="07700 900555",
                             school="Station Road Primary School"))
    leeds.add(h.child_record("L-8", given="Oliver", nhs=OTHER_NHS, dob="2016-07-01",
                             street="9 Mill Lane", town="Leeds", postcode="LS2 7EW"))
    c.wait_synced()

    h.wait_until(lambda: shown(kent, "K-1")["also_known_to"] and
                 shown(leeds, "L-7")["also_known_to"], h.SYNC_TIMEOUT,
                 "both authorities to learn the child is known elsewhere")
    k, l7 = shown(kent, "K-1"), shown(leeds, "L-7")
    h.check(k["national_id"] and k["national_id"] == l7["national_id"],
            f"national ids differ: {k['national_id']} {l7['national_id']}")
    h.check(c.index.national_ids("kent")["K-1"] == k["national_id"], "index and kent disagree")
    kk = k["also_known_to"]
    h.check(len(kk) == 1 and kk[0]["authority_id"] == "leeds" and kk[0]["record_id"] == "L-7" and
            not kk[0]["shielded"], f"kent's also_known_to: {kk}")
    h.check(kk[0]["contacts"][0]["phones"] == ["07700 900555"], f"kent sees: {kk}")
    h.check(kk[0]["involvements"][0]["organisation"] == "Station Road Primary School",
            f"kent sees: {kk}")
    lk = l7["also_known_to"]
    h.check(len(lk) == 1 and lk[0]["authority_id"] == "kent" and lk[0]["record_id"] == "K-1",
            f"leeds's also_known_to: {lk}")
    seen = json.dumps(kk) + json.dumps(lk)
    for secret in ("Station Road\"", "LS1 4AP", "ME14 1XX", NHS, "12 Orchard Way"):
        h.check(secret not in seen, f"{secret!r} shared with the other authority")
    l8 = shown(leeds, "L-8")
    h.check(l8["also_known_to"] == [] and l8["national_id"] != k["national_id"],
            f"another child linked: {l8}")

    # Leeds deletes its record: Kent is told the pair is gone.
    leeds.aegis("record", "delete", "L-7")
    c.wait_synced(feed=False)  # an authority keeps a deleted record's national id
    h.wait_until(lambda: shown(kent, "K-1")["also_known_to"] == [], h.SYNC_TIMEOUT,
                 "kent to forget the deleted record")
    h.check(shown(kent, "K-1")["national_id"] == k["national_id"], "kent's national id changed")


if __name__ == "__main__":
    h.run("resolution_same_child_two_areas", test, authorities=["kent", "leeds"])
