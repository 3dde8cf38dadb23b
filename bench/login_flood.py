#!/usr/bin/env python3
"""Logins under a flood: peak memory of `fentguard serve` while 64 clients log in at once
(64 existing users, wrong passwords), and how long a wrong password takes for a name that
exists and for one that does not. The peer is the same measurement on another build of
FentGuard given with --peer (e.g. the commit before the login bound), same machine, same
run; ratios are printed.

Usage:  python3 bench/login_flood.py [--peer PATH_TO_OTHER_fentguard]
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "fentguard")


def rss_kb(pid, field="VmHWM:"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def login(port, user, password, want_body=False):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/login",
        data=json.dumps({"username": user, "password": password}).encode(),
        headers={"content-type": "application/json"},
    )
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            body = r.read()
            code = r.status
    except urllib.error.HTTPError as e:
        body, code = b"", e.code
    if want_body:
        return code, json.loads(body)["token"]
    return time.perf_counter() - t, code


def measure(binary, port):
    binary = os.path.abspath(binary)
    with tempfile.TemporaryDirectory() as d:
        db = f"sqlite://{d}/bench.db"
        subprocess.run([binary, "admin", "init", "--db", db, "--org-id", "cn-mofcom", "--org-name", "MOFCOM",
                        "--country", "CN", "--username", "admin"], input=b"correct horse battery staple\n",
                       capture_output=True, check=True, cwd=d)
        # both in the temporary directory, so both use its default key file (older builds
        # given as the peer have no --key on admin init)
        serve = subprocess.Popen([binary, "serve", "--db", db, "--listen", f"127.0.0.1:{port}"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d)
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            # 64 users that exist, so that every login of the flood checks a password
            # on either build.
            _, token = login(port, "admin", "correct horse battery staple", want_body=True)
            for i in range(64):
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/v1/users",
                    data=json.dumps({"username": f"flood{i}", "password": "correct horse battery",
                                     "org": "cn-mofcom", "role": "administrator"}).encode(),
                    headers={"content-type": "application/json", "authorization": f"Bearer {token}"})
                urllib.request.urlopen(req, timeout=60).read()
            base = rss_kb(serve.pid, "VmRSS:")
            # Timing: a wrong password for the existing name and for unknown names
            # (different names each time, so no lock is reached).
            known = [login(port, "admin", f"wrong{i}")[0] for i in range(4)]
            unknown = [login(port, f"nobody{i}", "wrong")[0] for i in range(4)]
            codes = []
            lock = threading.Lock()

            def client(i):
                _, code = login(port, f"flood{i}", "wrong")
                with lock:
                    codes.append(code)

            threads = [threading.Thread(target=client, args=(i,)) for i in range(64)]
            t = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            flood_s = time.perf_counter() - t
            peak = rss_kb(serve.pid)
            after = rss_kb(serve.pid, "VmRSS:")
            return {
                "base_mb": base / 1024, "peak_mb": peak / 1024, "after_mb": after / 1024,
                "known_ms": statistics.median(known) * 1000, "unknown_ms": statistics.median(unknown) * 1000,
                "flood_s": flood_s, "codes": sorted(set(codes)),
            }
        finally:
            serve.terminate()
            serve.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", help="another fentguard binary to measure the same way")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "fentguard"], cwd=ROOT, check=True)
    ours = measure(BIN, 18211)
    peer = measure(args.peer, 18212) if args.peer else None
    rows = [("resident before (MB)", "base_mb"), ("peak during 64 logins (MB)", "peak_mb"),
            ("resident after (MB)", "after_mb"), ("wrong password, existing name (ms)", "known_ms"),
            ("wrong password, unknown name (ms)", "unknown_ms"), ("64 logins answered in (s)", "flood_s")]
    print(f"{'measure':38} {'fentguard':>10} {'peer':>10} {'ratio':>7}")
    for label, k in rows:
        p = f"{peer[k]:10.1f}" if peer else f"{'-':>10}"
        r = f"{peer[k] / ours[k]:6.2f}x" if peer and ours[k] else ""
        print(f"{label:38} {ours[k]:10.1f} {p} {r}")
    print(f"answers: fentguard {ours['codes']}" + (f", peer {peer['codes']}" if peer else ""))
    print(f"unknown/existing name time: fentguard {ours['unknown_ms'] / ours['known_ms']:.2f}"
          + (f", peer {peer['unknown_ms'] / peer['known_ms']:.2f}" if peer else ""))


if __name__ == "__main__":
    main()
