#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Tests of ./history (analysis/history.py).

usage: python3 tests/history/test_history.py [--no-real]

Synthetic runs (summary.json files written by make_run() into a temporary
directory) with known answers for every query; every refusal of the import
(wrong schema, truncated file, other contents under a known identity, an
unfinished run, databases that are not ours) leaving the database as it
was; the schema migrations, a failing one rolled back; concurrent imports
of overlapping runs into a new database. Then two real runs of exit_io_user on this machine's
/dev/kvm (./run_all.sh --results DIR io_user -t 3) imported and queried
(--no-real skips them). Prints "ok N - ..." / "not ok N - ..." lines, then
"N passed, M failed"; exit status 1 if any failed.
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import traceback

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
sys.path.insert(0, TOP)
from analysis import history  # noqa: E402

HISTORY = os.path.join(TOP, "history")
HAVE_GNUPLOT = shutil.which("gnuplot") is not None
passed = failed = number = 0


def report(ok, desc, diag=""):
    global passed, failed, number
    number += 1
    if ok:
        passed += 1
        print(f"ok {number} - {desc}")
    else:
        failed += 1
        print(f"not ok {number} - {desc}")
        for line in str(diag).splitlines()[:20]:
            print(f"#   {line}")


# --- fixtures ----------------------------------------------------------------------

def spread(center, n=11, step=1.0):
    """n samples around center, median exactly center, evenly spaced."""
    return [center + step * (i - n // 2) for i in range(n)]


def entry(name, xs=None, status="pass", reason="CPUID/cpuid"):
    t = {"schema_version": 1, "name": name, "status": status, "status_reason": None if xs else "why not",
         "reason": {"name": reason, "vmx": 10, "svm": 114}, "iterations": 1024 if xs else 0,
         "trials": len(xs) if xs else 0, "samples": list(xs or []),
         "attribution": {"source": "vmm", "expected": 100, "counted": 100, "verdict": "exact"}}
    if xs:
        s = sorted(xs)
        t["cycles_per_exit"] = {"median": s[len(s) // 2], "p10": s[1], "p90": s[-2], "cv": 0.001}
        t["ns_per_exit"] = {"median": s[len(s) // 2] / 2}
    return t


def make_run(parent, run_id, tests, host="h1", cpu="Test CPU A", env="native", kernel="6.12.3",
             build="#1 SMP", vendor="vmx", tsc_khz=2000000, schema=1, **extra):
    d = os.path.join(parent, run_id)
    os.makedirs(d)
    m = {"hostname": host, "kernel": kernel, "kernel_version": build, "cpu_model": cpu, "microcode": "0x1",
         "vendor": vendor, "tsc_khz": tsc_khz, "environment": env, "counter_sources": ["vmm"]}
    m.update(extra)
    s = {"schema_version": schema, "run_id": run_id, "metadata": m,
         "units": {"cycles_per_exit": "TSC cycles", "ns_per_exit": "ns",
                   "samples": "TSC cycles per exit, one per trial"},
         "tests": tests, "kernel_selftests": []}
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump(s, f, indent=1)
    return d


def run(cmd, timeout=300):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def hist(db, *args):
    return run([sys.executable, HISTORY, "--db", db] + list(args))


def hist_json(db, *args):
    rc, out, err = hist(db, *args, "--json")
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, None, out + err


def expect(desc, result, code, *needles):
    rc, out, err = result
    missing = [n for n in needles if n not in out + err]
    report(rc == code and not missing, f"{desc} -> exit {code}" + (f", says {needles[0]!r}" if needles else ""),
           f"exit {rc}, missing {missing}\n{out}{err}")


def db_digest(db):
    """What the database holds, independent of page layout."""
    if not os.path.exists(db):
        return None
    conn = sqlite3.connect(db)
    rows = []
    for table in ("runs", "results", "samples"):
        try:
            rows.append(sorted(map(repr, conn.execute(f"SELECT * FROM {table}").fetchall())))
        except sqlite3.OperationalError:
            rows.append(None)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    return hashlib.sha256(repr((rows, version)).encode()).hexdigest()


def count(db, table="runs"):
    conn = sqlite3.connect(db)
    n = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    conn.close()
    return n


# --- a fleet with known answers ------------------------------------------------------------

def fleet(res):
    """Host h1 (2 GHz TSC): kernels 6.1.10 (two runs), 6.6.5, 6.12.3 (two
    runs); host h2 (3 GHz TSC): 6.12.3. Medians (TSC cycles) of exit_cpuid:
    6.1.10 1000 and 1002 (pooled 1001), 6.6.5 1100, 6.12.3 1000 then 1100;
    h2 1200. exit_io_user on h1's last two runs: 5000 -> 5150 (+3%)."""
    runs = {
        "r1": make_run(res, "20260101T000000Z-native", [entry("exit_cpuid", spread(1000)),
                                                      entry("exit_io_user", spread(5000, step=2))], kernel="6.1.10"),
        "r2": make_run(res, "20260102T000000Z-native", [entry("exit_cpuid", spread(1002)),
                                                      entry("exit_io_user", spread(5000, step=2))], kernel="6.1.10"),
        "r3": make_run(res, "20260201T000000Z-native", [entry("exit_cpuid", spread(1100)),
                                                      entry("exit_io_user", spread(5000, step=2))], kernel="6.6.5"),
        "r4": make_run(res, "20260301T000000Z-native", [entry("exit_cpuid", spread(1000)),
                                                      entry("exit_io_user", spread(5000, step=2)),
                                                      entry("exit_hlt", spread(3000))], kernel="6.12.3"),
        "r5": make_run(res, "20260302T000000Z-native", [entry("exit_cpuid", spread(1100)),
                                                      entry("exit_io_user", spread(5150, step=2)),
                                                      entry("exit_hlt", status="skip")], kernel="6.12.3"),
        "h2": make_run(res, "20260301T000000Z-native-1", [entry("exit_cpuid", spread(1200)),
                                                        entry("exit_io_user", spread(5000, step=2))],
                       host="h2", cpu="Test CPU B", tsc_khz=3000000),
    }
    return runs


def test_import_and_queries(tmp):
    res = os.path.join(tmp, "results")
    runs = fleet(res)
    db = os.path.join(tmp, "h.sqlite")
    # A partial run and a comparison directory next to the runs are not runs.
    os.makedirs(os.path.join(res, ".20260401T000000Z-native.partial"))
    os.makedirs(os.path.join(res, "compare-20260303T000000Z"))
    rc, out, err = hist(db, "import", res)
    report(rc == 0 and count(db) == 6 and out.count("imported:") == 6,
           "import RESULTS_DIR: the 6 finished runs, not the .partial one nor compare-*", out + err)
    conn = sqlite3.connect(db)
    app, ver = (conn.execute("PRAGMA application_id").fetchone()[0], conn.execute("PRAGMA user_version").fetchone()[0])
    n_samples = conn.execute("SELECT count(*) FROM samples").fetchone()[0]
    conn.close()
    report(app == history.APPLICATION_ID and ver == history.SCHEMA_VERSION and n_samples == 11 * 13,
           f"a new database: application_id {app:#x}, schema {ver}, 143 samples (13 passing tests x 11) "
           f"({n_samples})")
    before = db_digest(db)
    rc, out, err = hist(db, "import", runs["r1"], runs["r2"])
    report(rc == 0 and out.count("already there:") == 2 and db_digest(db) == before,
           "importing the same runs again: 'already there', nothing changes", out + err)
    # The same run written out differently (another indentation) is the same run.
    path = os.path.join(runs["r3"], "summary.json")
    s = json.load(open(path))
    copy = os.path.join(tmp, "copy", os.path.basename(runs["r3"]))
    os.makedirs(copy)
    with open(os.path.join(copy, "summary.json"), "w") as f:
        json.dump(s, f, indent=4, sort_keys=True)
    rc, out, err = hist(db, "import", copy)
    report(rc == 0 and "already there" in out and db_digest(db) == before,
           "a copy of a run, re-indented: the same identity and contents, 'already there'", out + err)

    # kernels: version order (6.1.10 < 6.6.5 < 6.12.3), pooled medians, ./compare's verdicts.
    rc, j, err = hist_json(db, "kernels", "exit_cpuid", "--host", "h1")
    ks = j["kernels"] if j else []
    report(rc == 0 and [k["kernel"] for k in ks] == ["6.1.10", "6.6.5", "6.12.3"]
           and [k["runs"] for k in ks] == [2, 1, 2] and [k["trials"] for k in ks] == [22, 11, 22]
           and ks[0]["median"] == 1001.0 and ks[1]["median"] == 1100.0 and ks[2]["median"] == 1050.0
           and ks[0]["vs_previous"] is None and ks[1]["vs_previous"]["verdict"] == "slower"
           and abs(ks[1]["vs_previous"]["change_pct"] - 9.89) < 0.01
           and ks[2]["vs_previous"]["verdict"] == "same" and ks[2]["vs_previous"]["diff_ci"][1] == 0.0
           and (ks[2]["run_median_min"], ks[2]["run_median_max"]) == (1000.0, 1100.0),
           "kernels exit_cpuid --host h1: 6.1.10 1001, 6.6.5 1100 (slower, +9.9%), 6.12.3 1050 (same: half its "
           "trials are at 1100, so the interval reaches 0); version order, not text order",
           json.dumps(j)[:1500] + err)
    rc, out, err = hist(db, "kernels", "exit_cpuid", "--host", "h1")
    report(rc == 0 and "median (TSC cycles)" in out and "1.099x +9.9%" in out and "slower" in out,
           "kernels: the text table carries units and the change", out + err)
    expect("kernels with two machines and no --host", hist(db, "kernels", "exit_cpuid"), 2,
           "come from 2 machines", "--host h1 --env native", "--host h2 --env native")
    expect("kernels of a test nobody ran", hist(db, "kernels", "exit_nope", "--host", "h1"), 2,
           "no test 'exit_nope' in the history (tests: exit_cpuid, exit_hlt, exit_io_user)")
    rc, j, err = hist_json(db, "kernels", "exit_hlt", "--host", "h1")
    ks = j["kernels"] if j else []
    report(rc == 0 and len(ks) == 1 and ks[0]["trials"] == 11 and ks[0]["runs"] == 2
           and any("skip" in n for n in j["notes"]),
           "kernels exit_hlt: the skipped run is counted, left out of the figures and noted",
           json.dumps(j)[:800] + err)

    # hosts: the same kernel across hosts, in ns because the TSC rates differ.
    rc, j, err = hist_json(db, "hosts", "exit_cpuid", "--kernel", "6.12.3")
    hs = {h["hostname"]: h for h in (j["hosts"] if j else [])}
    report(rc == 0 and set(hs) == {"h1", "h2"} and hs["h1"]["median"] == 1050.0 and hs["h2"]["median"] == 1200.0
           and hs["h1"]["median_ns"] == 525.0 and hs["h2"]["median_ns"] == 400.0
           and hs["h2"]["vs_fastest_ns"] == 1.0 and abs(hs["h1"]["vs_fastest_ns"] - 1.3125) < 1e-9,
           "hosts exit_cpuid --kernel 6.12.3: h1 1050 cycles = 525 ns (1.31x), h2 1200 cycles = 400 ns (fastest)",
           json.dumps(j)[:1500] + err)
    expect("hosts without --kernel when there are several", hist(db, "hosts", "exit_cpuid"), 2,
           "pick one with --kernel (6.1.10, 6.6.5, 6.12.3)")
    expect("hosts --kernel that is not there", hist(db, "hosts", "exit_cpuid", "--kernel", "5.4"), 2,
           "no run of exit_cpuid on kernel 5.4")

    # latest: h1's last run against the one before, by ./compare itself.
    rc, out, err = hist(db, "latest", "--host", "h1", "--only-common", "--json")
    try:
        c = json.loads(out)
        v = {t["name"]: t["runs"][1]["vs_first"]["verdict"] for t in c["tests"]}
        names = [r["name"] for r in c["runs"]]
    except (ValueError, KeyError, IndexError, TypeError):
        v, names = {}, []
    report(rc == 0 and names == ["20260301T000000Z-native", "20260302T000000Z-native"]
           and v.get("exit_cpuid") == "slower" and v.get("exit_io_user") == "slower"
           and v.get("exit_hlt") == "-",
           "latest --host h1: r5 against r4 with ./compare: exit_cpuid and exit_io_user slower, exit_hlt not "
           "compared (skipped)", out[:1500] + err)
    expect("latest --fail-above 5: exit_cpuid +10% is a regression, io_user +3% is not",
           hist(db, "latest", "--host", "h1", "--fail-above", "5"), 1,
           "regression gate: 1 slower beyond noise by more than 5%: exit_cpuid B +10.0%")
    expect("latest --baseline r1's run id", hist(db, "latest", "--baseline", "20260101T000000Z-native",
                                                 "--only-common"), 0,
           "A  20260101T000000Z-native", "B  20260302T000000Z-native", "1.100x +10.0%")
    expect("latest with two machines and no choice", hist(db, "latest"), 2, "come from 2 machines")
    expect("latest on a machine with one run", hist(db, "latest", "--host", "h2"), 2, "only one run on h2")
    rc, out, err = hist(db, "latest", "--baseline", "20260201T000000Z-native")
    report(rc == 2 and "lacks exit_hlt" in out + err and "--only-common" in out + err,
           "latest: runs with different tests are refused as ./compare refuses them (--only-common)", out + err)

    # slower: what got slower than N% since X, on every machine.
    rc, j, err = hist_json(db, "slower", "5", "--since", "2026-03-01T12:00")
    rows = j["slower"] if j else []
    report(rc == 1 and [(r["machine"], r["test"]) for r in rows] == [("h1 / Test CPU A / native", "exit_cpuid")]
           and abs(rows[0]["change_pct"] - 10.0) < 1e-9 and j["compared"] == 2
           and any("h2" in n and "no run after" in n for n in j["notes"])
           and any("exit_hlt pass -> skip" in n for n in j["notes"]),
           "slower 5 --since 2026-03-01T12:00: exit_cpuid +10% on h1 (io_user +3% is under 5%), h2 has no "
           "newer run, exit_hlt's skip noted; exit 1", json.dumps(j)[:1500] + err)
    rc, j, err = hist_json(db, "slower", "2", "--since", "2026-03-01T12:00")
    report(rc == 1 and sorted(r["test"] for r in j["slower"]) == ["exit_cpuid", "exit_io_user"],
           "slower 2: exit_io_user's +3% too", json.dumps(j)[:800] + err)
    rc, j, err = hist_json(db, "slower", "15", "--since", "2026-03-01T12:00")
    report(rc == 0 and j["slower"] == [], "slower 15: nothing (exit 0)", json.dumps(j)[:800] + err)
    rc, j, err = hist_json(db, "slower", "5", "--since", "6.6.5")
    report(rc == 0 and j["slower"] == [] and j["compared"] == 2
           and any("h2" in n and "no run at or before kernel 6.6.5" in n for n in j["notes"]),
           "slower 5 --since kernel 6.6.5: h1's latest (1100) against 6.6.5's run (1100): nothing slower",
           json.dumps(j)[:800] + err)
    rc, j, err = hist_json(db, "slower", "5", "--since", "20260101T000000Z-native", "--host", "h1")
    report(rc == 1 and [r["test"] for r in j["slower"]] == ["exit_cpuid"]
           and j["slower"][0]["baseline_run"] == "20260101T000000Z-native",
           "slower 5 --since a run id: from that run", json.dumps(j)[:800] + err)
    rc, out, err = hist(db, "slower", "5", "--since", "2026-03-01T12:00")
    report(rc == 1 and "was (TSC cycles)" in out and "1.100x +10.0%" in out,
           "slower: the text table carries units and the change", out + err)
    expect("slower --since nonsense", hist(db, "slower", "5", "--since", "last tuesday"), 2,
           "not a run id, a UTC date")
    expect("slower with a bad percentage", hist(db, "slower", "-3", "--since", "2026-01-01"), 2, "a percentage")

    # runs and export.
    rc, j, err = hist_json(db, "runs", "--host", "h2")
    report(rc == 0 and [r["run_id"] for r in j["runs"]] == ["20260301T000000Z-native-1"],
           "runs --host h2", json.dumps(j)[:500] + err)
    out_dir = os.path.join(tmp, "exported")
    rc, out, err = hist(db, "export", "20260201T000000Z-native", "--out", out_dir)
    same = rc == 0 and json.load(open(os.path.join(out_dir, "summary.json"))) == json.load(
        open(os.path.join(runs["r3"], "summary.json")))
    report(same, "export: the stored summary.json is the imported one", out + err)
    expect("export into an existing directory", hist(db, "export", "20260201T000000Z-native", "--out", out_dir),
           2, "already exists")
    expect("export of a run id shared by nobody", hist(db, "export", "nope", "--out", out_dir + "2"), 2,
           "no run 'nope'")

    # The trend plot.
    plot_dir = os.path.join(tmp, "trend")
    rc, out, err = hist(db, "plot", "exit_cpuid", "--host", "h1", "--out", plot_dir)
    files = sorted(os.listdir(plot_dir)) if os.path.isdir(plot_dir) else []
    dat = open(os.path.join(plot_dir, "trend.dat")).read() if "trend.dat" in files else ""
    rows = [line.split() for line in dat.split("\n\n\n")[0].splitlines() if line and not line.startswith("#")]
    trials = [line for line in dat.split("\n\n\n")[-1].splitlines() if line and not line.startswith("#")]
    want = ["trend.dat", "trend.gp"] + (["trend.png", "trend.svg"] if HAVE_GNUPLOT else [])
    png_ok = not HAVE_GNUPLOT or os.path.getsize(os.path.join(plot_dir, "trend.png")) > 1000
    report(rc == 0 and files == sorted(want) and [r[1] for r in rows] == ['"6.1.10"', '"6.6.5"', '"6.12.3"']
           and [float(r[2]) for r in rows] == [1001.0, 1100.0, 1050.0] and len(trials) == 55 and png_ok,
           f"plot exit_cpuid --host h1: {', '.join(files)}; one row per kernel in version order with the "
           "medians, 55 trials", out + err + dat[:600])
    expect("plot into an existing directory", hist(db, "plot", "exit_cpuid", "--host", "h1", "--out", plot_dir),
           2, "never overwritten")
    if HAVE_GNUPLOT:
        rc2 = subprocess.run(["gnuplot", "-e", "png_out='re.png'; svg_out='re.svg'", "trend.gp"], cwd=plot_dir,
                             capture_output=True, text=True)
        report(rc2.returncode == 0 and os.path.getsize(os.path.join(plot_dir, "re.png")) > 1000,
               "the trend's .gp redraws it with gnuplot", rc2.stderr)


def test_builds(tmp):
    """Runs in an emulator (no host name inside the guest): a stock and a
    patched build of the same release are told apart by the booted image."""
    res = os.path.join(tmp, "results")
    stock, patched = "a" * 64, "b" * 64
    emu = dict(host="(none)", cpu="AMD EPYC Processor", env="qemu-tcg", vendor="svm", kernel="6.12.117")
    for run_id, image, center in (("20260101T000000Z-qemu-tcg", stock, 70000),
                                  ("20260101T010000Z-qemu-tcg", patched, 71000),
                                  ("20260101T020000Z-qemu-tcg", stock, 70002)):
        make_run(res, run_id, [entry("exit_cpuid", spread(center, step=10))],
                 environment_detail={"env": "qemu-tcg", "kernel_image_sha256": image}, **emu)
    db = os.path.join(tmp, "h.sqlite")
    rc, out, err = hist(db, "import", res)
    rc2, j, err2 = hist_json(db, "kernels", "exit_cpuid", "--env", "qemu-tcg")
    ks = j["kernels"] if j else []
    report(rc == 0 and rc2 == 0 and [(k["kernel"], k["runs"], k["median"]) for k in ks]
           == [("6.12.117 [bzImage aaaaaaaa]", 2, 70001.0), ("6.12.117 [bzImage bbbbbbbb]", 1, 71000.0)]
           and j["machine"]["hostname"] is None and ks[1]["vs_previous"]["verdict"] == "slower",
           "one release, two images (stock, patched): two kernels, named by image, in the order they first "
           "ran; no host name in the guest: the machine is the emulated CPU and the environment",
           out + err + json.dumps(j)[:1000] + err2)


def test_refusals(tmp):
    res = os.path.join(tmp, "results")
    db = os.path.join(tmp, "h.sqlite")
    good = make_run(res, "20260101T000000Z-native", [entry("exit_cpuid", spread(1000))])
    rc, out, err = hist(db, "import", good)
    report(rc == 0 and count(db) == 1, "a first run goes in", out + err)
    before = db_digest(db)
    new = make_run(res, "20260102T000000Z-native", [entry("exit_cpuid", spread(1000))])

    def refused(desc, args, *needles):
        rc, out, err = hist(db, "import", *args)
        missing = [n for n in needles if n not in out + err]
        report(rc == 2 and not missing and db_digest(db) == before,
               f"{desc}: refused (exit 2), nothing imported", f"exit {rc}, missing {missing}\n{out}{err}")

    # The same identity (run id, host, kernel...) with other contents.
    other = os.path.join(tmp, "other", "20260101T000000Z-native")
    os.makedirs(other)
    s = json.load(open(os.path.join(good, "summary.json")))
    s["tests"][0]["samples"][0] += 1
    json.dump(s, open(os.path.join(other, "summary.json"), "w"))
    refused("a run already there with other contents", [new, other], "already in the history",
            "with other contents", "nothing imported")
    refused("the same new run twice with different contents",
            [new, make_run(os.path.join(tmp, "twin"), "20260102T000000Z-native",
                           [entry("exit_cpuid", spread(1001))])], "different contents")
    # A truncated summary.
    cut = make_run(os.path.join(tmp, "cut"), "20260103T000000Z-native", [entry("exit_cpuid", spread(1000))])
    text = open(os.path.join(cut, "summary.json")).read()
    open(os.path.join(cut, "summary.json"), "w").write(text[: len(text) // 2])
    refused("a truncated summary.json (with a good run before it)", [new, cut], "not valid JSON", "truncated")
    empty = make_run(os.path.join(tmp, "empty"), "20260104T000000Z-native", [entry("exit_cpuid", spread(1))])
    open(os.path.join(empty, "summary.json"), "w").close()
    refused("an empty summary.json", [new, empty], "empty file")
    refused("summary schema 2", [new, make_run(os.path.join(tmp, "s2"), "20260105T000000Z-native",
                                               [entry("exit_cpuid", spread(1))], schema=2)],
            "summary schema_version 2")
    nos = make_run(os.path.join(tmp, "nos"), "20260106T000000Z-native", [entry("exit_cpuid", spread(1))])
    s = json.load(open(os.path.join(nos, "summary.json")))
    del s["schema_version"]
    json.dump(s, open(os.path.join(nos, "summary.json"), "w"))
    refused("no schema_version", [new, nos], "no schema_version")
    bad = make_run(os.path.join(tmp, "bad"), "20260107T000000Z-native", [entry("exit_cpuid", spread(1))])
    s = json.load(open(os.path.join(bad, "summary.json")))
    s["tests"][0]["samples"] = []
    json.dump(s, open(os.path.join(bad, "summary.json"), "w"))
    refused("a passing test without samples", [new, bad], "'samples' must be a non-empty list")
    refused("a run id run_all.sh does not write",
            [new, make_run(os.path.join(tmp, "rid"), "my-run", [entry("exit_cpuid", spread(1))])],
            "is not '<UTC time>-<env>'")
    partial = os.path.join(tmp, "p", ".20260108T000000Z-native.partial")
    os.makedirs(partial)
    shutil.copy(os.path.join(new, "summary.json"), partial)
    refused("an unfinished (.partial) run", [new, partial], "did not finish")
    refused("a directory that is not a run", [new, os.path.join(tmp, "nope")], "no such run directory")
    report(count(db) == 1 and db_digest(db) == before, "after every refusal: still the first run alone")
    rc, out, err = hist(db, "import", new)
    report(rc == 0 and count(db) == 2, "the good run alone then goes in", out + err)

    # Databases that are not ours, or not of a schema this version reads.
    text_file = os.path.join(tmp, "notes.txt")
    open(text_file, "w").write("hello\n")
    expect("--db a text file", hist(text_file, "import", new), 2, "not an SQLite database")
    foreign = os.path.join(tmp, "foreign.sqlite")
    c = sqlite3.connect(foreign)
    c.execute("CREATE TABLE t (x)")
    c.commit()
    c.close()
    expect("--db another program's SQLite database", hist(foreign, "import", new), 2,
           "an SQLite database of another program", "tables: t")
    newer = os.path.join(tmp, "newer.sqlite")
    shutil.copy(db, newer)
    c = sqlite3.connect(newer)
    c.execute("PRAGMA user_version = 99")
    c.commit()
    c.close()
    expect("--db of a newer schema", hist(newer, "runs"), 2, "history schema 99, newer than this ./history reads (1)")
    damaged = os.path.join(tmp, "damaged.sqlite")
    c = sqlite3.connect(damaged)
    c.execute(f"PRAGMA application_id = {history.APPLICATION_ID}")
    c.execute("PRAGMA user_version = 1")
    c.commit()
    c.close()
    expect("--db ours but without its tables", hist(damaged, "runs"), 2, "are missing: the database is damaged")
    expect("--db a directory", hist(tmp, "runs"), 2, "a directory, not a history database")
    expect("a query before any import", hist(os.path.join(tmp, "none.sqlite"), "runs"), 2,
           "no history database there yet")
    expect("--db in a directory that does not exist", hist(os.path.join(tmp, "no", "h.sqlite"), "import", new), 2,
           "does not exist")
    expect("no command", run([sys.executable, HISTORY]), 2, "give a command")
    expect("import with nothing to import", hist(db, "import"), 2, "the following arguments are required")
    expect("--help", run([sys.executable, HISTORY, "--help"]), 0, "kernels TEST", "slower PCT --since X")


def test_migrations(tmp):
    """Schema 1 is the first; the machinery is checked with a migration to a
    test-only schema 2 (a column backfilled from the stored summaries)."""
    res = os.path.join(tmp, "results")
    db = os.path.join(tmp, "h.sqlite")
    run_dir = make_run(res, "20260101T000000Z-native", [entry("exit_cpuid", spread(1000))], kernel="6.12.3")
    rc, out, err = hist(db, "import", run_dir)
    report(rc == 0, "schema 1 from scratch: every migration applied in order", out + err)

    def add_column(conn):
        conn.execute("ALTER TABLE runs ADD COLUMN kernel_major INTEGER")
        for rid, blob in conn.execute("SELECT id, summary FROM runs").fetchall():
            s = json.loads(history.zlib.decompress(blob))
            conn.execute("UPDATE runs SET kernel_major = ? WHERE id = ?",
                         (int(s["metadata"]["kernel"].split(".")[0]), rid))

    def broken(conn):
        conn.execute("ALTER TABLE runs ADD COLUMN half_done INTEGER")
        raise RuntimeError("a migration that fails half way")

    conn = history.connect(db)
    try:
        history.migrate(conn, db, target=2, migrations={**history.MIGRATIONS, 2: broken})
        crashed = False
    except RuntimeError:
        crashed = True
    cols = [r[1] for r in conn.execute("PRAGMA table_info(runs)")]
    ver = conn.execute("PRAGMA user_version").fetchone()[0]
    report(crashed and ver == 1 and "half_done" not in cols,
           "a migration that fails half way is rolled back: schema 1, no new column", f"{ver} {cols}")
    old = history.migrate(conn, db, target=2, migrations={**history.MIGRATIONS, 2: add_column})
    ver = conn.execute("PRAGMA user_version").fetchone()[0]
    val = conn.execute("SELECT kernel_major FROM runs").fetchone()[0]
    n = conn.execute("SELECT count(*) FROM samples").fetchone()[0]
    conn.close()
    report(old == 1 and ver == 2 and val == 6 and n == 11,
           "schema 1 -> 2: the column added and backfilled from the stored summary, the samples kept",
           f"from {old} to {ver}, kernel_major {val}, {n} samples")
    expect("this ./history refuses the schema-2 database it does not know", hist(db, "runs"), 2,
           "history schema 2, newer than this ./history reads (1)")
    conn = history.connect(db)
    try:
        history.migrate(conn, db, target=3, migrations={**history.MIGRATIONS, 2: add_column})
        missing = False
    except history.HistoryError as e:
        missing = "no migration to schema 3" in str(e)
    conn.close()
    report(missing, "a gap in the migrations is an error, not a silent skip")


def test_concurrency(tmp):
    """Six processes import overlapping runs into one new database at once
    (racing to create and migrate it too)."""
    res = os.path.join(tmp, "results")
    dirs = [make_run(res, f"202601{d:02d}T000000Z-native", [entry("exit_cpuid", spread(1000 + d)),
                                                           entry("exit_io_user", spread(5000 + d))])
            for d in range(1, 9)]
    for rnd in range(3):
        db = os.path.join(tmp, f"h{rnd}.sqlite")
        sets = [dirs[0:5], dirs[3:8], dirs[1:7], dirs[::-1], dirs[2:4], dirs[6:] + dirs[:2]]
        procs = [subprocess.Popen([sys.executable, HISTORY, "--db", db, "import"] + s, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for s in sets]
        outs = [p.communicate(timeout=300) for p in procs]
        codes = [p.returncode for p in procs]
        imported = sum(o.count("imported:") for o, _ in outs)
        ok = codes == [0] * len(sets) and count(db) == 8 and count(db, "samples") == 8 * 22 and imported == 8
        report(ok, f"round {rnd + 1}: {len(sets)} concurrent imports of overlapping runs into a new database: 8 "
               "runs, each imported once, "
               "every process exit 0", f"exit {codes}, runs {count(db) if os.path.exists(db) else '-'}, "
               f"imported {imported}\n" + "\n".join(e for _, e in outs))


def test_real(tmp):
    if not (os.path.exists("/dev/kvm") and os.access(os.path.join(TOP, "exit_io_user"), os.X_OK)):
        report(True, "real runs # SKIP no /dev/kvm or no ./exit_io_user (run make)")
        return
    res = os.path.join(tmp, "real")
    for _ in range(2):
        # --max-cv 100000: the import of two real runs is checked; under load the
        # CV can exceed the default bound ("not measurable here", exit 4).
        rc, out, err = run([os.path.join(TOP, "run_all.sh"), "--results", res, "io_user", "-t", "3",
                            "--max-cv", "100000"])
        if rc != 0:
            report(False, "two real runs of exit_io_user", f"run_all.sh exit {rc}: {err[-600:]}")
            return
    db = os.path.join(tmp, "real.sqlite")
    rc, out, err = hist(db, "import", res)
    report(rc == 0 and out.count("imported:") == 2, "two real runs (run_all.sh io_user -t 3) imported", out + err)
    rc, j, err = hist_json(db, "runs")
    host = j["runs"][0]["hostname"] if j and j["runs"] else None
    report(rc == 0 and host not in (None, "-") and len({r["identity"] for r in j["runs"]}) == 2,
           f"each has its own identity; host '{host}' from the run's metadata", json.dumps(j)[:600] + err)
    rc, j, err = hist_json(db, "kernels", "exit_io_user")
    ks = j["kernels"] if j else []
    report(rc == 0 and len(ks) == 1 and ks[0]["runs"] == 2 and ks[0]["trials"] == 6 and ks[0]["median"] > 0,
           f"kernels exit_io_user: {ks[0]['kernel'] if ks else '-'}, 2 runs, 6 trials, median "
           f"{ks[0]['median'] if ks else 0:.1f} TSC cycles", json.dumps(j)[:600] + err)
    expect("latest: the second real run against the first, by ./compare", hist(db, "latest"), 0,
           "exit_io_user", "baseline")
    expect("plot exit_io_user of the real runs", hist(db, "plot", "exit_io_user", "--out", os.path.join(tmp, "rp")),
           0, "wrote")
    rc, out, err = hist(db, "import", res)
    report(rc == 0 and out.count("already there:") == 2, "the real runs again: already there", out + err)


def main(argv):
    real = "--no-real" not in argv
    if any(a != "--no-real" for a in argv):
        print(__doc__.strip())
        return 0 if argv[0] in ("-h", "--help") else 2
    tmp = tempfile.mkdtemp(prefix="exitbench-history-test.")
    groups = [("import and queries", test_import_and_queries), ("builds", test_builds), ("refusals", test_refusals),
              ("migrations", test_migrations), ("concurrency", test_concurrency)]
    if real:
        groups.append(("real runs", test_real))
    try:
        for name, fn in groups:
            d = os.path.join(tmp, name.replace(" ", "-"))
            os.makedirs(d)
            try:
                fn(d)
            except Exception:  # a crash is a failure of that group, not of the script
                report(False, f"{name}: the tests themselves crashed", traceback.format_exc())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
