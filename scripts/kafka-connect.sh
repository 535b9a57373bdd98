#!/usr/bin/env bash
# A Kafka Connect worker in standalone mode running Debezium's PostgreSQL connector: the change
# stream of a court's decision table on a real Kafka cluster (scripts/kafka.sh), as a court
# would run it in front of `crvs court-source` (connectors/court_source/README.md).
#
#   scripts/kafka-connect.sh start --bootstrap HOST:PORT[,..] --pg-port PORT [--dir DIR]
#        [--pg-host 127.0.0.1] [--pg-user postgres] [--pg-password ''] [--pg-db court]
#        [--table public.decisions] [--prefix court] [--name court] [--slot crvs_court]
#        [--rest-port 8083] [--schemas true|false] [--partitions 1] [--replication-factor 1]
#        [--set key=value]... [--worker-set key=value]... [--wait-topic] [--owner PID]
#       writes DIR/worker.properties and DIR/connector.properties, starts the worker, waits
#       until the connector and its task run (60 s), with --wait-topic also until the change
#       topic exists (Connect creates it with the first change or snapshot row), and prints the
#       change topic (PREFIX.SCHEMA.TABLE) alone on its last line. --slot names the
#       replication slot and the publication. --set adds a connector
#       setting, --worker-set a worker setting (both override the defaults). --owner stops the
#       worker when process PID ends (the tests' safety net).
#   scripts/kafka-connect.sh stop [--dir DIR]    SIGTERM: Connect commits its offsets and leaves
#   scripts/kafka-connect.sh kill [--dir DIR]    SIGKILL: changes since the last offset flush
#                                                (offset.flush.interval.ms) are sent again
#   scripts/kafka-connect.sh status [--dir DIR]  the pid, and the connector's state (REST)
#
# Start again with the same DIR to resume: the offsets (DIR/offsets.dat) hold the last WAL
# position sent, so no snapshot is taken again. rm -rf DIR after stop for a fresh start (and
# drop the replication slot: SELECT pg_drop_replication_slot('crvs_court')).
# Defaults: DIR /tmp/crvs-connect; JSON converter, value schemas on (--schemas), keys without;
# pgoutput, snapshot.mode=initial, publication.autocreate.mode=filtered. The court's database
# needs wal_level=logical, a role with REPLICATION (and ownership of the table for the
# publication), and REPLICA IDENTITY FULL on the table for deletes to carry the row.
# The jars come from scripts/install-deps.sh (Kafka 4.1.1 runtime, Debezium 3.6.1.Final plugin).
#
#   scripts/kafka-connect.sh start --connector jdbc-sink --topics T[,..] --bootstrap HOST:PORT[,..]
#        --pg-port PORT [--pg-db DB] [--tasks 1] [--name jdbc-sink] [--rest-port 8083]
#        [--set key=value]... [--worker-set key=value]... [--owner PID] [--dir DIR]
#       the other way round: Debezium's JDBC sink connector (3.6.0.Final,
#       scripts/java/debezium-jdbc) writes topics T (Connect JSON values with schemas, plain
#       string keys) into PostgreSQL: insert.mode=upsert, primary.key.mode=record_value on the
#       value's column business_key, schema.evolution=basic (it creates the table). Waits until the
#       connector and a task run, then prints T. The worker gets the full JIT and a 1 GiB heap
#       (scripts/bench-peer.sh measures it); stop, kill and status as above.
set -euo pipefail
cache="${XDG_CACHE_HOME:-$HOME/.cache}/crvs-sync/java"
lib="$cache/kafka/lib"
plugins="$cache/debezium"

usage() { sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
die() { echo "kafka-connect.sh: $*" >&2; exit 1; }

cmd=${1:-}; [ -n "$cmd" ] || usage 2; shift
[ "$cmd" = "--help" ] || [ "$cmd" = "-h" ] && usage 0

dir=/tmp/crvs-connect bootstrap="" pg_host=127.0.0.1 pg_port="" pg_user=postgres pg_password=""
pg_db=court table=public.decisions prefix=court name=court slot=crvs_court rest_port=8083
schemas=true partitions=1 replication=1 wait_topic=0 owner="" settings=() worker_settings=()
connector=postgres-source topics="" tasks=1 name_set=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --bootstrap) bootstrap=$2; shift 2 ;;
    --pg-host) pg_host=$2; shift 2 ;;
    --pg-port) pg_port=$2; shift 2 ;;
    --pg-user) pg_user=$2; shift 2 ;;
    --pg-password) pg_password=$2; shift 2 ;;
    --pg-db) pg_db=$2; shift 2 ;;
    --table) table=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --name) name=$2; name_set=1; shift 2 ;;
    --connector) connector=$2; shift 2 ;;
    --topics) topics=$2; shift 2 ;;
    --tasks) tasks=$2; shift 2 ;;
    --slot) slot=$2; shift 2 ;;
    --rest-port) rest_port=$2; shift 2 ;;
    --schemas) schemas=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --replication-factor) replication=$2; shift 2 ;;
    --set) settings+=("$2"); shift 2 ;;
    --worker-set) worker_settings+=("$2"); shift 2 ;;
    --wait-topic) wait_topic=1; shift ;;
    --owner) owner=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

pid_of() { cat "$dir/pid" 2>/dev/null || true; }
running() {  # alive and not a zombie
  local p; p=$(pid_of)
  [ -n "$p" ] && [ -r "/proc/$p/stat" ] && [ "$(cut -d' ' -f3 "/proc/$p/stat")" != Z ]
}
rest() { curl -fsS --max-time 2 "http://127.0.0.1:$(sed -n 's/^listeners=http:\/\/127.0.0.1://p' "$dir/worker.properties")$1" 2>/dev/null; }
topic() { if [ "$connector" = jdbc-sink ]; then echo "$topics"; else echo "$prefix.$table"; fi; }

source_properties() {  # Debezium's PostgreSQL connector: a table's change stream to Kafka
  echo "name=$name"
  echo "connector.class=io.debezium.connector.postgresql.PostgresConnector"
  echo "tasks.max=1"
  echo "plugin.name=pgoutput"
  echo "database.hostname=$pg_host"
  echo "database.port=$pg_port"
  echo "database.user=$pg_user"
  echo "database.password=$pg_password"
  echo "database.dbname=$pg_db"
  echo "topic.prefix=$prefix"
  echo "table.include.list=$table"
  echo "slot.name=$slot"
  echo "publication.name=$slot"
  echo "publication.autocreate.mode=filtered"
  echo "snapshot.mode=initial"
  echo "topic.creation.default.partitions=$partitions"
  echo "topic.creation.default.replication.factor=$replication"
}

sink_properties() {  # Debezium's JDBC sink connector: topics to PostgreSQL tables, upserted
  echo "name=$name"
  echo "connector.class=io.debezium.connector.jdbc.JdbcSinkConnector"
  echo "tasks.max=$tasks"
  echo "topics=$topics"
  echo "connection.url=jdbc:postgresql://$pg_host:$pg_port/$pg_db"
  echo "connection.username=$pg_user"
  echo "connection.password=$pg_password"
  echo "insert.mode=upsert"
  # the business key is a column of the value (a plain string record key fails the cast to
  # Struct of Debezium 3.6.0's record_key mode)
  echo "primary.key.mode=record_value"
  echo "primary.key.fields=business_key"
  echo "schema.evolution=basic"
  # keys are the business keys as plain strings, values Connect JSON with their schemas
  echo "key.converter=org.apache.kafka.connect.storage.StringConverter"
  echo "value.converter=org.apache.kafka.connect.json.JsonConverter"
  echo "value.converter.schemas.enable=true"
}

start() {
  [ -n "$bootstrap" ] || die "start needs --bootstrap (scripts/kafka.sh up prints it)"
  [ -n "$pg_port" ] || die "start needs --pg-port"
  [ "$schemas" = true ] || [ "$schemas" = false ] || die "--schemas must be true or false"
  local plugin=debezium-connector-postgres
  # C1 only: a shorter start on a small machine; a worker of one small table needs no more.
  local jvm=(-Xms128m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1)
  case "$connector" in
    postgres-source) ;;
    jdbc-sink)
      [ -n "$topics" ] || die "--connector jdbc-sink needs --topics"
      plugins="$cache/debezium-jdbc" plugin=debezium-connector-jdbc
      [ "$name_set" = 1 ] || name=jdbc-sink
      jvm=(-Xms256m -Xmx1g) ;;
    *) die "--connector must be postgres-source or jdbc-sink" ;;
  esac
  command -v java >/dev/null || die "java not found: run scripts/install-deps.sh"
  command -v curl >/dev/null || die "curl not found"
  [ -d "$lib" ] || die "no Kafka jars in $lib: run scripts/install-deps.sh"
  [ -d "$plugins/$plugin" ] ||
    die "no Debezium plugin in $plugins/$plugin: run scripts/install-deps.sh" \
        "(CRVS_BENCH_PEER=1 for the JDBC sink)"
  running && die "a worker already runs from $dir (pid $(pid_of))"
  mkdir -p "$dir"
  {
    echo "bootstrap.servers=$bootstrap"
    echo "listeners=http://127.0.0.1:$rest_port"
    echo "plugin.path=$plugins"
    # Debezium's jars carry ServiceLoader manifests: skips a ~9 s reflective class scan.
    echo "plugin.discovery=service_load"
    echo "key.converter=org.apache.kafka.connect.json.JsonConverter"
    echo "key.converter.schemas.enable=false"
    echo "value.converter=org.apache.kafka.connect.json.JsonConverter"
    echo "value.converter.schemas.enable=$schemas"
    echo "offset.storage.file.filename=$dir/offsets.dat"
    for s in ${worker_settings[@]+"${worker_settings[@]}"}; do echo "$s"; done
  } >"$dir/worker.properties"
  {
    if [ "$connector" = jdbc-sink ]; then sink_properties; else source_properties; fi
    for s in ${settings[@]+"${settings[@]}"}; do echo "$s"; done
  } >"$dir/connector.properties"
  cat >"$dir/log4j2.properties" <<EOF
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $dir/connect.log
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
EOF
  setsid java "${jvm[@]}" \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$lib/*" org.apache.kafka.connect.cli.ConnectStandalone \
    "$dir/worker.properties" "$dir/connector.properties" >>"$dir/stdout.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  if [ -n "$owner" ]; then  # the safety net: stop the worker when the owner ends
    local me; me=$(pid_of)
    (setsid bash -c "while kill -0 $owner 2>/dev/null && kill -0 $me 2>/dev/null; do sleep 1; done;
                     kill -0 $me 2>/dev/null && kill -KILL $me" >/dev/null 2>&1 </dev/null &)
  fi
  local state=""
  for _ in $(seq 1 240); do
    running || die "the worker exited while starting; its log: $dir/connect.log
$(grep -E ' (ERROR|WARN) ' "$dir/connect.log" 2>/dev/null | grep -v 'Failed to discover' | tail -5)"
    state=$(rest "/connectors/$name/status" || true)
    if echo "$state" | grep -q '"tasks":\[{[^]]*"state":"RUNNING"'; then break; fi
    if echo "$state" | grep -q '"state":"FAILED"'; then
      die "the connector failed: $(echo "$state" | head -c 2000)"
    fi
    state=""
    sleep 0.25
  done
  [ -n "$state" ] || die "the connector did not run within 60 s; log: $dir/connect.log"
  if [ "$wait_topic" = 1 ]; then
    local t; t=$(topic)
    for _ in $(seq 1 240); do
      if kcat -b "$bootstrap" -L -t "$t" -m 2 2>/dev/null | grep -q "topic \"$t\" with [1-9]"; then
        t=""; break
      fi
      sleep 0.25
    done
    [ -z "$t" ] || die "topic $(topic) did not appear within 60 s (an empty table makes it at the first change)"
  fi
  echo "kafka-connect.sh: worker pid $(pid_of) up, connector $name running, log $dir/connect.log" >&2
  topic
}

stop_worker() {  # stop_worker SIGNAL
  running || return 0
  local pid; pid=$(pid_of)
  kill "-$1" "$pid" 2>/dev/null || true
  for _ in $(seq 1 120); do running || return 0; sleep 0.25; done
  echo "kafka-connect.sh: worker $pid still runs 30 s after SIG$1: SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  while running; do sleep 0.05; done
}

case "$cmd" in
  start) start ;;
  stop) stop_worker TERM ;;
  kill) stop_worker KILL ;;
  status)
    if running; then echo "worker pid $(pid_of) running"; rest "/connectors?expand=status" || true; echo
    else echo "worker stopped"; fi ;;
  *) die "unknown command '$cmd' (see --help)" ;;
esac
