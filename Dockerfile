# Snapstack in a container. It drives the host's Docker engine through the mounted socket, and
# its data directory must be mounted at the same path inside and outside (the engine mounts
# volume layers by host path). See docker-compose.yml.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY openapi ./openapi
COPY web ./web
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production SNAPSTACK_HOST=0.0.0.0 SNAPSTACK_PORT=8700
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY openapi ./openapi
EXPOSE 8700
ENTRYPOINT ["node", "bin/snapstack.js"]
CMD ["serve"]
