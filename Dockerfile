# syntax=docker/dockerfile:1
# Production image of the hub (docs/operations.md "Deploy"):
#   docker build -t bops-hub --build-arg VERSION=$(node -p 'require("./package.json").version') \
#     --build-arg REVISION=$(git rev-parse HEAD) --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ) .
# It runs the compiled hub (dist/server/hub.mjs) with production dependencies only, as the
# unprivileged `node` user, and needs DATABASE_URL: the embedded PostgreSQL of the zero-setup
# start is not in the image (docker-compose.yml runs PostgreSQL next to it).
ARG NODE_VERSION=22

# --- build: every dependency; compile the server bundle and the dashboard ------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so this layer is rebuilt only when the lock file changes. `npm ci` installs
# exactly package-lock.json (the lock lists every platform's optional rollup/esbuild packages).
# Its postinstall generates the Prisma client from prisma/schema.prisma, offline.
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts/prisma-generate.mjs scripts/
COPY prisma/schema.prisma prisma/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# --- production dependencies: no dev tools, no optional embedded PostgreSQL (~60 MB) -------------
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no production dependency needs an install script (the Prisma client is
# generated in the build stage and compiled into the bundle). Prisma's runtime ships a query
# compiler per database (≈ 45 MB); only PostgreSQL's is ever loaded.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force \
  && find node_modules/@prisma/client/runtime -name 'query_compiler_*' ! -name '*postgresql*' -delete

# --- runtime ----------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="Building Operations Hub" \
      org.opencontainers.image.description="楼宇运营中枢: MQTT devices → incident procedures → live control room" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="UNLICENSED" \
      org.opencontainers.image.documentation="docs/operations.md"
ENV NODE_ENV=production \
    HUB_HOST=0.0.0.0 \
    HUB_HTTP_PORT=8080 \
    HUB_MQTT_PORT=1883 \
    HUB_DATA_DIR=/data \
    HUB_DEMO=0
WORKDIR /app
# What the bundle reads at run time, at the same places relative to it as in the repo
# (scripts/build.mjs): its node_modules, the dashboard build, the migrations.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/dist/server ./dist/server
COPY --from=build /app/dashboard/dist ./dashboard/dist
COPY --from=build /app/dashboard/static ./dashboard/static
COPY --from=build /app/prisma/migrations ./prisma/migrations
# `node` (uid 1000) comes with the base image; the app files stay root-owned (read-only to it)
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# HTTP, MQTT; with HUB_TLS_CERT/HUB_TLS_KEY also MQTT over TLS and HTTPS (docs/security.md)
EXPOSE 8080 1883 8883 8443
# ready = database reachable, migrations applied, broker listening (CONTRACT.md "Operations")
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HUB_HTTP_PORT||8080)+'/api/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# the hub stops in order on SIGTERM (flushes telemetry, closes connections) within 20 s
STOPSIGNAL SIGTERM
# the same flags and environment as `npm start` (package.json; BENCHMARKS.md "Idle memory"):
# Prisma's query-compiler wasm stays on V8's baseline tier (its optimising compile left ~90 MB
# of freed-but-kept malloc memory), one full GC after the start,
# no in-process source maps (≈ 30 MB; NODE_OPTIONS=--enable-source-maps brings them back), and
# glibc returning the 16 MiB scrypt buffers of password hashing instead of keeping one per thread
ENV MALLOC_MMAP_THRESHOLD_=4194304
CMD ["node", "--liftoff-only", "--expose-gc", "dist/server/hub.mjs"]
