#!/bin/sh
# apiKeyHelper fixture: succeeds without printing anything.
exit 0
