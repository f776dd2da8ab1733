#!/usr/bin/env bash
# Runs after the whole suite (ctest FIXTURES_CLEANUP). Every secret a test uses contains the
# marker "qltSECRET"; none may appear in a file under the test HOME or in the test output.
set -u
build=$1
marker='qlt''SECRET'
fail=0
home=${QLAUDE_TEST_HOME:-$HOME}
if [ -z "${QLAUDE_TEST_HOME:-}" ]; then
    echo "QLAUDE_TEST_HOME is not set: run the suite through ./scripts/test" >&2
    exit 1
fi
hits=$(grep -rlaF "$marker" "$home" 2>/dev/null)
if [ -n "$hits" ]; then
    echo "A test secret was written in plaintext to:"; echo "$hits"; fail=1
fi
for log in "$build"/Testing/Temporary/LastTest*.log; do
    [ -f "$log" ] || continue
    if grep -qaF "$marker" "$log"; then
        echo "A test secret appears in the test output ($log):"
        grep -naF "$marker" "$log" | head -5 | cut -c1-200
        fail=1
    fi
done
files=$(find "$home" -type f | wc -l)
echo "scanned $files files under the test HOME and the ctest log for the secret marker"
exit $fail
