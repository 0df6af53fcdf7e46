# Alternator Gateway container image.
#   docker build -t alternator-gateway .
#   docker run --rm -p 50051:50051 -p 9090:9090 alternator-gateway --backend-endpoints http://db:8000
# The build stage runs the same scripts/setup.sh the README uses, in its build-only mode (no test or client
# toolchains, no DynamoDB Local); the runtime stage is a slim Debian with only the libraries the binary links.

FROM debian:12 AS build
WORKDIR /src
COPY . .
# Release build of the gateway target only; the package check fails the build when the runtime list below
# misses a library the binary links.
RUN ALTGW_SETUP_BUILD_ONLY=1 ALTGW_BUILD_TYPE=Release ALTGW_BUILD_DIR=/src/build-image ./scripts/setup.sh \
 && ./scripts/check-runtime-packages.sh build-image/server/alternator-gateway docker/runtime-packages.txt \
 && strip -o /alternator-gateway build-image/server/alternator-gateway

FROM debian:12-slim
COPY docker/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && apt-get install -y --no-install-recommends $(sed 's/#.*//' /tmp/runtime-packages.txt) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --gid 10001 altgw \
 && useradd --uid 10001 --gid altgw --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin altgw
COPY --from=build /alternator-gateway /usr/local/bin/alternator-gateway
# Numeric user so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
# Listen on every interface inside the container (the binary's own default is loopback only).
ENV ALTGW_LISTEN=0.0.0.0:50051 \
    ALTGW_ADMIN_LISTEN=0.0.0.0:9090
# gRPC, and the admin HTTP port (/healthz, /readyz, /metrics). No HEALTHCHECK: orchestrators probe gRPC health.
EXPOSE 50051 9090
ENTRYPOINT ["/usr/local/bin/alternator-gateway"]
