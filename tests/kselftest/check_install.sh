#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The kselftest collection on this machine: 'make install' into a temporary
# directory, its layout against the kernel tree's own, then that directory's
# run_kselftest.sh with the source tree out of sight (every test, one test
# with -t, summary mode with -s), each output checked by the kernel's KTAP
# parser (tests/kselftest/check_ktap.py); run_all.sh from the installed tree,
# its run imported by ./history; 'make kselftest-tarball' and a run from the
# unpacked archive; bad input. Ends with "N passed, N failed".
# OUT=DIR keeps the installed tree and the KTAP files there (for the report).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
tmp=$(mktemp -d /tmp/exitbench-ksft.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
t0=$(date +%s)
ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }
elapsed() { echo "$(($(date +%s) - t0)) s"; }

ksrc=$(lib/prepare_ksrc.sh)
kunit=$ksrc/tools/testing/kunit/kunit.py
dest=$tmp/install
tests=()
for src in selftests/exit_*.c; do
	t=${src##*/}
	tests+=("${t%.c}")
done
list=$(IFS=,; echo "${tests[*]}")

echo "# make install INSTALL_PATH=$dest ($(elapsed))"
if make -s install INSTALL_PATH="$dest" >"$tmp/install.log" 2>&1; then
	ok "make install INSTALL_PATH=DIR"
else
	tail -n 20 "$tmp/install.log"
	not_ok "make install failed"
	echo "$pass passed, $fail failed"
	exit 1
fi

# The layout of the kernel's 'make -C tools/testing/selftests install'.
same=1
for f in run_kselftest.sh kselftest/*; do
	[ -e "$ksrc/tools/testing/selftests/$f" ] || continue
	cmp -s "$ksrc/tools/testing/selftests/$f" "$dest/$f" || { same=0; echo "#   $f differs or is missing"; }
done
for f in "$ksrc"/tools/testing/selftests/kselftest/*; do
	[ -e "$dest/kselftest/${f##*/}" ] || { same=0; echo "#   kselftest/${f##*/} not installed"; }
done
if [ "$same" -eq 1 ]; then
	ok "run_kselftest.sh and kselftest/ ($(cd "$dest/kselftest" && echo *)) are the kernel tree's"
else
	not_ok "runner files differ from $ksrc"
fi
expected_list=$(printf 'kvm-exitbench:%s\n' "${tests[@]}" | sort)
if [ "$(sort "$dest/kselftest-list.txt")" = "$expected_list" ]; then
	ok "kselftest-list.txt: the ${#tests[@]} tests of selftests/exit_*.c as kvm-exitbench:NAME"
else
	not_ok "kselftest-list.txt: $(tr '\n' ' ' <"$dest/kselftest-list.txt")"
fi
# The runner's order is the list's (the Makefile's TESTS).
list=$(sed -n 's/^kvm-exitbench://p' "$dest/kselftest-list.txt" | paste -sd,)
missing=()
for t in "${tests[@]}" exitbench_info run_all.sh compare history analysis/summarize.py analysis/plot.py; do
	[ -e "$dest/kvm-exitbench/$t" ] || missing+=("$t")
done
if [ ${#missing[@]} -eq 0 ]; then
	ok "kvm-exitbench/ holds the tests and what run_all.sh needs"
else
	not_ok "kvm-exitbench/ lacks ${missing[*]}"
fi
dynamic=()
for t in "${tests[@]}" exitbench_info; do
	if readelf -l "$dest/kvm-exitbench/$t" | grep -q 'Requesting program interpreter'; then dynamic+=("$t"); fi
done
if [ ${#dynamic[@]} -eq 0 ]; then
	ok "the tests are statically linked (they run on any root filesystem)"
else
	not_ok "dynamically linked: ${dynamic[*]}"
fi
timeout_s=$(sed -n 's/^timeout=//p' "$dest/kvm-exitbench/settings")
if [[ $timeout_s =~ ^[0-9]+$ ]]; then
	ok "settings: timeout=$timeout_s (s per test)"
else
	not_ok "settings: $(cat "$dest/kvm-exitbench/settings")"
fi
if grep -q '^CONFIG_KVM=y$' "$dest/kvm-exitbench/config"; then
	ok "config: $(paste -sd' ' "$dest/kvm-exitbench/config")"
else
	not_ok "config: $(cat "$dest/kvm-exitbench/config")"
fi
# Installing again keeps other collections' entries (the kernel's own install).
echo 'kvm:kvm_binary_stats_test' >>"$dest/kselftest-list.txt"
make -s install INSTALL_PATH="$dest" >/dev/null 2>&1
if grep -qx 'kvm:kvm_binary_stats_test' "$dest/kselftest-list.txt" &&
	[ "$(grep -c '^kvm-exitbench:' "$dest/kselftest-list.txt")" -eq ${#tests[@]} ]; then
	ok "a second install replaces its own entries and keeps another collection's"
else
	not_ok "second install: $(tr '\n' ' ' <"$dest/kselftest-list.txt")"
fi
sed -i '/^kvm:/d' "$dest/kselftest-list.txt"

# run_kselftest.sh with the source tree hidden (a mount namespace with an
# empty tmpfs over it), as on a lab machine that only has the installed tree.
# Through a pipe: the runner appends the tests' output to /dev/stdout.
hidden() {
	if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
		# shellcheck disable=SC2016 # expanded by the inner shell
		unshare -m bash -c 'mount -t tmpfs none "$1" && shift && cd / && "$@"' hidden "$top" "$@"
	else
		(cd / && "$@")
	fi
}
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	n=$(hidden sh -c "ls -A '$top' | wc -l")
	if [ "$n" -eq 0 ]; then
		ok "the source tree is hidden from the runs below"
	else
		not_ok "source tree still visible ($n entries)"
	fi
else
	echo "# the source tree stays visible: hiding it needs root and unshare -m"
fi
run_ksft() {	# NAME ARGS...: DIR/run_kselftest.sh ARGS into $tmp/NAME.ktap
	local name=$1 rc=0 start
	shift
	start=$(date +%s)
	hidden "$dest/run_kselftest.sh" "$@" 2>&1 | cat >"$tmp/$name.ktap" || rc=$?
	echo "# run_kselftest.sh $*: exit $rc, $(($(date +%s) - start)) s, $(grep -c '^ok\|^not ok' "$tmp/$name.ktap") results"
	return "$rc"
}
ktap_check() {	# NAME WHAT TESTS [check_ktap options]
	local name=$1 what=$2 list=$3
	shift 3
	if python3 tests/kselftest/check_ktap.py "$tmp/$name.ktap" --kunit "$kunit" --tests "$list" "$@" \
		>"$tmp/$name.check" 2>&1; then
		ok "$what: $(grep -c '^ok' "$tmp/$name.check") checks ($(grep -o 'Ran [0-9]* tests.*)' "$tmp/$name.check" | head -n 1)"
	else
		grep '^not ok\|^#' "$tmp/$name.check" | head -n 20
		not_ok "$what"
	fi
	grep '^# exit_' "$tmp/$name.check" | sed 's/^/#   /' || true
}

echo "# DIR/run_kselftest.sh: every test, default options ($(elapsed))"
run_ksft all || true
ktap_check all "run_kselftest.sh (all tests): the kernel's parser accepts it, figures in diagnostics" "$list" \
	--print-metrics
echo "# DIR/run_kselftest.sh -t kvm-exitbench:exit_mmio ($(elapsed))"
run_ksft one -t kvm-exitbench:exit_mmio || true
ktap_check one "run_kselftest.sh -t kvm-exitbench:exit_mmio" exit_mmio
echo "# DIR/run_kselftest.sh -s -t kvm-exitbench:exit_io_user -t kvm-exitbench:exit_hlt ($(elapsed))"
run_ksft summary -s -t kvm-exitbench:exit_io_user -t kvm-exitbench:exit_hlt || true
if grep -v '^# selftests: ' "$tmp/summary.ktap" | grep -q '^# '; then
	not_ok "-s: the tests' output should be in output.log, not on stdout"
else
	ok "-s: only the runner's lines on stdout, the tests' output in DIR/output.log"
fi
ktap_check summary "run_kselftest.sh -s" exit_io_user,exit_hlt --log "$dest/output.log"
rc=0
hidden "$dest/run_kselftest.sh" -t kvm-exitbench:exit_nope >"$tmp/nope" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] && grep -q "No such test 'kvm-exitbench:exit_nope'" "$tmp/nope"; then
	ok "-t of an unknown test: the runner's error, exit $rc"
else
	not_ok "-t exit_nope: exit $rc: $(cat "$tmp/nope")"
fi

echo "# DIR/kvm-exitbench/run_all.sh, then ./history import of its run ($(elapsed))"
rc=0
hidden "$dest/kvm-exitbench/run_all.sh" --results "$tmp/results" io_user -t 3 >"$tmp/runall.out" 2>&1 || rc=$?
run=$(find "$tmp/results" -mindepth 1 -maxdepth 1 -name '2*' 2>/dev/null | head -n 1)
# Exit 4: the one test skipped, e.g. 'not measurable here' on a loaded
# software hypervisor; the run directory must be complete all the same.
if { [ "$rc" -eq 0 ] || [ "$rc" -eq 4 ]; } && [ -n "$run" ] &&
	python3 tests/check_summary.py "$run" exit_io_user >"$tmp/sum" 2>&1; then
	ok "installed run_all.sh (exit $rc): $(cat "$tmp/sum")"
else
	tail -n 5 "$tmp/runall.out"
	not_ok "installed run_all.sh: exit $rc"
fi
rc=0
hidden "$dest/kvm-exitbench/run_all.sh" --env qemu-tcg cpuid >"$tmp/runall-env.out" 2>&1 || rc=$?
if [ "$rc" -eq 2 ] && grep -q 'needs the kvm-exitbench source tree' "$tmp/runall-env.out"; then
	ok "installed run_all.sh --env: refused with the reason (exit 2)"
else
	not_ok "installed run_all.sh --env: exit $rc"
fi
if [ -n "$run" ] && hidden "$dest/kvm-exitbench/history" --db "$tmp/h.sqlite" import "$run" >"$tmp/imp" 2>&1 &&
	hidden "$dest/kvm-exitbench/history" --db "$tmp/h.sqlite" runs | grep -q "${run##*/}"; then
	ok "installed ./history imports that run: $(head -n 1 "$tmp/imp" | cut -c 1-100)"
else
	cat "$tmp/imp" 2>/dev/null
	not_ok "installed ./history import"
fi

echo "# make kselftest-tarball ($(elapsed))"
tarball=$tmp/kselftest.tar.gz
rc=0
make -s kselftest-tarball KSFT_TARBALL="$tarball" >"$tmp/tar.log" 2>&1 || rc=$?
if [ "$rc" -eq 0 ] && [ -f "$tarball" ] && [ "$(tar -tzf "$tarball" | cut -d/ -f1 | sort -u)" = kselftest ]; then
	ok "kselftest-tarball: $(du -h "$tarball" | cut -f1), every entry under kselftest/ (as gen_kselftest_tar.sh)"
else
	cat "$tmp/tar.log"
	not_ok "kselftest-tarball: exit $rc"
fi
mkdir "$tmp/unpacked"
tar -xzf "$tarball" -C "$tmp/unpacked"
if diff <(cd "$dest" && find . -path ./output.log -prune -o -print | sort) \
	<(cd "$tmp/unpacked/kselftest" && find . | sort) >"$tmp/tardiff"; then
	ok "the archive holds the installed tree, file for file"
else
	not_ok "archive and installed tree differ: $(head -n 5 "$tmp/tardiff" | tr '\n' ' ')"
fi
hidden "$tmp/unpacked/kselftest/run_kselftest.sh" -t kvm-exitbench:exit_io_user 2>&1 | cat >"$tmp/tarrun.ktap" || true
ktap_check tarrun "the unpacked archive's run_kselftest.sh -t kvm-exitbench:exit_io_user" exit_io_user
# The checker itself on that output, its result line rewritten: a run whose
# only test skipped (kunit.py parse then exits 1) is accepted, a failed one not.
sed -E 's/^(not )?ok 1 (selftests: kvm-exitbench: exit_io_user).*/ok 1 \2 # SKIP/' "$tmp/tarrun.ktap" >"$tmp/skip.ktap"
sed -E 's/^(not )?ok 1 (selftests: kvm-exitbench: exit_io_user).*/not ok 1 \2 # exit=1/' "$tmp/tarrun.ktap" >"$tmp/fail.ktap"
if python3 tests/kselftest/check_ktap.py "$tmp/skip.ktap" --kunit "$kunit" --tests exit_io_user >"$tmp/skip.check" 2>&1 &&
	! python3 tests/kselftest/check_ktap.py "$tmp/fail.ktap" --kunit "$kunit" --tests exit_io_user >"$tmp/fail.check" 2>&1 &&
	grep -q '^not ok - no test failed' "$tmp/fail.check"; then
	ok "check_ktap.py: a run whose one test skipped passes, one whose test failed does not"
else
	grep '^not ok' "$tmp/skip.check" "$tmp/fail.check" | head -n 5
	not_ok "check_ktap.py on a skipped and a failed single-test run"
fi
rc=0
make -s kselftest-tarball KSFT_FORMAT=zip KSFT_TARBALL="$tmp/x" >"$tmp/badfmt" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] && grep -q 'one of tar, targz, tarbz2, tarxz' "$tmp/badfmt"; then
	ok "KSFT_FORMAT=zip: refused with the choices"
else
	not_ok "KSFT_FORMAT=zip: exit $rc"
fi
rc=0
make -s install >"$tmp/nopath" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] && grep -q 'set INSTALL_PATH' "$tmp/nopath"; then
	ok "make install without INSTALL_PATH: refused before building"
else
	not_ok "make install without INSTALL_PATH: exit $rc"
fi

if [ -n "${OUT:-}" ]; then
	mkdir -p "$OUT" && cp -a "$tmp"/*.ktap "$tmp"/*.check "$OUT"/ && echo "# kept the KTAP files in $OUT"
fi
echo "# kselftest collection checks took $(elapsed)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
