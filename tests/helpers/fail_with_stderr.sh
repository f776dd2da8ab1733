#!/bin/sh
# apiKeyHelper fixture: prints a key (given in two halves) on stdout, an explanation on stderr,
# and exits 1. The error must quote stderr and never stdout.
printf '%s%s\n' "$1" "$2"
echo "vault: permission denied for secret/anthropic" >&2
echo "second line of stderr" >&2
exit 1
