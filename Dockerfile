# syntax=docker/dockerfile:1
# Policyplane's image: the console (`node scripts/start.mjs`) and the decision point
# (`node bin/policyplane.mjs serve`) from one build. Runs as a non-root user on a read-only root
# filesystem: everything it writes goes to the paths below, mounted writable (emptyDir or a volume):
#   /tmp                      temporary files (uploads in flight, tsx for `npm run` scripts)
#   /app/.next/cache          Next.js's runtime cache (console only)
#   /var/lib/policyplane      POLICYPLANE_DATA_DIR: replay datasets, the audit checkpoint file (console)
# Build: docker build -t policyplane:0.1.0 .   (deploy/ holds the Kubernetes manifests)

FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
# Dependencies first (a layer reused while package-lock.json is unchanged); the CLI bundle waits for the sources.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild esbuild
COPY . .
# The console's build, the CLI bundle (policyplane serve, backup, restore …) and the worker bundles (engine, replay, audit hashing), built
# now so nothing is written at run time (node_modules/.cache is read-only in the container).
RUN npx next build \
 && node bin/cli-bundle.mjs \
 && node scripts/engine-worker.mjs \
 && node scripts/engine-worker.mjs server/simulator/run-worker.ts replay-worker \
 && node scripts/engine-worker.mjs server/audit/hash-worker.ts audit-worker \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf .next/cache

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    HOST=0.0.0.0 \
    PORT=3000 \
    POLICYPLANE_PREBUILT=1 \
    POLICYPLANE_DATA_DIR=/var/lib/policyplane \
    AUDIT_CHECKPOINT_FILE=/var/lib/policyplane/audit-checkpoints.jsonl \
    HOME=/tmp
# A fixed numeric user (Kubernetes' runAsNonRoot checks it without a passwd lookup); root owns the code.
RUN groupadd --system --gid 10001 policyplane \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin policyplane \
 && mkdir -p /var/lib/policyplane /app/.next/cache \
 && chown 10001:10001 /var/lib/policyplane /app/.next/cache
COPY --from=build /app /app
USER 10001:10001
EXPOSE 3000 3100
CMD ["node", "scripts/start.mjs"]
