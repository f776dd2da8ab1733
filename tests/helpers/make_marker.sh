#!/bin/sh
# apiKeyHelper fixture for trust tests: proves it ran by creating the marker file $1, then
# prints the key given in two halves.
touch "$1"
printf '%s%s\n' "$2" "$3"
