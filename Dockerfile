# personas-cloud: one image for the orchestrator (`npm run orchestrator`) and workers (`npm run worker`).
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Compilers only for the rare platform without a better-sqlite3 prebuild; they stay in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Dependencies first (cached until the lockfile changes); install scripts run, the build does not yet.
RUN npm ci --ignore-scripts && npm rebuild
COPY tsconfig.json tsconfig.build.json ./
COPY server ./server
COPY worker ./worker
COPY shared ./shared
COPY migrations ./migrations
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# git and ca-certificates: the Claude CLI's tools commonly need them on a worker.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The data folder belongs to the unprivileged user, so a fresh named volume mounted here is writable.
RUN mkdir -p /app/data && chown node:node /app/data
# Not root: the worker runs the Claude CLI, which refuses --dangerously-skip-permissions as root
# and should not have root's reach anyway.
USER node
EXPOSE 3001 8443
VOLUME ["/app/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 3001) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["npm", "run", "orchestrator"]
