#!/usr/bin/env python3
# query_search_end_to_end: one index and three authorities with the query socket configured.
# Amelia is known to Kent and Leeds; Poppy is shielded at Manchester, every sealed field of her
# record carrying a canary string. `aegis search` at Kent finds Amelia with both records'
# contacts; at Leeds, Poppy by name and date of birth is identity and Manchester's published
# shield route only, and by postcode not at all. Leeds receives the access notice of Kent's
# search (Kent none for its own record); the index's audit log holds one entry per query and
# `aegis audit verify` passes; no canary appears in the index's files, its log or any answer.
# Twelve searches from the three authorities at once are each answered to the daemon that asked
# (the index answers them in groups, one audit commit each). Bad input is refused by the
# authority with the field named. (Stale, replayed and unsigned
# queries are refused by the index: tests/aegisd/query_service_test.cpp drives those.)
import concurrent.futures
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

NHS = h.nhs_number("943476591")
CANARIES = ["Canarystreet", "Canarytown", "CN9 9CY", "07700 955955", "Canaryschool",
            "Canarymother"]
MANCHESTER_ROUTE = "Manchester shield team 0161 496 0000"


def add_query_config(c):
    """The query socket (index) and where to send queries (authorities), appended to [sync];
    the index's [shield_contacts] after it."""
    query_endpoint = f"tcp://127.0.0.1:{h.free_port()}"
    with open(c.index.config, "a") as f:
        f.write(f'query_listen = "{query_endpoint}"\n\n[shield_contacts]\n'
                f'manchester = "{MANCHESTER_ROUTE}"\n')
    for a in c.authorities.values():
        with open(a.config, "a") as f:
            f.write(f'index_query_endpoint = "{query_endpoint}"\n')


def search(a, *criteria, check_rc=True):
    r = a.aegis("--json", "search", "--user", "pr-0042", "--purpose", "safeguarding", *criteria,
                check_rc=check_rc)
    return r if not check_rc else json.loads(r.stdout)


def notices(a):
    return json.loads(a.aegis("--json", "notices").stdout)["notices"]


def check_no_canary_at_index(c):
    """No sealed field's canary in any of the index's files (database, WAL, shm) or its log."""
    files = [p for p in glob.glob(os.path.join(c.index.data, "*")) if os.path.isfile(p)]
    files.append(c.index.log_path)
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        for canary in CANARIES:
            h.check(canary.encode() not in data, f"{canary!r} in {path}")


def test(c):
    kent, leeds, manchester = c.authority("kent"), c.authority("leeds"), c.authority("manchester")
    add_query_config(c)
    c.start_all()
    kent.add(h.child_record("K-1", nhs=NHS))
    leeds.add(h.child_record("L-7", nhs=NHS, street="4 Station Road", town="Leeds",
                             postcode="LS1 4AP", phone="07700 900555",
                             school="Station Road Primary School"))
    poppy = h.child_record("M-3", given="Poppy", family="Ashworth", dob="2013-02-11",
                           shielded=True, street=CANARIES[0], town=CANARIES[1],
                           postcode=CANARIES[2], phone=CANARIES[3], school=CANARIES[4])
    poppy["details"]["contacts"][0]["name"]["given"] = CANARIES[5]
    manchester.add(poppy)
    c.wait_synced()
    answers = []

    # A child known to two authorities: both records' contacts.
    a = h.wait_until(lambda: (lambda r: r if r["children"] and
                              len(r["children"][0]["records"]) == 2 else None)(
        search(kent, "--given", "Amelia", "--family", "Hartley", "--dob", "2015-03-14")),
        h.SYNC_TIMEOUT, "kent's search to find both records of Amelia")
    answers.append(a)
    child = a["children"][0]
    h.check(not child["shielded"] and child["shield_contacts"] == [], f"amelia: {child}")
    by = {r["authority_id"]: r for r in child["records"]}
    h.check(set(by) == {"kent", "leeds"} and by["leeds"]["record_id"] == "L-7", f"records: {by}")
    h.check(by["leeds"]["contacts"][0]["phones"] == ["07700 900555"], f"leeds contacts: {by}")
    h.check("LS1 4AP" not in json.dumps(a) and NHS not in json.dumps(a), "address or NHS shown")
    text = kent.aegis("search", "--user", "pr-0042", "--purpose", "safeguarding", "--given",
                      "Amelia", "--family", "Hartley", "--dob", "2015-03-14").stdout
    h.check("known to leeds (record L-7)" in text and "07700 900555" in text, f"text: {text}")

    # A shielded child: identity and the shielding authority's route, nothing else.
    p = search(leeds, "--given", "Poppy", "--family", "Ashworth", "--dob", "2013-02-11")
    answers.append(p)
    h.check(len(p["children"]) == 1, f"poppy: {p}")
    pc = p["children"][0]
    h.check(pc["shielded"] and pc["records"] == [] and
            pc["shield_contacts"] == [{"authority_id": "manchester", "route": MANCHESTER_ROUTE}],
            f"poppy's answer: {pc}")
    # A postcode search never returns her, not even with her real postcode.
    by_postcode = search(leeds, "--given", "Poppy", "--family", "Ashworth", "--dob",
                         "2013-02-11", "--postcode", CANARIES[2])
    answers.append(by_postcode)
    h.check(by_postcode["children"] == [], f"postcode search found: {by_postcode}")
    by_nhs = search(leeds, "--given", "Amelia", "--family", "Hartley", "--dob", "2015-03-14",
                    "--nhs", NHS)
    answers.append(by_nhs)
    h.check(len(by_nhs["children"]) == 1, f"nhs search: {by_nhs}")

    # Access notices: leeds learns of kent's searches; kent never of its own record; manchester
    # (shielded, identity only) of none.
    seen = h.wait_until(lambda: [n for n in notices(leeds) if n["viewer_authority_id"] == "kent"],
                        h.SYNC_TIMEOUT, "leeds to receive kent's access notice")
    h.check(seen[0]["record_id"] == "L-7" and seen[0]["user_id"] == "pr-0042" and
            seen[0]["role"] == "practitioner" and seen[0]["purpose"] == "safeguarding",
            f"notice: {seen[0]}")
    h.check(all(n["viewer_authority_id"] != "kent" or n["record_id"] != "K-1"
                for n in notices(kent)), "kent notified of its own search")
    h.check(notices(manchester) == [], f"manchester notified: {notices(manchester)}")
    h.check("L-7" in leeds.aegis("notices").stdout, "readable notices list")

    # Refused at the authority, naming the field; nothing reaches the index.
    bad = search(kent, "--given", "Amelia", "--family", "Hartley", "--dob", "2015-02-30",
                 check_rc=False)
    h.check(bad.returncode == 1 and "dob" in bad.stderr, f"bad dob: {bad.stderr}")
    bad = search(kent, "--given", "Amelia", "--family", "Hartley", "--dob", "2015-03-14",
                 "--nhs", "1234567890", check_rc=False)
    h.check(bad.returncode == 1 and "identifier" in bad.stderr, f"bad nhs: {bad.stderr}")
    bad = kent.aegis("search", "--user", "pr-1", "--purpose", "curiosity", "--given", "A",
                     "--family", "B", "--dob", "2015-03-14", check_rc=False)
    h.check(bad.returncode == 1 and "purpose" in bad.stderr, f"bad purpose: {bad.stderr}")

    # Searches from all three authorities at once: the index answers what waits on its query
    # socket as one group (one audit commit); each answer must reach the daemon that asked.
    before = c.index.status()["queries"]
    asks = [(a, "Amelia", "Hartley", "2015-03-14") for a in (kent, leeds, manchester)] + \
           [(a, "Poppy", "Ashworth", "2013-02-11") for a in (kent, leeds, manchester)]
    asks = asks * 2
    with concurrent.futures.ThreadPoolExecutor(len(asks)) as pool:
        got = list(pool.map(lambda q: search(q[0], "--given", q[1], "--family", q[2], "--dob",
                                             q[3]), asks))
    for (a, given, _, _), r in zip(asks, got):
        answers.append(r)
        h.check(len(r["children"]) == 1 and r["children"][0]["identity"]["name"]["given"] == given,
                f"{a.name} asked for {given}, got {r}")
    after = c.index.status()["queries"]
    answered = after["answered"] - before["answered"]
    groups = after["groups"] - before["groups"]
    h.check(answered == len(asks) and 1 <= groups <= answered,
            f"{answered} answered in {groups} groups")
    h.log(f"{answered} concurrent searches answered in {groups} audit commits")

    # The audit log: one query entry per answered search, and it verifies.
    entries = h.query(c.index.db, "SELECT count(*) FROM audit_entries")[0][0]
    h.check(entries >= 5 + len(asks), f"audit entries: {entries}")
    c.index.aegis("audit", "verify")

    # Canaries: nowhere at the index (database, WAL, log) nor in any answer.
    check_no_canary_at_index(c)
    for answer in answers:
        for canary in CANARIES:
            h.check(canary not in json.dumps(answer), f"{canary!r} in an answer")
    h.check("Amelia" not in c.index.log_text() and "Hartley" not in c.index.log_text(),
            "a search term in the index's log")


if __name__ == "__main__":
    h.run("query_search_end_to_end", test, authorities=["kent", "leeds", "manchester"])
