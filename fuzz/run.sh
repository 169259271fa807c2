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
# Seed corpus: single lines of the shared sample logs, when they are there.
seed=$build/seed
if [ ! -d $seed ] && [ -d ../shared/corpus ]; then
  mkdir -p $seed
  find ../shared/corpus -type f \( -name '*.log' -o -name '*.txt' -o -name '*.json' -o -name '*.xml' \) -size -2M \
    -exec cat {} + 2>/dev/null | head -n 4000 | split -l 1 -a 4 - $seed/line_ || true
fi
status=0
for t in $targets; do
  name=$(basename "$t")
  mkdir -p $build/corpus/$name
  echo "fuzz: $name for ${per}s"
  if ! "$t" -max_total_time="$per" -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      $build/corpus/$name ${seed:+$( [ -d $seed ] && echo $seed )} > $build/$name.log 2>&1; then
    echo "fuzz: $name FAILED"; tail -40 $build/$name.log; status=1
  else
    grep -E "stat::number_of_executed_units" $build/$name.log | sed "s/^/fuzz: $name /" || true
  fi
done
exit $status
