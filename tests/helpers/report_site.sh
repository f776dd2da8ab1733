#!/bin/sh
# apiKeyHelper fixture: writes where it ran and what AWS_PROFILE and ANTHROPIC_MODEL it saw to
# the file $1, then prints the key given in two halves ($2 $3).
{ pwd; printf '%s\n' "${AWS_PROFILE-unset}" "${ANTHROPIC_MODEL-unset}"; } > "$1"
printf '%s%s\n' "$2" "$3"
