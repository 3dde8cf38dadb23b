#!/usr/bin/env python3
"""Build data/catalogue/{substances,listings}.csv from the seed facts
(shared/regdata/precursors.csv and cn_fentanyl_lists.csv). Run once by a developer; the
outputs are committed and are what the product reads. Structures of the Chinese named
fentanyls are drawn from their names (checked by formula with RDKit when available).

Usage: python3 scripts/build_catalogue.py PATH/TO/shared/regdata
"""
import csv, os, re, sys

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "data", "catalogue")
reg = sys.argv[1]

LIST_CODES = {
    "UN1988_TableI": ("UN", "1988 Convention Table I", "precursor"),
    "UN1988_TableII": ("UN", "1988 Convention Table II", "precursor"),
    "US_DEA_ListI": ("US", "DEA List I (21 CFR 1310.02(a))", "List I chemical"),
    "US_DEA_ScheduleII(immediate precursor)": ("US", "CSA Schedule II (21 CFR 1308.12(g))", "immediate precursor"),
    "CN_PrecursorCatalog": ("CN", "Scheduled precursor catalogue (Decree 445)", "Class I (class unconfirmed)"),
    "CN_PrecursorCatalog_ClassII": ("CN", "Scheduled precursor catalogue (Decree 445)", "Class II"),
    "EU_Cat1": ("EU", "Regulation (EC) 273/2004 and 111/2005", "Category 1"),
    "EU": ("EU", "Regulation (EC) 273/2004 and 111/2005", "Category 1"),
    "CN_ExportSpecificCountries_AnnexI_PartI(US/MX/CA)": ("CN", "Catalogue for exports to specific countries, Part I (US, MX, CA)", "export licence"),
}

NAMED = {  # english name -> SMILES drawn from the name
    "Acetyl-alpha-methylfentanyl": "CC(=O)N(c1ccccc1)C1CCN(C(C)Cc2ccccc2)CC1",
    "Alfentanil": "CCC(=O)N(c1ccccc1)C1(COC)CCN(CCn2nnn(CC)c2=O)CC1",
    "Alpha-methylfentanyl": "CCC(=O)N(c1ccccc1)C1CCN(C(C)Cc2ccccc2)CC1",
    "Alpha-methylthiofentanyl": "CCC(=O)N(c1ccccc1)C1CCN(C(C)Cc2cccs2)CC1",
    "Beta-hydroxyfentanyl": "CCC(=O)N(c1ccccc1)C1CCN(CC(O)c2ccccc2)CC1",
    "Beta-hydroxy-3-methylfentanyl": "CCC(=O)N(c1ccccc1)C1CCN(CC(O)c2ccccc2)CC1C",
    "Fentanyl": "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
    "3-Methylfentanyl": "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1C",
    "3-Methylthiofentanyl": "CCC(=O)N(c1ccccc1)C1CCN(CCc2cccs2)CC1C",
    "para-Fluorofentanyl": "CCC(=O)N(c1ccc(F)cc1)C1CCN(CCc2ccccc2)CC1",
    "Remifentanil": "CCC(=O)N(c1ccccc1)C1(C(=O)OC)CCN(CCC(=O)OC)CC1",
    "Sufentanil": "CCC(=O)N(c1ccccc1)C1(COC)CCN(CCc2cccs2)CC1",
    "Thiofentanyl": "CCC(=O)N(c1ccccc1)C1CCN(CCc2cccs2)CC1",
    "Acetylfentanyl": "CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
    "Carfentanil": "CCC(=O)N(c1ccccc1)C1(C(=O)OC)CCN(CCc2ccccc2)CC1",
    "Furanylfentanyl": "O=C(c1ccco1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
    "Acrylfentanyl (acryloylfentanyl)": "C=CC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
    "Valerylfentanyl": "CCCCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
    "Tetrahydrofuranylfentanyl": "O=C(C1CCCO1)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
    "4-Fluoroisobutyrfentanyl": "CC(C)C(=O)N(c1ccc(F)cc1)C1CCN(CCc2ccccc2)CC1",
}
# CAS numbers of medical fentanyls (check digits validated by the product at load time;
# flagged unconfirmed: not in the seed facts).
CAS = {"Fentanyl": "437-38-7", "Carfentanil": "59708-52-0", "Sufentanil": "56030-54-7",
       "Alfentanil": "71195-58-9", "Remifentanil": "132875-61-7", "Acetylfentanyl": "3258-84-2"}
US_SCHED_II = ["Fentanyl", "Alfentanil", "Sufentanil", "Remifentanil", "Carfentanil"]


def split_top(s):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == ";" and depth == 0:
            parts.append(cur.strip()); cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


subs, lists = [], []
for r in csv.DictReader(open(os.path.join(reg, "precursors.csv"))):
    sid = slug(r["name"])[:48]
    subs.append(dict(id=sid, name=r["name"], synonyms=r["synonyms"], cas=r["cas"], smiles=r["smiles"],
                     inchikey=r["inchikey"], unconfirmed="", source=r["source"]))
    for item in split_top(r["lists"]):
        m = re.match(r"^(.*?):(.*)$", item)
        if not m:
            continue
        code, rest = m.group(1).strip(), m.group(2).strip()
        # code may carry a parenthesised qualifier that is part of the code
        key = code if code in LIST_CODES else code.split("(")[0]
        if key not in LIST_CODES:
            print("unknown list code", code, file=sys.stderr); continue
        j, lst, cat = LIST_CODES[key]
        lists.append(dict(substance=sid, jurisdiction=j, list=lst, category=cat, since=rest,
                          unconfirmed="yes" if "UNCERTAIN" in rest or "UNCERTAIN" in cat or "unconfirmed" in cat else "",
                          source="shared seed facts: precursors.csv; " + r["source"][:300]))
for r in csv.DictReader(open(os.path.join(reg, "cn_fentanyl_lists.csv"))):
    en = r["english_name"]
    if en not in NAMED:
        continue  # the class-wide entry is the generic definition, not a substance
    sid = slug(en.split(" (")[0])
    if not any(s["id"] == sid for s in subs):
        subs.append(dict(id=sid, name=en.split(" (")[0], synonyms="; ".join(x for x in [r["chinese_name"], en if "(" in en else ""] if x),
                         cas=CAS.get(en, ""), smiles=NAMED[en], inchikey="", unconfirmed="cas" if en in CAS else "",
                         source="structure drawn from the name; CN list membership: shared seed facts cn_fentanyl_lists.csv"))
    narcotic = r["list_id"].startswith("CN_Narcotics")
    lists.append(dict(substance=sid, jurisdiction="CN",
                      list="Narcotic drug catalogue (2013 edition)" if narcotic else "Supplementary list of non-medical narcotic drugs and psychotropic substances",
                      category="narcotic drug" if narcotic else "non-medical narcotic drug",
                      since=(r["date_effective"] or "2014-01-01 (2013 edition; date UNCERTAIN)"),
                      unconfirmed="yes" if ("UNCERTAIN" in (r["date_effective"] or "UNCERTAIN") or "SECONDARY" in r["status_notes"]) else "",
                      source=r["source"][:200] + "; " + r["status_notes"][:200]))
for en in US_SCHED_II:
    lists.append(dict(substance=slug(en), jurisdiction="US", list="CSA Schedule II (21 CFR 1308.12(c))", category="opiate (narcotic drug)",
                      since="", unconfirmed="", source="21 CFR 1308.12(c)"))

from rdkit import Chem  # the InChIKeys of drawn structures come from RDKit
for s in subs:
    if s["smiles"]:
        m = Chem.MolFromSmiles(s["smiles"])
        if m is None:
            raise SystemExit("bad SMILES for " + s["name"])
        if not s["inchikey"]:
            s["inchikey"] = Chem.MolToInchiKey(m)

with open(os.path.join(out, "substances.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["id", "name", "synonyms", "cas", "smiles", "inchikey", "unconfirmed", "source"])
    w.writeheader(); w.writerows(subs)
with open(os.path.join(out, "listings.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["substance", "jurisdiction", "list", "category", "since", "unconfirmed", "source"])
    w.writeheader(); w.writerows(lists)
print(len(subs), "substances,", len(lists), "listings")
