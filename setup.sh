#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Install what building and running kvm-exitbench needs on Debian 12 (root).
# Does nothing when everything is already there.
set -euo pipefail

case "${1:-}" in
-h|--help)
	echo "usage: $0     install the Debian packages kvm-exitbench needs (as root)"
	echo "Exit status: 0 everything is there, 2 usage error, 3 packages are missing and cannot be installed."
	exit 0 ;;
"") ;;
*)
	echo "setup.sh: unexpected argument '$1' (setup.sh takes none)" >&2
	echo "usage: ./setup.sh; './setup.sh --help' for more" >&2
	exit 2 ;;
esac

need=()
# Harness: gcc make libc6-dev python3 xz-utils linux-source-6.12 util-linux.
# Kernel under test: flex bison bc libelf-dev libssl-dev.
# Emulators and initramfs: qemu-system-x86 bochs bochsbios vgabios bochs-term
# isolinux syslinux-common xorriso cpio busybox-static. Plots: gnuplot-nox.
# Tests: python3-scipy (./compare's statistics checked against SciPy's);
# kernel/check.sh: python3-ply (checkpatch's SPDX check), python3-docutils
# (the series' documentation).
pkgs=(gcc make libc6-dev python3 xz-utils linux-source-6.12 util-linux
	flex bison bc libelf-dev libssl-dev
	qemu-system-x86 bochs bochsbios vgabios bochs-term isolinux syslinux-common
	xorriso cpio busybox-static gnuplot-nox
	python3-scipy python3-ply python3-docutils)
for pkg in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "setup.sh: missing packages: ${need[*]}; run as root or install them: apt-get install ${need[*]}" >&2
	exit 3
fi
echo "setup.sh: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${need[@]}" >&2 ||
	{ apt-get update >&2 && apt-get install -y --no-install-recommends "${need[@]}" >&2; } ||
	{ echo "setup.sh: apt-get could not install ${need[*]} (see above)" >&2; exit 3; }
