# SPDX-License-Identifier: GPL-2.0-only
"""What the command-line tools of analysis/ share: the exit codes of the
README's table, one-line usage errors, checked writes to stdout, and a
clear message (never a traceback) for a failure the user can act on.
Imports nothing of ours."""
import argparse
import json
import os
import sys
import traceback

# The README's exit status table, for every kvm-exitbench tool.
EXIT_OK = 0          # done; no test failed, no regression
EXIT_NEGATIVE = 1    # a test failed, or a regression beyond --fail-above
EXIT_USAGE = 2       # bad option, argument or input: nothing was started
EXIT_ERROR = 3       # could not finish: a write failed, a missing piece, a crash
EXIT_SKIP = 4        # nothing could be measured here


class ToolError(Exception):
    """The tool cannot finish (exit 3): the message says why."""


class UsageError(Exception):
    """A bad option, argument or input file (exit 2): the message says which."""


def usage_hint(prog, synopsis):
    return f"usage: {synopsis}; '{prog} --help' for more"


class Parser(argparse.ArgumentParser):
    """argparse with the project's usage errors: one line saying what is
    wrong, then a one-line usage hint, exit 2 (the full help only with -h)."""

    def __init__(self, *args, synopsis=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.synopsis = synopsis or self.prog

    def error(self, message):
        print(f"{self.prog}: {message}", file=sys.stderr)
        print(usage_hint(self.prog, self.synopsis), file=sys.stderr)
        sys.exit(EXIT_USAGE)


def stdout_open():
    """Is there a stdout to write to (not closed with >&-)?"""
    try:
        os.fstat(1)
    except OSError:
        return False
    return sys.stdout is not None


def write_stdout(text):
    """Write @text to stdout and flush it; ToolError when that fails."""
    if not stdout_open():
        raise ToolError("stdout is closed: nowhere to print (give it a terminal, a file or a pipe)")
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except (OSError, ValueError) as e:
        raise ToolError(f"cannot write to stdout: {getattr(e, 'strerror', None) or e}") from e


def _silence_stdout():
    # A failed stdout must not fail again when Python flushes it on exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
    except OSError:
        pass


def run(prog, main, argv):
    """Call main(argv) and return its exit status; ToolError becomes exit 3
    with its message, an unexpected exception exit 3 with the traceback (a
    bug to report), never exit 1, which means a negative result."""
    try:
        status = main(argv)
        if sys.stdout is not None:
            sys.stdout.flush()
        return status
    except UsageError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except ToolError as e:
        _silence_stdout()
        print(f"{prog}: {e}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        _silence_stdout()
        print(f"{prog}: cannot write to stdout: the reader went away (broken pipe)", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 (a bug: say so, with where)
        _silence_stdout()
        traceback.print_exc()
        print(f"{prog}: internal error ({type(e).__name__}: {e}); please report it with the "
              "traceback above", file=sys.stderr)
        return EXIT_ERROR


def _no_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


def loads_strict(text):
    """json.loads without NaN, Infinity and -Infinity (which Python's json
    would accept and no kvm-exitbench file holds)."""
    return json.loads(text, parse_constant=_no_constant)


def check_new_path(opt, path, kind="file"):
    """UsageError unless @path can be created: it must not exist and its
    directory must exist and be writable."""
    if os.path.lexists(path):
        raise UsageError(f"{opt} {path}: already exists; results are never overwritten: "
                         f"name a new {kind}")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        why = "is not a directory" if os.path.exists(parent) else "does not exist"
        raise UsageError(f"{opt} {path}: directory {parent} {why} (create it first, or name "
                         f"a {kind} elsewhere)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{opt} {path}: cannot create files in {parent}: permission denied")
