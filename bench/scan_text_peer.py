#!/usr/bin/env python3
"""The Python peer of `fentguard scan-text` (bench/scan_text.sh): the same names
(the catalogue's names and synonyms, data/screening/terms.csv) matched with pyahocorasick
on the lower-cased text, the same literal signals, and regular expressions for CAS
numbers, prices, handles and purity; one JSON line out per text. It does less than
FentGuard (no folding of look-alikes, spacing or leetspeak, no offsets mapped back, no
check digits, no law): a floor for what the matching alone costs in Python.
Usage: scan_text_peer.py CORPUS > /dev/null"""
import csv
import json
import re
import sys

import ahocorasick

root = __file__.rsplit("/bench/", 1)[0]
names = []
for r in csv.DictReader(open(f"{root}/data/catalogue/substances.csv", encoding="utf-8")):
    names.append((r["name"], r["id"]))
    names += [(s.strip(), r["id"]) for s in r["synonyms"].split(";") if s.strip()]
for r in csv.DictReader(open(f"{root}/data/screening/terms.csv", encoding="utf-8")):
    names.append((r["term"], r["substance"]))
signals = [r for r in csv.DictReader(open(f"{root}/data/screening/signals.csv", encoding="utf-8"))]

auto = ahocorasick.Automaton()
for name, sid in names:
    auto.add_word(name.lower(), (name, sid))
for s in signals:
    if s["pattern"]:
        auto.add_word(s["pattern"].lower(), (s["pattern"], s["id"]))
auto.make_automaton()
regexes = [re.compile(s["regex"]) for s in signals if s["regex"]]
cas = re.compile(r"\b\d{2,7}[-\s.]?\d{2}[-\s.]?\d\b")

out = sys.stdout
for line in open(sys.argv[1], encoding="utf-8"):
    text = line.rstrip("\n")
    low = text.lower()
    hits = [{"end": end, "term": v[0], "id": v[1]} for end, v in auto.iter(low)]
    for r in regexes:
        hits += [{"start": m.start(), "text": m.group()} for m in r.finditer(text)]
    hits += [{"start": m.start(), "cas": m.group()} for m in cas.finditer(text)]
    out.write(json.dumps({"text": text, "hits": hits}, ensure_ascii=False) + "\n")
