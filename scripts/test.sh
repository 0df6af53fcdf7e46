#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit tests, the C++ end-to-end suite and the
# Python cross-client tests (both start their own DynamoDB Local on loopback).
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         only CTest label "unit" (other ctest arguments pass through)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${ALTGW_BUILD_DIR:-$ROOT/build}"

"$ROOT/scripts/setup.sh"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 1800 -j "$(nproc)" "$@"
