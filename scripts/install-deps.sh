#!/usr/bin/env bash
# Installs every Debian package crvs-sync needs to build, run and test.
# Idempotent: installs only what is missing and runs `apt-get update` at most once.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config
  # gRPC and Protocol Buffers (+ google/rpc/*.proto for the rich error model)
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  golang-github-gogo-googleapis-dev libabsl-dev
  # Kafka client (with the mock cluster, rdkafka_mock.h) and kcat for interop tests
  librdkafka-dev kcat
  # databases: SQLite embedded, PostgreSQL for production and its tests
  libsqlite3-dev sqlite3 libpq-dev postgresql
  # crypto (libsodium: argon2id password hashes of operator accounts), logging, CLI, HTTP, JSON
  libssl-dev libsodium-dev libxml2-dev libxmlsec1-dev xmlsec1 libspdlog-dev libfmt-dev libcli11-dev libcpp-httplib-dev nlohmann-json3-dev
  prometheus-cpp-dev
  # tests
  libgtest-dev libgmock-dev
  # observability tests: promtool (check config/rules/metrics, rule unit tests)
  prometheus
  # console browser tests: headless Chromium driven over WebDriver (chromedriver), a client
  # certificate imported into its NSS store (certutil, pk12util) made with the openssl tool
  chromium chromium-driver libnss3-tools openssl
  # deploy_test: YAML of deploy/ (compose, Kubernetes)
  python3-yaml
  # fuzz test: clang and libFuzzer's runtime (tests/fuzz/README.md)
  clang libclang-rt-14-dev
  # the real Kafka cluster, Kafka Connect and Debezium of the tests and scripts/kafka.sh: Java 17
  # runs them, Maven fetches their pinned jars (scripts/java/*/pom.xml); the JDK compiles the
  # API guide's Java client (examples/clients/java)
  openjdk-17-jre-headless openjdk-17-jdk-headless maven
  # the API guide's Python client (examples/clients/python): a virtual environment for its
  # pinned packages
  python3-venv
)

# --build-only: what configuring and building needs, without the servers and tools only the
# tests run (the container image's build stage uses this).
if [ "${1:-}" = "--build-only" ]; then
  test_only=" kcat sqlite3 postgresql prometheus chromium chromium-driver libnss3-tools openssl python3-yaml clang libclang-rt-14-dev
    openjdk-17-jre-headless openjdk-17-jdk-headless maven python3-venv "
  build=()
  for p in "${packages[@]}"; do
    [[ "$test_only" == *" $p "* ]] || build+=("$p")
  done
  packages=("${build[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
[ "${1:-}" = "--build-only" ] && exit 0

# The Java peers Debian does not package (Apache Kafka, Kafka Connect, Debezium), at the versions
# pinned in scripts/java/*/pom.xml, copied with their dependencies into a cache outside git:
# ${XDG_CACHE_HOME:-~/.cache}/crvs-sync/java/<name>/. Fetched again only when a pom changes.
java_cache="${XDG_CACHE_HOME:-$HOME/.cache}/crvs-sync/java"
fetch_jars() {  # fetch_jars NAME OUTPUT_SUBDIR [mvn args...]
  local name=$1 out="$java_cache/$1/$2" pom="scripts/java/$1/pom.xml"; shift 2
  local stamp="$java_cache/$name/.pom.sha256" sum
  sum=$(sha256sum "$pom" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return 0; fi
  echo "install-deps: fetching the jars of $pom into $out"
  rm -rf "$java_cache/$name" && mkdir -p "$out"
  mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$out" "$@"
  echo "$sum" > "$stamp"
}
fetch_jars kafka lib
# Kafka Connect provides Kafka's own classes to its plugins.
fetch_jars debezium debezium-connector-postgres -DexcludeGroupIds=org.apache.kafka
# The peer of scripts/bench-peer.sh (Debezium's JDBC sink), only when asked for: the tests do
# not need it. CRVS_BENCH_PEER=1 scripts/install-deps.sh
if [ "${CRVS_BENCH_PEER:-0}" = 1 ]; then
  fetch_jars debezium-jdbc debezium-connector-jdbc -DexcludeGroupIds=org.apache.kafka
fi
echo "install-deps: Kafka and Debezium jars in $java_cache"

# The API guide's example clients (examples/clients/, tests/e2e/clients/): the Python client's
# pinned packages in a virtual environment, ${XDG_CACHE_HOME:-~/.cache}/crvs-sync/python/venv;
# the Java client's (grpc-java, protoc and its grpc plugin as Maven artifacts) in Maven's
# repository, by building it once into the cache. Again only when requirements.txt / pom.xml
# change; the test then builds offline.
client_cache="${XDG_CACHE_HOME:-$HOME/.cache}/crvs-sync"
requirements=examples/clients/python/requirements.txt
stamp="$client_cache/python/.requirements.sha256"
sum=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
  echo "install-deps: the Python client's packages ($requirements) into $client_cache/python/venv"
  rm -rf "$client_cache/python" && mkdir -p "$client_cache/python"
  python3 -m venv "$client_cache/python/venv"
  "$client_cache/python/venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  echo "$sum" > "$stamp"
fi
pom=examples/clients/java/pom.xml
stamp="$client_cache/java/.example-client.pom.sha256"
sum=$(sha256sum "$pom" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
  echo "install-deps: the Java client's packages ($pom) into Maven's repository"
  mkdir -p "$client_cache/java"
  mvn -q -B -Dstyle.color=never -f "$pom" \
    -Dcrvs.build.directory="$client_cache/java/example-client" package
  echo "$sum" > "$stamp"
fi
echo "install-deps: example clients' packages in $client_cache"
