# mas2 worker image: `docker compose up --scale worker=N` runs N of these
# against the Temporal cluster in docker-compose.yml.
FROM node:20-slim

# python3 for the `python` tool (sandboxed with unshare/setpriv/prlimit from
# util-linux, which the base image already has); CA certificates for HTTPS
# model endpoints.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so source edits do not invalidate this layer.
COPY package.json package-lock.json ./
# The committed lock, exactly (it carries every platform's optional packages).
RUN npm ci --no-audit --no-fund

COPY . .
RUN npm run build

# This worker's own state (run workspaces; the blob folder unless
# MAS2_BLOB_STORE points at PostgreSQL, as in docker-compose.yml).
ENV MAS2_HOME=/data/mas2
RUN mkdir -p /data/mas2

# Runs as root on purpose: the python tool drops model-written code to
# `nobody` with setpriv, which needs root.
CMD ["node", "bin/mas2.js", "worker"]
