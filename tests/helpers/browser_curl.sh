#!/bin/sh
# A BROWSER for tests: "opens" the URL by fetching it with curl and following the redirects, as a
# browser would after the user signed in: authorize page -> http://localhost:PORT/callback (the
# qlaude loopback listener) -> the success page. Nothing is printed; with QLAUDE_TEST_BROWSER_LOG
# set, the final HTTP status is appended there.
status=$(curl --silent --location --max-redirs 8 --noproxy '*' --max-time 20 \
    --output /dev/null --write-out '%{http_code}' "$1")
[ -n "${QLAUDE_TEST_BROWSER_LOG:-}" ] && echo "$status" >> "$QLAUDE_TEST_BROWSER_LOG"
exit 0
