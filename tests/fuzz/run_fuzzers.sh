#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS over its seed corpus (./scripts/test --fuzz calls this).
#   run_fuzzers.sh BUILD_FUZZ_DIR SECONDS [TARGET...]     TARGET: sse_stream, fuzz_jwt, ...
# New inputs go to BUILD_FUZZ_DIR/work/<target>/corpus (the seeds in tests/fuzz/corpus stay as
# they are), crashes to BUILD_FUZZ_DIR/work/<target>/crashes. One summary line per target:
# seconds, executions, coverage (edges), features, corpus size, crashes. Exit 1 on any crash.
set -u
bin_dir=$1 seconds=$2; shift 2
src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
wanted=" $* "
# UB is a finding like a crash; leaks are checked by the suite, not per input.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}
export QT_QPA_PLATFORM=offscreen
status=0
printf '%-22s %8s %12s %8s %8s %7s %s\n' target seconds executions cov features corpus crashes
for bin in "$bin_dir"/fuzz_*; do
    [ -x "$bin" ] && [ -f "$bin" ] || continue
    name=$(basename "$bin"); short=${name#fuzz_}
    if [ "$wanted" != "  " ] && [[ $wanted != *" $short "* ]] && [[ $wanted != *" $name "* ]]; then
        continue
    fi
    work=$bin_dir/work/$short
    mkdir -p "$work/corpus" "$work/crashes"
    log=$work/last-run.log
    start=$(date +%s)
    "$bin" -max_total_time="$seconds" -print_final_stats=1 -max_len=65536 -timeout=10 \
        -rss_limit_mb=4096 -artifact_prefix="$work/crashes/" "$work/corpus" "$src/corpus/$short" \
        > "$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<< "$last")
    crashes=$(find "$work/crashes" -type f | wc -l)
    printf '%-22s %8s %12s %8s %8s %7s %s\n' "$short" "$took" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
        "${corp:-?}" "$crashes"
    if [ $rc -ne 0 ] || [ "$crashes" -gt 0 ]; then
        status=1
        echo "  $short: exit $rc; see $log and $work/crashes/ (replay: $bin <file>)"
        grep -m3 -E 'ERROR: |runtime error|fuzz check failed' "$log" | sed 's/^/  /'
    fi
done
exit $status
