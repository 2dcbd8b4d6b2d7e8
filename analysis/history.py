# SPDX-License-Identifier: GPL-2.0-only
"""./history: the results of many runs of ./run_all.sh, from any number of
hosts and kernels, in one SQLite database, and the questions asked of them.

A run is imported from its summary.json; its identity comes from its
metadata (the run id, the host, the CPU, the kernel, the environment), so
importing it again is a no-op and a different run under the same identity
is refused. Each import is one transaction: every run given is checked
first, then all go in or none does. The whole summary is kept (compressed),
so a stored run can be compared again with ./compare's own code
(analysis/compare.py) and statistics (analysis/stats.py).

The database: PRAGMA application_id = APPLICATION_ID marks it as ours,
PRAGMA user_version holds the schema version; MIGRATIONS bring an older
database up to SCHEMA_VERSION in one transaction (a newer one is refused).
Tables (documented in docs/history.md): runs, results, samples.
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import zlib

from analysis import compare
from analysis import plot
from analysis import runs as runlib
from analysis import stats

APPLICATION_ID = 0x4B584248     # "KXBH": kvm-exitbench history
SCHEMA_VERSION = 1
DEFAULT_DB = os.path.join(runlib.TOP, "results", "history.sqlite")
BUSY_TIMEOUT_S = 120            # a concurrent import waits this long for the lock
EXIT_OK, EXIT_FOUND, EXIT_INPUT = 0, 1, 2
RUN_ID = re.compile(r"^(\d{8}T\d{6}Z)-([a-z0-9-]+)$")
# Metadata that says which run this is: when, where, on what. Everything
# else in summary.json is the run's content.
IDENTITY_KEYS = ("hostname", "cpu_model", "microcode", "tsc_khz", "vendor", "kernel",
                 "kernel_version", "environment")
NO_HOSTNAME = ("", "(none)", "localhost")

# Migration N takes a database at schema N-1 to schema N; run in order,
# in one transaction, from the database's user_version up to SCHEMA_VERSION.
MIGRATIONS = {
    1: """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    identity TEXT NOT NULL UNIQUE,          -- sha256 of the identity metadata
    content_sha256 TEXT NOT NULL,           -- sha256 of the canonical summary.json
    run_id TEXT NOT NULL,                   -- <UTC time>-<env>[-n], from run_all.sh
    started_utc TEXT NOT NULL,              -- from the run id, ISO 8601
    imported_utc TEXT NOT NULL,
    source TEXT NOT NULL,                   -- the path it was imported from
    hostname TEXT,                          -- NULL when the run did not record one
    cpu_model TEXT,
    microcode TEXT,
    vendor TEXT NOT NULL,                   -- vmx, svm, other
    tsc_khz INTEGER,
    environment TEXT NOT NULL,              -- native, bochs, qemu-tcg, qemu-kvm
    kernel TEXT NOT NULL,                   -- uname -r
    kernel_build TEXT,                      -- uname -v
    kernel_image_sha256 TEXT,               -- the bzImage an emulator booted (run_all.sh --env)
    kernel_cmdline TEXT,                    -- its command line
    summary BLOB NOT NULL                   -- zlib-compressed canonical summary.json
);
CREATE INDEX runs_machine ON runs (hostname, cpu_model, environment, started_utc);
CREATE TABLE results (
    run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    test TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'skip', 'error')),
    status_reason TEXT,
    reason TEXT,                            -- expected exit reason, the kernel's name
    trials INTEGER,
    iterations INTEGER,
    median_tsc_cycles REAL,                 -- per exit, median over trials
    p10_tsc_cycles REAL,
    p90_tsc_cycles REAL,
    cv REAL,                                -- stddev / mean
    median_ns REAL,
    verdict TEXT,                           -- attribution: exact, within, mismatch, unverified
    counter_source TEXT,
    exits_expected INTEGER,
    exits_counted INTEGER,
    PRIMARY KEY (run, test)
);
CREATE TABLE samples (
    run INTEGER NOT NULL,
    test TEXT NOT NULL,
    trial INTEGER NOT NULL,                 -- 0-based
    tsc_cycles_per_exit REAL NOT NULL,
    PRIMARY KEY (run, test, trial),
    FOREIGN KEY (run, test) REFERENCES results (run, test) ON DELETE CASCADE
);
""",
}
TABLES = {1: {"runs", "results", "samples"}}


class HistoryError(Exception):
    """Bad input, a refused import or a database that is not ours: exit 2."""


# --- the database ------------------------------------------------------------------

def check_sqlite_file(path):
    if not os.path.exists(path):
        return False
    if os.path.isdir(path):
        raise HistoryError(f"{path}: a directory, not a history database (give a file with --db)")
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as e:
        raise HistoryError(f"{path}: cannot read: {e}") from e
    if not head:
        return False    # an empty file: a new database
    if head != b"SQLite format 3\0":
        raise HistoryError(f"{path}: not an SQLite database, so not a kvm-exitbench history "
                           "(give another file with --db)")
    return True


def connect(path):
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def schema_state(conn, path, target):
    """(application_id, schema version) of the database, after refusing one
    that is another program's, newer than `target`, or damaged."""
    app = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    if app != APPLICATION_ID and (app != 0 or tables or version != 0):
        raise HistoryError(f"{path}: an SQLite database of another program (application_id {app:#x}, "
                           f"tables: {', '.join(sorted(tables)) or 'none'}), not a kvm-exitbench history: "
                           "give another file with --db")
    if version > target:
        raise HistoryError(f"{path}: history schema {version}, newer than this ./history reads ({target}): "
                           "use the kvm-exitbench version that wrote it")
    missing = TABLES.get(version, set()) - tables
    if missing:
        raise HistoryError(f"{path}: schema {version} but tables {', '.join(sorted(missing))} are missing: "
                           "the database is damaged")
    return app, version


def migrate(conn, path, target=SCHEMA_VERSION, migrations=None):
    """Bring the database to schema `target` in one transaction (a fresh
    database gets every migration, an older one the missing ones); return
    the version it had. Reading needs no lock; only a migration takes the
    write lock, and checks again under it (another process may have just
    migrated)."""
    migrations = MIGRATIONS if migrations is None else migrations
    conn.execute("BEGIN")   # one snapshot for the three reads
    try:
        app, version = schema_state(conn, path, target)
    finally:
        conn.execute("COMMIT")
    if app == APPLICATION_ID and version == target:
        return version
    conn.execute("BEGIN IMMEDIATE")
    try:
        app, version = schema_state(conn, path, target)
        if app != APPLICATION_ID:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        for v in range(version + 1, target + 1):
            if v not in migrations:
                raise HistoryError(f"{path}: no migration to schema {v}")
            step = migrations[v]
            if callable(step):
                step(conn)
            else:   # SQL text: statements end with ';' (none holds one inside)
                for statement in step.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {v}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version


def open_db(path, create):
    """Open (and bring up to date) the history at path; create it if asked."""
    exists = check_sqlite_file(path)
    if not exists and not create:
        raise HistoryError(f"{path}: no history database there yet: './history import RUN_DIR...' "
                           "creates it (or give another file with --db)")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        if os.path.abspath(path) != DEFAULT_DB:
            raise HistoryError(f"--db {path}: directory {parent} does not exist")
        os.makedirs(parent, exist_ok=True)
    try:
        conn = connect(path)
        migrate(conn, path)
    except sqlite3.DatabaseError as e:
        raise HistoryError(f"{path}: cannot use this database: {e}") from e
    return conn


# --- runs to import -------------------------------------------------------------------

def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hostname_of(meta):
    h = meta.get("hostname")
    return h if isinstance(h, str) and h not in NO_HOSTNAME else None


def boot_detail(meta, key):
    """What emu/boot.sh recorded of the boot (runs in an emulator only)."""
    d = meta.get("environment_detail")
    v = d.get(key) if isinstance(d, dict) else None
    return v if isinstance(v, str) else None


def identity_of(summary):
    meta = summary["metadata"]
    ident = {"run_id": summary.get("run_id")}
    ident.update({k: meta.get(k) for k in IDENTITY_KEYS})
    ident["hostname"] = hostname_of(meta)
    image = boot_detail(meta, "kernel_image_sha256")
    if image:
        ident["kernel_image_sha256"] = image
    return hashlib.sha256(canonical(ident).encode()).hexdigest()


def started_of(run_id, path):
    m = RUN_ID.match(run_id) if isinstance(run_id, str) else None
    if not m:
        raise HistoryError(f"{path}: run_id {run_id!r} is not '<UTC time>-<env>' as ./run_all.sh "
                           "writes it: not a run of kvm-exitbench")
    t = datetime.datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def expand(args):
    """Run directories (or summary.json files) given; a directory that holds
    runs (results/) stands for every finished run in it."""
    out = []
    for arg in args:
        if os.path.isdir(arg) and not os.path.exists(os.path.join(arg, "summary.json")) \
                and not os.path.basename(os.path.normpath(arg)).endswith(".partial"):
            inner = sorted(d for d in os.listdir(arg) if not d.startswith(".")
                           and os.path.isfile(os.path.join(arg, d, "summary.json")))
            if inner:
                out += [os.path.join(arg, d) for d in inner]
                continue
        out.append(arg)
    return out


def load_for_import(arg):
    """Read, check and key one run; raise HistoryError naming the file."""
    try:
        run_dir, path = runlib.resolve(arg)
        base = os.path.basename(os.path.normpath(os.path.abspath(run_dir)))
        if base.startswith(".") and base.endswith(".partial"):
            raise HistoryError(f"{run_dir}: a run that run_all.sh did not finish: not imported")
        s = runlib.read_json(path)
    except runlib.InputError as e:
        raise HistoryError(str(e)) from e
    if not isinstance(s, dict) or "schema_version" not in s:
        raise HistoryError(f"{path}: no schema_version: not a kvm-exitbench summary.json")
    if s["schema_version"] != runlib.SCHEMA_VERSION:
        raise HistoryError(f"{path}: summary schema_version {s['schema_version']!r}, this ./history "
                           f"imports {runlib.SCHEMA_VERSION}: use the kvm-exitbench version that wrote it")
    try:
        runlib.validate(path, s)
    except runlib.InputError as e:
        raise HistoryError(str(e)) from e
    for key in ("kernel", "environment"):
        if not isinstance(s["metadata"].get(key), str) or not s["metadata"][key]:
            raise HistoryError(f"{path}: metadata.{key} is missing; the summary is damaged")
    started = started_of(s.get("run_id"), path)
    text = canonical(s)
    return {"path": os.path.abspath(path), "summary": s, "started_utc": started,
            "identity": identity_of(s), "content_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "blob": zlib.compress(text.encode(), 9)}


def number_or_none(v):
    return v if runlib.is_number(v) else None


def insert_run(conn, r, now):
    s = r["summary"]
    m = s["metadata"]
    cur = conn.execute(
        "INSERT INTO runs (identity, content_sha256, run_id, started_utc, imported_utc, source, hostname,"
        " cpu_model, microcode, vendor, tsc_khz, environment, kernel, kernel_build, kernel_image_sha256,"
        " kernel_cmdline, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (r["identity"], r["content_sha256"], s["run_id"], r["started_utc"], now, r["path"],
         hostname_of(m), m.get("cpu_model"), m.get("microcode"), m["vendor"],
         number_or_none(m.get("tsc_khz")), m["environment"], m["kernel"], m.get("kernel_version"),
         boot_detail(m, "kernel_image_sha256"), boot_detail(m, "kernel_cmdline"), r["blob"]))
    run = cur.lastrowid
    for t in s["tests"]:
        c = t.get("cycles_per_exit") or {}
        a = t.get("attribution") or {}
        conn.execute(
            "INSERT INTO results (run, test, status, status_reason, reason, trials, iterations,"
            " median_tsc_cycles, p10_tsc_cycles, p90_tsc_cycles, cv, median_ns, verdict, counter_source,"
            " exits_expected, exits_counted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run, t["name"], t["status"], t.get("status_reason"), (t.get("reason") or {}).get("name"),
             len(t["samples"]) if t["status"] == "pass" else None, number_or_none(t.get("iterations")),
             number_or_none(c.get("median")), number_or_none(c.get("p10")), number_or_none(c.get("p90")),
             number_or_none(c.get("cv")), number_or_none((t.get("ns_per_exit") or {}).get("median")),
             a.get("verdict"), a.get("source"), number_or_none(a.get("expected")),
             number_or_none(a.get("counted"))))
        if t["status"] == "pass":
            conn.executemany("INSERT INTO samples (run, test, trial, tsc_cycles_per_exit) VALUES (?, ?, ?, ?)",
                             [(run, t["name"], i, float(x)) for i, x in enumerate(t["samples"])])
    return run


def import_runs(conn, loaded, now):
    """All of `loaded` in one transaction; returns [(item, 'imported' |
    'already there')]. A run already there with other contents is refused
    and nothing is imported."""
    outcome = []
    seen = {}
    conn.execute("BEGIN IMMEDIATE")
    try:
        for r in loaded:
            if r["identity"] in seen:
                first = seen[r["identity"]]
                if first["content_sha256"] != r["content_sha256"]:
                    raise HistoryError(f"{r['path']} and {first['path']}: the same run "
                                       f"({r['summary']['run_id']}) with different contents: nothing imported")
                outcome.append((r, "given twice"))
                continue
            seen[r["identity"]] = r
            row = conn.execute("SELECT content_sha256, source, imported_utc FROM runs WHERE identity = ?",
                               (r["identity"],)).fetchone()
            if row is None:
                insert_run(conn, r, now)
                outcome.append((r, "imported"))
            elif row["content_sha256"] == r["content_sha256"]:
                outcome.append((r, "already there"))
            else:
                raise HistoryError(
                    f"{r['path']}: run {r['summary']['run_id']} is already in the history (imported "
                    f"{row['imported_utc']} from {row['source']}) with other contents: refused, nothing "
                    "imported (a run's results are never replaced)")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return outcome


# --- selecting runs ---------------------------------------------------------------------

def machine_label(row):
    return f"{row['hostname'] or '(no hostname)'} / {row['cpu_model']} / {row['environment']}"


def machine_key(row):
    return (row["hostname"], row["cpu_model"], row["environment"])


def select_runs(conn, args, test=None, kernel=None):
    """Runs matching --host, --cpu, --env (and holding `test`, on `kernel`),
    oldest first."""
    sql = "SELECT runs.* FROM runs"
    where, params = [], []
    if test is not None:
        sql += " JOIN results ON results.run = runs.id AND results.test = ?"
        params.append(test)
    if getattr(args, "host", None):
        where.append("runs.hostname = ?")
        params.append(args.host)
    if getattr(args, "cpu", None):
        where.append("instr(lower(runs.cpu_model), lower(?)) > 0")
        params.append(args.cpu)
    if getattr(args, "env", None):
        where.append("runs.environment = ?")
        params.append(args.env)
    if kernel is not None:
        where.append("runs.kernel = ?")
        params.append(kernel)
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY runs.started_utc, runs.id"
    return conn.execute(sql, params).fetchall()


def filters_text(args):
    parts = [f"--{k} {getattr(args, k)}" for k in ("host", "cpu", "env") if getattr(args, k, None)]
    return " ".join(parts) or "no filter"


def pick_hint(r):
    """The options that select this run's machine."""
    who = f"--host {r['hostname']}" if r["hostname"] else f"--cpu '{r['cpu_model']}'"
    return f"{machine_label(r)} ({who} --env {r['environment']})"


def one_machine(rows, args, what):
    machines = {}
    for r in rows:
        machines.setdefault(machine_key(r), r)
    if not machines:
        raise HistoryError(f"no run {what}matches ({filters_text(args)}): see './history runs'")
    if len(machines) > 1:
        raise HistoryError(f"the runs {what}come from {len(machines)} machines; pick one: "
                           + "; ".join(pick_hint(r) for r in machines.values()))
    return next(iter(machines.values()))


def test_rows(conn, run_ids, test):
    """{run id: (results row, [samples])} for one test."""
    out = {}
    for rid in run_ids:
        row = conn.execute("SELECT * FROM results WHERE run = ? AND test = ?", (rid, test)).fetchone()
        xs = [r[0] for r in conn.execute(
            "SELECT tsc_cycles_per_exit FROM samples WHERE run = ? AND test = ? ORDER BY trial", (rid, test))]
        out[rid] = (row, xs)
    return out


def known_tests(conn):
    return [r[0] for r in conn.execute("SELECT DISTINCT test FROM results ORDER BY test")]


def require_test(conn, test):
    names = known_tests(conn)
    if test not in names:
        raise HistoryError(f"no test '{test}' in the history (tests: {', '.join(names) or 'none yet'})")


def version_key(kernel):
    """Sort 6.1.158 < 6.9 < 6.12.117 < 6.12.117-foo (numbers as numbers)."""
    m = re.match(r"(\d+(?:\.\d+)*)(.*)", kernel or "")
    if not m:
        return ((), kernel or "")
    return (tuple(int(x) for x in m.group(1).split(".")), m.group(2))


def kernel_groups(runs):
    """Runs grouped by kernel: its release (uname -r), and where one release
    comes in several builds (a stock and a patched 6.12.117), the build
    (uname -v, the booted image's sha256); in version order, then in the
    order each build first ran. Labels name the build where needed."""
    builds = {}
    for r in runs:
        b = (r["kernel_build"], r["kernel_image_sha256"])
        builds.setdefault(r["kernel"], [])
        if b not in builds[r["kernel"]]:
            builds[r["kernel"]].append(b)
    groups = {}
    for r in runs:
        b = (r["kernel_build"], r["kernel_image_sha256"])
        label = r["kernel"]
        if len(builds[r["kernel"]]) > 1:
            label += f" [bzImage {b[1][:8]}]" if b[1] else f" [{b[0]}]"
        groups.setdefault((version_key(r["kernel"]), builds[r["kernel"]].index(b), label), []).append(r)
    return [(k[2], v) for k, v in sorted(groups.items(), key=lambda kv: kv[0][:2])]


# --- output -------------------------------------------------------------------------------

def f1(v):
    return "-" if v is None else f"{v:.1f}"


def table(columns, rows):
    """Text table: columns = [(key, header, right-aligned)]."""
    cells = [[h for _, h, _ in columns]] + [[str(r.get(k, "")) for k, _, _ in columns] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(columns))]
    return "\n".join("  ".join(v.rjust(widths[i]) if columns[i][2] else v.ljust(widths[i])
                               for i, v in enumerate(c)).rstrip() for c in cells) + "\n"


def emit(args, title, columns, rows, data, notes=()):
    """Print a query's answer: the text table, or everything as JSON."""
    if args.json:
        json.dump(data, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    out = [title, ""]
    out.append(table(columns, rows).rstrip("\n"))
    out += [f"note: {n}" for n in notes]
    print("\n".join(out))


def pooled(rows_by_run, runs):
    """All trials of the passing runs, and each passing run's median."""
    xs, medians, statuses = [], [], []
    for r in runs:
        row, samples = rows_by_run[r["id"]]
        statuses.append(row["status"])
        if row["status"] == "pass" and samples:
            xs += samples
            medians.append(stats.median(samples))
    return xs, medians, statuses


def judge_pair(a, b, test, args, fail_above=None):
    """./compare's judgement (analysis/compare.vs_first) of samples b against a."""
    return compare.vs_first({"status": "pass", "samples": a}, {"status": "pass", "samples": b}, test, 1,
                            args.alpha, args.bootstrap, args.seed, fail_above)


def ratio_text(v):
    if v is None:
        return "-"
    if v.get("ratio") is None:
        return "n/a (baseline median <= 0)"
    return f"{v['ratio']:.3f}x {v['change_pct']:+.1f}%"


# --- subcommands ----------------------------------------------------------------------------

def cmd_import(args):
    paths = expand(args.runs)
    loaded = [load_for_import(p) for p in paths]    # every run checked before any goes in
    conn = open_db(args.db, create=True)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        outcome = import_runs(conn, loaded, now)
    except sqlite3.OperationalError as e:
        raise HistoryError(f"{args.db}: import failed, nothing imported: {e}") from e
    for r, what in outcome:
        s = r["summary"]
        m = s["metadata"]
        print(f"{what}: {s['run_id']} ({hostname_of(m) or 'no hostname'}, {m.get('cpu_model')}, "
              f"{m['environment']}, kernel {m['kernel']}, {len(s['tests'])} tests) from {r['path']}")
    total = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    n_new = sum(1 for _, w in outcome if w == "imported")
    print(f"history: {n_new} imported, {len(outcome) - n_new} already there; {total} runs in {args.db}",
          file=sys.stderr)
    return EXIT_OK


def cmd_runs(args):
    conn = open_db(args.db, create=False)
    rows = []
    for r in select_runs(conn, args, kernel=args.kernel):
        counts = dict(conn.execute("SELECT status, count(*) FROM results WHERE run = ? GROUP BY status",
                                   (r["id"],)).fetchall())
        rows.append({"run_id": r["run_id"], "started_utc": r["started_utc"],
                     "hostname": r["hostname"] or "-", "cpu_model": r["cpu_model"], "microcode": r["microcode"],
                     "environment": r["environment"], "vendor": r["vendor"], "kernel": r["kernel"],
                     "tsc_khz": r["tsc_khz"], "tests": sum(counts.values()),
                     "passed": counts.get("pass", 0), "identity": r["identity"][:12]})
    columns = [("run_id", "run", False), ("hostname", "host", False), ("cpu_model", "CPU", False),
               ("environment", "env", False), ("vendor", "vendor", False), ("kernel", "kernel", False),
               ("tests", "tests", True), ("passed", "passed", True), ("identity", "identity", False)]
    emit(args, f"runs in {args.db} ({filters_text(args)}): {len(rows)}", columns, rows,
         {"query": "runs", "filters": filters_text(args), "runs": rows})
    return EXIT_OK


def cmd_kernels(args):
    conn = open_db(args.db, create=False)
    require_test(conn, args.test)
    runs = select_runs(conn, args, test=args.test)
    m = one_machine(runs, args, f"of {args.test} ")
    by_run = test_rows(conn, [r["id"] for r in runs], args.test)
    rows, notes, prev = [], [], None
    for label, group in kernel_groups(runs):
        xs, medians, statuses = pooled(by_run, group)
        row = {"kernel": label, "runs": len(group), "trials": len(xs),
               "first_run": group[0]["run_id"], "last_run": group[-1]["run_id"]}
        if xs:
            row.update(median=stats.median(xs), p10=stats.quantile(xs, 0.10), p90=stats.quantile(xs, 0.90),
                       run_median_min=min(medians), run_median_max=max(medians))
            row["vs_previous"] = judge_pair(prev, xs, args.test, args) if prev else None
            prev = xs
        else:
            row.update(median=None, p10=None, p90=None, run_median_min=None, run_median_max=None,
                       vs_previous=None)
        if any(s != "pass" for s in statuses):
            notes.append(f"{label}: " + ", ".join(f"{r['run_id']} {s}" for r, s in zip(group, statuses)
                                                   if s != "pass") + " (not in the figures)")
        rows.append(row)
    text_rows = [{
        "kernel": r["kernel"], "runs": r["runs"], "trials": r["trials"] if r["trials"] else "-",
        "median": f1(r["median"]) if r["trials"] else "no pass",
        "p10..p90": f"{f1(r['p10'])}..{f1(r['p90'])}" if r["trials"] else "-",
        "run medians": f"{f1(r['run_median_min'])}..{f1(r['run_median_max'])}" if r["trials"] else "-",
        "vs previous": ratio_text(r["vs_previous"]),
        "p": compare.fmt_p(r["vs_previous"]["p"]) if r["vs_previous"] else "-",
        "verdict": r["vs_previous"]["verdict"] if r["vs_previous"] else "-",
    } for r in rows]
    columns = [("kernel", "kernel", False), ("runs", "runs", True), ("trials", "trials", True),
               ("median", "median (TSC cycles)", True), ("p10..p90", "p10..p90 (TSC cycles)", True),
               ("run medians", "run medians (TSC cycles)", True), ("vs previous", "vs previous kernel (x, %)", True),
               ("p", "p (rank test)", True), ("verdict", "verdict", False)]
    title = (f"{args.test}: TSC cycles per exit by kernel on {machine_label(m)} (vendor {m['vendor']}); "
             "median and p10..p90 over every trial of the kernel's runs")
    notes.append("vs previous kernel: ./compare's rule (rank test and bootstrap interval, "
                 f"alpha {args.alpha:g}) on the pooled trials of the two kernels")
    emit(args, title, columns, text_rows,
         {"query": "kernels", "test": args.test, "machine": dict(zip(("hostname", "cpu_model", "environment"),
                                                                    machine_key(m))),
          "units": {"median": "TSC cycles per exit", "p10": "TSC cycles per exit", "p90": "TSC cycles per exit"},
          "kernels": rows, "notes": notes}, notes)
    return EXIT_OK


def cmd_hosts(args):
    conn = open_db(args.db, create=False)
    require_test(conn, args.test)
    runs = select_runs(conn, args, test=args.test)
    kernels = sorted({r["kernel"] for r in runs}, key=version_key)
    if not runs:
        raise HistoryError(f"no run of {args.test} matches ({filters_text(args)}): see './history runs'")
    kernel = args.kernel
    if kernel is None:
        if len(kernels) > 1:
            raise HistoryError(f"runs of {args.test} are on {len(kernels)} kernels: pick one with --kernel "
                               f"({', '.join(kernels)})")
        kernel = kernels[0]
    elif kernel not in kernels:
        raise HistoryError(f"no run of {args.test} on kernel {kernel} ({filters_text(args)}; kernels: "
                           f"{', '.join(kernels)})")
    runs = [r for r in runs if r["kernel"] == kernel]
    by_run = test_rows(conn, [r["id"] for r in runs], args.test)
    machines = {}
    for r in runs:
        machines.setdefault(machine_key(r), []).append(r)
    rows = []
    for key, group in sorted(machines.items(), key=lambda kv: tuple(x or "" for x in kv[0])):
        xs, ns, microcodes = [], [], []
        for r in group:
            row, samples = by_run[r["id"]]
            if row["status"] == "pass" and samples:
                xs += samples
                if r["tsc_khz"]:
                    ns += [x * 1e6 / r["tsc_khz"] for x in samples]
            if r["microcode"] not in microcodes:
                microcodes.append(r["microcode"])
        rows.append({"hostname": key[0], "cpu_model": key[1], "environment": key[2],
                     "vendor": group[-1]["vendor"], "microcode": ", ".join(str(x) for x in microcodes),
                     "tsc_mhz": group[-1]["tsc_khz"] / 1000 if group[-1]["tsc_khz"] else None,
                     "runs": len(group), "trials": len(xs),
                     "median": stats.median(xs) if xs else None,
                     "p10": stats.quantile(xs, 0.10) if xs else None,
                     "p90": stats.quantile(xs, 0.90) if xs else None,
                     "median_ns": stats.median(ns) if ns else None})
    fastest = min((r["median_ns"] for r in rows if r["median_ns"] is not None), default=None)
    for r in rows:
        r["vs_fastest_ns"] = r["median_ns"] / fastest if fastest and r["median_ns"] is not None else None
    text_rows = [{
        "host": r["hostname"] or "-", "cpu": r["cpu_model"], "microcode": r["microcode"], "env": r["environment"],
        "vendor": r["vendor"], "tsc": f1(r["tsc_mhz"]), "runs": r["runs"], "trials": r["trials"] or "-",
        "median": f1(r["median"]) if r["trials"] else "no pass",
        "p10..p90": f"{f1(r['p10'])}..{f1(r['p90'])}" if r["trials"] else "-",
        "ns": f1(r["median_ns"]), "vs fastest": f"{r['vs_fastest_ns']:.2f}x" if r["vs_fastest_ns"] else "-",
    } for r in rows]
    columns = [("host", "host", False), ("cpu", "CPU", False), ("microcode", "microcode", False),
               ("env", "env", False), ("vendor", "vendor", False), ("tsc", "TSC (MHz)", True),
               ("runs", "runs", True), ("trials", "trials", True), ("median", "median (TSC cycles)", True),
               ("p10..p90", "p10..p90 (TSC cycles)", True), ("ns", "median (ns)", True),
               ("vs fastest", "vs fastest (x, in ns)", True)]
    notes = ["TSC cycles count at each host's own TSC rate: compare hosts in ns; "
             "emulated environments (bochs, qemu-tcg) do not measure hardware"]
    emit(args, f"{args.test} on kernel {kernel}, by host and CPU ({filters_text(args)})", columns, text_rows,
         {"query": "hosts", "test": args.test, "kernel": kernel,
          "units": {"median": "TSC cycles per exit", "median_ns": "ns per exit", "tsc_mhz": "MHz",
                    "vs_fastest_ns": "x"}, "hosts": rows, "notes": notes}, notes)
    return EXIT_OK


def find_run(conn, ref):
    if re.fullmatch(r"[0-9a-f]{6,64}", ref):
        rows = conn.execute("SELECT * FROM runs WHERE identity LIKE ? ORDER BY started_utc",
                            (ref + "%",)).fetchall()
    else:
        rows = conn.execute("SELECT * FROM runs WHERE run_id = ? ORDER BY started_utc", (ref,)).fetchall()
    if not rows:
        raise HistoryError(f"no run '{ref}' in the history (give a run id or an identity prefix from "
                           "'./history runs')")
    if len(rows) > 1:
        raise HistoryError(f"'{ref}' names {len(rows)} runs: give the identity instead ("
                           + ", ".join(f"{r['identity'][:12]} on {machine_label(r)}" for r in rows) + ")")
    return rows[0]


def summary_of(row):
    return json.loads(zlib.decompress(row["summary"]).decode())


def write_summary(row, directory):
    os.makedirs(directory)
    path = os.path.join(directory, "summary.json")
    with open(path + ".partial", "w", encoding="utf-8") as f:
        json.dump(summary_of(row), f, indent=1)
        f.write("\n")
    os.rename(path + ".partial", path)


def cmd_export(args):
    conn = open_db(args.db, create=False)
    row = find_run(conn, args.run)
    out = os.path.abspath(args.out)
    if os.path.lexists(out):
        raise HistoryError(f"--out {args.out}: already exists; nothing is overwritten")
    if not os.path.isdir(os.path.dirname(out)):
        raise HistoryError(f"--out {args.out}: parent directory does not exist")
    write_summary(row, out)
    print(f"history: wrote {out}/summary.json (run {row['run_id']}, {machine_label(row)})", file=sys.stderr)
    return EXIT_OK


def cmd_latest(args):
    """The latest run on one machine against a baseline, by ./compare itself."""
    conn = open_db(args.db, create=False)
    runs = select_runs(conn, args)
    if args.baseline:
        base = find_run(conn, args.baseline)
        if not any((args.host, args.cpu, args.env)):
            runs = [r for r in runs if machine_key(r) == machine_key(base)]
    m = one_machine(runs, args, "")
    runs = [r for r in runs if machine_key(r) == machine_key(m)]
    latest = runs[-1]
    if args.baseline:
        if base["id"] == latest["id"]:
            raise HistoryError(f"the baseline {base['run_id']} is the latest run on {machine_label(m)}: "
                               "nothing to compare")
    else:
        if len(runs) < 2:
            raise HistoryError(f"only one run on {machine_label(m)} ({latest['run_id']}): give --baseline RUN "
                               "from another machine, or import more runs")
        base = runs[-2]
    with tempfile.TemporaryDirectory(prefix="history-compare.") as tmp:
        dirs = []
        for sub, row in (("A", base), ("B", latest)):
            d = os.path.join(tmp, sub, row["run_id"])
            write_summary(row, d)
            dirs.append(d)
        argv = dirs + ["--alpha", str(args.alpha), "--bootstrap", str(args.bootstrap), "--seed", str(args.seed)]
        if args.fail_above is not None:
            argv += ["--fail-above", str(args.fail_above)]
        if args.only_common:
            argv.append("--only-common")
        if args.format:
            # ./compare's --json takes a FILE; --format names what stdout gets.
            argv += ["--format", args.format]
        argv += ["--out", args.out] if args.out else ["--no-save"]
        print(f"history: latest {latest['run_id']} against baseline {base['run_id']} "
              f"({machine_label(latest)}), with ./compare:", file=sys.stderr)
        return compare.main(argv, prog="history latest")


def parse_since(conn, since):
    """--since: a run id (or identity prefix), a UTC date or time, or a kernel
    release. Returns (kind, value, description)."""
    try:
        row = find_run(conn, since)
        return "time", row["started_utc"], f"run {row['run_id']} ({row['started_utc']})"
    except HistoryError:
        pass
    m = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?Z?)?$", since)
    if m:
        try:
            t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d").replace(
                hour=int(m.group(2) or 0), minute=int(m.group(3) or 0), second=int(m.group(4) or 0))
        except ValueError as e:
            raise HistoryError(f"--since {since}: not a date: {e}") from e
        iso = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        return "time", iso, f"{iso} (UTC)"
    if conn.execute("SELECT 1 FROM runs WHERE kernel = ? LIMIT 1", (since,)).fetchone():
        return "kernel", since, f"kernel {since}"
    kernels = [r[0] for r in conn.execute("SELECT DISTINCT kernel FROM runs")]
    raise HistoryError(f"--since {since}: not a run id, a UTC date (YYYY-MM-DD[THH:MM[:SS]]) or a kernel "
                       f"in the history (kernels: {', '.join(sorted(kernels, key=version_key))})")


def cmd_slower(args):
    """Tests slower beyond noise by more than PCT since X, on every machine."""
    conn = open_db(args.db, create=False)
    kind, value, what = parse_since(conn, args.since)
    runs = select_runs(conn, args)
    machines = {}
    for r in runs:
        machines.setdefault(machine_key(r), []).append(r)
    rows, notes, compared = [], [], 0
    for key, group in sorted(machines.items(), key=lambda kv: tuple(x or "" for x in kv[0])):
        label = machine_label(group[0])
        if kind == "time":
            before = [r for r in group if r["started_utc"] <= value]
        else:
            before = [r for r in group if r["kernel"] == value]
        if not before:
            notes.append(f"{label}: no run at or before {what}: not compared")
            continue
        base, latest = before[-1], group[-1]
        if latest["id"] == base["id"]:
            notes.append(f"{label}: no run after {base['run_id']}: not compared")
            continue
        a, b = summary_of(base), summary_of(latest)
        if a["metadata"]["vendor"] != b["metadata"]["vendor"]:
            notes.append(f"{label}: vendor changed ({a['metadata']['vendor']} -> {b['metadata']['vendor']}): "
                         "not compared")
            continue
        ta = {t["name"]: t for t in a["tests"]}
        for t in b["tests"]:
            name = t["name"]
            if args.test and name != args.test:
                continue
            if name not in ta:
                continue
            if ta[name]["status"] != "pass" or t["status"] != "pass":
                if ta[name]["status"] == "pass":
                    notes.append(f"{label}: {name} {ta[name]['status']} -> {t['status']} "
                                 f"({base['run_id']} -> {latest['run_id']})")
                continue
            compared += 1
            v = compare.vs_first(ta[name], t, name, 1, args.alpha, args.bootstrap, args.seed, args.pct)
            if v.get("regression"):
                rows.append({"machine": label, "test": name, "baseline_run": base["run_id"],
                             "baseline_kernel": base["kernel"], "latest_run": latest["run_id"],
                             "latest_kernel": latest["kernel"], "baseline_median": stats.median(ta[name]["samples"]),
                             "latest_median": stats.median(t["samples"]), **v})
    text_rows = [{
        "machine": r["machine"], "test": r["test"], "from": f"{r['baseline_run']} ({r['baseline_kernel']})",
        "to": f"{r['latest_run']} ({r['latest_kernel']})", "was": f1(r["baseline_median"]),
        "now": f1(r["latest_median"]), "change": ratio_text(r),
        "CI": f"{r['ratio_ci'][0]:.3f}x..{r['ratio_ci'][1]:.3f}x" if r.get("ratio_ci") else "-",
        "p": compare.fmt_p(r["p"]),
    } for r in rows]
    columns = [("machine", "machine", False), ("test", "test", False), ("from", "baseline run (kernel)", False),
               ("to", "latest run (kernel)", False), ("was", "was (TSC cycles)", True),
               ("now", "now (TSC cycles)", True), ("change", "change (x, %)", True),
               ("CI", "interval (x)", True), ("p", "p (rank test)", True)]
    title = (f"slower than {args.pct:g}% since {what}, beyond noise (./compare's rule, alpha {args.alpha:g}): "
             f"{len(rows)} of {compared} test results compared on {len(machines)} machines "
             f"({filters_text(args)}); the latest run of each machine against its last run at {what}")
    emit(args, title, columns, text_rows,
         {"query": "slower", "pct": args.pct, "since": what, "compared": compared,
          "units": {"baseline_median": "TSC cycles per exit", "latest_median": "TSC cycles per exit",
                    "change_pct": "%", "ratio": "x"}, "slower": rows, "notes": notes}, notes)
    return EXIT_FOUND if rows else EXIT_OK


# --- the trend plot -----------------------------------------------------------------------

TREND = "trend"


def dat_str(s):
    """A gnuplot data-file field: double quotes keep spaces in one column."""
    return '"' + str(s).replace('"', "'") + '"'


def trend_dat(test, m, groups):
    lines = [f"# kvm-exitbench history: {test} on {machine_label(m)}, TSC cycles per exit",
             "# index 0: one row per kernel: x kernel median p10 p90 min max runs trials",
             "# index 1: one row per trial: x tsc_cycles_per_exit run", ""]
    for g in groups:
        if g["xs"]:
            xs = g["xs"]
            lines.append(f"{g['x']} {dat_str(g['label'])} {stats.median(xs):.3f} "
                         f"{stats.quantile(xs, 0.10):.3f} {stats.quantile(xs, 0.90):.3f} {min(xs):.3f} "
                         f"{max(xs):.3f} {g['runs']} {len(xs)}")
        else:
            lines.append(f"{g['x']} {dat_str(g['label'])} ? ? ? ? ? {g['runs']} 0")
    lines += ["", ""]
    for g in groups:
        for j, (x, run) in enumerate(g["trials"]):
            # spread the trials a little sideways so that equal values stay visible
            jitter = 0.25 * ((j % 9) / 8 - 0.5)
            lines.append(f"{g['x'] + jitter:.3f} {x:.3f} {run}")
    if not any(g["trials"] for g in groups):
        lines.append("? ? none")
    return "\n".join(lines) + "\n"


def trend_gp(test, m, groups, term):
    n = len(groups)
    w, h = max(640, 110 * n + 200), 480
    tics = ", ".join(f"{plot.gp_text_str(g['label'])} {g['x']}" for g in groups)
    title = (f"{test} on {machine_label(m)}: TSC cycles per exit by kernel\n"
             "box = p10..p90 of the trials, whiskers = min..max, line = median, dots = trials")
    out = [
        "# SPDX-License-Identifier: GPL-2.0-only",
        f"# Written by analysis/history.py; redraw with: gnuplot {TREND}.gp",
        f"if (!exists('png_out')) png_out = {plot.gp_str(TREND + '.png')}",
        f"if (!exists('svg_out')) svg_out = {plot.gp_str(TREND + '.svg')}",
        f"data = {plot.gp_str(TREND + '.dat')}",
        "set datafile missing '?'",
        f"set title {plot.gp_text_str(title)}",
        "set ylabel 'TSC cycles/exit'",
        "set xlabel 'kernel'",
        f"set xrange [-0.6:{n - 0.4}]",
        f"set xtics ({tics}) rotate by -30",
        "set grid ytics",
        "set format y '%.0f'",
        "set boxwidth 0.5",
        "set style fill transparent solid 0.3 border -1",
        "set key top left",
    ]
    body = ["plot data index 0 using 1:4:6:7:5 with candlesticks whiskerbars lc rgb '#1f77b4' "
            "title 'p10..p90 (box), min..max', \\",
            "     data index 0 using 1:3 with linespoints lw 2 pt 7 lc rgb '#d62728' title 'median', \\",
            "     data index 1 using 1:2 with points pt 6 ps 0.5 lc rgb '#555555' title 'trials'"]
    for term_spec, var in ((f"{term} noenhanced size {w},{h} font ',10'", "png_out"),
                           (f"svg noenhanced size {w},{h} font 'sans,10'", "svg_out")):
        out += ["", f"set terminal {term_spec}", f"set output {var}"] + body + ["set output"]
    return "\n".join(out) + "\n"


def cmd_plot(args):
    conn = open_db(args.db, create=False)
    require_test(conn, args.test)
    runs = select_runs(conn, args, test=args.test)
    m = one_machine(runs, args, f"of {args.test} ")
    by_run = test_rows(conn, [r["id"] for r in runs], args.test)
    groups = []
    for i, (label, group) in enumerate(kernel_groups(runs)):
        trials = [(x, r["run_id"]) for r in group for x in (by_run[r["id"]][1]
                                                             if by_run[r["id"]][0]["status"] == "pass" else [])]
        groups.append({"x": i, "label": label, "runs": len(group), "xs": [x for x, _ in trials], "trials": trials})
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = os.path.abspath(args.out or os.path.join(os.path.dirname(os.path.abspath(args.db)),
                                                   f"trend-{args.test}-{now}"))
    if os.path.lexists(out):
        raise HistoryError(f"{out}: already exists; plots are never overwritten: choose a new --out")
    if not os.path.isdir(os.path.dirname(out)):
        raise HistoryError(f"--out {args.out}: parent directory does not exist")
    tmp = os.path.join(os.path.dirname(out), "." + os.path.basename(out) + ".partial")
    os.mkdir(tmp)
    gnuplot = plot.gnuplot_binary()
    term = plot.png_terminal(gnuplot) if gnuplot else "pngcairo"
    plot.write_file(os.path.join(tmp, TREND + ".dat"), trend_dat(args.test, m, groups))
    plot.write_file(os.path.join(tmp, TREND + ".gp"), trend_gp(args.test, m, groups, term))
    message = None
    if not gnuplot:
        message = (f"gnuplot not found: wrote {TREND}.dat and {TREND}.gp only (apt-get install gnuplot-nox, "
                   f"then 'gnuplot {TREND}.gp' in {out})")
    else:
        r = subprocess.run([gnuplot, TREND + ".gp"], cwd=tmp, capture_output=True, text=True, timeout=120)
        drawn = all(os.path.exists(os.path.join(tmp, TREND + e)) and os.path.getsize(os.path.join(tmp, TREND + e))
                    for e in (".png", ".svg"))
        if r.returncode != 0 or not drawn:
            for e in (".png", ".svg"):
                if os.path.exists(os.path.join(tmp, TREND + e)):
                    os.unlink(os.path.join(tmp, TREND + e))
            message = (f"gnuplot failed (kept {TREND}.dat and {TREND}.gp): "
                       + " | ".join(r.stderr.strip().splitlines()[-3:]))
    os.rename(tmp, out)
    print(f"{args.test} on {machine_label(m)}: {len(groups)} kernels, {len(runs)} runs, "
          f"{sum(len(g['xs']) for g in groups)} trials")
    if message:
        print(f"history: {message}", file=sys.stderr)
    print(f"history: wrote {out}/ ({', '.join(sorted(os.listdir(out)))})", file=sys.stderr)
    return EXIT_OK if message is None or not gnuplot else EXIT_FOUND


# --- command line -------------------------------------------------------------------------------

HELP = """\
The results of many runs of ./run_all.sh (any hosts, kernels, environments)
in one SQLite database, and the questions asked of them. TSC cycles per
exit throughout; a "machine" is a host name, a CPU model and an environment
(native, bochs, qemu-tcg, qemu-kvm).

  import RUN_DIR...        add runs (run directories, their summary.json, or a
                           results/ directory meaning every finished run in it);
                           idempotent; all or nothing
  runs                     list the runs (--host, --cpu, --env, --kernel)
  kernels TEST             TEST's cycles per exit over kernel versions on one
                           machine, each kernel judged against the previous one
  hosts TEST --kernel K    the same kernel across hosts and CPUs
  latest [--baseline RUN]  the latest run of one machine against RUN (default:
                           the run before it), by ./compare itself
  slower PCT --since X     tests slower beyond noise by more than PCT % since X
                           (a run id, a UTC date YYYY-MM-DD[THH:MM], or a kernel):
                           each machine's latest run against its last run at X
  plot TEST                trend plot across kernels with the trials' spread
                           (gnuplot; .dat, .gp, .png, .svg in a new directory)
  export RUN --out DIR     write a stored run's summary.json (for ./compare)

Beyond noise means ./compare's rule (docs/compare.md): Mann-Whitney p < ALPHA
and a bootstrap interval of the medians' difference that excludes 0.

Exit status: 0 done; 1 'slower' found a test slower than PCT % (and
'latest --fail-above' as ./compare), or gnuplot failed; 2 usage error, bad
input, a refused import (nothing imported) or a database that is not a
kvm-exitbench history of a schema this version reads."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message} (see --help)", file=sys.stderr)
        sys.exit(EXIT_INPUT)


def parse_args(argv, prog):
    common = Parser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, metavar="FILE",
                        help=f"the history database (default: {os.path.relpath(DEFAULT_DB, runlib.TOP)} "
                        "in the kvm-exitbench tree)")
    select = Parser(add_help=False)
    select.add_argument("--host", help="runs of this host name (metadata.hostname)")
    select.add_argument("--cpu", help="runs on a CPU model containing this text")
    select.add_argument("--env", choices=("native", "bochs", "qemu-tcg", "qemu-kvm"), help="runs in this environment")
    out = Parser(add_help=False)
    out.add_argument("--json", action="store_true", help="print everything as JSON instead of the table")
    judged = Parser(add_help=False)
    judged.add_argument("--alpha", type=compare.alpha_value, default=0.05,
                        help="significance level of the rank test (default 0.05)")
    judged.add_argument("--bootstrap", type=compare.positive_int, default=2000, metavar="N",
                        help="bootstrap resamples (default 2000)")
    judged.add_argument("--seed", type=compare.seed_value, default=1, help="bootstrap seed (default 1)")

    p = Parser(prog=prog, description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
               parents=[common], usage="%(prog)s [--db FILE] COMMAND [options]")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser, prog=prog)
    s = sub.add_parser("import", parents=[common], help="add runs to the history")
    s.add_argument("runs", nargs="+", metavar="RUN_DIR")
    s = sub.add_parser("runs", parents=[common, select, out], help="list the runs")
    s.add_argument("--kernel", help="runs of this kernel release (uname -r)")
    s = sub.add_parser("kernels", parents=[common, select, out, judged], help="a test over kernel versions")
    s.add_argument("test", metavar="TEST", help="an exit test, e.g. exit_cpuid")
    s = sub.add_parser("hosts", parents=[common, select, out], help="a kernel across hosts and CPUs")
    s.add_argument("test", metavar="TEST", help="an exit test, e.g. exit_cpuid")
    s.add_argument("--kernel", help="the kernel release (uname -r); needed when there are several")
    s = sub.add_parser("latest", parents=[common, select, judged], help="the latest run against a baseline")
    s.add_argument("--baseline", metavar="RUN", help="run id or identity prefix (default: the run before)")
    s.add_argument("--fail-above", type=compare.percent, metavar="PCT",
                   help="exit 1 when a test is slower beyond noise by more than PCT %% (as ./compare)")
    s.add_argument("--only-common", action="store_true", help="compare the tests both runs have")
    fmt = s.add_mutually_exclusive_group()
    for f in ("markdown", "csv", "json"):
        fmt.add_argument("--" + f, dest="format", action="store_const", const=f, help=f"print {f} (as ./compare)")
    s.add_argument("--out", metavar="DIR", help="also write ./compare's files and chart here (must not exist)")
    s = sub.add_parser("slower", parents=[common, select, out, judged], help="what got slower since X")
    s.add_argument("pct", type=compare.percent, metavar="PCT", help="threshold in %%, e.g. 5")
    s.add_argument("--since", required=True, metavar="X", help="run id, UTC date or time, or kernel release")
    s.add_argument("--test", help="only this test")
    s = sub.add_parser("plot", parents=[common, select], help="trend plot of a test across kernels")
    s.add_argument("test", metavar="TEST", help="an exit test, e.g. exit_cpuid")
    s.add_argument("--out", metavar="DIR", help="new directory for the plot (default: trend-TEST-<UTC time>/ "
                   "next to the database)")
    s = sub.add_parser("export", parents=[common], help="write a stored run's summary.json")
    s.add_argument("run", metavar="RUN", help="run id or identity prefix")
    s.add_argument("--out", required=True, metavar="DIR", help="new directory (must not exist)")
    args = p.parse_args(argv)
    if args.command is None:
        p.error("give a command (import, runs, kernels, hosts, latest, slower, plot, export)")
    # --db may come before or after the command; the default is applied once.
    args.db = getattr(args, "db", None) or DEFAULT_DB
    return args


COMMANDS = {"import": cmd_import, "runs": cmd_runs, "kernels": cmd_kernels, "hosts": cmd_hosts,
            "latest": cmd_latest, "slower": cmd_slower, "plot": cmd_plot, "export": cmd_export}


def main(argv, prog="history"):
    args = parse_args(argv, prog)
    try:
        return COMMANDS[args.command](args)
    except HistoryError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return EXIT_INPUT
    except sqlite3.DatabaseError as e:
        print(f"{prog}: {args.db}: {e}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], prog="history"))
