#!/bin/sh
# apiKeyHelper fixture: counts its runs in $QLAUDE_TEST_COUNTER (if set) and prints the key
# given in two halves (so the whole key never stands in a settings file).
[ -n "${QLAUDE_TEST_COUNTER:-}" ] && echo run >> "$QLAUDE_TEST_COUNTER"
printf '%s%s\n' "$1" "$2"
