#!/bin/sh
# awsCredentialExport / credential_process fixture: counts runs in $QLAUDE_TEST_COUNTER (if set)
# and prints credentials. $1: "sts", "flat", "process" (Version 1) or "garbage"; $2 $3: the
# secret access key in two halves; $4: the expiration (optional).
[ -n "${QLAUDE_TEST_COUNTER:-}" ] && echo run >> "$QLAUDE_TEST_COUNTER"
exp=${4:-}
case "$1" in
sts) printf '{"Credentials":{"AccessKeyId":"AKIAEXPORT","SecretAccessKey":"%s%s","SessionToken":"tok-export","Expiration":"%s"}}\n' "$2" "$3" "$exp" ;;
flat) printf '{"AccessKeyId":"AKIAFLAT","SecretAccessKey":"%s%s","SessionToken":"tok-flat"}\n' "$2" "$3" ;;
process) printf '{"Version":1,"AccessKeyId":"AKIAPROCESS","SecretAccessKey":"%s%s"}\n' "$2" "$3" ;;
*) printf 'not json %s%s\n' "$2" "$3" ;;
esac
