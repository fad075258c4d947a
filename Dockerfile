# mooring's container image: `mooring run` on the manifests in /etc/mooring/manifests,
# status and metrics in /var/lib/mooring, the engine through the mounted Docker socket.
#
#   docker build -t mooring .
#   docker run -d --name mooring --restart unless-stopped \
#     --network host --pid host --cap-add SYS_ADMIN --cap-add SYS_PTRACE \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     -v /etc/mooring/manifests:/etc/mooring/manifests:ro \
#     -v /var/lib/mooring:/var/lib/mooring \
#     mooring
#
# Why each flag is there: docs/operations.md ("In a container").

# Any image with node 20 (>= 20.19), npm and a shell for the build stages; the final
# stage also wants nsenter (util-linux) for the nsenter probe method.
ARG BASE_IMAGE=node:20-bookworm-slim

# Optional: extra-ca-certificates.crt in the build context, for a registry reached
# through a TLS-intercepting proxy. The `[t]` glob lets COPY go on when it is absent,
# and only the two npm stages see it: it never reaches the final image.

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json extra-ca-certificates.cr[t] ./
# --ignore-scripts: no dependency needs its install script to build or run mooring
# (ssh2's optional native crypto binding would only want a compiler).
RUN if [ -f extra-ca-certificates.crt ]; then export NODE_EXTRA_CA_CERTS="$PWD/extra-ca-certificates.crt"; fi \
 && npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle-cli.js ./scripts/
COPY src ./src
RUN npm run build

FROM ${BASE_IMAGE} AS production-dependencies
WORKDIR /src
COPY package.json package-lock.json extra-ca-certificates.cr[t] ./
RUN if [ -f extra-ca-certificates.crt ]; then export NODE_EXTRA_CA_CERTS="$PWD/extra-ca-certificates.crt"; fi \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${BASE_IMAGE}
# The nsenter probe method (auto's fallback when the probe threads cannot load their FFI) runs
# the prober under nsenter; fail here rather than in a probe.
RUN nsenter --version >/dev/null || { echo "the base image has no nsenter (util-linux), which the nsenter probe method needs" >&2; exit 1; }
WORKDIR /opt/mooring
COPY package.json ./
COPY bin ./bin
COPY --from=production-dependencies /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
RUN ln -s /opt/mooring/bin/mooring.js /usr/local/bin/mooring
ENV NODE_ENV=production
VOLUME ["/etc/mooring/manifests", "/var/lib/mooring"]
# The daemon's own /healthz, served by the --listen of the default command. When you
# pass your own arguments, keep a --listen and point MOORING_HEALTHCHECK_URL at it.
ENV MOORING_HEALTHCHECK_URL=http://127.0.0.1:9750/healthz
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.MOORING_HEALTHCHECK_URL).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["mooring"]
CMD ["run", "-m", "/etc/mooring/manifests", "--status", "/var/lib/mooring/status.json", "--metrics-file", "/var/lib/mooring/metrics.prom", "--listen", "127.0.0.1:9750"]
