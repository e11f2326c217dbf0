# personas-cloud: one build target per service (docker-compose.yml builds both).
#
#   docker build --target orchestrator -t personas-cloud-orchestrator .   # API, queues, gateway; no Claude CLI
#   docker build --target worker -t personas-cloud-worker .               # runs the Claude CLI, one sandbox per run
#
# Both start node itself (no npm, no shell in between), so `docker stop` delivers SIGTERM to it: the
# orchestrator closes cleanly and a worker lets running executions finish within SHUTDOWN_GRACE_MS.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Compilers only for the rare platform without a better-sqlite3 prebuild; they stay in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
# The worker's native spawn module: a file: dependency, copied into node_modules (.npmrc
# install-links) and built there by node-gyp with the others.
COPY worker/native ./worker/native
# Dependencies first (cached until the lockfile changes); install scripts run, the build does not yet.
# npm warns EBADENGINE for @anthropic-ai/claude-code (it declares Node >= 22): its package ships a
# native binary that needs no Node at all, so the Node 20 here is fine (see the README).
RUN npm ci --ignore-scripts && npm rebuild
COPY tsconfig.json tsconfig.build.json ./
COPY server ./server
COPY worker ./worker
COPY shared ./shared
COPY migrations ./migrations
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

# The orchestrator never runs the CLI: its node_modules without the ~400 MB of the CLI's native builds.
FROM build AS orchestrator-modules
RUN rm -rf node_modules/@anthropic-ai/claude-code node_modules/@anthropic-ai/claude-code-* node_modules/.bin/claude

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# ---- worker -----------------------------------------------------------------------------------
FROM runtime AS worker
# git, curl: what the CLI's tools commonly need. bubblewrap (user/pid/net namespaces per run),
# socat (the run's only way out: the worker's egress proxy) and util-linux's setpriv (drop to a
# slot's uid): the per-run sandbox, see the README's "Security model".
RUN apt-get update \
 && apt-get install -y --no-install-recommends git curl bubblewrap socat util-linux \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Root on purpose: the worker itself never runs a CLI as root; it starts each run as an
# unprivileged uid of its own per slot (WORKER_SANDBOX_UID_BASE + slot) inside its sandbox.
USER root
CMD ["node", "--max-semi-space-size=8", "dist/worker/main.js"]

# ---- orchestrator (last: the default target of a plain `docker build .`) -------------------------
FROM runtime AS orchestrator
COPY --from=orchestrator-modules --chown=node:node /app/package.json /app/package-lock.json ./
COPY --from=orchestrator-modules --chown=node:node /app/node_modules ./node_modules
COPY --from=orchestrator-modules --chown=node:node /app/dist ./dist
# The data folder belongs to the unprivileged user, so a fresh named volume mounted here is writable.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3001 8443
VOLUME ["/app/data"]
# /health answers 503 (with the reason) until the orchestrator is ready, e.g. while Redis is unreachable.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 3001) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "--max-semi-space-size=8", "dist/server/main.js"]
