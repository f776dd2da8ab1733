#!/bin/sh
# apiKeyHelper fixture: writes its process group id to the file named by $1, then waits on two
# background sleeps (three processes in all), as a helper that starts others would.
sleep 600 &
sleep 600 &
cut -d' ' -f5 /proc/$$/stat > "$1.tmp" && mv "$1.tmp" "$1"
wait
