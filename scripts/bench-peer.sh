#!/usr/bin/env bash
# crvs's registry sink and a peer side by side: Debezium's JDBC sink connector (Kafka Connect
# standalone) draining the same death notices into the same PostgreSQL, on a real Kafka cluster,
# in the same run. Prints both rates, run by run, then the medians.
#
#   scripts/bench-peer.sh [--records 100000] [--runs 3] [--brokers 3] [--partitions 6]
#                         [--batch 2000] [--crvs PATH] [--logs DIR]
#
# Starts a private PostgreSQL (initdb in a temp dir, a free port, default durability) and a
# Kafka cluster (scripts/kafka.sh up, --brokers nodes, topics of --partitions partitions). Then,
# for each run, in a fresh database `crvsbench`:
#   a. `crvs bench sink --records N` on that cluster and that database, its own fresh death
#      topic: N sealed protobuf envelopes produced first, then the sink (one consumer, batches
#      of sink.batch_max_records = --batch, each one transaction with its offsets) drains them;
#      its "sink, Kafka -> database" rate.
#   b. the same N death notices (same keys death/BV79001/BENCH-<run>-<i>, same fields, same
#      number of partitions) as Connect JSON with schemas (kcat -P) to a fresh topic; then
#      scripts/kafka-connect.sh starts Debezium's JDBC sink (tasks.max = partitions,
#      insert.mode=upsert, primary.key.mode=record_value on business_key, batch.size = --batch)
#      into the table peer_death_notices of the same database; timed from the first row in the
#      table to the N-th (SELECT count(*) every 0.1 s); then Connect stops, the table is dropped.
# Needs: build/services/cli/crvs (or --crvs), java, kcat, psql, python3, PostgreSQL's server
# binaries in /usr/lib/postgresql/*/bin, and the jars of scripts/install-deps.sh (Kafka, and
# scripts/java/debezium-jdbc, fetched only with CRVS_BENCH_PEER=1 scripts/install-deps.sh). Everything it starts stops on exit, Ctrl-C included, and its
# temp dir goes; --logs DIR keeps the logs there (Connect's, crvs's, PostgreSQL's, Kafka's).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
die() { echo "bench-peer.sh: $*" >&2; exit 1; }
say() { echo "bench-peer.sh: $*" >&2; }

records=100000 runs=3 brokers=3 partitions=6 batch=2000 crvs="$root/build/services/cli/crvs"
logs=""
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --brokers) brokers=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --crvs) crvs=$2; shift 2 ;;
    --logs) logs=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
for n in "$records" "$runs" "$partitions" "$batch"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "--records, --runs, --partitions, --batch: positive integers"
done
[ -x "$crvs" ] || die "no crvs binary at $crvs (scripts/build.sh, or --crvs PATH)"
for tool in java kcat psql python3 curl; do
  command -v "$tool" >/dev/null || die "$tool not found: run scripts/install-deps.sh"
done
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pg_bin/initdb" ] || die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin"

work=$(mktemp -d /tmp/crvs-bench-peer-XXXXXX)
chmod 755 "$work"   # the postgres user reaches its directory through it
kafka_up=0 pg_up=0 connect_dir="" child="" starter=""
table=peer_death_notices db=crvsbench

as_pg() {  # as_pg COMMAND...: as the postgres user when root (the server refuses root)
  if [ "$(id -u)" = 0 ]; then set -- runuser -u postgres -- "$@"; fi
  env -C "$work/pg" "$@"
}
cleanup() {
  trap - EXIT INT TERM
  set +eu  # every step, whatever the one before did
  if [ -n "$logs" ]; then  # before the stops: scripts/kafka.sh down removes its directory
    mkdir -p "$logs" && logs=$(cd "$logs" && pwd)
    (cd "$work" && find . \( -name '*.log' -o -name '*.out' -o -name '*.err' \
      -o -name '*.properties' \) -exec cp --parents {} "$logs" \;) 2>/dev/null
  fi
  local p=""
  for p in $child $starter; do pkill -TERM -P "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 1 20); do  # 5 s to end, then SIGKILL (a crvs whose Kafka is going may hang)
    for p in $child $starter; do kill -0 "$p" 2>/dev/null && break; p=""; done
    [ -z "$p" ] && break
    sleep 0.25
  done
  for p in $child $starter; do kill -KILL "$p" 2>/dev/null; done
  [ -n "$connect_dir" ] && "$root/scripts/kafka-connect.sh" stop --dir "$connect_dir" &>/dev/null
  [ "$kafka_up" = 1 ] && { "$root/scripts/kafka.sh" down --dir "$work/kafka" >/dev/null 2>&1 & }
  [ "$pg_up" = 1 ] && as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1
  wait
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
sql() {  # sql DB STATEMENT: one value per line
  PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$pg_port" -U postgres -d "$1" -c "$2"
}
bg_wait() {  # bg_wait COMMAND...: in the background, waited for: a signal stops the wait at once
  "$@" &
  child=$!
  local rc=0
  wait "$child" || rc=$?
  child=""
  return "$rc"
}
median() {
  sort -g | awk '{v[NR] = $1}
    END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

# --- PostgreSQL, default durability (fsync=on, synchronous_commit=on), TCP on loopback
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown postgres: "$work/pg"
chmod 700 "$work/pg"
as_pg "$pg_bin/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
  --no-instructions >"$work/initdb.log" 2>&1 || die "initdb failed: $(tail -5 "$work/initdb.log")"
pg_port=$(free_port)
pg_up=1   # from here on, stop it on exit (a stop of a server that never came is harmless)
as_pg "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -t 60 \
  -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null ||
  die "PostgreSQL did not start: $(tail -5 "$work/pg/server.log")"
say "PostgreSQL $(sql postgres 'SHOW server_version') on 127.0.0.1:$pg_port"

# --- Kafka (the product's topics are created by scripts/kafka.sh with crvs)
ports=()
for _ in $(seq 1 $((2 * brokers))); do ports+=("$(free_port)"); done
kafka_up=1
bootstrap=$("$root/scripts/kafka.sh" up --brokers "$brokers" --dir "$work/kafka" \
  --ports "$(IFS=,; echo "${ports[*]}")" --partitions "$partitions" --owner $$ --crvs "$crvs" \
  2>"$work/kafka-up.log" | tail -1) || die "Kafka did not start: $(tail -5 "$work/kafka-up.log")"
say "Kafka ($brokers node(s), $partitions partitions per topic) at $bootstrap"

create_topic() {  # a topic like the product's death topic (partitions, replication, settings)
  "$crvs" --set log.level=warn --set kafka.bootstrap_servers="$bootstrap" \
    --set kafka.topic_deaths="$1" topics create --partitions "$partitions" \
    --replication-factor "$brokers" >"$work/topics.log" 2>&1 ||
    die "creating topic $1 failed: $(tail -5 "$work/topics.log")"
}
end_offsets() {  # the sum of a topic's end offsets: the messages it holds
  local q=() p
  for p in $(seq 0 $((partitions - 1))); do q+=(-t "$1:$p:-1"); done
  kcat -b "$bootstrap" -Q "${q[@]}" 2>/dev/null | awk '{s += $(NF)} END {print s + 0}'
}

# The peer's input: death notice i of bench_records.cc's BenchDeathNotice, flattened into the
# columns of a table, as Connect JSON with its schema; the record key is the business key, as
# crvs's, and so is the value's first column (the JDBC sink's primary key).
cat >"$work/notices.py" <<'EOF'
import json, sys
n, run = int(sys.argv[1]), sys.argv[2]
fields = [  # (column, Connect type)
    ("business_key", "string"), ("facility_code", "string"), ("notice_no", "string"),
    ("deceased_full_name", "string"),
    ("deceased_personal_id", "string"), ("deceased_sex", "string"),
    ("deceased_born_on", "string"), ("deceased_ethnicity", "string"),
    ("residence_province_code", "string"), ("residence_commune_code", "string"),
    ("died_on", "string"), ("died_at_us", "int64"), ("died_utc_offset_minutes", "int32"),
    ("in_facility", "boolean"), ("death_facility_code", "string"),
    ("death_commune_code", "string"), ("underlying_icd10", "string"),
    ("underlying_cause", "string"), ("manner_of_death", "string"),
    ("certifier_full_name", "string"), ("issued_at_us", "int64"),
]
schema = {"type": "struct", "name": "crvs.bench.DeathNotice", "optional": False,
          "fields": [{"field": f, "type": t, "optional": False} for f, t in fields]}
head = '{"schema":' + json.dumps(schema, separators=(",", ":")) + ',"payload":'
out = sys.stdout
for i in range(n):
    notice_no = "BENCH-%s-%d" % (run, i)
    key = "death/BV79001/" + notice_no
    payload = {
        "business_key": key, "facility_code": "BV79001", "notice_no": notice_no,
        "deceased_full_name": "Hoàng Văn Tư", "deceased_personal_id": "001052%06d" % (i % 1000000),
        "deceased_sex": "SEX_MALE", "deceased_born_on": "1952-05-17", "deceased_ethnicity": "Kinh",
        "residence_province_code": "01", "residence_commune_code": "00004",
        "died_on": "2026-10-25", "died_at_us": 1792937400000000, "died_utc_offset_minutes": 420,
        "in_facility": True, "death_facility_code": "BV79001", "death_commune_code": "26734",
        "underlying_icd10": "I21.9", "underlying_cause": "Acute myocardial infarction",
        "manner_of_death": "MANNER_OF_DEATH_NATURAL", "certifier_full_name": "BS. Vũ Quang Huy",
        "issued_at_us": 1792944000000000,
    }
    out.write(key + "\t" + head +
              json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "}\n")
EOF

produce() {  # produce N RUN TOPIC: the notices as Connect JSON, keyed, acks=all, idempotent
  python3 "$work/notices.py" "$1" "$2" |
    kcat -P -b "$bootstrap" -t "$3" -K $'\t' -X enable.idempotence=true -X linger.ms=5 \
      -X queue.buffering.max.messages=1000000
}

wait_rows() {  # wait_rows RC_FILE: "first_time rows_at_first last_time" once N rows are in
  local first="" at_first=0 c t i=0 give_up=$((SECONDS + 900))
  while :; do
    c=$(sql "$db" "SELECT count(*) FROM $table" 2>/dev/null) || c=0
    t=$EPOCHREALTIME
    if [ -z "$first" ] && [ "$c" -gt 0 ]; then first=$t at_first=$c; fi
    if [ "$c" -ge "$records" ]; then echo "$first $at_first $t"; return 0; fi
    if [ $((++i % 20)) = 0 ]; then
      if [ -s "$1" ] && [ "$(cat "$1")" != 0 ]; then return 1; fi  # the starter failed
      if curl -fsS --max-time 2 "http://127.0.0.1:$rest_port/connectors/$name/status" 2>/dev/null |
        grep -q '"state":"FAILED"'; then
        say "the JDBC sink failed: $(curl -fsS "http://127.0.0.1:$rest_port/connectors/$name/status" |
          head -c 1500)"
        return 1
      fi
      [ $SECONDS -lt $give_up ] || { say "only $c of $records rows after 15 minutes"; return 1; }
    fi
    sleep 0.1
  done
}

crvs_rates=() peer_rates=() ratios=()
for r in $(seq 1 "$runs"); do
  tag=$(python3 -c 'import secrets; print(secrets.token_hex(4))')
  sql postgres "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  sql postgres "CREATE DATABASE $db" >/dev/null

  # a. crvs's sink
  crvs_topic="crvs-bench.deaths.$tag"
  create_topic "$crvs_topic"
  say "run $r/$runs: crvs bench sink --records $records ..."
  bg_wait "$crvs" --set log.level=warn --set kafka.bootstrap_servers="$bootstrap" \
    --set "database.url=postgresql://postgres@127.0.0.1:$pg_port/$db" \
    --set kafka.topic_deaths="$crvs_topic" --set sink.batch_max_records="$batch" \
    bench sink --records "$records" >"$work/crvs-$r.out" 2>"$work/crvs-$r.err" ||
    die "crvs bench sink failed: $(tail -5 "$work/crvs-$r.err")"
  sed 's/^/    /' "$work/crvs-$r.out" >&2
  crvs_rate=$(sed -n 's/^ *sink, Kafka -> database *\([0-9.]*\) records\/s.*/\1/p' \
    "$work/crvs-$r.out")
  [ -n "$crvs_rate" ] || die "no sink rate in crvs's report: $(cat "$work/crvs-$r.out")"

  # b. the peer: the same notices as Connect JSON, Debezium's JDBC sink
  peer_topic="crvs-bench.peer-deaths.$tag"
  create_topic "$peer_topic"
  say "run $r/$runs: producing $records notices as Connect JSON to $peer_topic ..."
  bg_wait produce "$records" "$tag" "$peer_topic" 2>"$work/kcat-$r.err" ||
    die "kcat failed: $(tail -5 "$work/kcat-$r.err")"
  held=$(end_offsets "$peer_topic")
  [ "$held" = "$records" ] ||
    die "$peer_topic holds $held messages, not $records: $(tail -3 "$work/kcat-$r.err")"
  connect_dir="$work/connect-$r" name="peer-$tag" rest_port=$(free_port)
  say "run $r/$runs: Debezium JDBC sink, $partitions tasks, into $table ..."
  ( "$root/scripts/kafka-connect.sh" start --connector jdbc-sink --dir "$connect_dir" \
    --bootstrap "$bootstrap" --topics "$peer_topic" --pg-port "$pg_port" --pg-db "$db" \
    --tasks "$partitions" --name "$name" --rest-port "$rest_port" \
    --set "collection.name.format=$table" --set "batch.size=$batch" \
    --worker-set "consumer.max.poll.records=$batch" --owner $$ \
    >/dev/null 2>"$work/connect-start-$r.err"; echo $? >"$work/connect-start-$r.rc" ) &
  starter=$!
  bg_wait wait_rows "$work/connect-start-$r.rc" >"$work/timing-$r" ||
    die "the JDBC sink did not write $records rows: $(tail -3 "$work/connect-start-$r.err")
$(grep -E ' ERROR ' "$connect_dir/connect.log" 2>/dev/null | head -3)"
  wait "$starter" 2>/dev/null || true
  starter=""
  read -r t_first at_first t_last <"$work/timing-$r"
  peer_rate=$(awk -v n="$records" -v a="$at_first" -v f="$t_first" -v l="$t_last" \
    'BEGIN {printf "%.0f", (n - a) / ((l - f) > 0 ? (l - f) : 1e-9)}')
  rows=$(sql "$db" "SELECT count(DISTINCT business_key) FROM $table")
  "$root/scripts/kafka-connect.sh" stop --dir "$connect_dir" >/dev/null 2>&1 || true
  connect_dir=""
  sql "$db" "DROP TABLE $table" >/dev/null

  ratio=$(awk -v c="$crvs_rate" -v p="$peer_rate" 'BEGIN {printf "%.2f", c / p}')
  crvs_rates+=("$crvs_rate") peer_rates+=("$peer_rate") ratios+=("$ratio")
  printf '%s %8.0f records/s   %s %8.0f records/s   crvs/peer %5.2f   (%s)\n' \
    "run $r: crvs sink" "$crvs_rate" "Debezium JDBC sink" "$peer_rate" "$ratio" \
    "peer: $rows rows, timed over $(awk -v f="$t_first" -v l="$t_last" \
      'BEGIN {printf "%.2f", l - f}') s from its first $at_first"
done

printf 'median of %s: crvs sink %.0f records/s   Debezium JDBC sink %.0f records/s   crvs/peer %.2f\n' \
  "$runs run(s), $records records, $partitions partitions" \
  "$(printf '%s\n' "${crvs_rates[@]}" | median)" "$(printf '%s\n' "${peer_rates[@]}" | median)" \
  "$(printf '%s\n' "${ratios[@]}" | median)"
