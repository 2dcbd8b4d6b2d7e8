#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write a gzip-compressed initramfs (cpio "newc") for a kernel under test.

usage: mkinitramfs.py OUT.cpio.gz ENTRY...

ENTRY is one of
  dir:PATH                 a directory (0755)
  file:PATH=SRC[:MODE]     a copy of SRC (MODE in octal, default SRC's mode)
  link:PATH=TARGET         a symbolic link
  cdev:PATH=MAJOR,MINOR    a character device (0600)

Written without root and byte-for-byte reproducible (every mtime is 0), so
device nodes such as /dev/console need no mknod. Parents must come first.
OUT is written through a temporary name: a failed run leaves no image.
"""
import gzip
import os
import stat
import sys

NEWC_MAGIC = b"070701"


def header(ino, mode, size, name, rdev=(0, 0), nlink=1):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    return NEWC_MAGIC + b"".join(b"%08X" % f for f in fields) + name + b"\0"


def pad4(n):
    return b"\0" * (-n % 4)


class Archive:
    def __init__(self, out):
        self.out = out
        self.ino = 1
        self.seen = set()

    def add(self, path, mode, data=b"", rdev=(0, 0)):
        name = path.strip("/").encode()
        if not name or name in self.seen:
            raise ValueError(f"{path}: empty or duplicate path")
        parent = os.path.dirname(name)
        if parent and parent not in self.seen:
            raise ValueError(f"{path}: parent {parent.decode()} not added first")
        self.seen.add(name)
        nlink = 2 if stat.S_ISDIR(mode) else 1
        h = header(self.ino, mode, len(data), name, rdev, nlink)
        self.out.write(h + pad4(len(h)) + data + pad4(len(data)))
        self.ino += 1

    def trailer(self):
        h = header(0, 0, 0, b"TRAILER!!!")
        self.out.write(h + pad4(len(h)))


def add_entry(arc, spec):
    kind, _, rest = spec.partition(":")
    path, _, arg = rest.partition("=")
    if not path:
        raise ValueError(f"{spec!r}: no path")
    if kind == "dir":
        arc.add(path, stat.S_IFDIR | 0o755)
    elif kind == "file":
        src, _, mode = arg.partition(":")
        with open(src, "rb") as f:
            data = f.read()
        perm = int(mode, 8) if mode else stat.S_IMODE(os.stat(src).st_mode)
        arc.add(path, stat.S_IFREG | perm, data)
    elif kind == "link":
        if not arg:
            raise ValueError(f"{spec!r}: no link target")
        arc.add(path, stat.S_IFLNK | 0o777, arg.encode())
    elif kind == "cdev":
        major, _, minor = arg.partition(",")
        arc.add(path, stat.S_IFCHR | 0o600, rdev=(int(major), int(minor)))
    else:
        raise ValueError(f"{spec!r}: unknown kind {kind!r} (dir, file, link, cdev)")


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stdout if len(argv) > 1 else sys.stderr)
        return 0 if len(argv) > 1 else 2
    out = argv[1]
    tmp = f"{out}.partial.{os.getpid()}"
    try:
        with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb",
                                                   compresslevel=6, mtime=0) as gz:
            arc = Archive(gz)
            for spec in argv[2:]:
                add_entry(arc, spec)
            arc.trailer()
        os.replace(tmp, out)
    except (OSError, ValueError) as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        print(f"mkinitramfs.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
