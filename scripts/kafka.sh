#!/usr/bin/env bash
# A real Apache Kafka cluster on this machine's loopback, for people and for the tests: 1 or 3
# nodes in KRaft mode (each node broker and controller), small heaps, auto-create off, the
# product's topics replicated 3 times with min.insync.replicas=2 (on 3 nodes).
#
#   scripts/kafka.sh up [--brokers 3] [--dir DIR] [--ports P1,..,PN,C1,..,CN] [--set key=value]...
#                       [--partitions 6] [--no-topics] [--owner PID] [--crvs PATH]
#       formats and starts the nodes, waits until every broker serves, creates the product's
#       topics (`crvs topics create`, with build/services/cli/crvs or --crvs PATH), and prints
#       the bootstrap address alone on its last line. --set adds a broker setting to every
#       node; --owner stops the cluster when process PID ends (the tests' safety net).
#   scripts/kafka.sh down [--dir DIR]          stops every node and removes DIR
#   scripts/kafka.sh status [--dir DIR]        each node's pid and whether it runs
#   scripts/kafka.sh kill|freeze|thaw|start N [--dir DIR]
#       kill -9 node N, SIGSTOP it, SIGCONT it, or start it again (after kill) — the faults the
#       fault suite injects (tests/faults/README.md).
#
# Defaults: DIR /tmp/crvs-kafka, ports 19092.. (brokers) and 19192.. (controllers). Then:
#   build/services/cli/crvs --set kafka.bootstrap_servers=127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096 dev
# The jars come from scripts/install-deps.sh (scripts/java/kafka/pom.xml, Kafka 4.1.1).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
lib="${XDG_CACHE_HOME:-$HOME/.cache}/crvs-sync/java/kafka/lib"

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
die() { echo "kafka.sh: $*" >&2; exit 1; }

cmd=${1:-}; [ -n "$cmd" ] || usage 2; shift
[ "$cmd" = "--help" ] || [ "$cmd" = "-h" ] && usage 0
node=""
case "$cmd" in kill|freeze|thaw|start) node=${1:-}; [ -n "$node" ] || die "$cmd needs a node number"; shift ;; esac

dir=/tmp/crvs-kafka brokers=3 ports="" partitions=6 topics=1 owner="" settings=()
crvs="$root/build/services/cli/crvs"
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --brokers) brokers=$2; shift 2 ;;
    --ports) ports=$2; shift 2 ;;
    --set) settings+=("$2"); shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --no-topics) topics=0; shift ;;
    --owner) owner=$2; shift 2 ;;
    --crvs) crvs=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

pid_of() { cat "$dir/$1/pid" 2>/dev/null || true; }
running() {  # alive and not a zombie (an orphan killed with -9 may wait to be reaped)
  local p; p=$(pid_of "$1")
  [ -n "$p" ] && [ -r "/proc/$p/stat" ] && [ "$(cut -d' ' -f3 "/proc/$p/stat")" != Z ]
}
nodes() { ls -d "$dir"/[0-9]* 2>/dev/null | xargs -rn1 basename | sort -n; }

launch() {  # launch N: starts node N's JVM in the background, detached from this shell
  local n=$1
  [ -d "$lib" ] || die "no Kafka jars in $lib: run scripts/install-deps.sh"
  running "$n" && die "node $n already runs (pid $(pid_of "$n"))"
  setsid java -Xms192m -Xmx384m -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" -Dkafka.logs.dir="$dir/$n" \
    -cp "$lib/*" kafka.Kafka "$dir/$n/server.properties" \
    >"$dir/$n/stdout.log" 2>&1 </dev/null &
  echo $! >"$dir/$n/pid"
}

bootstrap() {
  local n out=()
  for n in $(nodes); do out+=("$(sed -n 's/^advertised.listeners=PLAINTEXT:\/\///p' "$dir/$n/server.properties")"); done
  (IFS=,; echo "${out[*]}")
}

wait_serving() {  # until kcat sees every broker (60 s)
  local want=$1 boot; boot=$(bootstrap)
  for _ in $(seq 1 120); do
    if kcat -b "$boot" -L -m 2 2>/dev/null | grep -q "^ $want brokers:"; then return 0; fi
    for n in $(nodes); do
      running "$n" || die "node $n exited while starting; its log: $dir/$n/server.log"
    done
    sleep 0.5
  done
  die "the brokers did not all serve within 60 s; logs in $dir/*/server.log"
}

up() {
  [ "$brokers" = 1 ] || [ "$brokers" = 3 ] || die "--brokers must be 1 or 3"
  command -v java >/dev/null || die "java not found: run scripts/install-deps.sh"
  [ -d "$lib" ] || die "no Kafka jars in $lib: run scripts/install-deps.sh"
  [ -e "$dir" ] && [ -n "$(nodes)" ] && die "$dir already holds a cluster (scripts/kafka.sh down --dir $dir)"
  local n p=() c=() voters=() isr=$(( brokers < 2 ? 1 : 2 ))
  if [ -n "$ports" ]; then
    IFS=, read -r -a all <<<"$ports"
    [ ${#all[@]} -eq $((2 * brokers)) ] || die "--ports needs $((2 * brokers)) ports"
    p=("${all[@]:0:$brokers}"); c=("${all[@]:$brokers}")
  else
    for n in $(seq 1 "$brokers"); do p+=($((19090 + 2 * n))); c+=($((19190 + 2 * n))); done
  fi
  for n in $(seq 1 "$brokers"); do voters+=("$n@127.0.0.1:${c[$((n - 1))]}"); done
  mkdir -p "$dir"
  cat >"$dir/log4j2.properties" <<'EOF'
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
EOF
  local cluster_id
  cluster_id=$(java -cp "$lib/*" kafka.tools.StorageTool random-uuid 2>/dev/null)
  for n in $(seq 1 "$brokers"); do
    mkdir -p "$dir/$n"
    {
      echo "process.roles=broker,controller"
      echo "node.id=$n"
      echo "controller.quorum.voters=$(IFS=,; echo "${voters[*]}")"
      echo "listeners=PLAINTEXT://127.0.0.1:${p[$((n - 1))]},CONTROLLER://127.0.0.1:${c[$((n - 1))]}"
      echo "advertised.listeners=PLAINTEXT://127.0.0.1:${p[$((n - 1))]}"
      echo "controller.listener.names=CONTROLLER"
      echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
      echo "inter.broker.listener.name=PLAINTEXT"
      echo "log.dirs=$dir/$n/data"
      echo "auto.create.topics.enable=false"
      echo "num.partitions=$partitions"
      echo "default.replication.factor=$brokers"
      echo "min.insync.replicas=$isr"
      echo "unclean.leader.election.enable=false"
      echo "offsets.topic.replication.factor=$brokers"
      echo "offsets.topic.num.partitions=6"
      echo "transaction.state.log.replication.factor=$brokers"
      echo "transaction.state.log.min.isr=$isr"
      echo "group.initial.rebalance.delay.ms=0"
      echo "num.network.threads=2"
      echo "num.io.threads=4"
      for s in ${settings[@]+"${settings[@]}"}; do echo "$s"; done
    } >"$dir/$n/server.properties"
    java -cp "$lib/*" kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$dir/$n/server.properties" >"$dir/$n/format.log" 2>&1 ||
      die "formatting node $n failed: $(tail -3 "$dir/$n/format.log")"
  done
  for n in $(seq 1 "$brokers"); do launch "$n"; done
  wait_serving "$brokers"
  if [ -n "$owner" ]; then  # the safety net: down when the owner ends
    (setsid bash -c "while kill -0 $owner 2>/dev/null; do sleep 1; done; '$0' down --dir '$dir'" \
      >/dev/null 2>&1 </dev/null &)
  fi
  if [ "$topics" = 1 ]; then
    [ -x "$crvs" ] || die "cluster up at $(bootstrap), but no crvs binary at $crvs to create the topics (scripts/build.sh, --crvs PATH, or --no-topics)"
    "$crvs" --set kafka.bootstrap_servers="$(bootstrap)" topics create \
      --partitions "$partitions" --replication-factor "$brokers" >&2
  fi
  echo "kafka.sh: $brokers node(s) up, logs in $dir/*/server.log" >&2
  bootstrap
}

down() {
  [ -d "$dir" ] || return 0
  local n pid
  for n in $(nodes); do
    pid=$(pid_of "$n"); [ -n "$pid" ] || continue
    kill -CONT "$pid" 2>/dev/null || true   # a frozen node cannot act on TERM
    kill -TERM "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 40); do
    local alive=0
    for n in $(nodes); do running "$n" && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.25
  done
  for n in $(nodes); do running "$n" && kill -KILL "$(pid_of "$n")" 2>/dev/null || true; done
  rm -rf "$dir"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  status)
    for n in $(nodes); do
      if running "$n"; then echo "node $n pid $(pid_of "$n") running"; else echo "node $n stopped"; fi
    done ;;
  kill) running "$node" || die "node $node does not run"; kill -KILL "$(pid_of "$node")"
        while running "$node"; do sleep 0.05; done ;;
  freeze) running "$node" || die "node $node does not run"; kill -STOP "$(pid_of "$node")" ;;
  thaw) kill -CONT "$(pid_of "$node")" ;;
  start) launch "$node" ;;
  *) die "unknown command '$cmd' (see --help)" ;;
esac
