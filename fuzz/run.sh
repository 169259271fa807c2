#!/usr/bin/env bash
# Builds the libFuzzer targets (clang) and runs each for a bounded time.
# Usage: fuzz/run.sh TOTAL_SECONDS   (split evenly over the targets)
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-300}
build=build-fuzz
gen=$(command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")
[ -f $build/CMakeCache.txt ] || CC=clang CXX=clang++ cmake -S . -B $build -G "$gen" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKMT_FUZZ=ON >/dev/null
cmake --build $build -j "$(nproc)"
targets=$(ls $build/fuzz/*_fuzz 2>/dev/null || ls $build/*_fuzz)
n=$(echo "$targets" | wc -l)
per=$(( total / n )); [ "$per" -lt 5 ] && per=5

# Seed corpora (issue 29): each target from its own family's samples in ../shared/corpus, a few
# records from every file of the family (sorted, so runs are comparable), not the first lines in
# find order (which were all Sysmon). XML files give one record per <Event>...</Event>; the
# query target is seeded from the queries in the query tests, the shipper target from the
# shipper payloads in tests/data/shippers.
corpus=../shared/corpus
families() {
  case "$1" in
    antivirus_fuzz) echo av ;;
    auth_linux_fuzz) echo auth/linux-sshd-pam auth/radius-fortiauthenticator ;;
    dhcp_fuzz) echo dhcp ;;
    dns_fuzz) echo dns ;;
    firewall_fuzz) echo firewall ;;
    mail_fuzz) echo mail ;;
    proxy_fuzz) echo proxy ;;
    windows_fuzz) echo sysmon auth/windows-security-xml ;;
    kv_fuzz) echo firewall/fortigate-kv proxy/sophos-xg-webfilter av/sophos-xg-antivirus ;;
    declarative_fuzz) echo auth/linux-sshd-pam firewall/fortigate-kv ;;  # issue 23: grok and kv definitions
    syslog_fuzz | framing_fuzz) echo av auth dhcp dns firewall mail proxy sysmon ;;  # every envelope
  esac
}
per_target=4000  # seed records per target, spread evenly over the family's files
sample_files() {  # the input samples of the given family dirs (not the peers' expected output)
  for d in "$@"; do
    [ -d "$corpus/$d" ] || continue
    find "$corpus/$d" -type f \( -name '*.log' -o -name '*.txt' -o -name '*.json' -o -name '*.xml' -o -name '*.ini' \) \
      ! -name '*_expected.json' -size -8M
  done | LC_ALL=C sort
}
seed_family() {  # seed_family TARGET DIR...: one record per seed file
  local name=$1 out=$build/seed/$1 files per_file
  shift
  mkdir -p "$out"
  files=$(sample_files "$@" | wc -l)
  [ "$files" -gt 0 ] || return 0
  per_file=$(( per_target / files )); [ "$per_file" -lt 1 ] && per_file=1; [ "$per_file" -gt 200 ] && per_file=200
  sample_files "$@" | while read -r f; do
      case "$f" in
        *.xml) awk 'BEGIN { RS = "</Event>" } { gsub(/[\r\n]+/, " "); if ($0 ~ /<Event/) print $0 "</Event>" }' "$f" ;;
        *.ini) sed -n 's/^log [0-9]* [a-z]* = //p' "$f" ;;
        *) grep -v '^[[:space:]]*$' "$f" ;;
      esac | head -n $per_file
  done | head -n $per_target | split -l 1 -a 4 - "$out/line_" || true
}
seed_generic() {  # cef_fuzz, leef_fuzz: the peers' samples in tests/data/generic (none in the corpus)
  local name=$1 pattern=$2 out=$build/seed/$1
  mkdir -p "$out"
  cat tests/data/generic/$pattern | grep -v '^[[:space:]]*$' | head -n $per_target | split -l 1 -a 4 - "$out/line_" || true
}
seed_query() {  # the quoted queries of the query tests, one per seed file
  local out=$build/seed/query_fuzz
  mkdir -p "$out"
  grep -ohE '(MustParse|Query::Parse|ParsePipeline|Pipe|Eval)\("([^"\\]|\\.)*"' tests/query_*_test.cc tests/pipes_test.cc \
    2>/dev/null | sed -E 's/^[A-Za-z:]+\("//; s/"$//; s/\\"/"/g; s/\\\\/\\/g' | LC_ALL=C sort -u | head -n $per_target |
    split -l 1 -a 4 - "$out/q_" || true
}
seed_shipper() {
  local out=$build/seed/shipper_fuzz
  mkdir -p "$out"
  for f in tests/data/shippers/*; do
    case "$f" in *.md) ;; *) cp "$f" "$out/" ;; esac
  done
}
status=0
for t in $targets; do
  name=$(basename "$t")
  mkdir -p $build/corpus/$name
  if [ ! -d $build/seed/$name ]; then
    case "$name" in
      query_fuzz) seed_query ;;
      shipper_fuzz) seed_shipper ;;
      cef_fuzz) seed_generic cef_fuzz 'beats-cef-*.log' ;;
      leef_fuzz) seed_generic leef_fuzz 'tenzir-*.log' ;;
      *) [ -d $corpus ] && [ -n "$(families "$name")" ] && seed_family "$name" $(families "$name") ;;
    esac
  fi
  seed=""
  [ -d $build/seed/$name ] && [ -n "$(ls -A $build/seed/$name)" ] && seed=$build/seed/$name
  echo "fuzz: $name for ${per}s (seeds: $( [ -n "$seed" ] && ls $seed | wc -l || echo 0))"
  if ! "$t" -max_total_time="$per" -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      $build/corpus/$name $seed > $build/$name.log 2>&1; then
    echo "fuzz: $name FAILED"; tail -40 $build/$name.log; status=1
  else
    grep -E "stat::number_of_executed_units" $build/$name.log | sed "s/^/fuzz: $name /" || true
  fi
done
exit $status
