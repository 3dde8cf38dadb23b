#!/usr/bin/env python3
"""Differential fixtures for FentGuard's CBV 2.0 event hash (crates/epcis/src/hash.rs).

The oracle is GS1's reference implementation, `epcis-event-hash-generator` (PyPI). This
script builds one-event EPCIS documents that vary every property the canonical form
touches (EPC URNs and Digital Link URIs, time zones and fractions of seconds, bare CBV
words and old URNs, integer and decimal quantities, transactions, sources and
destinations, ILMD, extensions at the top and nested, persistent dispositions, error
declarations, the four event types) and records the oracle's pre-hash string and hash.

    pip install epcis-event-hash-generator==1.9.*
    python3 scripts/gen_epcis_hash_fixtures.py > crates/epcis/tests/data/hash_oracle.jsonl
    python3 scripts/gen_epcis_hash_fixtures.py --gs1 crates/epcis/tests/data/gs1 \
        > crates/epcis/tests/data/gs1_oracle.json

Documents the oracle cannot hash (it raises on a few valid shapes) are left out.
"""
import json
import random
import sys

from epcis_event_hash_generator import hash_generator, json_to_py

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
           {"example": "http://ns.example.com/epcis/", "fg": "https://fentguard.example/ns/"}]

CP = ["0614141", "4012345", "95012345", "061414112"]


def item_ref(cp):
    return "".join(random.choice("0123456789") for _ in range(13 - len(cp)))


def gtin14(cp, ir):
    raw = ir[0] + cp + ir[1:]
    s = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(raw)))
    return raw + str((10 - s % 10) % 10)


def serial():
    return random.choice(["2017", "A1", "X.9", "lot-7", "987", "01", "AB:CD", "x(1)"])


def epc():
    cp = random.choice(CP)
    ir = item_ref(cp)
    s = serial()
    r = random.random()
    if r < 0.5:
        return f"urn:epc:id:sgtin:{cp}.{ir}.{s}"
    if r < 0.8:
        host = random.choice(["https://id.gs1.org", "https://example.com", "https://example.com/a/b"])
        enc = s.replace(":", "%3A").replace("(", "%28").replace(")", "%29")
        return f"{host}/01/{gtin14(cp, ir)}/21/{enc}"
    if r < 0.9:
        return f"urn:epc:id:sscc:{cp}.{''.join(random.choice('0123456789') for _ in range(17 - len(cp)))}"
    return f"urn:uuid:{random.randrange(10**6)}"


def epc_class():
    cp = random.choice(CP)
    ir = item_ref(cp)
    r = random.random()
    if r < 0.5:
        return f"urn:epc:class:lgtin:{cp}.{ir}.{random.choice(['L1', '87545GHGH', 'B-2025-11'])}"
    if r < 0.7:
        return f"urn:epc:idpat:sgtin:{cp}.{ir}.*"
    return f"https://id.gs1.org/01/{gtin14(cp, ir)}/10/LOT{random.randrange(100)}"


def location():
    cp = random.choice(CP[:3])
    ref = "".join(random.choice("0123456789") for _ in range(12 - len(cp)))
    ext = random.choice(["0", "1234", "A7"])
    if random.random() < 0.7:
        return f"urn:epc:id:sgln:{cp}.{ref}.{ext}"
    return f"https://id.gs1.org/414/{cp}{ref}0"


def timestamp():
    y = random.randrange(2015, 2030)
    frac = random.choice(["", ".1", ".116", ".116000", ".5915", ".0"])
    off = random.choice(["Z", "+08:00", "-06:00", "+00:00", "+05:30"])
    return f"{y}-{random.randrange(1, 13):02d}-{random.randrange(1, 29):02d}T{random.randrange(24):02d}:{random.randrange(60):02d}:{random.randrange(60):02d}{frac}{off}", off


def vocab(word, urn_prefix):
    r = random.random()
    if r < 0.6:
        return word
    if r < 0.8:
        return urn_prefix + word
    return "https://ref.gs1.org/cbv/" + {"urn:epcglobal:cbv:bizstep:": "BizStep-", "urn:epcglobal:cbv:disp:": "Disp-",
                                          "urn:epcglobal:cbv:btt:": "BTT-", "urn:epcglobal:cbv:sdt:": "SDT-"}[urn_prefix] + word


def quantity_list(n):
    out = []
    for _ in range(n):
        q = {"epcClass": epc_class()}
        r = random.random()
        if r < 0.8:
            q["quantity"] = random.choice([500, 452, 10, 0.5, 12.25, 1000.0, 3])
            if random.random() < 0.8:
                q["uom"] = random.choice(["KGM", "GRM", "MGM", "LTR"])
        out.append(q)
    return out


def event():
    kind = random.choice(["ObjectEvent", "ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent"])
    t, off = timestamp()
    ev = {"type": kind, "eventTime": t, "eventTimeZoneOffset": off if off != "Z" else "+00:00"}
    if kind != "TransformationEvent":
        ev["action"] = random.choice(["ADD", "OBSERVE", "DELETE"])
    if kind in ("ObjectEvent", "TransactionEvent"):
        ev["epcList"] = [epc() for _ in range(random.randrange(0, 4))]
        if random.random() < 0.5:
            ev["quantityList"] = quantity_list(random.randrange(1, 3))
    if kind == "AggregationEvent":
        ev["parentID"] = epc()
        ev["childEPCs"] = [epc() for _ in range(random.randrange(1, 4))]
        if random.random() < 0.4:
            ev["childQuantityList"] = quantity_list(1)
    if kind == "TransformationEvent":
        ev["inputEPCList"] = [epc() for _ in range(random.randrange(0, 3))]
        ev["inputQuantityList"] = quantity_list(random.randrange(1, 3))
        ev["outputQuantityList"] = quantity_list(1)
        if random.random() < 0.3:
            ev["outputEPCList"] = [epc()]
        if random.random() < 0.3:
            ev["transformationID"] = f"urn:uuid:{random.randrange(10**6)}"
    ev["bizStep"] = vocab(random.choice(["commissioning", "shipping", "receiving", "destroying", "dispensing", "inspecting"]), "urn:epcglobal:cbv:bizstep:")
    if random.random() < 0.8:
        ev["disposition"] = vocab(random.choice(["in_progress", "in_transit", "active", "destroyed", "dispensed"]), "urn:epcglobal:cbv:disp:")
    if random.random() < 0.2:
        ev["persistentDisposition"] = {"set": ["completeness_verified"], "unset": ["completeness_inferred"]}
    ev["readPoint"] = {"id": location()}
    if random.random() < 0.2:
        ev["readPoint"]["example:myField"] = "nested extension"
    if random.random() < 0.7:
        ev["bizLocation"] = {"id": location()}
    if kind == "TransactionEvent" or random.random() < 0.5:
        ev["bizTransactionList"] = [
            {"type": vocab(random.choice(["po", "desadv", "inv"]), "urn:epcglobal:cbv:btt:"),
             "bizTransaction": f"urn:epcglobal:cbv:bt:{random.choice(CP)}0:{random.randrange(10**4)}"}
            for _ in range(random.randrange(1, 3))]
    if random.random() < 0.5:
        ev["sourceList"] = [{"type": vocab("owning_party", "urn:epcglobal:cbv:sdt:"), "source": "urn:epc:id:pgln:0614141.00001"},
                            {"type": vocab("location", "urn:epcglobal:cbv:sdt:"), "source": location()}]
        ev["destinationList"] = [{"type": "possessing_party", "destination": "urn:epc:id:pgln:4012345.00002"}]
    if random.random() < 0.3:
        ev["ilmd"] = {"example:bestBeforeDate": "2027-12-10", "example:batch": "XYZ", "fg:substance": "NPP"}
    if random.random() < 0.3:
        ev["example:myField"] = random.choice(["Example of a vendor/user extension", "42", "7.50"])
    if random.random() < 0.1:
        ev["errorDeclaration"] = {"declarationTime": t, "reason": "incorrect_data"}
    if random.random() < 0.2:
        ev["eventID"] = f"urn:uuid:{random.randrange(10**6)}"
    # key order is part of what is tested
    items = list(ev.items())
    if random.random() < 0.5:
        random.shuffle(items)
    return dict(items)


def gs1(folder):
    """The oracle's hashes of GS1's published example documents ({file: [hash, ...]})."""
    import os
    out = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".jsonld"):
            continue
        with open(os.path.join(folder, name)) as f:
            doc = json.load(f)
        try:
            events = json_to_py.event_list_from_epcis_document_json(doc)
            pre = hash_generator.derive_prehashes_from_events(events)
        except Exception:  # e.g. a context entry that is not a plain prefix
            continue
        if len(pre) == len(doc["epcisBody"]["eventList"]):
            out[name] = hash_generator.calculate_hashes_from_pre_hashes(pre)
    print(json.dumps(out, indent=1))


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--gs1":
        return gs1(sys.argv[2])
    random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 20261122)
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    written = 0
    while written < n:
        doc = {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
               "creationDate": "2026-11-22T08:00:00Z", "epcisBody": {"eventList": [event()]}}
        try:
            events = json_to_py.event_list_from_epcis_document_json(json.loads(json.dumps(doc)))
            pre = hash_generator.derive_prehashes_from_events(events)
        except Exception:  # the oracle raises on some valid shapes; leave those out
            continue
        if len(pre) != 1:
            continue
        h = hash_generator.calculate_hashes_from_pre_hashes(pre)[0]
        print(json.dumps({"document": doc, "prehash": pre[0], "hash": h}))
        written += 1


if __name__ == "__main__":
    main()
