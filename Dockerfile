# One image for the whole hub: the six services, the migrate/topics job, the operator CLI
# and the two provider sandboxes. The command (or $SERVICE) picks the program:
#   docker run IMAGE gateway | router | sms-adapter | email-adapter | status-ingest | scheduler
#   docker run IMAGE migrate                  (migrations, then the Kafka topics; one-shot)
#   docker run IMAGE hub-cli keys create --scopes events:write,admin:read
# TypeScript is compiled to JavaScript at build time (esbuild, scripts/build-service.mjs):
# no tsx, no compiler at run time; production dependencies only; runs as the user `node`.
# NODE_IMAGE lets a machine without a registry use a locally built stand-in (scripts/docker/).
ARG NODE_IMAGE=node:20-bookworm-slim

# The workspaces' package.json files alone, so that the dependency layer below is reused
# until a manifest or the lock file changes (not on every source change).
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY packages ./packages
COPY services ./services
RUN find packages services -type f ! -name package.json -delete && find packages services -type d -empty -delete

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=manifests /app/ ./
# --ignore-scripts: no install script may reach the network (Prisma's engines download);
# the client is generated explicitly below, offline (scripts/prisma-generate.mjs).
RUN npm ci --no-audit --no-fund --ignore-scripts --include=dev
COPY packages ./packages
COPY services ./services
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.base.json tsconfig.json ./
# Generate the Prisma client, bundle every program, then gather the production modules:
# only the installed packages the bundles can load (scripts/docker/prod-modules.mjs), less
# type declarations, source maps, docs and Prisma's query compilers for other databases.
RUN set -e; \
    node scripts/prisma-generate.mjs; \
    node scripts/build-service.mjs --all /app/dist; \
    node scripts/docker/prod-modules.mjs /app/dist/meta.json /app/prod; \
    rm /app/dist/meta.json; \
    find /app/prod/node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' -o -name '*.markdown' \) -delete; \
    find /app/prod/node_modules/@prisma/client/runtime -type f -name 'query_compiler_*' ! -name '*.postgresql.*' -delete

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    MIGRATIONS_DIR=/app/prisma/migrations
WORKDIR /app
COPY --from=build /app/prod/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
COPY prisma/migrations ./prisma/migrations
USER node
HEALTHCHECK --interval=10s --timeout=10s --start-period=60s --retries=3 CMD ["node", "/app/dist/healthcheck.mjs"]
ENTRYPOINT ["/app/dist/entrypoint.sh"]
