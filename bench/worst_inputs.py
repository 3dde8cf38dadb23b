#!/usr/bin/env python3
"""Worst inputs of up to 100 KB: time and peak memory of `fentguard classify` (one
process per input), of `POST /api/v1/classifications` and of the check page (judged and
drawn) on a running server, while a flood of the same inputs runs and another client
keeps asking `/healthz`.

Targets (issue 11): every input answered or refused within 1 s and 100 MB; the health
client answered throughout. The peer is RDKit (parse + canonical SMILES of the same
input, same machine, same run): its time is printed beside ours, with the ratio.

Usage:  python3 bench/worst_inputs.py        (needs cargo; `pip install rdkit` for the peer)
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "fentguard")
LIMIT = 100_000


def ladder(rings):
    n, s = 2 * rings + 2, []
    for p in range(n):
        s.append("C")
        if p >= 3 and (p - 3) % 2 == 0:
            s.append(str(1 + ((p - 3) // 2) % 2))
        if p % 2 == 0 and p + 3 < n:
            s.append(str(1 + (p // 2) % 2))
    return "".join(s)


def fill(unit, head="", tail=""):
    """As many units as fit in 100 KB."""
    k = (LIMIT - len(head) - len(tail)) // len(unit)
    return head + unit * k + tail


def inputs():
    core = "C1CC(N(c2ccccc2)C(=O)CC)CCN1"
    yield "chain, 100 KB (refused)", "C" * LIMIT
    yield "cyclohexane chain, 100 KB (refused)", fill("C1CCCCC1")
    yield "fused ladder, 100 KB (refused)", ladder((LIMIT - 10) // 4)
    yield "fused ladder, 2.5 KB (refused)", ladder(620)
    yield "polyphenyl, 100 KB (refused)", fill("c1ccc(cc1)", tail="C")
    yield "deep branches, 100 KB (refused)", "C(" * (LIMIT // 3) + "C" + ")" * (LIMIT // 3)
    yield "bracket atoms, 100 KB (refused)", fill("[CH2]")
    yield "chain at the atom limit", "C" * 1000
    yield "quaternary chain at the atom limit", "C" + "C(C)(C)" * 333
    yield "four-arm star at the atom limit", "C(" + "C" * 249 + ")(" + "C" * 249 + ")(" + "C" * 249 + ")" + "C" * 249
    yield "polyphenyl at the ring limit", "c1ccc(cc1)" * 99 + "c1ccccc1"
    yield "fused ladders at the ring limits", ".".join([ladder(40), ladder(40), ladder(19)])
    yield "fused macrocycles at the system limit", "C12" + "C" * 120 + "C1" + "C" * 120 + "C2"
    yield "hub ring at the combination limit", "C2(C1)C1" + "C(C1)C1" * 17 + "2"
    yield "48 fentanyl cores", core + ("C(" + core + ")") * 47
    yield "8 fentanyl cores", core + ("C(" + core + ")") * 7
    yield "many fragments, 100 KB", fill("C.")[:-1]
    yield "unknown name, 100 KB", fill("fentanylx")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def cli(smiles):
    t = time.perf_counter()
    p = subprocess.Popen([BIN, "classify", "--format", "json"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p.stdin.write(smiles.encode())
    p.stdin.close()
    _, status, usage = os.wait4(p.pid, 0)
    return time.perf_counter() - t, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


PEER = """
import sys, time
from rdkit import Chem, RDLogger
RDLogger.DisableLog("rdApp.*")
smi = sys.stdin.read()
t = time.perf_counter()
m = Chem.MolFromSmiles(smi)
if m is not None:
    Chem.MolToSmiles(m)
print(time.perf_counter() - t)
"""


def rdkit_time(smiles):
    """RDKit's parse + canonical SMILES in its own process (it overflows its stack on
    some of these inputs): seconds, 'crash', '>60' (stopped after a minute), or None
    without RDKit."""
    try:
        import rdkit  # noqa: F401
    except ImportError:
        return None
    try:
        p = subprocess.run([sys.executable, "-c", PEER], input=smiles.encode(), capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return ">60"
    if p.returncode != 0:
        return "crash"
    return float(p.stdout)


def post(port, token, smiles, timeout=30):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/classifications",
        data=json.dumps({"input": smiles}).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            r.read()
            code = r.status
    except urllib.error.HTTPError as e:
        e.read()
        code = e.code
    return time.perf_counter() - t, code


def page(port, smiles, timeout=30):
    """The check page for `smiles`, judged and drawn (a structure of up to 400 atoms)."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/check",
        data=urllib.parse.urlencode({"q": smiles}).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            r.read()
            code = r.status
    except urllib.error.HTTPError as e:
        e.read()
        code = e.code
    return time.perf_counter() - t, code


def main():
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "fentguard"], cwd=ROOT, check=True)
    cases = list(inputs())
    worst_cli = (0.0, 0)
    print(f"{'input':42} {'bytes':>7} {'CLI s':>7} {'CLI MB':>7} {'exit':>4} {'RDKit s':>8} {'ratio':>6}")
    for name, smi in cases:
        assert len(smi) <= LIMIT, name
        secs, rss, code = cli(smi)
        peer = rdkit_time(smi)
        ratio = f"{peer / secs:.2f}x" if isinstance(peer, float) else "-"
        peer_s = f"{peer:.3f}" if isinstance(peer, float) else (peer or "-")
        print(f"{name:42} {len(smi):7} {secs:7.3f} {rss / 1024:7.1f} {code:4} {peer_s:>8} {ratio:>6}")
        worst_cli = (max(worst_cli[0], secs), max(worst_cli[1], rss))
    print(f"CLI worst: {worst_cli[0]:.3f} s, {worst_cli[1] / 1024:.1f} MB "
          f"(targets 1 s, 100 MB: {1 / worst_cli[0]:.1f}x and {100 * 1024 / worst_cli[1]:.1f}x of headroom)")

    with tempfile.TemporaryDirectory() as d:
        port = 18197
        db = f"sqlite://{d}/bench.db"
        serve = subprocess.Popen([BIN, "serve", "--db", db, "--listen", f"127.0.0.1:{port}", "--key", f"{d}/key"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            tokens = json.loads(subprocess.run([BIN, "demo", "seed", "--db", db, "--key", f"{d}/key"], capture_output=True, check=True).stdout)
            token = tokens["customs_officer"] if isinstance(tokens, dict) else tokens[0]["token"]
            base = rss_kb(serve.pid)
            worst = 0.0
            for name, smi in cases:
                secs, code = post(port, token, smi)
                worst = max(worst, secs)
            print(f"server, one at a time: worst {worst:.3f} s; resident {base / 1024:.1f} MB before, "
                  f"peak {rss_kb(serve.pid) / 1024:.1f} MB after")
            drawn = []
            for name, smi in cases:
                secs, code = page(port, smi)
                drawn.append((secs, name, code))
            secs, name, code = max(drawn)
            print(f"check page (judged and drawn), one at a time: worst {secs:.3f} s ({name}, HTTP {code}); "
                  f"peak {rss_kb(serve.pid) / 1024:.1f} MB")
            # Flood: 8 clients sending the worst inputs for 10 s, one client on /healthz.
            stop = time.time() + 10
            health, sent, errors = [], [0], [0]

            def flood():
                i = 0
                while time.time() < stop:
                    ask = page if i % 2 else (lambda port, smi: post(port, token, smi))
                    _, code = ask(port, cases[i % len(cases)][1])
                    sent[0] += 1
                    errors[0] += code >= 500
                    i += 1

            def probe():
                while time.time() < stop:
                    t = time.perf_counter()
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
                    health.append(time.perf_counter() - t)
                    time.sleep(0.05)

            threads = [threading.Thread(target=flood) for _ in range(8)] + [threading.Thread(target=probe)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            health.sort()
            print(f"flood: {sent[0]} worst-input requests in 10 s from 8 clients, {errors[0]} errors 5xx; "
                  f"/healthz answered {len(health)} times, p50 {health[len(health) // 2] * 1000:.1f} ms, "
                  f"max {health[-1] * 1000:.1f} ms; server peak resident {rss_kb(serve.pid) / 1024:.1f} MB")
        finally:
            serve.terminate()
            serve.wait()


if __name__ == "__main__":
    sys.exit(main())
