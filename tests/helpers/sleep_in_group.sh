#!/bin/sh
# apiKeyHelper fixture: hangs far past any timeout with two more processes in its process group
# (as a password manager's CLI with its agent would), after writing the group's id to the file
# named by $1, so a test can check that nothing of the group survives a timeout or a cancel.
echo "waiting for a password prompt that never comes" >&2
sleep 600 &
sleep 600 &
# /proc/<pid>/stat after the command name: state, parent, process group, ...
stat=$(cut -d')' -f2 "/proc/$$/stat")
# shellcheck disable=SC2086
set -- "$1" $stat
printf '%s\n' "$4" >"$1.tmp" && mv "$1.tmp" "$1"
wait
