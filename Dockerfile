# Snapstack in a container. It drives the host's Docker engine through the mounted socket, and
# its data directory must be mounted at the same path inside and outside (the engine mounts
# volume layers by host path); archives need CAP_SYS_ADMIN (overlay's trusted.* xattrs).
# See docker-compose.yml and the README ("Snapstack in a container").
#
# BASE_IMAGE: node:20-bookworm-slim wherever a registry is reachable; without one,
# scripts/build-node-base-image.sh makes snapstack/node-base:20 from the host's own files:
#   docker build --build-arg BASE_IMAGE=snapstack/node-base:20 -t snapstack:local .
# What Snapstack needs from it: node 20, npm (build stage), GNU tar and GNU cp (volume layers).
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
# The classic builder keeps this stage as an untagged image: the label finds it for removal.
LABEL snapstack.build-stage=true
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY openapi ./openapi
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${BASE_IMAGE}
WORKDIR /app
LABEL org.opencontainers.image.title="snapstack" \
      org.opencontainers.image.description="A local OpenStack emulator centred on snapshots" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production SNAPSTACK_HOST=0.0.0.0 SNAPSTACK_PORT=8700 SNAPSTACK_DATA_DIR=/var/lib/snapstack
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY openapi ./openapi
EXPOSE 8700
# node's fetch: the slim base has no curl or wget. SNAPSTACK_PORT is read at check time.
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SNAPSTACK_PORT||8700)+'/snapstack/v1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/snapstack.js"]
CMD ["serve"]
