#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""check_ktap.py KTAP --kunit KUNIT_PY --tests exit_a,exit_b,... [--log FILE]
                [--allow-fail] [--print-metrics]

Checks the output of the installed collection's run_kselftest.sh:

- the kernel's own parser (KUNIT_PY: the tree's tools/testing/kunit/kunit.py)
  parses it with no error, finds exactly these tests, and gives each the
  status the top-level KTAP line says (kunit.py parse --json);
- read here: the plan matches the results, numbered 1..N, named
  'selftests: kvm-exitbench: NAME' in the order given; no test timed out;
  no test failed unless --allow-fail;
- every test that passed left one '# metrics: test=NAME key=value ...'
  diagnostic line with the figures (units in the keys) and it agrees with
  the test's own result line; every skip says why. With -s (summary mode)
  the tests' output is in output.log: pass it with --log.

Prints "ok - ..." / "not ok - ..." lines; exit status 1 if any check failed.
--print-metrics also prints the scraped figures, one line per test.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

COLLECTION = "kvm-exitbench"
RESULT = re.compile(r"^(ok|not ok) (\d+) selftests: " + COLLECTION + r": (\S+)(?: # (.*))?$")
METRICS = re.compile(r"^# # metrics: (.*)$")
INNER_RESULT = re.compile(r"^# (ok|not ok) 1 (?:# SKIP )?(exit_\S+?): (.*)$")
REQUIRED = ("test", "reason", "cycles_per_exit_median", "cycles_per_exit_p10", "cycles_per_exit_p90",
            "cycles_per_exit_cv_pct", "ns_per_exit_median", "trials", "iterations", "exits_expected",
            "exits_counted", "counter_source", "attribution")
NUMERIC = ("cycles_per_exit_median", "cycles_per_exit_p10", "cycles_per_exit_p90",
           "cycles_per_exit_cv_pct", "ns_per_exit_median", "trials", "iterations")

failures = 0


def check(ok, what, detail=()):
    global failures
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failures += 1
        for line in detail:
            print(f"#   {line}")
    return ok


def kunit_parse(kunit, path):
    """(exit code, printed lines, JSON result) of kunit.py parse."""
    with tempfile.TemporaryDirectory() as tmp:
        out_json = os.path.join(tmp, "result.json")
        r = subprocess.run([sys.executable, kunit, "parse", f"--json={out_json}", path],
                           capture_output=True, text=True, timeout=120)
        data = None
        if os.path.exists(out_json):
            with open(out_json, encoding="utf-8") as f:
                data = json.load(f)
    return r.returncode, (r.stdout + r.stderr).splitlines(), data


def blocks(lines):
    """Per test (by name): the lines of its own output, from its
    '# selftests: COLLECTION: NAME' header to its result line."""
    out, current = {}, None
    for line in lines:
        m = re.match(r"^# selftests: " + COLLECTION + r": (\S+)$", line)
        if m:
            current = m.group(1)
            out[current] = []
        elif current is not None:
            if RESULT.match(line):
                current = None
            else:
                out[current].append(line)
    return out


def log_blocks(lines):
    """output.log of -s: each test's output (prefixed '# ' as on stdout)
    follows its '# timeout set to' line."""
    out, current = {}, []
    for line in lines:
        if line.startswith("# timeout set to") or line.startswith("# overriding timeout"):
            current = []
            continue
        current.append(line)
        m = INNER_RESULT.match(line)
        if m:
            out[m.group(2)] = current
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("ktap")
    p.add_argument("--kunit", required=True)
    p.add_argument("--tests", required=True)
    p.add_argument("--log")
    p.add_argument("--allow-fail", action="store_true")
    p.add_argument("--print-metrics", action="store_true")
    args = p.parse_args()
    tests = [t for t in args.tests.split(",") if t]
    with open(args.ktap, encoding="utf-8", errors="replace") as f:
        lines = [line.rstrip("\n") for line in f]

    # The kernel's parser.
    rc, printed, data = kunit_parse(args.kunit, args.ktap)
    errors = [line for line in printed if "[ERROR]" in line or "[CRASHED]" in line]
    summary = next((line for line in printed if "Testing complete." in line), "")
    check(not errors and "errors:" not in summary,
          f"kunit.py parse: no parse errors ({summary.split('] ', 1)[-1] or 'no summary line'})", errors[:10])
    check(f"Ran {len(tests)} tests" in summary, f"kunit.py parse finds {len(tests)} tests", printed[-5:])
    statuses = {}
    if data is not None:
        statuses = {c["name"]: c["status"] for c in data.get("test_cases", [])}
    # kunit.py parse exits 1 when the run's status is not SUCCESS, which is
    # also the case when every test skipped (e.g. one test, 'not measurable
    # here' on a loaded machine): that is not a failure of the output.
    all_skipped = bool(statuses) and all(s == "SKIP" for s in statuses.values())
    check(rc == 0 or (rc == 1 and (args.allow_fail or all_skipped)),
          f"kunit.py parse exit status {rc}" + (" (every test skipped)" if rc == 1 and all_skipped else ""),
          [line for line in printed if "FAILED" in line or "CRASHED" in line][:10])

    # The top level, read here.
    top = [line for line in lines if not line.startswith("#")]
    check(top[:1] == ["TAP version 13"], f"first line is 'TAP version 13' (got {top[:1]})")
    plan = [line for line in top if re.match(r"^1\.\.\d+$", line)]
    check(plan == [f"1..{len(tests)}"], f"one plan, 1..{len(tests)} (got {plan})")
    results = [RESULT.match(line) for line in top if line.startswith(("ok ", "not ok "))]
    check(all(results) and len(results) == len(tests),
          f"{len(tests)} result lines, all 'selftests: {COLLECTION}: NAME'")
    results = [m for m in results if m]
    check([int(m.group(2)) for m in results] == list(range(1, len(results) + 1)), "numbered 1..N")
    check([m.group(3) for m in results] == tests, "in the order of kselftest-list.txt")
    want = {"PASS": 0, "SKIP": 0, "FAIL": 0}
    timed_out = []
    agree = True
    for m in results:
        directive = m.group(4) or ""
        ours = "SKIP" if directive.startswith("SKIP") else "PASS" if m.group(1) == "ok" else "FAIL"
        want[ours] += 1
        if "TIMEOUT" in directive:
            timed_out.append(m.group(3))
        name = f"selftests: {COLLECTION}: {m.group(3)}"
        if statuses.get(name) != ours:
            agree = False
            print(f"#   {name}: kunit.py says {statuses.get(name)}, the KTAP line says {ours}")
    check(data is not None and agree, "kunit.py's status of every test agrees with its KTAP line")
    check(not timed_out, f"no test timed out ({', '.join(timed_out) or 'none'})")
    if not args.allow_fail:
        check(want["FAIL"] == 0, f"no test failed ({want['PASS']} passed, {want['SKIP']} skipped, "
              f"{want['FAIL']} failed)", [line for line in lines if line.startswith("# not ok")
                                           or line.startswith("not ok")][:10])

    # The figures, in diagnostic lines.
    if args.log:
        with open(args.log, encoding="utf-8", errors="replace") as f:
            log_lines = [line.rstrip("\n") for line in f]
        per_test = log_blocks(log_lines)
    else:
        per_test = blocks(lines)
    scraped = []
    for m in results:
        name, passed = m.group(3), m.group(1) == "ok" and not (m.group(4) or "").startswith("SKIP")
        body = per_test.get(name)
        if body is None:
            check(False, f"{name}: its output is not in {'the log' if args.log else 'the KTAP'}")
            continue
        metrics = [METRICS.match(line) for line in body if METRICS.match(line)]
        inner = [INNER_RESULT.match(line) for line in body if INNER_RESULT.match(line)]
        if not passed:
            skip_ok = m.group(1) == "ok" and inner and inner[-1].group(3).strip()
            if m.group(1) == "ok":
                check(bool(skip_ok), f"{name}: skipped, and says why: {inner[-1].group(3)[:100] if inner else '-'}",
                      body)
            continue
        if not check(len(metrics) == 1, f"{name}: one '# metrics:' diagnostic line (found {len(metrics)})", body):
            continue
        kv = dict(item.split("=", 1) for item in metrics[0].group(1).split() if "=" in item)
        missing = [k for k in REQUIRED if k not in kv]
        bad = [k for k in NUMERIC if k in kv and not re.match(r"^-?\d+(\.\d+)?$", kv[k])]
        same = inner and inner[-1].group(3).startswith(f"{kv.get('cycles_per_exit_median')} cycles/exit")
        check(not missing and not bad and kv.get("test") == name and same,
              f"{name}: metrics {kv.get('cycles_per_exit_median')} TSC cycles/exit, "
              f"{kv.get('ns_per_exit_median')} ns/exit, attribution {kv.get('attribution')}"
              + (f"; missing {missing}" if missing else "") + (f"; not numbers {bad}" if bad else "")
              + ("" if same else "; differs from the test's result line"),
              [metrics[0].group(0)] + [m.group(0) for m in inner[-1:]])
        scraped.append(kv)
    if args.print_metrics:
        for kv in scraped:
            print(f"# {kv['test']}: {kv['cycles_per_exit_median']} TSC cycles/exit (p10 "
                  f"{kv['cycles_per_exit_p10']}, p90 {kv['cycles_per_exit_p90']}, CV {kv['cycles_per_exit_cv_pct']}%), "
                  f"{kv['ns_per_exit_median']} ns/exit, {kv['trials']} trials; {kv['reason']} expected "
                  f"{kv['exits_expected']}, counted {kv['exits_counted']} by {kv['counter_source']}: {kv['attribution']}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
