#!/usr/bin/env bash
# ctest example_clients_test (tests/e2e/CMakeLists.txt): the API guide's example clients
# (examples/clients/: Python with grpcio, Java with grpc-java) against a `crvs dev` this script
# starts on free ports, so the guide cannot rot. Their packages come pinned from the Python
# index and Maven Central, fetched by scripts/install-deps.sh; this script works offline.
#
# usage: example_clients_test.sh CRVS_BINARY [python|java ...]   (default: both)
set -euo pipefail
crvs=$1; shift
langs=${*:-python java}
src=$(cd "$(dirname "$0")/../../.." && pwd)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/crvs-sync"
work=$(mktemp -d /tmp/crvs-clients-XXXXXX)
dev=""
cleanup() {
  if [ -n "$dev" ]; then kill -INT "$dev" 2>/dev/null || true; wait "$dev" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
gateway=$(free_port)
"$crvs" --set "database.url=sqlite:$work/crvs.db" \
  --set "gateway.listen=127.0.0.1:$gateway" --set gateway.metrics_listen=127.0.0.1:0 \
  --set registry.listen=127.0.0.1:0 --set reconcile.listen=127.0.0.1:0 \
  --set admin.listen=127.0.0.1:0 --set feeds.listen=127.0.0.1:0 \
  --set console.listen=127.0.0.1:0 \
  --set log.level=warn dev >"$work/dev.log" 2>&1 &
dev=$!
for _ in $(seq 300); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', $gateway), 1)" 2>/dev/null
  then break; fi
  kill -0 "$dev" 2>/dev/null || { echo "crvs dev exited:"; cat "$work/dev.log"; exit 1; }
  sleep 0.1
done
echo "crvs dev: gateway on 127.0.0.1:$gateway"

protos=$(cd "$src/proto" && find crvs -name '*.proto' | sort)
for lang in $langs; do
  case $lang in
    python)
      py="$cache/python/venv/bin/python"
      [ -x "$py" ] || { echo "no $py: run scripts/install-deps.sh"; exit 1; }
      # google/rpc/*.proto ship with googleapis-common-protos, the well-known types with
      # grpcio-tools.
      rpc=$("$py" -c 'import google.rpc, os; print(os.path.dirname(os.path.dirname(list(google.rpc.__path__)[0])))')
      mkdir -p "$work/python"
      (cd "$src/proto" && "$py" -m grpc_tools.protoc -I . -I "$rpc" \
        --python_out="$work/python" --grpc_python_out="$work/python" $protos)
      echo "--- python"
      PYTHONPATH="$work/python" "$py" "$src/examples/clients/python/crvs_example_client.py" \
        --gateway "127.0.0.1:$gateway" --principal facility:BV01002 ;;
    java)
      echo "--- java"
      mvn -o -q -B -Dstyle.color=never -f "$src/examples/clients/java/pom.xml" \
        -Dcrvs.build.directory="$work/java" -Dcrvs.proto.root="$src/proto" package
      java -jar "$work/java/crvs-example-client.jar" \
        --gateway "127.0.0.1:$gateway" --principal facility:BV01002 ;;
    *) echo "unknown client $lang"; exit 2 ;;
  esac
done
