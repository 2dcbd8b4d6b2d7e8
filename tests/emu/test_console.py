#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Tests of emu/console.py: the frame protocol and the emulator watchdog.

Fake serial logs and fake "emulators" (shell scripts writing a serial file)
stand in for QEMU and Bochs, so every failure the watchdog must catch
(panic, hang, silence, exit without results, corrupted or truncated frame)
is exercised in seconds. A fake Bochs opens a pseudo-terminal of its own,
as Bochs' term display does, and writes far more screen into it than a
terminal buffers: the run must finish, and (the control) it must block
when console.py cannot find that terminal. Prints ok / not ok lines;
exits 1 on any failure.
"""
import base64
import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONSOLE = os.path.join(HERE, "..", "..", "emu", "console.py")
sys.path.insert(0, os.path.dirname(CONSOLE))
import console  # noqa: E402

failures = 0


def check(cond, what):
    global failures
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures += 1


def archive(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def frame(data, name="results.tar.gz", size=None, digest=None):
    b64 = base64.b64encode(data).decode()
    lines = [f"@@EXB BEGIN {name} {len(data) if size is None else size} "
             f"{hashlib.sha256(data).hexdigest() if digest is None else digest}"]
    lines += ["@@EXB:" + b64[i:i + 76] for i in range(0, len(b64), 76)]
    lines.append(f"@@EXB END {name}")
    return lines


def expect_error(lines, needle, what):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out")
        os.makedirs(out)
        try:
            console.results_from(lines, out)
        except console.ConsoleError as e:
            check(needle in str(e), f"{what}: error says '{needle}' ({e})")
            check(os.listdir(out) == [], f"{what}: nothing unpacked")
            return
        check(False, f"{what}: accepted")


def test_deframe():
    files = {"exit_cpuid.json": b'{"x": 1}\n', "exit_cpuid.status": b"0\n"}
    data = archive(files)
    good = ["boot noise", "@@EXB STAGE test 1/1 exit_cpuid"] + frame(data) + ["@@EXB DONE"]
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out")
        os.makedirs(out)
        console.results_from(good, out)
        got = {f: open(os.path.join(out, f), "rb").read() for f in os.listdir(out)}
        check(got == files, "a good frame unpacks to exactly the files sent")

    # A kernel line between whole frame lines does no harm.
    mixed = good[:4] + ["[   12.3] some kernel message"] + good[4:]
    with tempfile.TemporaryDirectory() as d:
        console.results_from(mixed, d)
        check(sorted(os.listdir(d)) == sorted(files), "a foreign line between frame lines is ignored")

    body = frame(data)
    flipped = body[1][:-2] + ("A" if body[1][-2] != "A" else "B") + body[1][-1]
    expect_error(good[:2] + [body[0], flipped] + body[2:] + ["@@EXB DONE"], "SHA-256 mismatch",
                 "one corrupted base64 character")
    expect_error(good[:2] + [body[0]] + body[2:] + ["@@EXB DONE"], "announced",
                 "a lost data line")
    expect_error(good[:2] + body[:-1] + ["@@EXB DONE"], "truncated", "no END line")
    expect_error(good[:2] + body, "never reached DONE", "no DONE")
    expect_error(["@@EXB DONE"], "without a results.tar.gz frame", "DONE without a frame")
    expect_error(["@@EXB:AAAA", "@@EXB DONE"], "outside a frame", "data outside a frame")
    expect_error(frame(data, size=5) + ["@@EXB DONE"], "announced", "a wrong size")
    expect_error(frame(data, digest="0" * 64) + ["@@EXB DONE"], "SHA-256", "a wrong digest")
    expect_error(["@@EXB BEGIN results.tar.gz 12"] + ["@@EXB DONE"], "malformed frame header",
                 "a malformed header")
    expect_error(frame(archive({"../evil": b"x"})) + ["@@EXB DONE"], "unexpected member",
                 "a path outside the results directory")
    expect_error(frame(b"not a tar") + ["@@EXB DONE"], "cannot unpack", "a frame that is not an archive")


def fake_emulator(d, body):
    """A shell script standing in for the emulator; $1 is the serial file."""
    path = os.path.join(d, "fake-emu.sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nserial=$1\n" + body)
    os.chmod(path, 0o755)
    return path


def run_console(d, body, timeout=20, extra=(), emu=None):
    serial = os.path.join(d, "serial.log")
    out = os.path.join(d, "out")
    emu = emu or fake_emulator(d, body)
    p = subprocess.run([sys.executable, CONSOLE, "run", "--serial", serial, "--out", out,
                        "--timeout", str(timeout), "--label", "fake", *extra, "--", emu, serial],
                       capture_output=True, text=True, timeout=120)
    return p, out


# A fake Bochs: opens /dev/ptmx itself (Bochs' term display, built with the
# debugger, does), says which terminal on stderr, writes SCREEN_BYTES of
# "screen" into it (a terminal buffers some kilobytes: without a reader
# this blocks in write(), as Bochs does after 7-10 minutes), then the
# serial lines. ANNOUNCE=0 hides the terminal's name (the control).
FAKE_BOCHS = r"""#!/usr/bin/env python3
import ctypes, os, sys, time
serial, lines, announce = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
libc = ctypes.CDLL(None)
libc.ptsname.restype = ctypes.c_char_p
m = os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY)
libc.grantpt(m)
libc.unlockpt(m)
name = libc.ptsname(m).decode()
print("Bochs connected to screen \"%s\"" % name if announce else "Bochs connected", file=sys.stderr, flush=True)
# Until a reader has the terminal open (the master polls POLLHUP while no
# one has): written before its raw mode, the screen would be echoed back
# here, where nobody reads it, and block on that instead.
import select
pl = select.poll()
pl.register(m, select.POLLOUT)
for _ in range(300 if announce else 0):
    if not any(ev & select.POLLHUP for _, ev in pl.poll(0)):
        break
    time.sleep(0.01)
time.sleep(0.2 if announce else 0)
with open(serial, "a") as f:
    f.write("@@EXB STAGE init: fake bochs\n")
chunk = b"[H" + b"x" * 4093
for i in range(SCREEN_BYTES // len(chunk)):
    os.write(m, chunk)
with open(serial, "a") as f:
    f.write(open(lines).read())
time.sleep(0.5)
"""
SCREEN_BYTES = 2 << 20


def test_run():
    data = archive({"exit_hlt.status": b"0\n"})
    lines = ["booting"] + ["@@EXB STAGE init: 6.12"] + frame(data) + ["@@EXB DONE"]
    script = "".join(f"echo '{line}' >>\"$serial\"\n" for line in lines)
    with tempfile.TemporaryDirectory() as d:
        p, out = run_console(d, script + "sleep 0.5\nexit 0\n")
        check(p.returncode == 0 and os.path.exists(os.path.join(out, "exit_hlt.status")),
              f"run: results received from a clean power-off (exit {p.returncode}: {p.stderr[-300:]})")
        check("init: 6.12" in p.stderr and " s] fake:" in p.stderr, "run: stages shown with elapsed time")
        check(os.path.exists(os.path.join(out, "console.log")), "run: console.log kept")

    with tempfile.TemporaryDirectory() as d:
        p, out = run_console(d, "echo '@@EXB STAGE test 3/9 exit_cpuid' >>\"$serial\"\n"
                                "echo 'Kernel panic - not syncing: Attempted to kill init!' >>\"$serial\"\n"
                                "sleep 60\n")
        check(p.returncode == 3 and "kernel panic" in p.stderr and "test 3/9 exit_cpuid" in p.stderr
              and "Attempted to kill init" in p.stderr,
              f"run: a panic ends the run naming the stage and quoting the console ({p.stderr[-200:]!r})")
        check(not any(f.endswith(".json") for f in os.listdir(out)), "run: no results after a panic")

    with tempfile.TemporaryDirectory() as d:
        p, out = run_console(d, "echo '@@EXB STAGE test 1/2 exit_hlt' >>\"$serial\"\nsleep 60\n", timeout=3)
        check(p.returncode == 3 and "timed out after 3 s" in p.stderr and "exit_hlt" in p.stderr,
              f"run: a hang ends at the timeout ({p.stderr[-200:]!r})")

    with tempfile.TemporaryDirectory() as d:
        p, out = run_console(d, "echo 'early boot line' >>\"$serial\"\necho 'bochs: fatal' >&2\nexit 3\n")
        check(p.returncode == 3 and "exited (status 3) before the results" in p.stderr
              and "bochs: fatal" in p.stderr and "early boot line" in p.stderr,
              f"run: an emulator that dies is reported with its own output ({p.stderr[-200:]!r})")

    bad = ["@@EXB STAGE init"] + frame(data, digest="f" * 64) + ["@@EXB DONE"]
    with tempfile.TemporaryDirectory() as d:
        p, out = run_console(d, "".join(f"echo '{line}' >>\"$serial\"\n" for line in bad))
        check(p.returncode == 3 and "SHA-256 mismatch" in p.stderr,
              f"run: a corrupted frame fails the run ({p.stderr[-200:]!r})")

    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "out"))
        p, out = run_console(d, "exit 0\n")
        check(p.returncode == 3 and "never overwritten" in p.stderr, "run: an existing --out is refused")

    # Silence: before the first line, and after one.
    with tempfile.TemporaryDirectory() as d:
        p, out = run_console(d, "sleep 60\n", extra=("--silence-boot", "2", "--silence", "30"))
        check(p.returncode == 3 and "no console output for 2 s since the start" in p.stderr,
              f"run: a boot that prints nothing ends at --silence-boot ({p.stderr[-200:]!r})")
    with tempfile.TemporaryDirectory() as d:
        p, out = run_console(d, "echo '@@EXB STAGE test 2/9 exit_hlt' >>\"$serial\"\n"
                                "echo '@@EXB PROGRESS exit_hlt: trial 3 of 11 (5 s)' >>\"$serial\"\n"
                                "sleep 60\n", extra=("--silence-boot", "30", "--silence", "2"))
        check(p.returncode == 3 and "no console output for 2 s after the last line" in p.stderr
              and "stage reached: test 2/9 exit_hlt" in p.stderr and "trial 3 of 11" in p.stderr,
              f"run: a guest that goes quiet ends at --silence, naming the stage and showing progress "
              f"({p.stderr[-300:]!r})")
    with tempfile.TemporaryDirectory() as d:
        p, out = run_console(d, "for i in 1 2 3 4; do echo \"@@EXB PROGRESS $i\" >>\"$serial\"; sleep 1; done\n"
                             + script + "sleep 0.5\n", extra=("--silence", "3"))
        check(p.returncode == 0, f"run: progress every second keeps a 4 s run under a 3 s silence bound "
                                 f"alive (exit {p.returncode}: {p.stderr[-200:]!r})")

    # Bochs' own terminal: drained, so the emulator never blocks on it.
    for announce in ("1", "0"):
        with tempfile.TemporaryDirectory() as d:
            lines_file = os.path.join(d, "lines")
            with open(lines_file, "w") as f:
                f.write("\n".join(frame(data) + ["@@EXB DONE"]) + "\n")
            emu = os.path.join(d, "fake-bochs.py")
            with open(emu, "w") as f:
                f.write(FAKE_BOCHS.replace("SCREEN_BYTES", str(SCREEN_BYTES)))
            os.chmod(emu, 0o755)
            serial = os.path.join(d, "serial.log")
            out = os.path.join(d, "out")
            t0 = time.monotonic()
            p = subprocess.run([sys.executable, CONSOLE, "run", "--serial", serial, "--out", out,
                                "--timeout", "40", "--silence", "4", "--label", "fake", "--",
                                emu, serial, lines_file, announce],
                               capture_output=True, text=True, timeout=120)
            took = time.monotonic() - t0
            if announce == "1":
                m = re.search(r"(\d+) bytes of the emulator's screen drained", p.stderr)
                check(p.returncode == 0 and os.path.exists(os.path.join(out, "exit_hlt.status"))
                      and m and int(m.group(1)) > SCREEN_BYTES // 2,
                      f"run: a fake Bochs writing {SCREEN_BYTES >> 20} MiB into its own terminal finishes "
                      f"in {took:.1f} s (exit {p.returncode}: {p.stderr[-300:]!r})")
            else:
                check(p.returncode == 3 and "no console output for 4 s" in p.stderr,
                      f"control: the same fake Bochs with its terminal unread blocks until the silence "
                      f"bound ({took:.1f} s, exit {p.returncode}: {p.stderr[-200:]!r})")


def main():
    test_deframe()
    test_run()
    print(f"{'FAIL' if failures else 'PASS'}: console.py, {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
