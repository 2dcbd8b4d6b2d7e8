#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Bar chart of TSC cycles per exit: one panel per test, one bar per run
(the median over trials), whiskers from p10 to p90.

usage: plot.py RUN_DIR [RUN_DIR ...] [--out DIR]

Writes cycles_per_exit.dat (the data, gnuplot's format), cycles_per_exit.gp
(the script: `gnuplot cycles_per_exit.gp` in that directory redraws) and,
with gnuplot (Debian: gnuplot-nox), cycles_per_exit.png and .svg, into
RUN_DIR (one run) or --out DIR (an existing directory). Existing files are
never overwritten; each file is written under a temporary name, then renamed.
Tests that did not pass in a run get no bar, only their status under it.
The runs must hold the same tests (as in ./compare); for several runs, use
./compare, which writes this chart next to its table.

Exit status: 0 written (without gnuplot: the .dat and .gp only, said on
stderr), 2 usage or input error, 3 gnuplot failed (the .dat and .gp are kept).
Environment: EXITBENCH_GNUPLOT names the gnuplot binary (default gnuplot).
"""
import math
import os
import shutil
import subprocess
import sys

from analysis import runs as runlib  # noqa: E402 (loading and checks)
from analysis import stats  # noqa: E402

BASE = "cycles_per_exit"
OUTPUTS = [BASE + ext for ext in (".dat", ".gp", ".png", ".svg")]


def series(runs, names):
    """Per test, per run: label, status, median, p10, p90 (TSC cycles)."""
    out = []
    for name in names:
        bars = []
        for r in runs:
            t = r["tests"].get(name)
            if t is None:
                bars.append({"label": r["label"], "status": "missing"})
            elif t["status"] != "pass":
                bars.append({"label": r["label"], "status": t["status"]})
            else:
                xs = t["samples"]
                bars.append({"label": r["label"], "status": "pass", "median": stats.median(xs),
                             "p10": stats.quantile(xs, 0.10), "p90": stats.quantile(xs, 0.90)})
        out.append({"test": name, "bars": bars})
    return out


def gp_str(s):
    """A gnuplot single-quoted string."""
    return "'" + str(s).replace("'", "''") + "'"


def dat_text(runs, ser):
    lines = ["# kvm-exitbench: cycles per exit in TSC cycles, median over trials, p10 and p90",
             "# one block per test (gnuplot 'index' N); '?' where the test did not pass",
             "# runs: " + ", ".join(f"{r['label']} = {r['name']}" for r in runs)]
    for i, s in enumerate(ser):
        lines += ["", ""] if i else [""]
        lines.append(f"# index {i}: {s['test']}")
        lines.append("# run_index run median_tsc_cycles p10_tsc_cycles p90_tsc_cycles status")
        for j, b in enumerate(s["bars"]):
            if b["status"] == "pass":
                lines.append(f"{j} {b['label']} {b['median']:.3f} {b['p10']:.3f} {b['p90']:.3f} pass")
            else:
                lines.append(f"{j} {b['label']} ? ? ? {b['status']}")
    return "\n".join(lines) + "\n"


def y_range(bars):
    vals = [v for b in bars if b["status"] == "pass" for v in (b["median"], b["p10"], b["p90"])]
    if not vals:
        return None
    lo, hi = min(0.0, min(vals)), max(0.0, max(vals))
    # At least one cycle: a figure of (nearly) nothing gets a visible range too.
    span = max(hi - lo, 1.0)
    return lo - (0.05 * span if lo < 0 else 0), hi + 0.08 * span


def gp_text_str(s):
    """A gnuplot double-quoted string (where \\n is a line break)."""
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def tic_label(bar):
    """Run label, then the median or why there is no bar."""
    below = f"{bar['median']:.0f}" if bar["status"] == "pass" else bar["status"]
    return f"{bar['label']}\n{below}"


def gp_text(runs, ser, title, png_terminal):
    n = len(ser)
    cols = min(4, n)
    rows = math.ceil(n / cols)
    panel_w = max(280, 70 * len(runs) + 140)
    w, h = cols * panel_w, rows * 300 + 40
    legend = ", ".join(f"{r['label']} = {r['name']}" for r in runs)
    head = f"{title}: bar = median over trials, whisker = p10..p90, TSC cycles per exit\n{legend}"
    out = [
        "# SPDX-License-Identifier: GPL-2.0-only",
        "# Written by analysis/plot.py; redraw with: gnuplot " + BASE + ".gp",
        f"if (!exists('png_out')) png_out = {gp_str(BASE + '.png')}",
        f"if (!exists('svg_out')) svg_out = {gp_str(BASE + '.svg')}",
        f"data = {gp_str(BASE + '.dat')}",
        "set datafile missing '?'",
        "set style fill solid 0.7 border -1",
        "set boxwidth 0.6",
        "set grid ytics",
        "set format y '%.0f'",
        "set ylabel 'TSC cycles/exit'",
        f"set xrange [-0.6:{len(runs) - 0.4}]",
        "set tmargin 4",
        "set bmargin 4",
    ]
    body = []
    for i, s in enumerate(ser):
        tics = ", ".join(f"{gp_text_str(tic_label(b))} {j}" for j, b in enumerate(s["bars"]))
        yr = y_range(s["bars"])
        body.append(f"set title {gp_text_str(s['test'])}")
        body.append(f"set xtics ({tics})")
        if yr is None:
            body += ["set yrange [0:1]", "set format y ''",
                     f"set label 1 {gp_text_str('no run passed')} at graph 0.5, 0.5 center",
                     "plot 2 notitle", "unset label 1", "set format y '%.0f'"]
        else:
            body.append(f"set yrange [{yr[0]:.3f}:{yr[1]:.3f}]")
            body.append(f"plot data index {i} using 1:3:($1 + 1) with boxes lc variable notitle, \\")
            body.append(f"     data index {i} using 1:3:4:5 with yerrorbars lc rgb 'black' pt 7 ps 0.4 notitle")
    for term, var in ((f"{png_terminal} noenhanced size {w},{h} font ',9'", "png_out"),
                      (f"svg noenhanced size {w},{h} font 'sans,9'", "svg_out")):
        out += ["", f"set terminal {term}", f"set output {var}",
                f"set multiplot layout {rows},{cols} title {gp_text_str(head)}"]
        out += body
        out += ["unset multiplot", "set output"]
    return "\n".join(out) + "\n"


def gnuplot_binary():
    name = os.environ.get("EXITBENCH_GNUPLOT", "gnuplot")
    return shutil.which(name)


def png_terminal(gnuplot):
    try:
        r = subprocess.run([gnuplot, "-e", "set terminal"], capture_output=True, text=True, timeout=30)
        return "pngcairo" if "pngcairo" in r.stdout + r.stderr else "png"
    except (OSError, subprocess.SubprocessError):
        return "png"


def write_file(path, text):
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".partial")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.rename(tmp, path)


def write_plot(out_dir, runs, ser, title="cycles per exit"):
    """Write the chart into out_dir. Returns a message for the user when the
    PNG and SVG were not drawn (None when they were); raises PlotError when
    gnuplot failed."""
    existing = [f for f in OUTPUTS if os.path.lexists(os.path.join(out_dir, f))]
    if existing:
        raise runlib.InputError(f"{out_dir}: {', '.join(existing)} already exist; "
                                     "plots are never overwritten")
    gnuplot = gnuplot_binary()
    term = png_terminal(gnuplot) if gnuplot else "pngcairo"
    write_file(os.path.join(out_dir, BASE + ".dat"), dat_text(runs, ser))
    write_file(os.path.join(out_dir, BASE + ".gp"), gp_text(runs, ser, title, term))
    if not gnuplot:
        return (f"gnuplot not found ({os.environ.get('EXITBENCH_GNUPLOT', 'gnuplot')}): wrote "
                f"{BASE}.dat and {BASE}.gp, no PNG or SVG; apt-get install gnuplot-nox, then "
                f"run 'gnuplot {BASE}.gp' in {out_dir}")
    tmp = {ext: f".{BASE}{ext}.partial" for ext in (".png", ".svg")}
    cmd = [gnuplot, "-e", f"png_out = {gp_str(tmp['.png'])}; svg_out = {gp_str(tmp['.svg'])}", BASE + ".gp"]
    try:
        r = subprocess.run(cmd, cwd=out_dir, capture_output=True, text=True, timeout=120)
        ok = r.returncode == 0
        err = r.stderr.strip()
    except (OSError, subprocess.SubprocessError) as e:
        ok, err = False, str(e)
    paths = [os.path.join(out_dir, t) for t in tmp.values()]
    if ok and all(os.path.exists(p) and os.path.getsize(p) > 0 for p in paths):
        for ext, t in tmp.items():
            os.rename(os.path.join(out_dir, t), os.path.join(out_dir, BASE + ext))
        return None
    for t in tmp.values():
        if os.path.exists(os.path.join(out_dir, t)):
            os.unlink(os.path.join(out_dir, t))
    raise PlotError(f"gnuplot failed in {out_dir} (kept {BASE}.dat and {BASE}.gp): "
                    + " | ".join(err.splitlines()[-4:]))


class PlotError(Exception):
    pass


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    out = None
    args = []
    rest = list(argv)
    while rest:
        a = rest.pop(0)
        if a == "--out":
            if not rest:
                print("plot.py: --out needs a directory (see --help)", file=sys.stderr)
                return 2
            out = rest.pop(0)
        elif a.startswith("-"):
            print(f"plot.py: unknown option {a!r} (see --help)", file=sys.stderr)
            return 2
        else:
            args.append(a)
    if not args:
        print("plot.py: give a run directory (see --help)", file=sys.stderr)
        return 2
    if out is None and len(args) > 1:
        print("plot.py: several runs need --out DIR (or use ./compare)", file=sys.stderr)
        return 2
    try:
        runs = runlib.load_runs(args)
        names, _, _ = runlib.check_comparable(runs, only_common=False)
        out_dir = out if out is not None else runs[0]["dir"]
        if not os.path.isdir(out_dir):
            raise runlib.InputError(f"{out_dir}: not a directory")
        message = write_plot(out_dir, runs, series(runs, names))
    except runlib.InputError as e:
        print(f"plot.py: {e}", file=sys.stderr)
        return 2
    except PlotError as e:
        print(f"plot.py: {e}", file=sys.stderr)
        return 3
    if message:
        print(f"plot.py: {message}", file=sys.stderr)
    else:
        print(f"plot.py: wrote {os.path.join(out_dir, BASE)}.{{png,svg,dat,gp}}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
