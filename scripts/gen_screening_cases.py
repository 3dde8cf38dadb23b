#!/usr/bin/env python3
"""Generates labelled listings for the text screening's evaluation
(crates/screening/tests/data/generated.jsonl), seeded so that the output is the same on
every run. Each case names what it covers: an obfuscation of a name or CAS number in an
offer (expected `flag`), a substance named alone (`review`), or a harmless text with a
chemistry or trade word (`clear`).

    python3 scripts/gen_screening_cases.py > crates/screening/tests/data/generated.jsonl
"""
import json
import random

SEED = 20261207
rng = random.Random(SEED)

# (name as the catalogue spells it, CAS, Chinese name) of substances an offer is about
OFFERED = [
    ("fentanyl", "437-38-7", "芬太尼"),
    ("carfentanil", "59708-52-0", "卡芬太尼"),
    ("acetylfentanyl", "3258-84-2", "乙酰芬太尼"),
    ("sufentanil", "56030-54-7", "舒芬太尼"),
    ("norfentanyl", "1609-66-1", "去甲芬太尼"),
    ("N-phenethyl-4-piperidone", "39742-60-4", "N-苯乙基-4-哌啶酮"),
    ("4-anilino-N-phenethylpiperidine", "21409-26-7", "4-苯胺基-N-苯乙基哌啶"),
    ("4-anilinopiperidine", "23056-29-3", "4-苯胺基哌啶"),
    ("4-piperidone", "41661-47-6", "4-哌啶酮"),
]
# the catalogue's preferred names, for the labels
CANONICAL = {
    "fentanyl": "Fentanyl", "carfentanil": "Carfentanil", "acetylfentanyl": "Acetylfentanyl",
    "sufentanil": "Sufentanil", "norfentanyl": "Norfentanyl",
    "N-phenethyl-4-piperidone": "N-Phenethyl-4-piperidone",
    "4-anilino-N-phenethylpiperidine": "4-Anilino-N-phenethylpiperidine",
    "4-anilinopiperidine": "N-Phenylpiperidin-4-amine", "4-piperidone": "Piperidin-4-one",
}
OFFERS_EN = [
    "{x} in stock, discreet shipping, telegram @{h}",
    "Buy {x} 99% purity, safe delivery, pay with btc",
    "{x} ready stock, customs clearance guaranteed, wickr {h}",
    "Hot sale {x}, $" + "{p}/kg, door to door, whatsapp",
    "We ship {x} worldwide, stealth packaging, usdt accepted",
]
OFFERS_ZH = [
    "{x} 现货 包清关 微信联系",
    "出售{x}，高纯，安全送达",
    "{x} 现货供应 双清到门 加微信",
]
HARMLESS = [
    "{x} for teaching laboratories at universities",
    "Police seized {x} at the border, the ministry said",
    "{x} overdose deaths fell last year",
    "Safety data sheet: {x}, store below 25 C",
]
GENERAL = ["acetone", "toluene", "hydrochloric acid", "sulfuric acid", "piperidine", "methyl ethyl ketone"]
GENERAL_CANONICAL = {"acetone": "Acetone", "toluene": "Toluene", "hydrochloric acid": "Hydrochloric acid",
                     "sulfuric acid": "Sulphuric acid", "piperidine": "Piperidine", "methyl ethyl ketone": "Methyl ethyl ketone"}
GENERAL_OFFERS = ["{x} 99% in stock for industry", "{x} drums, price on request", "{x} technical grade, delivery to factories"]
CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "y": "у", "x": "х", "i": "і"}
LEET = {"a": "4", "e": "3", "o": "0", "s": "5", "t": "7", "i": "1"}


def handle():
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)) + str(rng.randint(10, 99))


def obfuscate(name, how):
    letters = list(name)
    if how == "leetspeak":
        idx = [i for i, c in enumerate(letters) if c.lower() in LEET]
        for i in rng.sample(idx, min(len(idx), 2)):
            letters[i] = LEET[letters[i].lower()]
        return "".join(letters)
    if how == "spacing":
        return " ".join(c for c in name if c != "-")
    if how == "punctuation":
        return ".".join(c for c in name if c != "-")
    if how == "zero_width":
        k = rng.randint(1, len(name) - 1)
        return name[:k] + "\u200b" + name[k:]
    if how == "confusable":
        idx = [i for i, c in enumerate(letters) if c in CYRILLIC]
        for i in rng.sample(idx, min(len(idx), 2)):
            letters[i] = CYRILLIC[letters[i]]
        return "".join(letters)
    if how == "full_width":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)
    if how == "case":
        return "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(name))
    if how == "misspelling":
        k = rng.randint(2, len(name) - 3)
        return name[:k] + name[k + 1:] if rng.random() < 0.5 else name[:k] + name[k + 1] + name[k] + name[k + 2:]
    raise ValueError(how)


def cas_variant(cas):
    a, b, c = cas.split("-")
    return rng.choice([f"{a} {b} {c}", f"{a}.{b}.{c}", f"{a}{b}{c}", f"{a}-{b}-{c}",
                       "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in cas)])


cases = []


def add(kind, text, expect, substances):
    cases.append({"id": f"gen-{len(cases) + 1:04d}", "kind": kind, "text": text, "expect": expect, "substances": substances})


HOWS = ["leetspeak", "spacing", "punctuation", "zero_width", "confusable", "full_width", "case", "misspelling"]
for how in HOWS:
    for name, cas, _ in OFFERED:
        # short forms and long systematic names alike; misspellings only of long names
        if how == "misspelling" and len(name) < 8:
            continue
        x = obfuscate(name, how)
        t = rng.choice(OFFERS_EN).format(x=x, h=handle(), p=rng.randint(80, 900))
        add(how, t, "flag", [CANONICAL[name]])
for name, cas, zh in OFFERED:
    t = rng.choice(OFFERS_EN).format(x=f"CAS {cas_variant(cas)}", h=handle(), p=rng.randint(80, 900))
    add("cas", t, "flag", [CANONICAL[name]])
    t = rng.choice(OFFERS_ZH).format(x=zh)
    add("chinese", t, "flag", [CANONICAL[name]])
    t = rng.choice(["{x}", "Where can I find {x}?", "{x} 是什么"]).format(x=name)
    add("named_alone", t, "review", [CANONICAL[name]])
    t = rng.choice(HARMLESS).format(x=name)
    add("harmless_context", t, "clear", [CANONICAL[name]])
for g in GENERAL:
    t = rng.choice(GENERAL_OFFERS).format(x=g)
    add("general_reagent", t, "clear", [GENERAL_CANONICAL[g]])
for t in ["Fresh mangoes in stock, safe delivery", "Phone cases $3/kg wholesale", "Telegram group for gardeners @green_thumbs",
          "Order 4373870 shipped", "version 4 AP exam notes", "Apache Kafka in stock? No, it is software"]:
    add("no_substance", t, "clear", [])

for c in cases:
    print(json.dumps(c, ensure_ascii=False))
