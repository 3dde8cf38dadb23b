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

# Seed list codes -> (list id, category). List metadata is in LISTS below.
LIST_CODES = {
    "UN1988_TableI": ("UN-TABLE-I", "precursor"),
    "UN1988_TableII": ("UN-TABLE-II", "precursor"),
    "US_DEA_ListI": ("US-LIST-I", "List I chemical"),
    "US_DEA_ScheduleII(immediate precursor)": ("US-SCHEDULE-II", "immediate precursor"),
    "CN_PrecursorCatalog": ("CN-PRECURSORS", "Class I"),
    "CN_PrecursorCatalog_ClassII": ("CN-PRECURSORS", "Class II"),
    "EU_Cat1": ("EU-CAT1", "Category 1"),
    "EU": ("EU-CAT1", "Category 1"),
    "CN_ExportSpecificCountries_AnnexI_PartI(US/MX/CA)": ("CN-EXPORT-SPECIFIC-US-MX-CA", "export licence for listed destinations"),
}

LISTS = [
    dict(list_id="CN-NARCOTICS", jurisdiction="CN", name="Narcotic drug catalogue (麻醉药品品种目录, 2013 edition)",
         authority="National Medical Products Administration, Ministry of Public Security, National Health Commission",
         instrument="Catalogue of narcotic drugs, 2013 edition (in force 2014-01-01)", destinations="", incomplete="",
         salts_covered="yes", note="fentanyl entries only; membership from a secondary source",
         source="shared seed facts regdata/README.md; cn_fentanyl_lists.csv"),
    dict(list_id="CN-SUPPLEMENTARY", jurisdiction="CN", name="Supplementary list of controlled non-medical narcotic drugs and psychotropic substances (非药用类麻醉药品和精神药品管制品种增补目录)",
         authority="Ministry of Public Security, National Health Commission, National Medical Products Administration",
         instrument="Measures for listing non-medical narcotic drugs and psychotropic substances (2015) and later announcements",
         destinations="", incomplete="yes", salts_covered="yes",
         note="the 2015 entries besides acetylfentanyl are not named in the seed facts; fentanyl-related substances are covered class-wide from 2019-05-01 (generic definition CN-FRS-2019)",
         source="shared seed facts regdata/README.md; cn_fentanyl_lists.csv"),
    dict(list_id="CN-PRECURSORS", jurisdiction="CN", name="Catalogue of precursor chemicals (易制毒化学品分类和品种目录)",
         authority="State Council; Ministry of Public Security; Ministry of Emergency Management",
         instrument="Regulations on the Administration of Precursor Chemicals (State Council Decree 445, 2005) and later additions",
         destinations="", incomplete="", salts_covered="Class I; Class II",
         note="Class I = main raw materials; Classes II and III = reagents; salts of Class I and II substances are included",
         source="shared seed facts regdata/README.md"),
    dict(list_id="CN-EXPORT-SPECIFIC-US-MX-CA", jurisdiction="CN", name="Catalogue of precursor chemicals exported to specific countries: part for the United States, Mexico and Canada",
         authority="Ministry of Commerce with Public Security, Emergency Management, Customs and NMPA",
         instrument="Announcement of 10 November 2025 (effective the same day)", destinations="US;MX;CA", incomplete="yes", salts_covered="yes",
         note="13 chemicals are listed for these three destinations only; the full list of 13 was not found: only NPP and 4-ANPP are named in seed reporting",
         source="shared seed facts regdata/README.md"),
    dict(list_id="CN-EXPORT-SPECIFIC-MM-LA-AF", jurisdiction="CN", name="Catalogue of precursor chemicals exported to specific countries: part for Myanmar, Laos and Afghanistan",
         authority="Ministry of Commerce with Public Security, Emergency Management, Customs and NMPA",
         instrument="Catalogue of precursor chemicals exported to specific countries; 24 substances added 1 May 2024", destinations="MM;LA;AF", incomplete="yes", salts_covered="yes",
         note="members are not named in the seed facts", source="shared seed facts regdata/README.md"),
    dict(list_id="UN-TABLE-I", jurisdiction="UN", name="1988 Convention, Table I", authority="Commission on Narcotic Drugs",
         instrument="United Nations Convention against Illicit Traffic in Narcotic Drugs and Psychotropic Substances, 1988, art. 12",
         destinations="", incomplete="", salts_covered="yes", note="salts included where possible", source="shared seed facts regdata/README.md; precursors.csv"),
    dict(list_id="UN-TABLE-II", jurisdiction="UN", name="1988 Convention, Table II", authority="Commission on Narcotic Drugs",
         instrument="United Nations Convention against Illicit Traffic in Narcotic Drugs and Psychotropic Substances, 1988, art. 12",
         destinations="", incomplete="", salts_covered="yes", note="salts included where possible (not hydrochloric or sulphuric acid)", source="shared seed facts regdata/README.md; precursors.csv"),
    dict(list_id="US-SCHEDULE-II", jurisdiction="US", name="Controlled Substances Act, Schedule II (21 CFR 1308.12)", authority="Drug Enforcement Administration",
         instrument="21 CFR 1308.12", destinations="", incomplete="", salts_covered="yes", note="", source="21 CFR 1308.12; shared seed facts regdata/README.md"),
    dict(list_id="US-LIST-I", jurisdiction="US", name="List I chemicals (21 CFR 1310.02(a))", authority="Drug Enforcement Administration",
         instrument="21 CFR 1310.02(a)", destinations="", incomplete="", salts_covered="yes",
         note="import/export: DEA Form 486 at least 15 days before; actual quantities within 30 days", source="shared seed facts regdata/README.md"),
    dict(list_id="EU-CAT1", jurisdiction="EU", name="Scheduled substances, Category 1 (Regulation (EC) 273/2004 and 111/2005)", authority="European Commission; national competent authorities",
         instrument="Regulation (EC) 273/2004, Regulation (EC) 111/2005; Delegated Regulation (EU) 2025/1475", destinations="", incomplete="", salts_covered="yes",
         note="export authorisation decided within 15 working days; valid up to 6 months, one shipment", source="shared seed facts regdata/README.md"),
]

# China's precursor classes of the other 1988 Convention chemicals: not in the seed facts,
# from the appendix of Decree 445 as generally reported; every row flagged unconfirmed.
CN_OTHER_CLASSES = {
    "1-Phenyl-2-propanone": "Class I", "3,4-Methylenedioxyphenyl-2-propanone": "Class I", "Piperonal": "Class I",
    "Safrole": "Class I", "Isosafrole": "Class I", "N-Acetylanthranilic acid": "Class I", "Ephedrine": "Class I",
    "Pseudoephedrine": "Class I", "Norephedrine": "Class I", "Ergometrine": "Class I", "Ergotamine": "Class I",
    "Lysergic acid": "Class I", "Phenylacetic acid": "Class II", "Acetic anhydride": "Class II", "Ethyl ether": "Class II",
    "Piperidine": "Class II", "Anthranilic acid": "Class II", "Toluene": "Class III", "Acetone": "Class III",
    "Methyl ethyl ketone": "Class III", "Potassium permanganate": "Class III", "Sulphuric acid": "Class III",
    "Hydrochloric acid": "Class III",
}


def parse_date(text):
    """(iso date, precision) from the start of a seed date text, or ('', '') if none."""
    m = re.match(r"^\(?(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", text.strip())
    if not m:
        return "", ""
    y, mo, d = m.group(1), m.group(2), m.group(3)
    if d:
        return f"{y}-{mo}-{d}", "day"
    if mo:
        return f"{y}-{mo}-01", "month"
    return f"{y}-01-01", "year"


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


def listing(sid, list_id, category, frm, until, precision, unconfirmed, note, source, salts="yes"):
    lists.append(dict(substance=sid, list_id=list_id, category=category, effective_from=frm, effective_until=until,
                      date_precision=precision, salts_covered=salts, unconfirmed=unconfirmed, note=note, source=source))


for r in csv.DictReader(open(os.path.join(reg, "precursors.csv"))):
    sid = slug(r["name"])[:48]
    subs.append(dict(id=sid, name=r["name"], synonyms=r["synonyms"], cas=r["cas"], smiles=r["smiles"],
                     inchikey=r["inchikey"], unconfirmed="", source=r["source"]))
    src = "shared seed facts regdata/precursors.csv: " + r["source"][:240]
    for item in split_top(r["lists"]):
        m = re.match(r"^(.*?):(.*)$", item)
        if not m:
            continue
        code, rest = m.group(1).strip(), m.group(2).strip()
        key = code if code in LIST_CODES else code.split("(")[0]
        if key not in LIST_CODES:
            print("unknown list code", code, file=sys.stderr); continue
        list_id, cat = LIST_CODES[key]
        unc = "yes" if "UNCERTAIN" in rest else ""
        moved = re.search(r"in Table II, moved to Table I (\d{4})", rest)
        if list_id == "UN-TABLE-I" and moved:
            frm, prec = parse_date(rest)
            listing(sid, "UN-TABLE-II", "precursor", frm, f"{moved.group(1)}-01-01", prec, "yes", rest, src)
            listing(sid, "UN-TABLE-I", "precursor", f"{moved.group(1)}-01-01", "", "year", "yes", rest, src)
            continue
        if list_id == "CN-PRECURSORS" and "class UNCERTAIN" in rest:
            cat = "Class I (class unconfirmed)"
        if list_id == "CN-PRECURSORS" and "2025-07-20" in rest:
            cat, frm, prec = "class unconfirmed", "2025-07-20", "day"
        else:
            frm, prec = parse_date(rest)
        if not frm:
            unc = "yes"
        salts = "yes"
        if list_id == "CN-PRECURSORS" and "Class III" in cat:
            salts = ""
        listing(sid, list_id, cat, frm, "", prec, unc, rest, src, salts)
    if r["name"] in CN_OTHER_CLASSES:
        cls = CN_OTHER_CLASSES[r["name"]]
        listing(sid, "CN-PRECURSORS", cls, "2005-11-01", "", "day", "yes",
                "class from the Decree 445 appendix as generally reported; not in the seed facts",
                "Regulations on the Administration of Precursor Chemicals (State Council Decree 445, in force 2005-11-01), appendix",
                "" if cls == "Class III" else "yes")
# The 13 chemicals for the US, Mexico and Canada: NPP and 4-ANPP are named in seed reporting.
for sid in ("n-phenethyl-4-piperidone", "4-anilino-n-phenethylpiperidine"):
    listing(sid, "CN-EXPORT-SPECIFIC-US-MX-CA", "export licence for listed destinations", "2025-11-10", "", "day", "",
            "named among the 13 chemicals in seed reporting", "shared seed facts regdata/README.md (10 Nov 2025 announcement)")
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
    date_text = r["date_effective"] or "2014-01-01 (2013 edition; date UNCERTAIN)"
    frm, prec = parse_date(date_text)
    unc = "yes" if ("UNCERTAIN" in date_text or "SECONDARY" in r["status_notes"]) else ""
    listing(sid, "CN-NARCOTICS" if narcotic else "CN-SUPPLEMENTARY", "narcotic drug" if narcotic else "non-medical narcotic drug",
            frm, "", prec, unc, date_text + "; " + r["status_notes"][:160], r["source"][:200])
for en in US_SCHED_II:
    listing(slug(en), "US-SCHEDULE-II", "opiate", "", "", "", "", "listed in 21 CFR 1308.12(c); listing date not in the seed facts",
            "21 CFR 1308.12(c)")

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
    w = csv.DictWriter(f, fieldnames=["substance", "list_id", "category", "effective_from", "effective_until",
                                      "date_precision", "salts_covered", "unconfirmed", "note", "source"])
    w.writeheader(); w.writerows(lists)
with open(os.path.join(out, "lists.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["list_id", "jurisdiction", "name", "authority", "instrument", "destinations",
                                      "incomplete", "salts_covered", "note", "source"])
    w.writeheader(); w.writerows(LISTS)
print(len(subs), "substances,", len(lists), "listings")
