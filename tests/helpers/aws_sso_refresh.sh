#!/bin/sh
# awsAuthRefresh fixture, like `aws sso login`: counts its runs in $QLAUDE_TEST_COUNTER (if set),
# then writes a fresh SSO token cache file $1 holding access token $2, valid for one more hour.
[ -n "${QLAUDE_TEST_COUNTER:-}" ] && echo run >> "$QLAUDE_TEST_COUNTER"
echo "Then enter the code: WDDD-HRQV"
mkdir -p "$(dirname "$1")"
expires=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
printf '{"startUrl": "https://example.awsapps.com/start", "region": "eu-west-1", "accessToken": "%s", "expiresAt": "%s"}\n' "$2" "$expires" > "$1"
echo "Successfully logged into Start URL: https://example.awsapps.com/start"
