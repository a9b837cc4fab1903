# The Berth API / worker image. Defaults to the offline base image built by scripts/build-base-images.sh
# (no registry needed); pass --build-arg BASE=node:20-bookworm-slim where a registry is reachable.
ARG BASE=berth/node-runtime:local
FROM ${BASE}
WORKDIR /srv/berth
ENV NODE_ENV=production HOME=/tmp
COPY package.json package-lock.json ./
COPY node_modules ./node_modules
COPY dist ./dist
USER 10001
EXPOSE 3000
CMD ["node", "dist/apps/api/src/main.js"]
