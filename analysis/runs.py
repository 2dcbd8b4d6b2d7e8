# SPDX-License-Identifier: GPL-2.0-only
"""Loading runs of ./run_all.sh (their summary.json), checking them, and
deciding whether several runs can be compared. Used by analysis.compare
(./compare), analysis.plot and analysis.history; imports nothing of theirs."""
import json
import math
import os
import re

SCHEMA_VERSION = 1          # summary.json, as analysis/summarize.py writes it
STATUSES = ("pass", "fail", "skip", "error")
TOP = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


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
        return json.loads(text, parse_constant=_not_a_number)
    except _NotFinite as e:
        m = re.search(r"(?<![\w\"])(-?Infinity|NaN)(?![\w\"])", text)
        line = text.count("\n", 0, m.start()) + 1 if m else "?"
        raise InputError(f"{path}: line {line}: {e} is not a finite number (JSON allows finite "
                         "numbers only); the file is damaged: run ./run_all.sh again") from None
    except ValueError as e:
        raise InputError(f"{path}: not valid JSON ({e}); the file is truncated or damaged: "
                         "run ./run_all.sh again") from e


class _NotFinite(ValueError):
    pass


def _not_a_number(name):
    # Python's json reads NaN and Infinity; no kvm-exitbench file holds them.
    raise _NotFinite(name)


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
            # run_all.sh's .<id>.partial while it runs (when analysis/plot.py draws): name it <id>
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
