#!/usr/bin/env bash
# Runs after the whole suite (ctest FIXTURES_CLEANUP). No test secret may appear in a file
# under the test HOME or in the test output. The secrets are listed in test_secrets.txt beside
# this script: the marker that testSecret() puts in every secret it makes, the fixed keys some
# tests send, and the pattern of the tokens the fake OAuth server issues.
set -u
build=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fail=0
home=${QLAUDE_TEST_HOME:-$HOME}
if [ -z "${QLAUDE_TEST_HOME:-}" ]; then
    echo "QLAUDE_TEST_HOME is not set: run the suite through ./scripts/test" >&2
    exit 1
fi
logs=()
for log in "$build"/Testing/Temporary/LastTest*.log; do
    [ -f "$log" ] && logs+=("$log")
done
count=0
lineno=0
while IFS= read -r line; do
    lineno=$((lineno + 1))
    case $line in
        fixed:*) flag=-F; pattern=${line#fixed:} ;;
        regex:*) flag=-E; pattern=${line#regex:} ;;
        *) continue ;;
    esac
    count=$((count + 1))
    hits=$(grep -rla $flag -e "$pattern" "$home" 2>/dev/null)
    if [ -n "$hits" ]; then
        # Named by its line in test_secrets.txt: printing it would put it in the next log.
        echo "A test secret (test_secrets.txt line $lineno) was written in plaintext to:"
        echo "$hits"; fail=1
    fi
    for log in "${logs[@]}"; do
        if grep -qa $flag -e "$pattern" "$log"; then
            echo "A test secret (test_secrets.txt line $lineno) appears in the test output ($log):"
            # Line numbers only: printing the line would put the secret in the next log.
            grep -na $flag -e "$pattern" "$log" | cut -d: -f1 | head -5 | tr '\n' ' '; echo
            fail=1
        fi
    done
done < "$here/test_secrets.txt"
files=$(find "$home" -type f | wc -l)
echo "scanned $files files under the test HOME and the ctest log for $count test secret patterns"
exit $fail
