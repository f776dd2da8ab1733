#!/usr/bin/env bash
# Runs one test binary with a HOME of its own under the suite's temporary HOME, so test binaries
# can run in parallel (ctest -j) without sharing settings, history or trust files, and with every
# cloud metadata endpoint pointed at a closed local port, so no test waits on a real one.
set -eu
name=$(basename "$1")
if [ -n "${QLAUDE_TEST_HOME:-}" ]; then
    export HOME="$QLAUDE_TEST_HOME/homes/$name"
    export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" \
           XDG_CACHE_HOME="$HOME/.cache"
    mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
fi
# AWS: no instance metadata; no container credentials; STS (GetCallerIdentity before
# awsAuthRefresh) on a closed port unless a test points it at its fake.
export AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_STS=http://127.0.0.1:9
unset AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
      AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION \
      AWS_DEFAULT_REGION AWS_BEARER_TOKEN_BEDROCK
# Google: the metadata server and ADC file point nowhere real.
export GCE_METADATA_HOST=127.0.0.1:9 GCE_METADATA_IP=127.0.0.1:9
unset GOOGLE_APPLICATION_CREDENTIALS CLOUDSDK_CONFIG
# Azure: managed identity endpoints on a closed port.
export IDENTITY_ENDPOINT=http://127.0.0.1:9/msi/token IMDS_ENDPOINT=http://127.0.0.1:9
unset MSI_ENDPOINT AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_CLIENT_SECRET AZURE_FEDERATED_TOKEN_FILE
# English texts, whatever the machine's locale: tests compare the app's sentences (the
# translations have their own test, tst_Translations, which asks for each language itself).
export LANG=C.UTF-8 LC_ALL=C.UTF-8
unset LANGUAGE
exec "$@"
