# Production image of the hub. Build: docker build -t bops-hub .
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build:dashboard --if-present && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production HUB_HOST=0.0.0.0 HUB_HTTP_PORT=8080 HUB_MQTT_PORT=1883 HUB_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app ./
RUN useradd -r -u 10001 hub && mkdir -p /data && chown hub /data
USER hub
EXPOSE 8080 1883
VOLUME /data
HEALTHCHECK --interval=15s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.HUB_HTTP_PORT||8080)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "services/hub/main.ts"]
