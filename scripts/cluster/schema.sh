#!/bin/sh
# Temporal's PostgreSQL schemas (persistence plugin postgres12), the steps
# docker-compose.yml's `temporal-schema` job runs and scripts/cluster runs on
# loopback. Idempotent: `create` ignores an existing database, `setup-schema
# -v 0.0` keeps a newer version, `update-schema` is incremental.
#
#   POSTGRES_SEEDS (host), DB_PORT, POSTGRES_USER, SQL_PASSWORD (optional),
#   SCHEMA_DIR (…/schema/postgresql/v12), TEMPORAL_DB / VISIBILITY_DB
#   (default temporal / temporal_visibility), BLOB_DB (optional: an empty
#   database for mas2's blob store, whose table the workers create);
#   `temporal-sql-tool` on PATH.
set -eu
: "${POSTGRES_SEEDS:?}" "${DB_PORT:?}" "${POSTGRES_USER:?}" "${SCHEMA_DIR:?}"
sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"; }
for pair in "${TEMPORAL_DB:-temporal}:temporal" "${VISIBILITY_DB:-temporal_visibility}:visibility"; do
  db=${pair%%:*}; dir=${pair#*:}
  echo "schema: $db"
  sql --db "$db" create
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$SCHEMA_DIR/$dir/versioned"
done
if [ -n "${BLOB_DB:-}" ]; then
  echo "schema: $BLOB_DB (mas2 blob store)"
  sql --db "$BLOB_DB" create
fi
echo "schema: done"
