#!/bin/sh
# The namespace and mas2's custom search attributes (the names and types of
# SEARCH_ATTRIBUTES in client/devServer.ts), the steps docker-compose.yml's
# `temporal-namespace` job runs and scripts/cluster runs on loopback.
# Idempotent. Connects like every Temporal tool: TEMPORAL_ADDRESS and, for a
# TLS frontend, TEMPORAL_TLS_* / TEMPORAL_API_KEY (the `temporal` CLI reads them).
#
#   TEMPORAL_ADDRESS, NAMESPACE (default `default`), RETENTION (default 72h); `temporal` on PATH.
set -eu
: "${TEMPORAL_ADDRESS:?}"
ns=${NAMESPACE:-default}
n=0
until temporal operator cluster health >/dev/null 2>&1; do
  n=$((n + 1)); [ "$n" -lt 60 ] || { echo "namespace: temporal at $TEMPORAL_ADDRESS not healthy"; exit 1; }
  sleep 1
done
if temporal operator namespace describe -n "$ns" >/dev/null 2>&1; then
  echo "namespace: $ns exists"
else
  temporal operator namespace create -n "$ns" --retention "${RETENTION:-72h}"
fi
# Right after `namespace create` the namespace is briefly "not found" to other calls: retry.
for sa in Mas2Status:Keyword Mas2CostUsd:Double Mas2Task:Text; do
  name=${sa%%:*}; type=${sa#*:}
  n=0
  until temporal operator search-attribute list -n "$ns" 2>/dev/null | grep -qw "$name"; do
    temporal operator search-attribute create -n "$ns" --name "$name" --type "$type" >/dev/null 2>&1 || true
    n=$((n + 1)); [ "$n" -lt 60 ] || { echo "namespace: could not register search attribute $name"; exit 1; }
    sleep 1
  done
  echo "namespace: search attribute $name"
done
echo "namespace: done"
