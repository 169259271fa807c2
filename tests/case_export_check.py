#!/usr/bin/env python3
"""Reads a case export back with Python's own parsers (an oracle independent of kamatama's
writers) and prints what it found as one JSON object: used by tests/case_integration_test.cc.

  case_export_check.py csv FILE   -> {"rows": [[cell, ...], ...]}            (csv module, RFC 4180)
  case_export_check.py html FILE  -> {"tags": [...], "attrs": [...], "text": "..."}  (html.parser)
  case_export_check.py md FILE    -> {"text": "..."}  Markdown with CommonMark backslash escapes undone
"""
import csv
import html.parser
import json
import re
import sys


class Collect(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.text = set(), set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, _ in attrs:
            self.attrs.add(name)

    def handle_data(self, data):
        self.text.append(data)


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8", newline="") as f:
        body = f.read()
    if kind == "csv":
        out = {"rows": list(csv.reader(body.splitlines(keepends=True)))}
    elif kind == "html":
        p = Collect()
        p.feed(body)
        p.close()
        out = {"tags": sorted(p.tags), "attrs": sorted(p.attrs), "text": "".join(p.text)}
    else:
        out = {"text": re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", body)}
    json.dump(out, sys.stdout)


main()
