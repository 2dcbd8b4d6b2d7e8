#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""check_ci_runs.py DIR...: ./history on the runs CI made.

Every finished run of ./run_all.sh under the DIRs (native, bochs, qemu-tcg)
is imported into a new database, twice (the second time nothing changes),
then asked each question once: a test's kernels on each machine, one
kernel across machines, the latest run against the last one before it
that shares a test with it, what got slower since the first run, and the
trend plot. The answers are real data, so they are printed, not judged;
what is checked is that each query answers, over the runs that were
imported. (Known answers: test_history.py.)
Prints "ok - ..." / "not ok - ..." lines; exit status 1 if any failed.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
HISTORY = os.path.join(TOP, "history")
failures = checks = 0


def check(ok, what, detail=""):
    global failures, checks
    checks += 1
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failures += 1
        for line in detail.splitlines()[:15]:
            print(f"#   {line}")


def hist(db, *args):
    r = subprocess.run([sys.executable, HISTORY, "--db", db] + list(args), capture_output=True, text=True,
                       timeout=600)
    return r.returncode, r.stdout, r.stderr


def machine(r):
    """./history's options naming the machine of run r (hostname, CPU model)."""
    return ((["--host", r["hostname"]] if r["hostname"] not in ("-", "", None) else [])
            + (["--cpu", r["cpu_model"]] if r.get("cpu_model") else []))


def show(text):
    for line in text.rstrip("\n").splitlines():
        print(f"#   {line}")


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    runs = []
    for root in argv:
        for d, subdirs, files in os.walk(root):
            subdirs[:] = [s for s in subdirs if not s.startswith(".")]
            if "summary.json" in files and os.path.basename(d)[:1].isdigit():
                runs.append(d)
    runs.sort()
    if not runs:
        check(False, f"runs under {' '.join(argv)}: none found")
        return 1
    # The test most runs passed (exit_cpuid where there is a tie).
    seen, tests_of = {}, {}
    for d in runs:
        with open(os.path.join(d, "summary.json"), encoding="utf-8") as f:
            s = json.load(f)
        tests_of[s.get("run_id")] = {t["name"] for t in s["tests"]}
        for t in s["tests"]:
            if t["status"] == "pass":
                seen[t["name"]] = seen.get(t["name"], 0) + 1
    test = max(sorted(seen), key=lambda n: (seen[n], n == "exit_cpuid")) if seen else "exit_cpuid"
    tmp = tempfile.mkdtemp(prefix="exitbench-history-ci.")
    try:
        db = os.path.join(tmp, "history.sqlite")
        rc, out, err = hist(db, "import", *runs)
        check(rc == 0 and out.count("imported:") == len(runs),
              f"import of the {len(runs)} runs CI made", out + err)
        rc, out, err = hist(db, "import", *runs)
        check(rc == 0 and out.count("already there:") == len(runs), "imported again: every run already there",
              out + err)
        rc, out, err = hist(db, "runs", "--json")
        listed = json.loads(out)["runs"] if rc == 0 else []
        check(len(listed) == len(runs), f"runs: {len(listed)}", err)
        rc, out, _ = hist(db, "runs")
        show(out)
        envs = sorted({r["environment"] for r in listed})
        for env in envs:
            rc, out, err = hist(db, "kernels", test, "--env", env)
            if rc == 2 and "machines" in err:   # several machines in one environment: the first one
                first_run = next(r for r in listed if r["environment"] == env)
                rc, out, err = hist(db, "kernels", test, "--env", env, *machine(first_run))
            check(rc == 0 and "median (TSC cycles)" in out, f"kernels {test} --env {env}", out + err)
            show(out)
        kernels = {}
        for r in listed:
            kernels.setdefault(r["kernel"], set()).add((r["hostname"], r["cpu_model"], r["environment"]))
        shared = max(kernels, key=lambda k: len(kernels[k]))
        rc, out, err = hist(db, "hosts", test, "--kernel", shared)
        check(rc == 0 and "median (ns)" in out, f"hosts {test} --kernel {shared} ({len(kernels[shared])} "
              "machines)", out + err)
        show(out)
        # The latest run of an environment against the latest run before it
        # that shares a test with it (which runs have finished when this is
        # called depends on the other stream: the run before may hold other
        # tests, e.g. --smp 2's three against order B's five).
        pair = None
        for env in envs:
            on = [r for r in listed if r["environment"] == env]
            # One machine: ./history's (hostname, CPU model, environment);
            # an emulator run with --cpu-model is another machine.
            on = [r for r in on if (r["hostname"], r["cpu_model"]) == (on[-1]["hostname"], on[-1]["cpu_model"])]
            base = next((r for r in reversed(on[:-1])
                         if tests_of.get(r["run_id"], set()) & tests_of.get(on[-1]["run_id"], set())), None)
            if base:
                pair = (env, on[-1], base)
                break
        if pair:
            env, latest, base = pair
            rc, out, err = hist(db, "latest", "--env", env, "--baseline", base["run_id"], "--only-common",
                                *machine(latest))
            check(rc == 0 and "baseline" in out and latest["run_id"] in out + err,
                  f"latest --env {env}: {latest['run_id']} against {base['run_id']}, by ./compare", out + err)
            show(out)
        elif any(sum(r["environment"] == e for r in listed) >= 2 for e in envs):
            check(False, "latest: no environment has two runs on one machine with a test in common",
                  "\n".join(f"{r['run_id']} {r['environment']}: {', '.join(sorted(tests_of.get(r['run_id'], [])))}"
                            for r in listed))
        first = min(listed, key=lambda r: r["started_utc"])
        rc, out, err = hist(db, "slower", "5", "--since", first["run_id"], "--json")
        data = json.loads(out) if rc in (0, 1) else {}
        check(rc in (0, 1) and "compared" in data,
              f"slower 5 --since {first['run_id']}: {data.get('compared', 0)} test results compared, "
              f"{len(data.get('slower', []))} slower by more than 5% (exit {rc})", out + err)
        rc, out, _ = hist(db, "slower", "5", "--since", first["run_id"])
        show(out)
        env = "qemu-tcg" if "qemu-tcg" in envs else envs[0]
        plot_dir = os.path.join(tmp, "trend")
        rc, out, err = hist(db, "plot", test, "--env", env, "--out", plot_dir)
        if rc == 2 and "machines" in err:   # several machines in one environment: the latest one
            rc, out, err = hist(db, "plot", test, "--env", env,
                                *machine([r for r in listed if r["environment"] == env][-1]), "--out", plot_dir)
        files = sorted(os.listdir(plot_dir)) if os.path.isdir(plot_dir) else []
        want = {"trend.dat", "trend.gp"} | ({"trend.png", "trend.svg"} if shutil.which("gnuplot") else set())
        check(rc == 0 and want <= set(files), f"plot {test} --env {env}: {', '.join(files)}", out + err)
        keep = os.environ.get("OUT")
        if keep and os.path.isdir(plot_dir):
            shutil.copytree(plot_dir, os.path.join(keep, "trend"), dirs_exist_ok=True)
            shutil.copy(db, os.path.join(keep, "history.sqlite"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{checks - failures} passed, {failures} failed ({len(runs)} runs)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
