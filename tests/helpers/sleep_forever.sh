#!/bin/sh
# apiKeyHelper fixture: hangs far past any timeout, and says so on stderr first.
echo "waiting for a password prompt that never comes" >&2
sleep 600
