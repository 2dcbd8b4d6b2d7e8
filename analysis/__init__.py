# SPDX-License-Identifier: GPL-2.0-only
"""kvm-exitbench's analysis of results, in Python: the C harness (lib/)
writes per-test JSON; these modules summarize runs (summarize), load and
check them (runs), compare them (stats, compare), draw them (plot), keep
many runs from many hosts in one database (history), report boot profiles
(profile_report, profile_plot).

Imports go one way: runs and stats import nothing of ours; plot imports
runs and stats; compare imports plot, runs and stats; history imports
compare, plot, runs and stats; profile_plot imports plot; profile_report
imports profile_plot (checked by tests/analysis/test_layout.py). Run a module with
'python3 -m analysis.NAME' from the top of the tree (or PYTHONPATH=TOP)."""
