# SPDX-License-Identifier: GPL-2.0-only
"""Plots of a boot profile (analysis/profile_report.py), drawn with gnuplot as
analysis/plot.py draws the suite's: for each plot a .dat (the data), a .gp (the
script: `gnuplot NAME.gp` in the run directory redraws) and, with gnuplot,
a .png and an .svg.

- exits_per_s: exits per second by reason over time, stacked: the --top
  reasons with the most exits, the rest as "other"; vertical lines mark the
  VM's start, its first console line, /init, the power-off and its exit.
- totals: exits per reason over the whole boot, on a log scale.
- --nested: exits_per_s_l1 and exits_per_s_l2, the same stacked plot for
  each level (L1: the guest hypervisor itself, L2: its nested guest), and
  totals with two bars per reason, L1 solid and L2 hatched.
"""
import math
import os
import subprocess

from analysis import plot  # analysis/plot.py: gp_str, gnuplot_binary, png_terminal, write_file

MAX_BINS = 500
# Distinct colours, the first for the biggest reason; grey for "other".
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#7f7f7f", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
           "#c5b0d5", "#c49c94", "#f7b6d2", "#9edae5", "#dbdb8d", "#393b79"]
OTHER_COLOUR = "#b0b0b0"
XLABEL = {"bochs": "time since sampling started (s of Bochs' emulated clock, CLOCK_MONOTONIC of the kernel under test)",
          "qemu-tcg": "time since sampling started (s, CLOCK_MONOTONIC of the kernel under test in QEMU TCG)",
          "native": "time since sampling started (s, CLOCK_MONOTONIC)"}
ENV_TITLE = {"bochs": "Bochs (Intel VMX), emulated time", "qemu-tcg": "QEMU TCG (AMD SVM)",
             "native": "native"}


def gp_text_str(s):
    return plot.gp_text_str(s)


def render(out_dir, base, dat, gp):
    """Write BASE.dat and BASE.gp, then draw BASE.png and BASE.svg. Returns
    None when drawn, else a message (no gnuplot, or gnuplot failed: the .dat
    and .gp stay, so `gnuplot BASE.gp` can redraw)."""
    plot.write_file(os.path.join(out_dir, base + ".dat"), dat)
    plot.write_file(os.path.join(out_dir, base + ".gp"), gp)
    gnuplot = plot.gnuplot_binary()
    if not gnuplot:
        return (f"gnuplot not found: wrote {base}.dat and {base}.gp, no PNG or SVG "
                f"(apt-get install gnuplot-nox, then 'gnuplot {base}.gp' in the run directory)")
    tmp = {ext: f".{base}{ext}.partial" for ext in (".png", ".svg")}
    cmd = [gnuplot, "-e", f"png_out = {plot.gp_str(tmp['.png'])}; svg_out = {plot.gp_str(tmp['.svg'])}",
           base + ".gp"]
    try:
        r = subprocess.run(cmd, cwd=out_dir, capture_output=True, text=True, timeout=120)
        ok, err = r.returncode == 0, r.stderr.strip()
    except (OSError, subprocess.SubprocessError) as e:
        ok, err = False, str(e)
    paths = [os.path.join(out_dir, t) for t in tmp.values()]
    if ok and all(os.path.exists(p) and os.path.getsize(p) > 0 for p in paths):
        for ext, t in tmp.items():
            os.rename(os.path.join(out_dir, t), os.path.join(out_dir, base + ext))
        return None
    for p in paths:
        if os.path.exists(p):
            os.unlink(p)
    return f"gnuplot failed on {base}.gp (kept {base}.dat and .gp): " + " | ".join(err.splitlines()[-3:])


def terminals(gnuplot_term_png, w, h):
    return [(f"{gnuplot_term_png} noenhanced size {w},{h} font ',10'", "png_out"),
            (f"svg noenhanced size {w},{h} font 'sans,10'", "svg_out")]


def png_term():
    g = plot.gnuplot_binary()
    return plot.png_terminal(g) if g else "pngcairo"


LEVEL_TITLE = {"l1": "L1 (the guest hypervisor itself)", "l2": "L2 (the nested guest)"}


def delta_of(row, level):
    """A row's exits in its interval: of all levels, or of one (L1 = all - L2)."""
    if level == "l2":
        return row["l2_exits_delta"]
    if level == "l1":
        return row["exits_delta"] - row["l2_exits_delta"]
    return row["exits_delta"]


def series_of(summary, order, top_n, level=None):
    """The reasons drawn on their own (most exits first) and whether there is an 'other'."""
    key = f"{level}_exits" if level else "exits"
    reasons = summary["reasons"] if not level else \
        sorted((r for r in summary["reasons"] if r[key]), key=lambda r: (-r[key], r["rank"]))
    ranked = [(r["reason"], r["name"]) for r in reasons if (r["reason"], r["name"]) in order]
    if len(ranked) <= top_n + 1:
        return ranked, False
    return ranked[:top_n], True


def bins_of(samples, series, other, level=None):
    """Bins of whole sample intervals: (start_s, end_s, exits per series)."""
    ivals = [s for s in samples if float(s["interval_s"]) > 0]
    size = max(1, math.ceil(len(ivals) / MAX_BINS))
    out = []
    for i in range(0, len(ivals), size):
        chunk = ivals[i:i + size]
        end = float(chunk[-1]["time_s"])
        start = float(chunk[0]["time_s"]) - float(chunk[0]["interval_s"])
        vals = []
        for key in series:
            vals.append(sum(delta_of(s["rows"][key], level) for s in chunk if key in s["rows"]))
        if other:
            vals.append(sum(delta_of(r, level) for s in chunk for k, r in s["rows"].items() if k not in series))
        out.append((start, end, vals))
    return out, size


def rate_plot(out_dir, samples, order, summary, top_n, level=None):
    """exits_per_s: all exits; with level l1 or l2 (--nested), exits_per_s_LEVEL: that level's."""
    base = f"exits_per_s_{level}" if level else "exits_per_s"
    series, other = series_of(summary, order, top_n, level)
    names = [f"{k[0]} {k[1]}" for k in series] + (["other"] if other else [])
    bins, size = bins_of(samples, series, other, level)
    total = summary["levels"][level]["exits"] if level else summary["total_exits"]
    interval = summary["sampler"]["interval"]
    lines = ["# kvm-exitbench boot profile: exits per second by reason, stacked"
             + (f", of {LEVEL_TITLE[level]}" if level else ""),
             f"# bins of {size} sample interval(s) of {interval}; each bin is written twice "
             "(its start and its end) so that it draws as a step",
             "# columns: time_s, then the cumulative exits_per_s of: " + "; ".join(names)]
    for start, end, vals in bins:
        dt = end - start
        cum, acc = [], 0.0
        for v in vals:
            acc += v / dt if dt > 0 else 0.0
            cum.append(acc)
        cells = " ".join(f"{c:.3f}" for c in cum)
        lines.append(f"{start:.6f} {cells}")
        lines.append(f"{end:.6f} {cells}")
    dat = "\n".join(lines) + "\n"

    g = summary["guest"]
    marks = [(g["vm_start_s"], "VM start"), (g["first_console_line_s"], "first console line"),
             (g["run_init_s"], "run /init"), (g["power_down_s"], "power down"), (g["vm_exit_s"], "VM exit")]
    env = ENV_TITLE.get(summary["env"], summary["env"])
    bin_ms = size * (summary["sampler"].get("interval_s") or 0) * 1000
    what = f"exits of {LEVEL_TITLE[level]}" if level else "exits in total"
    title = (f"VM exits per second by reason during a {'nested ' if 'levels' in summary else ''}guest boot: "
             f"{env}, vendor {summary['vendor']}\\n"
             f"{total:,} {what}; sampled every {interval}, drawn in bins of {bin_ms:g} ms")
    w, h = 1200, 650
    gp = ["# SPDX-License-Identifier: GPL-2.0-only",
          f"# Written by analysis/profile_plot.py; redraw with: gnuplot {base}.gp",
          f"if (!exists('png_out')) png_out = '{base}.png'",
          f"if (!exists('svg_out')) svg_out = '{base}.svg'",
          f"data = '{base}.dat'",
          f'set title "{title}"',
          f"set xlabel {plot.gp_str(XLABEL.get(summary['env'], XLABEL['native']))}",
          f"set xrange [0:{max([end for _, end, _ in bins] + [0.001]):.6f}]",
          "set ylabel " + plot.gp_str(f"exits/s of {LEVEL_TITLE[level]}" if level else "exits/s"),
          "set format y '%.0f'",
          "set grid ytics",
          "set key outside right top Left reverse box",
          "set style fill solid 0.85 noborder",
          "set yrange [0:*]",
          "set offsets 0, 0, graph 0.12, 0"]
    for i, (t, text) in enumerate(m for m in marks if m[0] is not None):
        gp.append(f"set arrow {i + 1} from {t:.6f}, graph 0 to {t:.6f}, graph 1 nohead dt 2 lc rgb '#404040'")
        gp.append(f"set label {i + 1} {plot.gp_str(text)} at {t:.6f}, graph 0.99 rotate by 90 right "
                  "offset -0.6, 0 font ',8' tc rgb '#404040'")
    n = len(names)
    plots = []
    if not n:  # a level without exits: an empty plot that says so
        gp.append("set label 99 'no exits at this level' at graph 0.5, graph 0.5 center")
        plots.append("0 with lines notitle")
    for i in range(n, 0, -1):
        colour = OTHER_COLOUR if other and i == n else COLOURS[(i - 1) % len(COLOURS)]
        plots.append(f"data using 1:{i + 1} with filledcurves x1 lc rgb '{colour}' "
                     f"title {plot.gp_str(names[i - 1])}")
    for term, var in terminals(png_term(), w, h):
        gp += ["", f"set terminal {term}", f"set output {var}", "plot " + ", \\\n     ".join(plots),
               "set output"]
    return render(out_dir, base, dat, "\n".join(gp) + "\n")


def totals_plot(out_dir, summary):
    reasons = summary["reasons"]
    levels = "levels" in summary
    lines = ["# kvm-exitbench boot profile: exits per reason over the whole boot",
             "# index label exits exits_share_pct" + (" l1_exits l2_exits" if levels else "")]
    for i, r in enumerate(reasons):
        name = f"{r['reason']} {r['name']}".replace('"', "'")
        lines.append(f'{i} "{name}" {r["exits"]} {r["exits_share_pct"]:.3f}'
                     + (f' {r["l1_exits"]} {r["l2_exits"]}' if levels else ""))
    dat = "\n".join(lines) + "\n"
    env = ENV_TITLE.get(summary["env"], summary["env"])
    top = max([r["exits"] for r in reasons] + [10])
    title = (f"VM exits per reason during a guest boot: {env}, vendor {summary['vendor']}\\n"
             f"{summary['total_exits']:,} exits in total (log scale; label: exits, share of all)")
    if levels:
        lv = summary["levels"]
        title = (f"VM exits per reason during a nested guest boot: {env}, vendor {summary['vendor']}\\n"
                 f"{summary['total_exits']:,} exits: {lv['l1']['exits']:,} of L1 (the guest hypervisor, solid), "
                 f"{lv['l2']['exits']:,} of L2 (the nested guest, hatched); log scale; label: exits of all levels")
    w, h = max(700, 60 * len(reasons) + 200), 600
    gp = ["# SPDX-License-Identifier: GPL-2.0-only",
          "# Written by analysis/profile_plot.py; redraw with: gnuplot totals.gp",
          "if (!exists('png_out')) png_out = 'totals.png'",
          "if (!exists('svg_out')) svg_out = 'totals.svg'",
          "data = 'totals.dat'",
          f'set title "{title}"',
          "set logscale y",
          f"set yrange [0.8:{top * 60}]",
          "set ylabel 'exits'",
          "set format y '%.0f'",
          "set grid ytics",
          "set xtics rotate by 45 right",
          f"set xrange [-0.6:{len(reasons) - 0.4}]",
          "set style fill solid 0.8 border -1",
          "unset key"]
    plot_cmd = ("plot data using 1:3:($1 - 0.35):($1 + 0.35):(0.8):3:xtic(2) with boxxyerror lc rgb '#1f77b4', \\\n"
                "     data using 1:3:(sprintf('%d (%.2f%%)', $3, $4)) with labels rotate by 90 left "
                "offset 0, 0.5 font ',8'")
    if levels:
        # Two bars per reason; a level without exits of a reason draws none (log scale).
        gp.append("set key top right")
        plot_cmd = ("plot data using 1:($5 > 0 ? $5 : 1/0):($1 - 0.38):($1 - 0.02):(0.8):($5 > 0 ? $5 : 1/0):xtic(2) "
                    "with boxxyerror fs solid 0.8 lc rgb '#1f77b4' title 'L1: the guest hypervisor', \\\n"
                    "     data using 1:($6 > 0 ? $6 : 1/0):($1 + 0.02):($1 + 0.38):(0.8):($6 > 0 ? $6 : 1/0) "
                    "with boxxyerror lc rgb '#d62728' fs pattern 4 border title 'L2: the nested guest', \\\n"
                    "     data using 1:3:(sprintf('%d (%.2f%%)', $3, $4)) with labels rotate by 90 left "
                    "offset 0, 0.5 font ',8' notitle")
    for term, var in terminals(png_term(), w, h):
        gp += ["", f"set terminal {term}", f"set output {var}", plot_cmd, "set output"]
    return render(out_dir, "totals", dat, "\n".join(gp) + "\n")
