#!/bin/sh
# apiKeyHelper fixture: fails while the file $1 exists, else prints the key given in two halves.
[ -n "${QLAUDE_TEST_COUNTER:-}" ] && echo run >> "$QLAUDE_TEST_COUNTER"
if [ -e "$1" ]; then echo "token service unavailable" >&2; exit 3; fi
printf '%s%s\n' "$2" "$3"
