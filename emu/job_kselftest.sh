# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# A job for emu/init.sh (tests/kselftest/check_emu.sh boots it): the
# kselftest collection run inside the kernel under test as a lab runs it.
# The archive of 'make kselftest-tarball' (/exitbench/kselftest.tar.gz) is
# unpacked and its run_kselftest.sh runs every test, then one test (-t), then
# one test in summary mode (-s); each run's KTAP and exit status go to
# /results. run.conf may set KSELFTEST_<TEST>_ARGS (the runner's own way to
# pass a test its options).

# The runner times each test with /usr/bin/timeout --foreground (coreutils).
# Busybox's timeout lacks --foreground (which only matters on a terminal):
# drop it, so that the settings file's timeout applies here too. A test
# timed out this way ends with SIGTERM (exit=143 in its KTAP line).
mkdir -p /usr/bin
# shellcheck disable=SC2016 # the wrapper's own "$1" and "$@"
printf '#!/bin/sh\n[ "$1" = --foreground ] && shift\nexec /bin/busybox timeout "$@"\n' >/usr/bin/timeout
chmod 755 /usr/bin/timeout

# The runner appends the tests' output to /dev/stdout; devtmpfs has no
# /dev/stdout, /dev/stderr, /dev/fd (udev or systemd makes them elsewhere).
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr

say "STAGE kselftest: unpacking the collection"
mkdir -p /opt
tar -xzf /exitbench/kselftest.tar.gz -C /opt
cd /opt/kselftest || exit 1
kvm-exitbench/exitbench_info --json /results/metadata.json 2>/results/exitbench_info.stderr
./run_kselftest.sh --list >/results/kselftest-list.out 2>&1

# ksft NAME ARGS...: one run of the runner. Through a pipe: the runner opens
# /dev/stdout again for the tests' output, which on a file would overwrite.
# Each test's result line is also a stage line on the console: a whole run
# takes longer than the console's silence bound (emu/boot.sh), one test does
# not.
ksft() {
	name=$1
	shift
	say "STAGE kselftest: run_kselftest.sh $*"
	start=$(date +%s)
	: >"/results/$name.ktap"
	{ ./run_kselftest.sh "$@"; echo $? >"/results/$name.status"; } 2>&1 |
		while IFS= read -r line || [ -n "$line" ]; do
			printf '%s\n' "$line" >>"/results/$name.ktap"
			case $line in
			"ok "* | "not ok "*) say "STAGE kselftest: $name: $line" ;;
			esac
		done
	echo $(($(date +%s) - start)) >"/results/$name.seconds"
}
ksft all
ksft one -t kvm-exitbench:exit_cpuid
ksft summary -s -t kvm-exitbench:exit_io_user
cp output.log /results/summary-output.log
cd /
