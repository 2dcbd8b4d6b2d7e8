#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check exit_top's files from tests/emu/job_exit_top.sh.

usage: check_exit_top.py DIR patched|stock EXITS

patched: the debugfs sampler and the tracepoint sampler both ran to a clean
  end, and for every reason the debugfs table's growth over the run equals
  what the tracepoint counted (no other VM ran), CPUID at least EXITS; the
  debugfs CSV has the L2 counts, none of them grew (no nested guest ran),
  and the tracepoint's L2 columns are empty (it does not count levels).
stock: the debugfs sampler refused, naming the missing patch series;
  --once fell back to the tracepoint and said why; the tracepoint sampler
  counted at least EXITS CPUID exits.
Prints ok / not ok lines; exits 1 on a failure.
"""
import csv
import os
import sys

failures = 0


def check(cond, what):
    global failures
    print(("ok - " if cond else "not ok - ") + what)
    failures += not cond


def read(d, name):
    with open(os.path.join(d, name), encoding="utf-8", errors="replace") as f:
        return f.read()


def growth(path, column="exits"):
    """{(reason, name): COLUMN's growth over the run} from a --csv log."""
    first, last = {}, {}
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = (row["reason"], row["name"])
            first.setdefault(key, int(row[column]) if row["sample"] == "0" else 0)
            last[key] = int(row[column])
    return {k: last[k] - first[k] for k in last}


def l2_cells(path):
    """The l2_exits cells of a --csv log (None: no such column)."""
    with open(path, encoding="utf-8") as f:
        return [row.get("l2_exits") for row in csv.DictReader(f)]


def main(argv):
    if len(argv) != 4 or argv[2] not in ("patched", "stock"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    d, kind, exits = argv[1], argv[2], int(argv[3])
    vendor_cpuid = None
    tp_ok = read(d, "top-tracepoint.status").strip() == "0"
    check(tp_ok, f"{kind}: the tracepoint sampler ended cleanly: {read(d, 'top-tracepoint.stderr').strip()[:200]}")
    tp = growth(os.path.join(d, "top-tracepoint.csv")) if tp_ok else {}
    for (reason, name), n in tp.items():
        if name.lower() == "cpuid":
            vendor_cpuid = (reason, name)
    check(vendor_cpuid and tp[vendor_cpuid] >= exits,
          f"{kind}: the tracepoint counted {tp.get(vendor_cpuid)} CPUID exits (at least {exits})")
    if kind == "patched":
        check(read(d, "top-debugfs.status").strip() == "0", f"patched: the debugfs sampler ended cleanly")
        db = growth(os.path.join(d, "top-debugfs.csv"))
        diff = {k: (db.get(k, 0), tp.get(k, 0)) for k in set(db) | set(tp)
                if db.get(k, 0) != tp.get(k, 0)}
        check(not diff and db, f"patched: debugfs growth equals the tracepoint's count for every reason "
                               f"({sum(db.values())} exits, {len(db)} reasons; differing: {diff})")
        cells = l2_cells(os.path.join(d, "top-debugfs.csv"))
        l2 = growth(os.path.join(d, "top-debugfs.csv"), "l2_exits") if cells and None not in cells else {}
        check(cells and all(c is not None and c.isdigit() for c in cells) and not any(l2.values()),
              f"patched: the debugfs CSV has L2 counts in all {len(cells)} rows, none grew (no nested "
              f"guest ran): {l2}")
    if tp_ok:
        cells = l2_cells(os.path.join(d, "top-tracepoint.csv"))
        check(cells is not None and all(c == "" for c in cells),
              f"{kind}: the tracepoint CSV leaves its L2 columns empty in all {len(cells)} rows (no levels)")
    else:
        err = read(d, "top-debugfs.stderr")
        check(read(d, "top-debugfs.status").strip() != "0" and
              "does not have the exit-stats patch series" in err,
              f"stock: the debugfs sampler refuses and names what is missing: {err.strip()[:160]}")
        once = read(d, "top-once.txt")
        check(read(d, "top-once.status").strip() == "0" and "tracepoint" in once and
              "does not have the exit-stats patch series" in once,
              f"stock: --once falls back to the tracepoint and says why: {once.splitlines()[:2]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
