#!/usr/bin/env python3
"""Benchmark: `fentguard screen` against RDKit doing the same work, same machine, same run.

Work per molecule: parse with sanitisation, standardise (largest organic fragment,
neutralise, drop isotopes and stereo), judge China's 2019 and the US generic
fentanyl-related-substance definitions (the RDKit version is bench/rdkit_peer.py).
Prints throughput on one core for both, the ratio, fentguard on all cores, its peak
memory, and agreement molecule by molecule (listing every disagreement).

Usage:  python3 bench/screen_vs_rdkit.py [--limit N] [--data PATH]
Needs:  pip install rdkit ; cargo. The MOSES training set (1,584,663 SMILES) comes from
        `pip download --no-deps molsets==0.3.1` when --data is not given.
"""
import argparse, csv, glob, gzip, json, os, platform, resource, subprocess, sys, tempfile, time, zipfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
sys.path.insert(0, here)


def moses_path(out):
    target = os.path.join(out, "moses_train.csv.gz")
    if os.path.exists(target):
        return target
    d = tempfile.mkdtemp()
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", d, "molsets==0.3.1"], check=True)
    whl = glob.glob(os.path.join(d, "molsets-*.whl"))[0]
    with zipfile.ZipFile(whl) as z, open(target, "wb") as f:
        f.write(z.read("moses/dataset/data/train.csv.gz"))
    return target


def run_fentguard(binary, data, threads, hits):
    code = ("import resource,subprocess,sys,time;t=time.perf_counter();"
            "p=subprocess.run(sys.argv[1:],stderr=subprocess.PIPE,text=True);"
            "print(time.perf_counter()-t);print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
            "print(p.stderr.strip().splitlines()[-1]);sys.exit(p.returncode)")
    p = subprocess.run([sys.executable, "-c", code, binary, "screen", data, "--threads", str(threads), "--out", hits, "--quiet"],
                       capture_output=True, text=True, check=True)
    secs, rss_kb, summary = p.stdout.strip().splitlines()[-3:]
    return float(secs), int(rss_kb), json.loads(summary.split("summary: ", 1)[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="first N molecules only (0 = all)")
    ap.add_argument("--data", help="a .csv.gz with a SMILES column (default: MOSES train)")
    args = ap.parse_args()
    out = os.path.join(here, "out")
    os.makedirs(out, exist_ok=True)
    data = args.data or moses_path(out)
    with gzip.open(data, "rt") as f:
        rows = list(csv.reader(f))
    header, smiles = rows[0], [r[0] for r in rows[1:]]
    if args.limit:
        smiles = smiles[: args.limit]
        data = os.path.join(out, f"limit_{args.limit}.csv.gz")
        with gzip.open(data, "wt") as f:
            f.write(header[0] + "\n" + "\n".join(smiles) + "\n")
    n = len(smiles)
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "fentguard"], cwd=root, check=True)
    binary = os.path.join(root, "target", "release", "fentguard")

    hits1 = os.path.join(out, "hits_1thread.jsonl")
    fg1_s, fg1_rss, summary1 = run_fentguard(binary, data, 1, hits1)
    ncores = os.cpu_count() or 1
    fgn_s, fgn_rss, _ = run_fentguard(binary, data, ncores, os.path.join(out, "hits_all.jsonl"))

    import rdkit_peer
    from rdkit import RDLogger, __version__ as rdkit_version
    RDLogger.DisableLog("rdApp.*")
    t = time.perf_counter()
    peer = [rdkit_peer.screen(s) for s in smiles]
    rd_s = time.perf_counter() - t

    ours = {}
    with open(hits1) as f:
        for line in f:
            h = json.loads(line)
            ours[h["line"] - 2] = (h["results"]["CN-FRS-2019"], h["results"]["US-FRS"])
    disagreements = []
    rdkit_failed = 0
    for i, p in enumerate(peer):
        if p is None:
            rdkit_failed += 1
            continue
        o = ours.get(i, ("no_match", "no_match"))
        if o != p:
            disagreements.append({"line": i + 2, "smiles": smiles[i], "fentguard": o, "rdkit": p})

    res = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {ncores} cores, {platform.processor() or platform.platform()}",
        "rdkit": rdkit_version,
        "molecules": n,
        "fentguard_1core_per_s": round(n / fg1_s),
        "rdkit_1core_per_s": round(n / rd_s),
        "ratio_1core": round((n / fg1_s) / (n / rd_s), 1),
        "fentguard_all_cores_per_s": round(n / fgn_s),
        "cores": ncores,
        "fentguard_peak_rss_mb_1core": round(fg1_rss / 1024, 1),
        "fentguard_peak_rss_mb_all_cores": round(fgn_rss / 1024, 1),
        "fentguard_failed": summary1["failed"],
        "rdkit_failed": rdkit_failed,
        "fentguard_matches": summary1["matched"],
        "agree": n - rdkit_failed - len(disagreements),
        "disagree": len(disagreements),
        "disagreements": disagreements[:50],
    }
    with open(os.path.join(out, "latest.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps({k: v for k, v in res.items() if k != "disagreements"}, indent=1))
    print(f"ratio fentguard/RDKit on one core: {res['ratio_1core']}x")
    print(f"agreement: {res['agree']} of {n - rdkit_failed} molecules; {len(disagreements)} disagreements")
    for d in disagreements[:50]:
        print("  disagree:", d)


if __name__ == "__main__":
    main()
