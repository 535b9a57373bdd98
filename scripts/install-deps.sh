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
  # crypto, logging, CLI, HTTP, JSON
  libssl-dev libspdlog-dev libfmt-dev libcli11-dev libcpp-httplib-dev nlohmann-json3-dev
  prometheus-cpp-dev
  # tests
  libgtest-dev libgmock-dev
  # observability tests: promtool (check config/rules/metrics, rule unit tests)
  prometheus
  # console browser test: headless Chromium
  chromium
  # deploy_test: YAML of deploy/ (compose, Kubernetes)
  python3-yaml
  # fuzz test: clang and libFuzzer's runtime (tests/fuzz/README.md)
  clang libclang-rt-14-dev
)

# --build-only: what configuring and building needs, without the servers and tools only the
# tests run (the container image's build stage uses this).
if [ "${1:-}" = "--build-only" ]; then
  test_only=" kcat sqlite3 postgresql prometheus chromium python3-yaml clang libclang-rt-14-dev "
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
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
