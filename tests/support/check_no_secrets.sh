#!/usr/bin/env bash
# Runs after the whole suite (ctest FIXTURES_CLEANUP). No test secret may appear in a file
# under the test HOME or in the test output. The test HOME holds every test's HOME, config and
# data folders, SQLite history files (with their WAL), trust stores, helper scripts' files, the
# temporary folders (scripts/test points TMPDIR there) and the debug-logging run's output
# (run_with_debug_logging.sh); the test output is ctest's log. The secrets are listed in
# test_secrets.txt beside this script: the marker that testSecret() puts in every secret it
# makes (also looked for in UTF-16), the fixed keys, tokens and AWS secrets tests use, the
# pattern of the tokens the fake OAuth server issues, and PEM private keys.
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
# Other tools' credential stores, which tests fill as their input: the user keeps these secrets
# there in plaintext by those tools' design (the AWS shared config and credentials files and the
# SSO token cache, a Google service-account key file, an EKS pod-identity or web-identity token
# file, a TLS private key file (tests/support/TestPki)). Qlaude reads them; the only one it writes
# is the SSO cache, as the AWS CLI does.
files_to_scan() {
    find "$home" -type f ! -path '*/.aws/config' ! -path '*/.aws/credentials' \
        ! -path '*/.aws/sso/cache/*.json' ! -name sa.json ! -name eks-pod-identity-token \
        ! -name '*.key' ! -name key.pem -print0
}
count=0
lineno=0
while IFS= read -r line; do
    lineno=$((lineno + 1))
    allowed=""
    case $line in
        fixed:*) flag=-F; pattern=${line#fixed:} ;;
        regex:*) flag=-E; pattern=${line#regex:} ;;
        input:*) flag=-F; rest=${line#input:}; allowed=${rest%%:*}; pattern=${rest#*:} ;;
        *) continue ;;
    esac
    count=$((count + 1))
    hits=$(files_to_scan | xargs -0 -r grep -la $flag -e "$pattern" 2>/dev/null)
    if [ -n "$allowed" ] && [ -n "$hits" ]; then
        # A fixture's input: only the files it writes may hold it.
        hits=$(while IFS= read -r f; do [[ $f == $allowed ]] || echo "$f"; done <<< "$hits")
    fi
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
# The marker in UTF-16 (QString's own encoding, as a careless binary write would leave it).
utf16='q\x00l\x00t\x00S\x00E\x00C\x00R\x00E\x00T'
hits=$(files_to_scan | xargs -0 -r grep -laP "$utf16" 2>/dev/null)
if [ -n "$hits" ]; then
    echo "A test secret (the marker, in UTF-16) was written to:"; echo "$hits"; fail=1
fi
count=$((count + 1))
files=$(find "$home" -type f | wc -l)
echo "scanned $files files under the test HOME and the ctest log for $count test secret patterns"
exit $fail
