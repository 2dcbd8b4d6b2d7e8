# SPDX-License-Identifier: GPL-2.0-only
"""./compare: cycles per exit across runs of ./run_all.sh.

Loads each run's summary.json, refuses what cannot be compared (different
vendors, schema versions or units, tests missing from one side, a test whose
expected exit reason changed), then for every test and every run after the
first judges the run's per-trial samples against the first run's with
lib/compare_stats.py. Prints one format on stdout and writes all of them,
plus the plot (lib/plot.py), to a new directory.
"""
import argparse
import csv
import datetime
import io
import json
import math
import os
import sys

import compare_stats as stats

SCHEMA_VERSION = 1          # summary.json, as lib/summarize.py writes it
COMPARE_SCHEMA_VERSION = 1  # comparison.json, as written here
STATUSES = ("pass", "fail", "skip", "error")
EXIT_OK, EXIT_REGRESSION, EXIT_INPUT = 0, 1, 2
TOP = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
FILES = ("comparison.txt", "comparison.md", "comparison.csv", "comparison.json")

HELP = """\
Compare TSC cycles per exit between runs of ./run_all.sh (directories under
results/, or their summary.json; a bare run id is looked up in results/).
The first run is the baseline: every other run is compared with it, test by
test, from the per-trial samples.

Beyond noise: a run differs from the baseline when the Mann-Whitney rank test
(two-sided) gives p < ALPHA and the (1-ALPHA) bootstrap interval of
median(run) - median(baseline) excludes 0 (seeded: repeatable). Verdicts:
same, slower, faster, or "too few trials" when the trial counts cannot reach
p < ALPHA whatever the figures (3 vs 4 trials or fewer at 0.05: use -t 5 or
more). Samples that repeat closely (Bochs) make a 1% shift significant.
Noise is judged from the trials inside each run: drift between runs of a
busy machine is not in the samples; set a practical floor with --fail-above.

Refused (exit 2, with the reason): different vendors (VMX, SVM, other),
schema versions or units; tests missing from a run (listed; --only-common
compares the rest); a test whose expected exit reason differs. Different
CPU models, environments or TSC rates compare with a warning.

Output (stdout: one format; all written to the output directory):
  test, run (A = baseline), status (numbers only for pass), trials,
  median and p10..p90 in TSC cycles per exit, CV in %, ratio to A in x
  with the change in %, the bootstrap interval of that ratio in x (in TSC
  cycles when A's median is not positive), p, verdict.
Written: comparison.{txt,md,csv,json} and the bar chart
cycles_per_exit.{png,svg} (gnuplot; without it only .dat and .gp) in
--out DIR or a new compare-<UTC time>/ next to the first run.

Exit status: 0 no regression (always 0 without --fail-above), 1 a test is
slower beyond noise by more than --fail-above PCT, 2 usage or input error."""


class InputError(Exception):
    """Bad input or runs that cannot be compared: exit 2 with the message."""


# --- loading ---------------------------------------------------------------

def resolve(arg):
    """Return (run_dir, summary_path) for a run directory, a summary.json or
    a run id under results/."""
    path = arg
    if not os.path.exists(path) and os.sep not in arg and os.path.isdir(os.path.join(TOP, "results", arg)):
        path = os.path.join(TOP, "results", arg)
    if not os.path.exists(path):
        raise InputError(f"{arg}: no such run directory (runs are made by ./run_all.sh under results/)")
    if os.path.isfile(path):
        return os.path.dirname(os.path.abspath(path)), path
    summary = os.path.join(path, "summary.json")
    if os.path.isfile(summary):
        return path, summary
    base = os.path.basename(os.path.normpath(path))
    if base.endswith(".partial"):
        raise InputError(f"{summary}: missing: this run did not finish ({base}); "
                         "compare finished runs, or run ./run_all.sh again")
    inner = sorted(d for d in os.listdir(path) if os.path.isfile(os.path.join(path, d, "summary.json")))
    if inner:
        raise InputError(f"{summary}: missing: {path} holds runs, it is not one; "
                         f"pass run directories such as {os.path.join(path, inner[-1])}")
    raise InputError(f"{summary}: missing: {path} is not a run directory from ./run_all.sh")


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}") from e
    if not text.strip():
        raise InputError(f"{path}: empty file (the run was cut short?): run ./run_all.sh again")
    try:
        return json.loads(text)
    except ValueError as e:
        raise InputError(f"{path}: not valid JSON ({e}); the file is truncated or damaged: "
                         "run ./run_all.sh again") from e


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def validate(path, s):
    """Check the parts of a schema-1 summary that compare reads."""
    def bad(what):
        raise InputError(f"{path}: {what}; the summary is damaged: run ./run_all.sh again")

    for key, typ in (("metadata", dict), ("units", dict), ("tests", list)):
        if not isinstance(s.get(key), typ):
            bad(f"'{key}' is missing or not a JSON {'object' if typ is dict else 'array'}")
    if not isinstance(s["metadata"].get("vendor"), str):
        bad("metadata.vendor is missing")
    if not isinstance(s["units"].get("cycles_per_exit"), str):
        bad("units.cycles_per_exit is missing")
    if not s["tests"]:
        bad("no tests in 'tests'")
    seen = set()
    for i, t in enumerate(s["tests"]):
        if not isinstance(t, dict) or not isinstance(t.get("name"), str) or not t["name"]:
            bad(f"tests[{i}] has no name")
        where = f"tests[{i}] ({t['name']})"
        if t["name"] in seen:
            bad(f"{where}: test listed twice")
        seen.add(t["name"])
        if t.get("status") not in STATUSES:
            bad(f"{where}: status {t.get('status')!r} is not one of {', '.join(STATUSES)}")
        if t["status"] != "pass":
            continue
        samples = t.get("samples")
        if not isinstance(samples, list) or not samples or not all(is_number(x) for x in samples):
            bad(f"{where}: 'samples' must be a non-empty list of finite numbers (TSC cycles per exit)")
        if "trials" in t and t["trials"] != len(samples):
            bad(f"{where}: trials is {t['trials']!r} but there are {len(samples)} samples")
        for key in ("iterations", "trials"):
            if key in t and t[key] is not None and not is_number(t[key]):
                bad(f"{where}: {key} is not a number")


def load_runs(args):
    """Load and validate summaries; every error names the file."""
    loaded = []
    for arg in args:
        run_dir, path = resolve(arg)
        s = read_json(path)
        if not isinstance(s, dict):
            raise InputError(f"{path}: a JSON {type(s).__name__}, not a summary object: "
                             "not a kvm-exitbench summary.json")
        if "schema_version" not in s:
            raise InputError(f"{path}: no schema_version: not a kvm-exitbench summary.json")
        loaded.append((run_dir, path, s))
    versions = {p: s["schema_version"] for _, p, s in loaded}
    if len({json.dumps(v) for v in versions.values()}) > 1:
        raise InputError("different summary schema versions cannot be compared: "
                         + ", ".join(f"{p}: {v!r}" for p, v in versions.items()))
    for _, path, s in loaded:
        if s["schema_version"] != SCHEMA_VERSION:
            raise InputError(f"{path}: unknown schema_version {s['schema_version']!r} "
                             f"(this ./compare reads {SCHEMA_VERSION}): use the ./compare of the "
                             "kvm-exitbench version that wrote it")
        validate(path, s)
    runs = []
    for i, (run_dir, path, s) in enumerate(loaded):
        base = os.path.basename(os.path.normpath(os.path.abspath(run_dir)))
        unfinished = base.startswith(".") and base.endswith(".partial")
        runs.append({
            "label": chr(ord("A") + i),
            # run_all.sh's .<id>.partial while it runs (when lib/plot.py draws): name it <id>
            "name": base[1:-len(".partial")] if unfinished else base,
            "unfinished": unfinished,
            "dir": run_dir,
            "summary_path": path,
            "run_id": s.get("run_id"),
            "metadata": s["metadata"],
            "units": s["units"],
            "tests": {t["name"]: t for t in s["tests"]},
            "order": [t["name"] for t in s["tests"]],
        })
    return runs


# --- can these runs be compared? ------------------------------------------------

def check_comparable(runs, only_common):
    """Raise InputError for what cannot be compared; return (test names,
    warnings, notes)."""
    a = runs[0]
    warnings, notes = [], []

    def per_run(get):
        return ", ".join(f"{r['label']}: {get(r)}" for r in runs)

    vendors = {r["metadata"]["vendor"] for r in runs}
    if len(vendors) > 1:
        raise InputError("runs on different vendors cannot be compared (exit reasons and costs "
                         f"differ between VMX, SVM and software KVMs): {per_run(lambda r: r['metadata']['vendor'])}")
    for key in ("cycles_per_exit", "samples"):
        if len({json.dumps(r["units"].get(key)) for r in runs}) > 1:
            raise InputError(f"runs measure {key} in different units: "
                             f"{per_run(lambda r: repr(r['units'].get(key)))}")

    names = [n for n in a["order"]]
    for r in runs[1:]:
        names += [n for n in r["order"] if n not in names]
    missing = {r["label"]: [n for n in names if n not in r["tests"]] for r in runs}
    if any(missing.values()):
        listing = "; ".join(f"run {lab} ({next(r['name'] for r in runs if r['label'] == lab)}) lacks "
                            f"{', '.join(ms)}" for lab, ms in missing.items() if ms)
        common = [n for n in names if all(n in r["tests"] for r in runs)]
        if not only_common:
            raise InputError(f"the runs do not hold the same tests: {listing}; run the same "
                             f"tests, or pass --only-common to compare the {len(common)} tests all runs have")
        if not common:
            raise InputError(f"the runs have no test in common: {listing}")
        notes.append(f"not compared (--only-common): {listing}")
        names = common

    for n in names:
        # A test that crashed (status error) has no reason recorded: nothing to check.
        codes = {json.dumps([r["tests"][n]["reason"].get(k) for k in ("vmx", "svm")])
                 for r in runs if isinstance(r["tests"][n].get("reason"), dict)}
        if len(codes) > 1:
            raise InputError(f"{n} expects different exit reasons in different runs (the test changed): "
                             + per_run(lambda r: (r["tests"][n].get("reason") or {}).get("name")))

    for key, what in (("cpu_model", "CPU models"), ("environment", "environments"),
                      ("tsc_khz", "TSC rates (kHz)")):
        if len({json.dumps(r["metadata"].get(key)) for r in runs}) > 1:
            warnings.append(f"different {what}: {per_run(lambda r: r['metadata'].get(key))}: "
                            "cycles per exit differ for reasons other than the code under test")
    if len({os.path.realpath(r["summary_path"]) for r in runs}) < len(runs):
        warnings.append("the same run is given more than once")
    for r in runs:
        if r["unfinished"]:
            warnings.append(f"run {r['label']} ({r['dir']}) is a directory run_all.sh did not finish")
    for r in runs[1:]:
        if r["metadata"].get("microcode") != a["metadata"].get("microcode"):
            notes.append(f"microcode differs: A {a['metadata'].get('microcode')}, "
                         f"{r['label']} {r['metadata'].get('microcode')}")
        for key, what in (("kvm_params", "kvm module parameters"), ("vulnerabilities", "CPU vulnerability status")):
            diff = dict_diff(a["metadata"].get(key), r["metadata"].get(key))
            if diff:
                notes.append(f"{what} differ in {r['label']} from A: " + "; ".join(diff))
    return names, warnings, notes


def dict_diff(x, y, prefix=""):
    """Leaf-level differences of two nested dicts, as 'key: a -> b'."""
    x = x if isinstance(x, dict) else {}
    y = y if isinstance(y, dict) else {}
    out = []
    for k in sorted(set(x) | set(y)):
        if isinstance(x.get(k), dict) or isinstance(y.get(k), dict):
            out += dict_diff(x.get(k), y.get(k), f"{prefix}{k}.")
        elif x.get(k) != y.get(k):
            out.append(f"{prefix}{k}: {x.get(k, '(absent)')} -> {y.get(k, '(absent)')}")
    return out


# --- the comparison -----------------------------------------------------------

def compare(runs, names, alpha, resamples, seed, fail_above):
    tests = []
    regressions = []
    notes = []
    differ = {"iterations": [], "trials": []}
    for name in names:
        a = runs[0]["tests"][name]
        entry = {"name": name, "reason": (a.get("reason") or {}).get("name"), "runs": []}
        for i, r in enumerate(runs):
            t = r["tests"][name]
            row = {"label": r["label"], "status": t["status"],
                   "status_reason": t.get("status_reason"),
                   "iterations": t.get("iterations"), "trials": None,
                   "median": None, "p10": None, "p90": None, "cv": None, "vs_first": None}
            if t["status"] == "pass":
                xs = t["samples"]
                cv = (t.get("cycles_per_exit") or {}).get("cv")
                row.update(trials=len(xs), median=stats.median(xs), p10=stats.quantile(xs, 0.10),
                           p90=stats.quantile(xs, 0.90), cv=cv if is_number(cv) else None)
            if i > 0:
                row["vs_first"] = vs_first(a, t, name, i, alpha, resamples, seed, fail_above)
                if row["vs_first"].get("regression"):
                    regressions.append({"test": name, "run": r["label"],
                                        "change_pct": row["vs_first"]["change_pct"]})
            entry["runs"].append(row)
        passed = [r2 for r2 in entry["runs"] if r2["status"] == "pass"]
        for key in ("iterations", "trials"):
            if len({r2[key] for r2 in passed}) > 1:
                differ[key].append(f"{name} " + ", ".join(f"{r2['label']} {r2[key]}" for r2 in passed))
        statuses = {r2["status"] for r2 in entry["runs"]}
        if len(statuses) > 1:
            notes.append(f"{name}: status changed: " + ", ".join(f"{r2['label']}: {r2['status']}"
                                                                  for r2 in entry["runs"]))
        for r2 in entry["runs"]:
            if r2["status"] != "pass" and r2["status_reason"]:
                notes.append(f"{name} {r2['label']}: {r2['status']}: {r2['status_reason']}")
        tests.append(entry)
    if differ["iterations"]:
        notes.append("iterations per trial differ (they are scaled to the trial length; cycles per "
                     "exit do not depend on them): " + "; ".join(differ["iterations"]))
    if differ["trials"]:
        notes.append("trials differ (fine: each run's noise is judged from its own trials): "
                     + "; ".join(differ["trials"]))
    return tests, regressions, notes


def vs_first(a, b, name, run_index, alpha, resamples, seed, fail_above):
    if a["status"] != "pass" or b["status"] != "pass":
        why = f"A: {a['status']}" if a["status"] != "pass" else f"{b['status']}"
        return {"verdict": "-", "why": f"not compared ({why})"}
    j = stats.judge(a["samples"], b["samples"], alpha=alpha, resamples=resamples,
                    seed=stats.test_seed(seed, name, run_index))
    j.pop("median_a")
    j.pop("median_b")
    j["regression"] = bool(fail_above is not None and j["verdict"] == "slower"
                           and j["change_pct"] is not None and j["change_pct"] > fail_above)
    return j


# --- output ------------------------------------------------------------------------

def f1(v):
    return "-" if v is None else f"{v:.1f}"


def fmt_p(p):
    return "<0.0001" if p < 0.0001 else f"{p:.4f}" if p < 0.01 else f"{p:.3f}"


def cells(entry, row, fail_above):
    """One table row as strings, every number with its unit."""
    st = row["status"]
    num = st == "pass"
    v = row["vs_first"]
    out = {
        "test": entry["name"] if row["label"] == "A" else "",
        "run": row["label"],
        "status": st,
        "trials": str(row["trials"]) if num else "-",
        "median": f1(row["median"]) if num else st,
        "p10..p90": f"{f1(row['p10'])}..{f1(row['p90'])}" if num else "-",
        "CV": f"{row['cv'] * 100:.1f}%" if num and row["cv"] is not None else "-",
        "vs A": "", "CI": "", "p": "", "verdict": "baseline" if v is None else "",
    }
    if v is not None:
        if "p" not in v:
            out.update({"vs A": "-", "CI": "-", "p": "-", "verdict": v["why"]})
        else:
            if v["ratio"] is not None:
                out["vs A"] = f"{v['ratio']:.3f}x {v['change_pct']:+.1f}%"
            else:
                out["vs A"] = "n/a (A median <= 0)"
            if v["ratio_ci"]:
                out["CI"] = f"{v['ratio_ci'][0]:.3f}x..{v['ratio_ci'][1]:.3f}x"
            else:
                out["CI"] = f"{v['diff_ci'][0]:+.1f}..{v['diff_ci'][1]:+.1f} cycles"
            out["p"] = fmt_p(v["p"])
            out["verdict"] = v["verdict"] + (f" REGRESSION (> {fail_above:g}%)" if v["regression"] else "")
    return out


COLUMNS = [  # key, header (unit), right-aligned
    ("test", "test", False),
    ("run", "run", False),
    ("status", "status", False),
    ("trials", "trials", True),
    ("median", "median (TSC cycles)", True),
    ("p10..p90", "p10..p90 (TSC cycles)", True),
    ("CV", "CV (%)", True),
    ("vs A", "vs A (x, %)", True),
    ("CI", "interval vs A", True),
    ("p", "p (rank test)", True),
    ("verdict", "verdict", False),
]


def method_text(res):
    m = res["method"]
    return (f"beyond noise: Mann-Whitney two-sided p < {m['alpha']:g} and the {m['confidence_pct']:g}% "
            f"bootstrap interval ({m['bootstrap_resamples']} resamples, seed {m['seed']}) of "
            f"median(run) - median(A) excludes 0; 'too few trials': the trial counts cannot reach "
            f"p < {m['alpha']:g} (at 0.05: 3 vs 4 trials or fewer)")


def gate_text(res):
    fa = res["method"]["fail_above_pct"]
    if fa is None:
        return "regression gate: off (no --fail-above): exit status 0"
    regs = res["regressions"]
    if not regs:
        return f"regression gate: no test slower beyond noise by more than {fa:g}%: exit status 0"
    return (f"regression gate: {len(regs)} slower beyond noise by more than {fa:g}%: "
            + ", ".join(f"{g['test']} {g['run']} {g['change_pct']:+.1f}%" for g in regs)
            + ": exit status 1")


def run_line(r):
    m = r["metadata"]
    return (f"{r['label']}  {r['name']}: kernel {m.get('kernel')}, vendor {m.get('vendor')}, "
            f"{m.get('environment')}, {m.get('cpu_model')}, TSC {m.get('tsc_khz')} kHz")


def render_text(res, runs):
    rows = [[h for _, h, _ in COLUMNS]]
    for entry in res["tests"]:
        for row in entry["runs"]:
            c = cells(entry, row, res["method"]["fail_above_pct"])
            rows.append([c[k] for k, _, _ in COLUMNS])
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    out = ["cycles per exit in TSC cycles (median over trials); A is the baseline"]
    out += ["  " + run_line(r) for r in runs]
    out += [f"warning: {w}" for w in res["warnings"]]
    out.append("")
    for r in rows:
        out.append("  ".join(v.rjust(widths[i]) if COLUMNS[i][2] else v.ljust(widths[i])
                             for i, v in enumerate(r)).rstrip())
    out.append("")
    out.append(method_text(res))
    out += [f"note: {n}" for n in res["notes"]]
    out.append(gate_text(res))
    return "\n".join(out) + "\n"


def md_escape(s):
    return s.replace("|", "\\|")


def render_markdown(res, runs):
    out = ["## Cycles per exit: comparison", "",
           "Cycles per exit in TSC cycles (median over trials); A is the baseline.", ""]
    out += [f"- {md_escape(run_line(r))}" for r in runs]
    out.append("")
    out += [f"**Warning:** {md_escape(w)}" + "\n" for w in res["warnings"]]
    out.append("| " + " | ".join(h for _, h, _ in COLUMNS) + " |")
    out.append("|" + "|".join("---:" if right else "---" for _, _, right in COLUMNS) + "|")
    for entry in res["tests"]:
        for row in entry["runs"]:
            c = cells(entry, row, res["method"]["fail_above_pct"])
            out.append("| " + " | ".join(md_escape(c[k]) for k, _, _ in COLUMNS) + " |")
    out.append("")
    out.append(md_escape(method_text(res)) + ".")
    out.append("")
    out += [f"- {md_escape(n)}" for n in res["notes"]]
    if res["notes"]:
        out.append("")
    out.append(md_escape(gate_text(res)) + ".")
    return "\n".join(out) + "\n"


CSV_COLUMNS = ["test", "reason", "run", "run_name", "status", "trials", "iterations",
               "median_tsc_cycles", "p10_tsc_cycles", "p90_tsc_cycles", "cv_pct",
               "ratio_to_first_x", "change_pct", "ci_low_x", "ci_high_x",
               "diff_ci_low_tsc_cycles", "diff_ci_high_tsc_cycles", "p_value", "verdict", "regression"]


def render_csv(res, runs):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    names = {r["label"]: r["name"] for r in runs}
    for entry in res["tests"]:
        for row in entry["runs"]:
            v = row["vs_first"] or {}
            ci = v.get("ratio_ci") or [None, None]
            dci = v.get("diff_ci") or [None, None]
            w.writerow([entry["name"], entry["reason"], row["label"], names[row["label"]], row["status"],
                        row["trials"], row["iterations"], row["median"], row["p10"], row["p90"],
                        None if row["cv"] is None else row["cv"] * 100,
                        v.get("ratio"), v.get("change_pct"), ci[0], ci[1], dci[0], dci[1],
                        v.get("p"), v.get("verdict", "baseline" if row["label"] == "A" else "-"),
                        int(bool(v.get("regression")))])
    return buf.getvalue()


def render_json(res, runs):
    return json.dumps(res, indent=1) + "\n"


RENDER = {"text": render_text, "markdown": render_markdown, "csv": render_csv, "json": render_json}


# --- writing --------------------------------------------------------------------------

def new_out_dir(runs, out, now):
    """Return (final, temporary) directory; the temporary one is created."""
    if out is not None:
        final = os.path.abspath(out)
        if os.path.lexists(final):
            raise InputError(f"--out {out}: already exists; comparisons are never overwritten: "
                             "choose a new directory")
        parent = os.path.dirname(final)
        if not os.path.isdir(parent):
            raise InputError(f"--out {out}: parent directory {parent} does not exist")
    else:
        parent = os.path.dirname(os.path.abspath(runs[0]["dir"]))
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        final = os.path.join(parent, f"compare-{stamp}")
        n = 0
        while os.path.lexists(final) or os.path.lexists(tmp_name(final)):
            n += 1
            final = os.path.join(parent, f"compare-{stamp}-{n}")
    tmp = tmp_name(final)
    try:
        os.mkdir(tmp)
    except OSError as e:
        raise InputError(f"cannot create {tmp}: {e}; choose another place with --out DIR") from e
    return final, tmp


def tmp_name(final):
    return os.path.join(os.path.dirname(final), "." + os.path.basename(final) + ".partial")


def write_outputs(res, runs, names, final, tmp):
    import plot  # here, not at the top: plot imports this module
    for fname, fmt in zip(FILES, ("text", "markdown", "csv", "json")):
        with open(os.path.join(tmp, fname), "w", encoding="utf-8") as f:
            f.write(RENDER[fmt](res, runs))
    try:
        message = plot.write_plot(tmp, runs, plot.series(runs, names), title="cycles per exit by run")
    except plot.PlotError as e:
        message = f"warning: {e}"
    if os.path.lexists(final):
        raise InputError(f"{final}: appeared while comparing; left the output in {tmp}")
    os.rename(tmp, final)
    return message


# --- command line -------------------------------------------------------------------------

class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message} (see --help)", file=sys.stderr)
        sys.exit(EXIT_INPUT)


def positive_int(s):
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a whole number") from None
    if v < 100:
        raise argparse.ArgumentTypeError(f"{v} resamples are too few for an interval (at least 100)")
    return v


def percent(s):
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a percentage (e.g. 5 for 5%%)") from None
    if not math.isfinite(v) or v < 0:
        raise argparse.ArgumentTypeError(f"{s!r}: a percentage of 0 or more, e.g. 5 for 5%%")
    return v


def alpha_value(s):
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a number") from None
    if not 0 < v < 0.5:
        raise argparse.ArgumentTypeError(f"{s!r}: alpha must be between 0 and 0.5, e.g. 0.05")
    return v


def seed_value(s):
    try:
        return int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a whole number") from None


def parse_args(argv, prog):
    p = Parser(prog=prog, description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
               usage="%(prog)s [options] RUN_A RUN_B [RUN_C ...]")
    p.add_argument("runs", nargs="*", metavar="RUN", help="run directories (RUN_A is the baseline)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--markdown", dest="format", action="store_const", const="markdown",
                     help="print a Markdown table instead of the text table")
    fmt.add_argument("--csv", dest="format", action="store_const", const="csv",
                     help="print CSV (one row per test and run) instead")
    fmt.add_argument("--json", dest="format", action="store_const", const="json",
                     help="print JSON (everything, with the method) instead")
    p.add_argument("--fail-above", type=percent, metavar="PCT",
                   help="exit 1 when a test is slower than run A beyond noise by more than PCT %%")
    p.add_argument("--out", metavar="DIR", help="write the comparison here (must not exist); "
                   "default: a new compare-<UTC time>/ next to RUN_A")
    p.add_argument("--no-save", action="store_true", help="print only: write no files, no plot")
    p.add_argument("--only-common", action="store_true",
                   help="compare the tests every run has (the others are listed) instead of refusing")
    p.add_argument("--alpha", type=alpha_value, default=0.05,
                   help="significance level of the rank test; the interval is 1-ALPHA (default 0.05)")
    p.add_argument("--bootstrap", type=positive_int, default=2000, metavar="N",
                   help="bootstrap resamples (default 2000)")
    p.add_argument("--seed", type=seed_value, default=1, help="bootstrap seed (default 1)")
    args = p.parse_args(argv)
    if len(args.runs) < 2:
        p.error("give at least two runs: RUN_A (the baseline) and RUN_B")
    if len(args.runs) > 26:
        p.error(f"{len(args.runs)} runs: at most 26 (labelled A-Z)")
    if args.no_save and args.out:
        p.error("--no-save and --out contradict each other")
    args.format = args.format or "text"
    return args


def main(argv, prog="compare"):
    args = parse_args(argv, prog)
    now = datetime.datetime.now(datetime.timezone.utc)
    try:
        runs = load_runs(args.runs)
        names, warnings, notes = check_comparable(runs, args.only_common)
        tests, regressions, test_notes = compare(runs, names, args.alpha, args.bootstrap,
                                                 args.seed, args.fail_above)
        status = EXIT_REGRESSION if regressions else EXIT_OK
        res = {
            "compare_schema_version": COMPARE_SCHEMA_VERSION,
            "created_utc": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "method": {
                "alpha": args.alpha, "confidence_pct": (1 - args.alpha) * 100,
                "rank_test": f"Mann-Whitney U, two-sided, exact up to {stats.EXACT_MAX_N} samples in all",
                "interval": "percentile bootstrap of median(run) - median(A) and of median(run) / median(A)",
                "bootstrap_resamples": args.bootstrap, "seed": args.seed,
                "fail_above_pct": args.fail_above,
            },
            "units": {"median": "TSC cycles per exit", "p10": "TSC cycles per exit",
                      "p90": "TSC cycles per exit", "cv": "fraction (stddev / mean)",
                      "ratio": "x (run / run A)", "change_pct": "%", "ratio_ci": "x",
                      "diff_ci": "TSC cycles per exit"},
            "runs": [{"label": r["label"], "name": r["name"], "dir": os.path.abspath(r["dir"]),
                      "run_id": r["run_id"], **{k: r["metadata"].get(k) for k in
                      ("kernel", "vendor", "environment", "cpu_model", "microcode", "tsc_khz")}}
                     for r in runs],
            "warnings": warnings,
            "notes": notes + test_notes,
            "tests": tests,
            "regressions": regressions,
            "exit_status": status,
        }
        out = RENDER[args.format](res, runs)
        message = None
        if not args.no_save:
            final, tmp = new_out_dir(runs, args.out, now)
            message = write_outputs(res, runs, names, final, tmp)
    except InputError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return EXIT_INPUT
    sys.stdout.write(out)
    if args.format == "csv":
        for w in warnings:
            print(f"{prog}: warning: {w}", file=sys.stderr)
    if not args.no_save:
        if message:
            print(f"{prog}: {message}", file=sys.stderr)
        print(f"{prog}: wrote {final}/ ({', '.join(sorted(os.listdir(final)))})", file=sys.stderr)
    return status
