#!/usr/bin/env bash
# Generates the gRPC stubs of the gateway's contract (proto/) for C++, Python, Go, Java, Node and Ruby, and
# builds the compiled ones (C++ library and check program, Go and Java examples), into an ignored build folder.
# Only Debian packages and npm are used.
#
#   client/generate-stubs.sh [--out DIR] [--install] [LANGUAGE...]
#
#   LANGUAGE   cpp python go java node ruby (default: all of them)
#   --out DIR  where to write (default: build/clients); every language gets DIR/<language>
#   --install  first install the Debian packages a language needs (apt-get, as root) when missing
#
# What each language gets (see client/README.md for how to run the examples):
#   cpp     DIR/cpp/gen: *.pb.{h,cc} / *.grpc.pb.{h,cc} of proto/, google.rpc and grpc.health.v1, compiled into
#           DIR/cpp/lib/libaltgw_stubs.a (flags: pkg-config grpc++ protobuf), and DIR/cpp/bin/altgw-stubs-check
#           built on it from client/cpp/stubs_check.cc (the gateway's own build, CMake, generates its copy)
#   python  DIR/python: *_pb2.py / *_pb2_grpc.py of proto/ and of grpc.health.v1 (module health_pb2)
#   go      DIR/go: a GOPATH whose src/alternator-gateway/gen/go/... holds the generated package (go_package
#           of the .proto files), and DIR/go/bin/altgw-example-go built from client/go/example
#   java    DIR/java/classes: generated and compiled stubs + client/java's example; DIR/java/classpath;
#           DIR/java/example runs it (with DIR/java/native: netty-tcnative for TLS)
#   node    DIR/node/node_modules: @grpc/grpc-js, @grpc/proto-loader, protobufjs (exact versions of
#           client/node/package-lock.json); Node loads the .proto files at run time, nothing is generated
#   ruby    DIR/ruby: *_pb.rb / *_services_pb.rb of proto/ and of grpc.health.v1
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/clients"
INSTALL=0
LANGUAGES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --out=*) OUT="${1#--out=}"; shift ;;
    --install) INSTALL=1; shift ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    cpp|python|go|java|node|ruby) LANGUAGES+=("$1"); shift ;;
    *) echo "generate-stubs: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[ ${#LANGUAGES[@]} -gt 0 ] || LANGUAGES=(cpp python go java node ruby)
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

PROTO_DIR="$ROOT/proto"
HEALTH_PROTO_DIR="${ALTGW_HEALTH_PROTO_DIR:-/usr/share/grpc-proto}"
GATEWAY_PROTOS=(alternator/gateway/v1/value.proto alternator/gateway/v1/expression.proto
                alternator/gateway/v1/errors.proto alternator/gateway/v1/data_service.proto
                alternator/gateway/v1/table_service.proto alternator/gateway/v1/routing_service.proto)
# The subset of google.rpc the gateway sends (proto/google/rpc): needed where no installed library has it.
RPC_PROTOS=(google/rpc/status.proto google/rpc/error_details.proto)

# The Debian packages each language needs (also in scripts/setup.sh, so CI installs them up front).
declare -A APT_FOR=(
  [cpp]="protobuf-compiler protobuf-compiler-grpc grpc-proto g++ pkg-config libgrpc++-dev libprotobuf-dev"
  [python]="protobuf-compiler protobuf-compiler-grpc grpc-proto python3-grpcio python3-protobuf"
  [go]="protobuf-compiler grpc-proto golang-go golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev protoc-gen-go protoc-gen-go-grpc"
  [java]="protobuf-compiler grpc-proto openjdk-17-jdk-headless libgrpc-java protobuf-compiler-grpc-java-plugin libprotobuf-java libnetty-java libperfmark-java libgoogle-gson-java libguava-java libjsr305-java liberror-prone-java libgeronimo-annotation-1.3-spec-java libnetty-tcnative-java libnetty-tcnative-jni"
  [node]="nodejs"
  [ruby]="grpc-proto ruby-grpc ruby-grpc-tools"
)

log() { printf '[generate-stubs] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

install_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" = 0 ] || die "missing Debian packages (run as root with --install, or scripts/setup.sh): ${missing[*]}"
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found: needs Debian package(s) $2 (try --install)"; }

generate_cpp() {
  need protoc protobuf-compiler
  need g++ g++
  need pkg-config pkg-config
  local plugin=/usr/bin/grpc_cpp_plugin dir="$OUT/cpp"
  [ -x "$plugin" ] || die "$plugin not found: needs Debian package protobuf-compiler-grpc"
  pkg-config --exists grpc++ protobuf || die "grpc++/protobuf development files not found: libgrpc++-dev libprotobuf-dev"
  rm -rf "$dir" && mkdir -p "$dir/gen" "$dir/obj" "$dir/lib" "$dir/bin"
  protoc -I "$PROTO_DIR" -I "$HEALTH_PROTO_DIR" --cpp_out="$dir/gen" --grpc_out="$dir/gen" \
    --plugin=protoc-gen-grpc="$plugin" "${GATEWAY_PROTOS[@]}" "${RPC_PROTOS[@]}" grpc/health/v1/health.proto
  local cflags libs
  cflags="$(pkg-config --cflags grpc++ protobuf)"
  libs="$(pkg-config --libs grpc++ protobuf)"
  # Unoptimised: this proves the code builds (and serves the check program); a project compiles the generated
  # sources with its own flags.
  (cd "$dir/gen" && find . -name '*.cc' | sort |
    xargs -P "$(nproc)" -I{} sh -c 'g++ -std=c++17 -O0 -w -c '"$cflags"' -I. "{}" -o "../obj/$(echo "{}" | tr / _ | sed "s/^\._//").o"')
  ar rcs "$dir/lib/libaltgw_stubs.a" "$dir"/obj/*.o
  # shellcheck disable=SC2086  # the pkg-config flags are word lists
  g++ -std=c++17 -O1 $cflags -I "$dir/gen" "$ROOT/client/cpp/stubs_check.cc" "$dir/lib/libaltgw_stubs.a" $libs \
    -o "$dir/bin/altgw-stubs-check"
  log "cpp: $dir/gen, $dir/lib/libaltgw_stubs.a, check program $dir/bin/altgw-stubs-check"
}

generate_python() {
  need protoc protobuf-compiler
  local plugin=/usr/bin/grpc_python_plugin dir="$OUT/python"
  [ -x "$plugin" ] || die "$plugin not found: needs Debian package protobuf-compiler-grpc"
  rm -rf "$dir" && mkdir -p "$dir"
  protoc -I "$PROTO_DIR" --python_out="$dir" --grpc_out="$dir" --plugin=protoc-gen-grpc="$plugin" \
    "${GATEWAY_PROTOS[@]}" "${RPC_PROTOS[@]}"
  # Rooted at the health proto's own folder so that the module is `health_pb2`: a generated `grpc/` package
  # would shadow the grpc library itself.
  protoc -I "$HEALTH_PROTO_DIR/grpc/health/v1" --python_out="$dir" --grpc_out="$dir" \
    --plugin=protoc-gen-grpc="$plugin" health.proto
  log "python: $dir"
}

generate_go() {
  need protoc protobuf-compiler
  need go golang-go
  need protoc-gen-go protoc-gen-go
  need protoc-gen-go-grpc protoc-gen-go-grpc
  local gopath="$OUT/go"
  local gen="$gopath/src/alternator-gateway/gen/go"
  rm -rf "$gopath/src" && mkdir -p "$gen" "$gopath/bin"
  # google/rpc is not generated: its go_package is genproto's, which Debian ships (golang-google-genproto-dev,
  # pulled in by golang-google-grpc-dev) and which grpc-go's status package already uses.
  protoc -I "$PROTO_DIR" --go_out="$gen" --go_opt=paths=source_relative \
    --go-grpc_out="$gen" --go-grpc_opt=paths=source_relative "${GATEWAY_PROTOS[@]}"
  # Offline: GOPATH mode over Debian's Go sources (/usr/share/gocode), no module proxy.
  (cd "$ROOT/client/go/example" &&
    GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOPROXY=off GOFLAGS=-mod=mod \
      GOCACHE="${GOCACHE:-$OUT/go-cache}" go build -o "$gopath/bin/altgw-example-go" .)
  log "go: $gen, example $gopath/bin/altgw-example-go"
}

java_classpath() {
  local jars=(grpc-api grpc-core grpc-context grpc-stub grpc-protobuf grpc-protobuf-lite grpc-netty protobuf
              guava perfmark-api gson jsr305 error_prone_annotations geronimo-annotation-1.3-spec
              netty-buffer netty-codec netty-codec-http netty-codec-http2 netty-codec-socks netty-common
              netty-handler netty-handler-proxy netty-resolver netty-transport netty-transport-native-unix-common
              netty-tcnative)
  local cp="" jar
  for jar in "${jars[@]}"; do
    [ -f "/usr/share/java/$jar.jar" ] || die "/usr/share/java/$jar.jar not found (Debian Java packages, try --install)"
    cp="${cp:+$cp:}/usr/share/java/$jar.jar"
  done
  printf '%s' "$cp"
}

generate_java() {
  need protoc protobuf-compiler
  need javac openjdk-17-jdk-headless
  local plugin=/usr/bin/grpc_java_plugin dir="$OUT/java"
  [ -x "$plugin" ] || die "$plugin not found: needs Debian package protobuf-compiler-grpc-java-plugin"
  rm -rf "$dir" && mkdir -p "$dir/src" "$dir/classes"
  # google/rpc is generated here (java_package com.google.rpc, like the usual artifact): Debian has no Java
  # package with it.
  protoc -I "$PROTO_DIR" -I "$HEALTH_PROTO_DIR" --java_out="$dir/src" --grpc-java_out="$dir/src" \
    --plugin=protoc-gen-grpc-java="$plugin" "${GATEWAY_PROTOS[@]}" "${RPC_PROTOS[@]}" grpc/health/v1/health.proto
  local cp
  cp="$(java_classpath)"
  printf '%s\n' "$cp" > "$dir/classpath"
  find "$dir/src" "$ROOT/client/java/src" -name '*.java' > "$dir/sources.txt"
  javac -nowarn -encoding UTF-8 -d "$dir/classes" -cp "$cp" @"$dir/sources.txt" 2>&1 |
    grep -v -e '^Note:' >&2 || true
  [ -f "$dir/classes/io/alternator/gateway/example/Example.class" ] || die "java: compiling failed"
  # TLS: gRPC needs ALPN, and Debian's netty has no JDK ALPN support, so TLS goes through OpenSSL
  # (netty-tcnative). Debian installs its JNI library as libnetty-tcnative.so, netty loads netty_tcnative, and
  # the library checks its own file name when loaded: hence a copy under the expected name, not a link.
  local jni=/usr/lib/x86_64-linux-gnu/jni/libnetty-tcnative.so
  [ -f "$jni" ] || die "$jni not found: needs Debian package libnetty-tcnative-jni"
  mkdir -p "$dir/native" && cp "$jni" "$dir/native/libnetty_tcnative.so"
  cat > "$dir/example" <<LAUNCHER
#!/bin/sh
# Runs the Java example (generated by client/generate-stubs.sh).
exec java -Djava.library.path="$dir/native" -cp "$dir/classes:$cp" io.alternator.gateway.example.Example "\$@"
LAUNCHER
  chmod +x "$dir/example"
  log "java: $dir/classes (classpath in $dir/classpath), run $dir/example"
}

generate_node() {
  need node nodejs
  need npm "npm (or nodejs from NodeSource)"
  local dir="$OUT/node"
  mkdir -p "$dir"
  cp "$ROOT/client/node/package.json" "$ROOT/client/node/package-lock.json" "$dir/"
  # Exact versions from the lock file; protobufjs' postinstall only prints a notice, nothing is compiled.
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
  log "node: $dir/node_modules (set NODE_PATH to it)"
}

generate_ruby() {
  need grpc_tools_ruby_protoc ruby-grpc-tools
  local dir="$OUT/ruby"
  rm -rf "$dir" && mkdir -p "$dir"
  # google/rpc is generated too: ruby-googleapis-common-protos-types has it, but the gateway's subset keeps
  # every language on the same definitions; put DIR/ruby first on the load path.
  grpc_tools_ruby_protoc -I "$PROTO_DIR" -I "$HEALTH_PROTO_DIR" --ruby_out="$dir" --grpc_out="$dir" \
    "${GATEWAY_PROTOS[@]}" "${RPC_PROTOS[@]}" grpc/health/v1/health.proto
  log "ruby: $dir"
}

if [ "$INSTALL" = 1 ]; then
  packages=()
  for language in "${LANGUAGES[@]}"; do read -r -a more <<< "${APT_FOR[$language]}"; packages+=("${more[@]}"); done
  install_packages "${packages[@]}"
fi
for language in "${LANGUAGES[@]}"; do
  "generate_$language"
done
