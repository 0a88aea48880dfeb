#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Fuzz/Harnesses) and runs each for a bounded time with its seed corpus.
#   Fuzz/run.sh [SECONDS_PER_HARNESS] [HARNESS ...]     default 15 s each, every harness
# Exits non-zero if any harness finds a crash, a leak, a timeout or an input over the memory limits; the input is
# saved in $PRIVDNN_FUZZ_WORK/<harness>/artifacts/ (default .build-fuzz/fuzz-work). Extra libFuzzer flags can be
# given in $PRIVDNN_FUZZ_FLAGS (e.g. "-runs=1000000"). One summary line per harness, then a total.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
[ $# -gt 0 ] && shift
build=.build-fuzz
work=${PRIVDNN_FUZZ_WORK:-$build/fuzz-work}

PRIVDNN_FUZZ=1 swift build -c release --build-path "$build" --product privdnn-fuzz -Xswiftc -sanitize=fuzzer,address
bin=$build/release/privdnn-fuzz
# Swift's crash backtracer would read freed memory under ASan; libFuzzer reports the crash itself.
export SWIFT_BACKTRACE=enable=no
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && mapfile -t harnesses < <("$bin" --list | cut -f1)

failed=0 failures=0 total=0 started=$(date +%s)
for h in "${harnesses[@]}"; do
    mkdir -p "$work/$h/corpus" "$work/$h/artifacts"
    log=$work/$h/log.txt
    status=0
    # 2 GiB per process and per allocation: an input that makes a reader allocate more (a decompression bomb, a
    # header announcing a huge size) is a finding. New inputs go to the work corpus; the seeds stay read-only.
    # shellcheck disable=SC2086
    "$bin" --harness="$h" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=30 \
        -print_final_stats=1 -artifact_prefix="$work/$h/artifacts/" ${PRIVDNN_FUZZ_FLAGS:-} \
        "$work/$h/corpus" "Fuzz/corpus/$h" >"$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    execs=${execs:-0}
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "$work/$h/corpus" -type f | wc -l)
    total=$((total + execs))
    if [ "$status" -eq 0 ]; then
        echo "fuzz $h: ok, $execs executions (${rate:-0}/s), $corpus new corpus inputs"
    else
        failed=1 failures=$((failures + 1))
        echo "fuzz $h: FAILED (exit $status) after $execs executions; log $log"
        grep -E "^==[0-9]+==ERROR|^SUMMARY|Test unit written|Fatal error|panic" "$log" | head -5 | sed 's/^/    /'
    fi
done
echo "fuzz: ${#harnesses[@]} harnesses, $total executions in $(( $(date +%s) - started )) s$([ $failed -ne 0 ] && echo ', FAILURES' || true)"
# The plain closing line CI reads: harnesses without and with findings.
echo "fuzz: $(( ${#harnesses[@]} - failures )) passed, $failures failed"
exit $failed
