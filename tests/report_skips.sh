#!/usr/bin/env bash
# tests/report_skips.sh BUILD_DIR: run after ctest. Lists every test ctest reported as skipped
# (GoogleTest's "[  SKIPPED ]", matched by gtest_discover_tests' skip regex) with the reason the
# test gave, and whether the tests registered only when their peers are found at configure time
# were registered at all: the web UI test (ui_e2e: node, npm, chromium) and the sender-library
# test (shipper_clients: node, npm).
#
# Outside CI it only prints, loudly, and exits 0: a clone without ../shared/corpus, rsyslog,
# faketime, root or Chromium may skip those tests. Under CI=true (how .ci/run is run) a skipped or
# unregistered test means the suite did not test what it claims: it exits 1.
set -uo pipefail
build="${1:-.}"
log="$build/Testing/Temporary/LastTest.log"
if [ ! -f "$log" ]; then
  echo "report_skips: no ctest log at $log" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 0
fi

# One line per skipped test: "<name>: <reason>" (the line after GoogleTest's "...: Skipped").
skipped="$(awk '
  /^[0-9]+\/[0-9]+ Test: / { name = $3; reason = ""; want = 0; next }
  want == 1 { reason = $0; want = 0 }
  /: Skipped$/ { want = 1 }
  /^Skip regular expression found in output/ { print name ": " (reason == "" ? "(no reason given)" : reason) }
' "$log")"
missing=""
# Tests registered only when their peers are found at configure time. (Registration is read from
# the generated CTestTestfile.cmake files: `ctest -N` would overwrite the log read above.)
registered() {
  grep -rqs --include=CTestTestfile.cmake "add_test(\[=\[$1\]=\]\|add_test($1 " "$build"
}
registered ui_e2e || missing="ui_e2e: not registered (node, npm or chromium missing at configure time)"
if ! registered shipper_clients; then
  missing="${missing:+$missing
}shipper_clients: not registered (node or npm missing at configure time)"
fi

count=0
[ -n "$skipped" ] && count=$(printf '%s\n' "$skipped" | wc -l)
if [ "$count" -eq 0 ] && [ -z "$missing" ]; then
  echo "report_skips: no test was skipped"
  exit 0
fi
echo
echo "=================================================================="
echo "  SKIPPED: $count test(s) did not run their scenario"
echo "=================================================================="
[ -n "$skipped" ] && printf '  %s\n' "$skipped" | sort
[ -n "$missing" ] && printf '%s\n' "$missing" | sed 's/^/  /'
echo "=================================================================="
if [ "${CI:-}" = "true" ]; then
  echo "CI=true: a skipped or unregistered test fails the run" >&2
  exit 1
fi
exit 0
