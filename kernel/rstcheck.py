#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check reStructuredText files with docutils, as far as docutils can.

usage: rstcheck.py FILE...

Parses each file with docutils (python3-docutils) and prints every message
of level WARNING or worse as FILE:LINE: LEVEL: text, one per line. The
kernel's Sphinx-only directives (toctree, kernel-doc, ...) and roles (ref,
doc, c:func, ...) are accepted without checking their targets: that needs
a full 'make htmldocs'. Exit status: 0 no message, 1 messages, 2 usage or
docutils missing.
"""
import sys

try:
    import docutils.core
    import docutils.nodes
    import docutils.parsers.rst
    import docutils.utils
    from docutils.parsers.rst import Directive, directives, roles
except ImportError:
    print("rstcheck.py: docutils is missing: apt-get install python3-docutils", file=sys.stderr)
    sys.exit(2)

SPHINX_DIRECTIVES = ("toctree", "kernel-doc", "kernel-abi", "kernel-feat", "kernel-include",
                     "c:function", "c:type", "c:macro", "c:struct", "only", "index", "glossary",
                     "code-block", "highlight", "literalinclude")
SPHINX_ROLES = ("ref", "doc", "c:func", "c:type", "c:macro", "c:struct", "c:data", "manpage",
                "kbd", "file", "option", "envvar", "term", "abbr")


class Ignored(Directive):
    """A Sphinx directive: its arguments and content are not checked."""
    has_content = True
    optional_arguments = 99
    final_argument_whitespace = True
    option_spec = None

    def run(self):
        return []


def ignored_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    return [docutils.nodes.literal(rawtext, text)], []


class AnyOptions(dict):
    """Accept any option of the ignored directives."""

    def __missing__(self, key):
        return directives.unchanged


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(argv) < 2 else sys.stdout)
        return 2 if len(argv) < 2 else 0
    Ignored.option_spec = AnyOptions()
    for d in SPHINX_DIRECTIVES:
        directives.register_directive(d, Ignored)
    for r in SPHINX_ROLES:
        roles.register_local_role(r, ignored_role)
    bad = 0
    for path in argv[1:]:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        messages = []

        def observer(msg, messages=messages):
            if msg["level"] >= docutils.utils.Reporter.WARNING_LEVEL:
                messages.append(msg)

        parser = docutils.parsers.rst.Parser()
        settings = docutils.frontend.get_default_settings(parser) if hasattr(
            docutils.frontend, "get_default_settings") else \
            docutils.frontend.OptionParser(components=(parser,)).get_default_values()
        settings.report_level = 5	# we print the messages ourselves
        settings.halt_level = 5
        doc = docutils.utils.new_document(path, settings)
        doc.reporter.attach_observer(observer)
        parser.parse(text, doc)
        for m in messages:
            level = docutils.utils.Reporter.levels[m["level"]]
            text = m.children[0].astext() if m.children else m.astext()
            print(f"{path}:{m.get('line', '?')}: {level}: {' '.join(text.split())}")
        bad += len(messages)
    return 1 if bad else 0


if __name__ == "__main__":
    import docutils.frontend  # noqa: E402  (after the ImportError message above)
    sys.exit(main(sys.argv))
