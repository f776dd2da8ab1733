#!/bin/sh
# awsAuthRefresh fixture, like `aws sso login`: talks to the user (a device code), counts its
# runs in $QLAUDE_TEST_COUNTER (if set), then writes fresh keys to the credentials file $1 (the
# secret in two halves, $2 $3), when $1 is not "-".
[ -n "${QLAUDE_TEST_COUNTER:-}" ] && echo run >> "$QLAUDE_TEST_COUNTER"
echo "Attempting to automatically open the SSO authorization page in your default browser."
sleep 0.2
echo "Then enter the code: WDDD-HRQV"
[ "$1" = "-" ] && exit 0
mkdir -p "$(dirname "$1")"
printf '[default]\naws_access_key_id = AKIATESTKEY\naws_secret_access_key = %s%s\n' "$2" "$3" > "$1"
echo "Successfully logged into Start URL: https://example.awsapps.com/start"
