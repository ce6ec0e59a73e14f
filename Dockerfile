# A container of the service, built from the same tarball as any other install: `npm pack` in a
# build stage (which has the dev dependencies to compile), then `npm install --omit=dev` of that
# tarball in a small runtime stage. Build: docker build -t im-topic-sync .
# Run:   docker run -p 8080:8080 -e IM_SDKAPPID=… -e IM_CALLBACK_TOKEN=… -e API_TOKEN=… -v imsync:/data im-topic-sync

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm pack --pack-destination /dist

FROM node:22-bookworm-slim
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0 DATABASE_URL=file:/data/callbacks.db
# The heap bounds of docs/deploy.md ("Memory"): peak RSS under full load stays near 130 MB.
ENV NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=256"
WORKDIR /app
COPY --from=build /dist/im-topic-sync-*.tgz /tmp/
RUN echo '{"name":"im-topic-sync-app","private":true}' > package.json \
  && npm install --omit=dev --no-audit --no-fund /tmp/im-topic-sync-*.tgz \
  && rm /tmp/im-topic-sync-*.tgz && npm cache clean --force \
  && mkdir -m 0700 /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8080
# The probes of docs/deploy.md; node is the one tool the image is sure to have.
HEALTHCHECK --interval=10s --timeout=2s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The bin itself, not npx and not a shell: SIGTERM from `docker stop` reaches the service, which drains.
STOPSIGNAL SIGTERM
CMD ["node_modules/.bin/im-topic-sync", "serve"]
