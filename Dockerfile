# One image for every service; SERVICE picks which one runs.
# Untested on the development machines (no Docker engine there); kept correct by reading.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json nx.json tsconfig.base.json tsconfig.json prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY packages ./packages
COPY services ./services
RUN npm ci --no-audit --no-fund
ARG SERVICE=gateway
ENV SERVICE=${SERVICE}
CMD ["sh", "-c", "exec node --import tsx services/${SERVICE}/src/main.ts"]
