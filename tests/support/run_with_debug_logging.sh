#!/usr/bin/env bash
# Runs test binaries again with every Qt logging category at debug level
# (QT_LOGGING_RULES="*.debug=true", QTest's message limit off), each in its own HOME like
# run_isolated.sh, and keeps their whole output under the suite's test HOME
# (logs/debug-logging/<test>.log), where secrets_not_leaked, which runs after every test, looks
# for secrets. Fails when a test fails under debug logging.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${QLAUDE_TEST_HOME:-}" ]; then
    echo "QLAUDE_TEST_HOME is not set: run the suite through ./scripts/test" >&2
    exit 1
fi
logs=$QLAUDE_TEST_HOME/logs/debug-logging
mkdir -p "$logs"
export QT_LOGGING_RULES="*.debug=true"
status=0
for bin in "$@"; do
    name=$(basename "$bin")
    # A HOME of its own, apart from the main run's (QLAUDE_TEST_HOME/homes/<name>-debug).
    QLAUDE_TEST_HOME=$QLAUDE_TEST_HOME/debug "$here/run_isolated.sh" "$bin" -maxwarnings 0 \
        > "$logs/$name.log" 2>&1
    rc=$?
    lines=$(wc -l < "$logs/$name.log")
    if [ $rc -ne 0 ]; then
        echo "$name failed under debug logging (exit $rc); its output: $logs/$name.log"
        tail -n 30 "$logs/$name.log" | grep -E '^(FAIL|XPASS|QFATAL)|Totals' || true
        status=1
    else
        echo "$name: passed with debug logging, $lines lines of output kept"
    fi
done
exit $status
