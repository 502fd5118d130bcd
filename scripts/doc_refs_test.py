#!/usr/bin/env python3
"""Checks that every citation of a section of a document in docs/ still finds its place.

Code comments and documents cite a place in a document as `docs/NAME.md, "Words"` (also written
`NAME.md`, with backquotes, or with the quoted words on the next comment line). The words must
begin a heading of that document (after its `#` marks) or a bold lead (`**Words`) in it. A
document split or a heading renamed then fails here instead of leaving citations that lead
nowhere.

Run: python3 scripts/doc_refs_test.py [repo root] (CTest `doc_refs_test`).
"""
import os
import re
import sys
import unittest

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-")
                       else os.path.join(os.path.dirname(__file__), ".."))
SOURCES = (".md", ".cc", ".h", ".py", ".sh", ".txt", ".go", ".proto")
SKIP_DIRS = {".git", "node_modules", "third_party"}
# NAME.md, then optional closing backquote, a comma, white space or a comment leader, "Words".
CITATION = re.compile(r'\b([a-z0-9_-]+\.md)`?,\s*(?:(?://|#)\s*)?"([^"]{1,300})"')


def source_files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith("build")]
        for name in filenames:
            if name.endswith(SOURCES):
                yield os.path.join(dirpath, name)


def places(text):
    """The headings (without their # marks) and bold leads of a markdown text."""
    out = []
    for line in text.splitlines():
        m = re.match(r"#+\s+(.*)", line)
        if m:
            out.append(m.group(1).strip())
        for b in re.finditer(r"\*\*([^*]+)", line):
            out.append(b.group(1).strip())
    return out


def citations(root):
    """(file, line, document, words) for every citation of a docs/ document."""
    docs = os.path.join(root, "docs")
    for path in source_files(root):
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except UnicodeDecodeError:
            continue
        for m in CITATION.finditer(text):
            doc = os.path.join(docs, m.group(1))
            if not os.path.exists(doc):
                continue
            # The quoted words may run onto the next comment line.
            words = " ".join(re.sub(r"\n\s*(?://|#)?", " ", m.group(2)).split())
            line = text.count("\n", 0, m.start()) + 1
            yield os.path.relpath(path, root), line, m.group(1), words


def unresolved(root):
    cache = {}
    bad = []
    for path, line, doc, words in citations(root):
        if doc not in cache:
            with open(os.path.join(root, "docs", doc), encoding="utf-8") as f:
                cache[doc] = [" ".join(p.split()) for p in places(f.read())]
        if not any(p.startswith(words) for p in cache[doc]):
            bad.append(f'{path}:{line}: docs/{doc}, "{words}" names no heading or bold lead there')
    return bad


class DocRefsTest(unittest.TestCase):
    def test_every_citation_finds_its_place(self):
        self.assertEqual(unresolved(ROOT), [])

    def test_a_citation_of_a_missing_place_is_reported(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "docs"))
            with open(os.path.join(d, "docs", "a.md"), "w") as f:
                f.write("# A\n\n## Kept heading (note)\n\n**A bold lead** text.\n")
            with open(os.path.join(d, "x.cc"), "w") as f:
                f.write('// see docs/a.md, "Kept heading" and a.md,\n'
                        '// "A bold lead", and `docs/a.md`, "Gone" and b.md, "Other doc"\n')
            self.assertEqual(unresolved(d), ['x.cc:2: docs/a.md, "Gone" names no heading or bold lead there'])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + [a for a in sys.argv[1:] if a.startswith("-")])
