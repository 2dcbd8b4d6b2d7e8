# SPDX-License-Identifier: GPL-2.0-only
"""./compare: cycles per exit across runs of ./run_all.sh.

Loads each run's summary.json, refuses what cannot be compared (different
vendors, schema versions or units, tests missing from one side, a test whose
expected exit reason changed), then for every test and every run after the
first judges the run's per-trial samples against the first run's with
analysis/stats.py. Prints one format on stdout and writes all of them,
plus the plot (analysis/plot.py), to a new directory.
"""
import argparse
import csv
import datetime
import io
import json
import math
import os
import sys

from analysis import plot
from analysis import stats
from analysis.cli import (EXIT_ERROR, Parser, ToolError, UsageError, check_new_path, run,  # noqa: F401
                          stdout_open, write_stdout)
from analysis.runs import (SCHEMA_VERSION, STATUSES, TOP, InputError, check_comparable,  # noqa: F401
                           dict_diff, is_number, load_runs, read_json, resolve, validate)

COMPARE_SCHEMA_VERSION = 1  # comparison.json, as written here
EXIT_OK, EXIT_REGRESSION, EXIT_INPUT = 0, 1, 2
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

Output (stdout: one format, --format or --markdown/--csv; all of them are
written to the output directory; --json FILE also writes the JSON to FILE):
  test, run (A = baseline), status (numbers only for pass), trials,
  median and p10..p90 in TSC cycles per exit, CV in %, ratio to A in x
  with the change in %, the bootstrap interval of that ratio in x (in TSC
  cycles when A's median is not positive), p, verdict.
Written: comparison.{txt,md,csv,json} and the bar chart
cycles_per_exit.{png,svg} (gnuplot; without it only .dat and .gp) in
--out DIR or a new compare-<UTC time>/ next to the first run.

Exit status: 0 no regression (always 0 without --fail-above), 1 a test is
slower beyond noise by more than --fail-above PCT, 2 usage or input error
(nothing written), 3 a write failed (stdout or the files; nothing that looks
complete is left)."""


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
    """A cycle figure for a table: never None, nan or a negative number."""
    if v is None or not math.isfinite(v):
        return "-"
    return "<0" if v < 0 else f"{v:.1f}"


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
    known = lambda k: m.get(k) if m.get(k) not in (None, "") else "unknown"  # noqa: E731
    tsc = f"TSC {m['tsc_khz']} kHz" if is_number(m.get("tsc_khz")) else "TSC rate unknown"
    return (f"{r['label']}  {r['name']}: kernel {known('kernel')}, vendor {known('vendor')}, "
            f"{known('environment')}, {known('cpu_model')}, {tsc}")


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
        raise ToolError(f"cannot create {tmp}: {e.strerror or e}; choose another place with --out DIR") from e
    return final, tmp


def tmp_name(final):
    return os.path.join(os.path.dirname(final), "." + os.path.basename(final) + ".partial")


def write_outputs(res, runs, names, tmp):
    """Every file into the temporary directory; the caller renames it."""
    try:
        for fname, fmt in zip(FILES, ("text", "markdown", "csv", "json")):
            with open(os.path.join(tmp, fname), "w", encoding="utf-8") as f:
                f.write(RENDER[fmt](res, runs))
        try:
            return plot.write_plot(tmp, runs, plot.series(runs, names), title="cycles per exit by run")
        except plot.PlotError as e:
            return f"warning: {e}"
    except OSError as e:
        raise ToolError(f"cannot write the comparison in {tmp}: {e.strerror or e}") from e


def remove_tree(path):
    """Take a temporary output away again (a failed write leaves nothing)."""
    for root, dirs, files in os.walk(path, topdown=False):
        for f in files:
            os.unlink(os.path.join(root, f))
        for d in dirs:
            os.rmdir(os.path.join(root, d))
    os.rmdir(path)


# --- command line -------------------------------------------------------------------------

SYNOPSIS = "compare [options] RUN_A RUN_B [RUN_C ...]"


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
        raise argparse.ArgumentTypeError(f"{s!r} is not a percentage (e.g. 5 for 5%)") from None
    if not math.isfinite(v) or v < 0:
        raise argparse.ArgumentTypeError(f"{s!r}: a percentage of 0 or more, e.g. 5 for 5%")
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
               usage="%(prog)s [options] RUN_A RUN_B [RUN_C ...]", synopsis=SYNOPSIS)
    p.add_argument("runs", nargs="*", metavar="RUN", help="run directories (RUN_A is the baseline)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--format", choices=sorted(RENDER), metavar="FMT",
                     help="what to print on stdout: text (default), markdown, csv or json "
                     "(everything, with the method)")
    fmt.add_argument("--markdown", dest="format", action="store_const", const="markdown",
                     help="the same as --format markdown")
    fmt.add_argument("--csv", dest="format", action="store_const", const="csv",
                     help="the same as --format csv (one row per test and run)")
    p.add_argument("--json", metavar="FILE", dest="json_path",
                   help="also write the comparison as JSON to FILE (must not exist), as the "
                   "tests' --json does")
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
    try:
        if args.out is not None:
            check_new_path("--out", args.out, "directory")
        if args.json_path is not None:
            check_new_path("--json", args.json_path)
    except UsageError as e:
        p.error(str(e))
    return args


def write_json_file(path, text):
    """--json FILE through a temporary name; returns it (renamed by commit)."""
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)), "." + os.path.basename(path) + ".partial")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise ToolError(f"cannot write {tmp}: {e.strerror or e}") from e
    return tmp


def compare_main(argv, prog):
    args = parse_args(argv, prog)
    if not stdout_open():
        raise ToolError("stdout is closed: the comparison has nowhere to go (give it a terminal, "
                        "a file or a pipe, or use --out/--json and > /dev/null)")
    now = datetime.datetime.now(datetime.timezone.utc)
    try:
        runs = load_runs(args.runs)
        names, warnings, notes = check_comparable(runs, args.only_common)
        tests, regressions, test_notes = compare(runs, names, args.alpha, args.bootstrap,
                                                 args.seed, args.fail_above)
    except InputError as e:
        raise UsageError(str(e)) from e
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
    message = final = tmp = json_tmp = None
    try:
        if not args.no_save:
            try:
                final, tmp = new_out_dir(runs, args.out, now)
            except InputError as e:
                raise UsageError(str(e)) from e
            message = write_outputs(res, runs, names, tmp)
        if args.json_path:
            json_tmp = write_json_file(args.json_path, render_json(res, runs))
        # stdout before the files get their names: a failed write leaves none.
        write_stdout(out)
        if tmp:
            if os.path.lexists(final):
                raise ToolError(f"{final}: appeared while comparing; nothing written")
            os.rename(tmp, final)
            tmp = None
        if json_tmp:
            try:
                os.link(json_tmp, args.json_path)
            except OSError as e:
                raise ToolError(f"cannot create {args.json_path}: {e.strerror or e}") from e
            os.unlink(json_tmp)
            json_tmp = None
    finally:
        if tmp:
            remove_tree(tmp)
        if json_tmp:
            os.unlink(json_tmp)
    if args.format == "csv":
        for w in warnings:
            print(f"{prog}: warning: {w}", file=sys.stderr)
    if final:
        if message:
            print(f"{prog}: {message}", file=sys.stderr)
        print(f"{prog}: wrote {final}/ ({', '.join(sorted(os.listdir(final)))})", file=sys.stderr)
    if args.json_path:
        print(f"{prog}: wrote {args.json_path}", file=sys.stderr)
    return status


def main(argv, prog="compare"):
    return run(prog, lambda a: compare_main(a, prog), argv)
