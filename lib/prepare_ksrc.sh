#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Make a Linux source tree usable for building the KVM selftest library:
# with no argument, extract Debian's linux-source-6.12 under build/ (installing
# the package when missing); with a tree, check it. Then run `make headers`.
# Prints the tree's path on stdout.
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 [--] [KSRC]
  KSRC  a Linux source tree (default: Debian's linux-source-6.12 extracted
        under build/linux-source-6.12, installed with apt-get if missing);
        the Makefile passes KSRC= after --, so any name is a path
Exit status: 0 the tree's path is on stdout, 2 KSRC is not a usable tree,
3 extracting or preparing it failed.
USAGE
}

case "${1:-}" in
-h | --help) usage; exit 0 ;;
--) shift ;;
-*)
	echo "prepare_ksrc: unknown option '$1'" >&2
	echo "usage: lib/prepare_ksrc.sh [--] [KSRC]; 'lib/prepare_ksrc.sh --help' for more" >&2
	exit 2 ;;
esac
[ $# -le 1 ] || { echo "prepare_ksrc: one KSRC only (got $#)" >&2; exit 2; }

top=$(cd "$(dirname "$0")/.." && pwd)
tarball=/usr/src/linux-source-6.12.tar.xz

if [ $# -ge 1 ] && [ -n "$1" ]; then
	ksrc=$1
	if [ ! -e "$ksrc" ]; then
		echo "prepare_ksrc: KSRC=$ksrc: no such directory; name a Linux source tree" \
		     "(make KSRC=/path/to/linux), or leave KSRC unset to use Debian's linux-source-6.12" >&2
		exit 2
	elif [ ! -d "$ksrc" ]; then
		echo "prepare_ksrc: KSRC=$ksrc: not a directory; name a Linux source tree" \
		     "(make KSRC=/path/to/linux), or leave KSRC unset to use Debian's linux-source-6.12" >&2
		exit 2
	elif [ ! -f "$ksrc/tools/testing/selftests/kvm/lib/kvm_util.c" ]; then
		echo "prepare_ksrc: KSRC=$ksrc is not a Linux source tree with the KVM selftests" \
		     "(no tools/testing/selftests/kvm/lib/kvm_util.c); name a kernel" \
		     "tree, or leave KSRC unset to use Debian's linux-source-6.12" >&2
		exit 2
	fi
	ksrc=$(cd "$ksrc" && pwd)
else
	ksrc=$top/build/linux-source-6.12
	if [ ! -f "$ksrc/.exitbench-extracted" ]; then
		if [ ! -f "$tarball" ]; then
			echo "prepare_ksrc: installing linux-source-6.12 with apt-get" >&2
			if [ "$(id -u)" -ne 0 ]; then
				echo "prepare_ksrc: $tarball is missing and installing it needs root:" \
				     "run 'apt-get install linux-source-6.12' as root, or pass KSRC=/path/to/linux" >&2
				exit 3
			fi
			apt-get install -y linux-source-6.12 >&2 ||
				{ apt-get update >&2 && apt-get install -y linux-source-6.12 >&2; }
		fi
		echo "prepare_ksrc: extracting $tarball into build/ (about 10 s)" >&2
		rm -rf "$ksrc"
		mkdir -p "$top/build"
		tar -C "$top/build" -xf "$tarball"
		touch "$ksrc/.exitbench-extracted"
	fi
fi

if [ ! -f "$ksrc/usr/include/linux/kvm.h" ]; then
	echo "prepare_ksrc: make headers in $ksrc" >&2
	make -C "$ksrc" -s headers >&2
fi
echo "$ksrc"
