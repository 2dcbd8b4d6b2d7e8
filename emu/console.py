#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Watch a kernel under test over its serial console and bring its results back.

usage: console.py run --serial FILE --out DIR --timeout SECONDS --label NAME
                      [--silence-boot SECONDS] [--silence SECONDS]
                      -- EMULATOR-COMMAND...
       console.py deframe SERIAL-LOG OUT-DIR

run: starts the emulator, follows the serial log it writes, prints each
"@@EXB STAGE" and "@@EXB PROGRESS" line with the elapsed time on stderr, and
ends the emulator on a kernel panic, on a timeout, on silence, or once the
guest said DONE. Then, like deframe, it checks the framed archive (size and
SHA-256) and unpacks it into OUT-DIR, which must not exist (it is created).
Any failure (emulator exit without results, panic, timeout, silence, a
corrupted or missing frame) exits 3 with a message naming the stage reached
and the last console lines; OUT-DIR then holds only console.log, never
results that look complete.

A hang is found by silence, not only by --timeout: no console output for
--silence-boot seconds before the first line (the boot), or for --silence
seconds between two lines after it (the tests print progress every few
seconds; the kernel selftests and a profiled VM a heartbeat every 10 s).
Default: 0, no silence bound (emu/boot.sh sets one per emulator).

An emulator's own terminal is never left unread: Bochs' term display opens a
pseudo-terminal ("Bochs connected to screen /dev/pts/N" on its stderr),
writes the VGA screen into it and blocks in write() once its buffer is full
(after 7-10 minutes of a run); console.py opens that terminal and drains it.

Exit status: 0 results received, 2 usage error, 3 the run failed.
The frame protocol is written by emu/init.sh.
"""
import base64
import hashlib
import io
import os
import re
import signal
import subprocess
import sys
import tarfile
import termios
import threading
import time
import tty

PREFIX = "@@EXB"
PANIC_RE = re.compile(r"Kernel panic - not syncing|end Kernel panic")
# Bochs' term display, built with the debugger (Debian's), opens /dev/ptmx
# and prints which terminal it writes the screen to.
SCREEN_RE = re.compile(rb'connected to screen "(/dev/pts/[0-9]+)"')
TAIL_LINES = 15


class ConsoleError(Exception):
    pass


class UsageError(Exception):
    pass


def clean_lines(text):
    return [line.rstrip("\r") for line in text.split("\n")]


def last_lines(lines, n=TAIL_LINES):
    shown = [line for line in lines if not line.startswith(PREFIX + ":")]
    return "\n".join("    | " + line for line in shown[-n:])


def deframe(lines):
    """Return {name: bytes} for every complete, verified frame in @lines."""
    files = {}
    frame = None
    for no, line in enumerate(lines, 1):
        if line.startswith(PREFIX + ":"):
            if frame is None:
                raise ConsoleError(f"console line {no}: frame data outside a frame")
            frame["data"].append(line[len(PREFIX) + 1:].strip())
            continue
        if not line.startswith(PREFIX + " "):
            continue
        words = line.split()
        if len(words) >= 2 and words[1] == "BEGIN":
            if frame is not None:
                raise ConsoleError(f"console line {no}: frame {frame['name']} not ended "
                                   "before the next began")
            if len(words) != 5 or not words[3].isdigit() or not re.fullmatch(r"[0-9a-f]{64}", words[4]):
                raise ConsoleError(f"console line {no}: malformed frame header {line!r}")
            frame = {"name": words[2], "size": int(words[3]), "sha256": words[4], "data": []}
        elif len(words) >= 2 and words[1] == "END":
            if frame is None or len(words) != 3 or words[2] != frame["name"]:
                raise ConsoleError(f"console line {no}: frame end without its beginning: {line!r}")
            try:
                data = base64.b64decode("".join(frame["data"]), validate=True)
            except ValueError as e:
                raise ConsoleError(f"frame {frame['name']}: corrupted base64: {e}") from e
            if len(data) != frame["size"]:
                raise ConsoleError(f"frame {frame['name']}: {len(data)} bytes received, "
                                   f"{frame['size']} announced (corrupted or truncated)")
            if hashlib.sha256(data).hexdigest() != frame["sha256"]:
                raise ConsoleError(f"frame {frame['name']}: SHA-256 mismatch (corrupted in transit)")
            files[frame["name"]] = data
            frame = None
    if frame is not None:
        raise ConsoleError(f"frame {frame['name']}: truncated (no END line; "
                           f"{len(frame['data'])} data lines received)")
    return files


def unpack(archive, out_dir):
    """Unpack the gzip'd tar of result files into @out_dir (plain files only)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            members = tar.getmembers()
            for m in members:
                name = os.path.normpath(m.name)
                if m.isdir() and name == ".":
                    continue
                if not m.isfile() or name.startswith("..") or os.path.isabs(name) or "/" in name:
                    raise ConsoleError(f"results archive: unexpected member {m.name!r}")
            for m in members:
                if m.isfile():
                    data = tar.extractfile(m).read()
                    with open(os.path.join(out_dir, os.path.basename(m.name)), "xb") as f:
                        f.write(data)
    except (tarfile.TarError, OSError, EOFError) as e:
        raise ConsoleError(f"results archive: cannot unpack: {e}") from e


def results_from(lines, out_dir):
    if not any(line.startswith(PREFIX + " DONE") for line in lines):
        raise ConsoleError("no results frame: the guest never reached DONE")
    files = deframe(lines)
    if "results.tar.gz" not in files:
        raise ConsoleError("no results frame: DONE without a results.tar.gz frame")
    unpack(files["results.tar.gz"], out_dir)


class Screen:
    """Drains a terminal the emulator writes its screen to, so that it never
    blocks on it; found in the emulator's own output (emulator.log). A
    thread of its own reads it: a reader in the console loop, between its
    sleeps, takes one terminal buffer (a few KiB) at a time, slower than a
    full-screen redraw is written."""

    def __init__(self, emu_log_path):
        self.emu_log_path = emu_log_path
        self.log_pos = 0
        self.path = None
        self.bytes = 0
        self.thread = None

    def _drain(self, fd):
        # The thread owns @fd: closed here, once the emulator's side is
        # gone (EIO), so that its number is never read after reuse.
        try:
            while True:
                try:
                    data = os.read(fd, 1 << 16)
                except OSError:  # EIO: the emulator closed its side
                    return
                if not data:
                    return
                self.bytes += len(data)
        finally:
            os.close(fd)

    def poll(self):
        if self.path is not None:
            return
        try:
            with open(self.emu_log_path, "rb") as f:
                f.seek(self.log_pos)
                chunk = f.read()
        except OSError:
            return
        m = SCREEN_RE.search(chunk)
        if not m:
            # Keep a line's worth: the announcement may be cut in two.
            self.log_pos += max(0, len(chunk) - 200)
            return
        self.path = m.group(1).decode()
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOCTTY)
            # Raw: a canonical-mode reader would wait for line ends that a
            # screen painter never writes.
            tty.setraw(fd, termios.TCSANOW)
        except OSError as e:
            raise ConsoleError(f"cannot read the emulator's screen terminal {self.path}: {e}; "
                               "it would block the emulator once full") from e
        self.thread = threading.Thread(target=self._drain, args=(fd,), daemon=True)
        self.thread.start()

    def close(self):
        # After the emulator has ended: its side closed, the thread ends.
        if self.thread is not None:
            self.thread.join(2)


class Watch:
    def __init__(self, label, start):
        self.label = label
        self.start = start
        self.stage = "booting the kernel (no console output yet)"
        self.last_output = start
        self.longest = (0.0, self.stage)   # longest silence, and its stage

    def heard(self, now):
        gap = now - self.last_output
        if gap > self.longest[0]:
            self.longest = (gap, self.stage)
        self.last_output = now

    def say(self, what):
        print(f"[{time.monotonic() - self.start:7.1f} s] {self.label}: {what}",
              file=sys.stderr, flush=True)

    def fail(self, why, lines):
        raise ConsoleError(f"{self.label}: {why}\n  stage reached: {self.stage}\n"
                           f"  last console lines:\n{last_lines(lines)}")


def run(serial, out_dir, timeout, label, cmd, silence_boot=0.0, silence=0.0):
    if os.path.exists(out_dir):
        raise ConsoleError(f"{out_dir}: already exists; results are never overwritten")
    os.makedirs(out_dir)
    if os.path.exists(serial):
        os.unlink(serial)
    start = time.monotonic()
    w = Watch(label, start)
    w.say("starting: " + " ".join(cmd[:1]))
    emu_log_path = os.path.join(out_dir, "emulator.log")
    emu_log = open(emu_log_path, "wb")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=emu_log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    screen = Screen(emu_log_path)
    lines = []
    partial = ""
    done_at = None
    panicked = False

    def stop():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    pos = 0

    def read_more():
        nonlocal pos
        if not os.path.exists(serial):
            return b""
        with open(serial, "rb") as f:
            f.seek(pos)
            chunk = f.read()
        pos += len(chunk)
        return chunk

    try:
        while True:
            exited = proc.poll() is not None
            screen.poll()
            chunk = read_more()
            now = time.monotonic()
            if chunk:
                if pos == len(chunk):
                    w.heard(now)
                    w.stage = "kernel booting (console output seen, init not started)"
                    w.say(w.stage)
                w.heard(now)
                new = clean_lines(partial + chunk.decode("utf-8", "replace"))
                partial = new.pop()
                lines += new
                for line in new:
                    if line.startswith(PREFIX + " STAGE "):
                        w.stage = line[len(PREFIX) + 7:]
                        w.say(w.stage)
                    elif line.startswith(PREFIX + " PROGRESS "):
                        w.say("  " + line[len(PREFIX) + 10:])
                    elif line.startswith(PREFIX + " DONE") and done_at is None:
                        done_at = time.monotonic()
                        w.say("results received; waiting for the power-off")
                    elif PANIC_RE.search(line):
                        panicked = True
            if panicked:
                # Let the panic message finish before quoting it.
                time.sleep(1)
                stop()
                w.fail("kernel panic", clean_lines("\n".join(lines) + "\n" + partial +
                                                   read_more().decode("utf-8", "replace")))
            if exited:
                if partial:
                    lines.append(partial)
                break
            if done_at is not None and time.monotonic() - done_at > 20:
                w.say("no power-off 20 s after DONE: stopping the emulator")
                stop()
                break
            if time.monotonic() - start > timeout:
                stop()
                w.fail(f"timed out after {timeout:.0f} s (raise it with --timeout)", lines + [partial])
            booting = pos == 0
            bound = silence_boot if booting else silence
            if bound and done_at is None and time.monotonic() - w.last_output > bound:
                stop()
                w.fail(f"no console output for {bound:.0f} s {'since the start' if booting else 'after the last line'}"
                       f" (the bound {'before the first console line' if booting else 'between console lines'};"
                       " the emulator or the guest is hung)", lines + [partial])
            time.sleep(0.25)
    finally:
        stop()
        screen.close()
        emu_log.close()
        with open(os.path.join(out_dir, "console.log"), "w", encoding="utf-8") as f:
            f.write("\n".join(line for line in lines if not line.startswith(PREFIX + ":")) + "\n")
    if done_at is None:
        with open(os.path.join(out_dir, "emulator.log"), encoding="utf-8", errors="replace") as f:
            emu_tail = [line.rstrip() for line in f.readlines()[-5:]]
        w.fail(f"the emulator exited (status {proc.returncode}) before the results were sent; "
               "its own last lines:\n" + "\n".join("    ! " + line for line in emu_tail), lines)
    try:
        results_from(lines, out_dir)
    except ConsoleError as e:
        w.fail(str(e), lines)
    drained = f"; {screen.bytes} bytes of the emulator's screen drained from {screen.path}" if screen.path else ""
    w.say(f"done in {time.monotonic() - start:.1f} s (longest console silence {w.longest[0]:.1f} s, "
          f"in: {w.longest[1]}{drained})")
    return time.monotonic() - start


def on_signal(signum, frame):
    # Become an exception, so that the emulator is stopped on the way out.
    raise ConsoleError(f"interrupted by signal {signum}")


def main(argv):
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    if len(argv) >= 2 and argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    try:
        if len(argv) < 2:
            raise UsageError("give a command: run or deframe")
        if argv[1] == "deframe" and len(argv) == 4:
            with open(argv[2], encoding="utf-8", errors="replace") as f:
                lines = clean_lines(f.read())
            if os.path.exists(argv[3]):
                raise ConsoleError(f"{argv[3]}: already exists; results are never overwritten")
            os.makedirs(argv[3])
            results_from(lines, argv[3])
            return 0
        if argv[1] == "run":
            if "--" not in argv:
                raise UsageError("run needs '-- EMULATOR-COMMAND...'")
            opts = argv[2:argv.index("--")]
            cmd = argv[argv.index("--") + 1:]
            if len(opts) % 2:
                raise UsageError(f"option {opts[-1]!r} needs a value")
            kv = dict(zip(opts[0::2], opts[1::2]))
            need = {"--serial", "--out", "--timeout", "--label"}
            known = need | {"--silence-boot", "--silence"}
            if set(kv) - known:
                raise UsageError(f"unknown option {sorted(set(kv) - known)[0]!r}")
            if need - set(kv):
                raise UsageError(f"{sorted(need - set(kv))[0]} is required")
            if not cmd:
                raise UsageError("no emulator command after --")
            secs = {}
            for k in ("--timeout", "--silence-boot", "--silence"):
                try:
                    secs[k] = float(kv.get(k, "0"))
                except ValueError:
                    raise UsageError(f"{k} wants seconds, not {kv[k]!r}") from None
                if not (secs[k] >= 0 and secs[k] < 1e7) or (k == "--timeout" and secs[k] == 0):
                    raise UsageError(f"{k} wants seconds{' > 0' if k == '--timeout' else ''}, not {kv[k]!r}")
            run(kv["--serial"], kv["--out"], secs["--timeout"], kv["--label"], cmd,
                secs["--silence-boot"], secs["--silence"])
            return 0
        if argv[1] == "deframe":
            raise UsageError("deframe needs SERIAL-LOG OUT-DIR")
        raise UsageError(f"unknown command {argv[1]!r} (run or deframe)")
    except UsageError as e:
        print(f"console.py: {e}", file=sys.stderr)
        print("usage: console.py run --serial FILE --out DIR --timeout S --label NAME -- CMD... | "
              "console.py deframe LOG DIR; 'console.py --help' for more", file=sys.stderr)
        return 2
    except ConsoleError as e:
        print(f"console.py: {e}", file=sys.stderr)
        return 3
    except OSError as e:
        print(f"console.py: {e}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
