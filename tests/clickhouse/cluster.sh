#!/usr/bin/env bash
# tests/clickhouse/cluster.sh start|stop DIR
#
# A local ClickHouse cluster for the tests of the ClickHouse backend (clickhouse/): ZooKeeper and
# four clickhouse-server processes (Debian 12's packages) forming cluster `kmt` = 2 shards x 2
# replicas, on free 127.0.0.1 ports, everything (configuration, data, logs, pid files) under DIR.
#
# start: writes DIR/http_ports (the four HTTP ports, one a line, shard 1 replicas then shard 2),
#        DIR/zk_port and DIR/cluster (the cluster name), waits until every server answers
#        /ping and sees the cluster, and prints the HTTP ports. Exit status 1 if it did not come up
#        (the processes started are stopped again).
# stop:  stops what DIR's pid files name (SIGTERM, then SIGKILL after 10 s), and nothing else.
# stop-servers|start-servers DIR [s1r1 ...]: kills (SIGKILL) or restarts clickhouse-servers, for
#        the fault tests.
#
# Runs as root or not (the servers run as the calling user). The packages come from
# deploy/install-deps.sh.
set -u

cmd=${1:-}; dir=${2:-}
# ZooKeeper session timeout of the servers (ZooKeeper's tickTime below allows 1 to 10 s).
session_ms=4000
if [ -z "$cmd" ] || [ -z "$dir" ]; then echo "usage: $0 start|stop DIR" >&2; exit 2; fi

stop_all() {
  local pids=() f p
  for f in "$dir"/*.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then kill "$p" 2>/dev/null; pids+=("$p"); fi
  done
  for _ in $(seq 1 100); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -f "$dir"/*.pid
}

if [ "$cmd" = stop ]; then
  [ -d "$dir" ] && stop_all
  exit 0
fi
# stop-servers DIR [NAME...] / start-servers DIR [NAME...]: fault tests stop clickhouse-server
# processes (s1r1 s1r2 s2r1 s2r2; all four by default) by their pid files and start them again
# on their kept configuration and data (those not running only); ZooKeeper stays up. start-servers
# waits until each answers.
if [ "$cmd" = stop-servers ] || [ "$cmd" = start-servers ]; then
  shift 2
  names=("$@"); [ ${#names[@]} = 0 ] && names=(s1r1 s1r2 s2r1 s2r2)
  for n in "${names[@]}"; do
    case $n in s[12]r[12]) ;; *) echo "unknown server $n" >&2; exit 2 ;; esac
    s="$dir/$n"
    if [ "$cmd" = stop-servers ]; then
      p=$(cat "$dir/$n.pid" 2>/dev/null)
      [ -n "$p" ] && kill -9 "$p" 2>/dev/null
      for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
      rm -f "$dir/$n.pid"
      date +%s%N >"$dir/$n.killed"
    else
      # Only a server that is not running (a second one would find its ports taken and linger).
      p=$(cat "$dir/$n.pid" 2>/dev/null)
      if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then continue; fi
      # A killed server's ZooKeeper session lives on for session_ms: a server started before it
      # expires finds its replicas "already active", and 18.16 tries again only 10 s later. Waiting
      # for the expiry instead makes each restart about 6 s shorter.
      if [ -f "$dir/$n.killed" ]; then
        wait_ms=$(( ($(cat "$dir/$n.killed") - $(date +%s%N)) / 1000000 + session_ms + 500 ))
        [ "$wait_ms" -gt 0 ] && sleep "$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))"
        rm -f "$dir/$n.killed"
      fi
      (cd "$s" && exec /usr/sbin/clickhouse-server --config-file="$s/config.xml" >>"$s/log/stdout.log" 2>&1) &
      echo $! >"$dir/$n.pid"
    fi
  done
  if [ "$cmd" = start-servers ]; then
    for n in "${names[@]}"; do
      p=$(sed -n 's:.*<http_port>\([0-9]*\)</http_port>.*:\1:p' "$dir/$n/config.xml")
      ok=0
      for _ in $(seq 1 300); do
        [ "$(curl -sf -m 2 "http://127.0.0.1:$p/?query=SELECT%201")" = 1 ] && { ok=1; break; }
        sleep 0.1
      done
      [ $ok = 1 ] || { echo "server $n did not come back within 30 s" >&2; exit 1; }
    done
  fi
  exit 0
fi
[ "$cmd" = start ] || { echo "unknown command: $cmd" >&2; exit 2; }

for bin in /usr/sbin/clickhouse-server /usr/share/zookeeper/bin/zkServer.sh; do
  [ -x "$bin" ] || { echo "missing $bin (run deploy/install-deps.sh)" >&2; exit 1; }
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
stop_all  # a previous run's processes, if any
# Every start is a new, empty cluster: a previous run's data names other ports and holds
# ZooKeeper's DDL queue for servers that are gone.
rm -rf "$dir/zk" "$dir"/s[12]r[12] "$dir/http_ports" "$dir/zk_port" "$dir"/*.killed

# 13 distinct free ports: ZooKeeper, then per server HTTP, native (TCP) and interserver HTTP.
read -r -a ports <<<"$(python3 - <<'PY'
import socket
socks = []
for _ in range(13):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)"
zk_port=${ports[0]}

mkdir -p "$dir/zk/data"
cat >"$dir/zk/zoo.cfg" <<CFG
tickTime=500
initLimit=10
syncLimit=5
dataDir=$dir/zk/data
clientPort=$zk_port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok
CFG
cp /etc/zookeeper/conf/log4j.properties "$dir/zk/" 2>/dev/null || true
(ZOOCFGDIR="$dir/zk" ZOO_LOG_DIR="$dir/zk" exec /usr/share/zookeeper/bin/zkServer.sh start-foreground \
  "$dir/zk/zoo.cfg" >"$dir/zk/out.log" 2>&1) &
echo $! >"$dir/zk.pid"
# ClickHouse started before ZooKeeper listens backs off its reconnection for seconds (measured:
# 11 s instead of 1 s to come up): wait for ZooKeeper's "imok" first.
zk_ok() { { exec 3<>"/dev/tcp/127.0.0.1/$zk_port"; } 2>/dev/null || return 1; printf ruok >&3; local a; read -r -t 2 a <&3; exec 3<&-; [ "$a" = imok ]; }
for _ in $(seq 1 300); do zk_ok && break; sleep 0.05; done

cat >"$dir/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage><load_balancing>in_order</load_balancing></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML

# The cluster's shards: replica i of shard s is server (s-1)*2+i, its native port ports[1+3*(n-1)+1].
native() { echo "${ports[$((3 * ($1 - 1) + 2))]}"; }
remote="<shard><internal_replication>true</internal_replication>
      <replica><host>127.0.0.1</host><port>$(native 1)</port></replica>
      <replica><host>127.0.0.1</host><port>$(native 2)</port></replica></shard>
    <shard><internal_replication>true</internal_replication>
      <replica><host>127.0.0.1</host><port>$(native 3)</port></replica>
      <replica><host>127.0.0.1</host><port>$(native 4)</port></replica></shard>"

: >"$dir/http_ports"
for n in 1 2 3 4; do
  shard=$(((n + 1) / 2)); replica=$(((n + 1) % 2 + 1))
  http=${ports[$((3 * (n - 1) + 1))]}; tcp=${ports[$((3 * (n - 1) + 2))]}; inter=${ports[$((3 * (n - 1) + 3))]}
  s="$dir/s${shard}r${replica}"
  mkdir -p "$s/data" "$s/tmp" "$s/log" "$s/user_files" "$s/format_schemas"
  cat >"$s/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$s/log/server.log</log><errorlog>$s/log/err.log</errorlog><size>20M</size><count>1</count></logger>
  <http_port>$http</http_port><tcp_port>$tcp</tcp_port><interserver_http_port>$inter</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host><listen_host>127.0.0.1</listen_host>
  <max_concurrent_queries>50</max_concurrent_queries>
  <mark_cache_size>67108864</mark_cache_size><uncompressed_cache_size>67108864</uncompressed_cache_size>
  <path>$s/data/</path><tmp_path>$s/tmp/</tmp_path><user_files_path>$s/user_files/</user_files_path>
  <format_schema_path>$s/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config><default_profile>default</default_profile><default_database>default</default_database>
  <timezone>UTC</timezone>
  <compression><case><method>zstd</method></case></compression>
  <remote_servers><kmt>
    $remote
  </kmt></remote_servers>
  <zookeeper><node><host>127.0.0.1</host><port>$zk_port</port></node><session_timeout_ms>$session_ms</session_timeout_ms></zookeeper>
  <macros><shard>0$shard</shard><replica>r$replica</replica></macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
</yandex>
XML
  (cd "$s" && exec /usr/sbin/clickhouse-server --config-file="$s/config.xml" >"$s/log/stdout.log" 2>&1) &
  echo $! >"$dir/s${shard}r${replica}.pid"
  echo "$http" >>"$dir/http_ports"
done
echo "$zk_port" >"$dir/zk_port"
echo kmt >"$dir/cluster"

# Up when every server answers /ping and its view of the cluster lists four replicas, and
# ZooKeeper answers (ON CLUSTER DDL needs it).
up() {
  local p
  for p in $(cat "$dir/http_ports"); do
    [ "$(curl -sf -m 2 "http://127.0.0.1:$p/?query=SELECT%20count()%20FROM%20system.clusters%20WHERE%20cluster%3D'kmt'")" = 4 ] || return 1
    [ "$(curl -sf -m 2 "http://127.0.0.1:$p/?query=SELECT%20count()%20FROM%20system.zookeeper%20WHERE%20path%3D'/'")" != "" ] || return 1
  done
}
for _ in $(seq 1 300); do
  if up; then tr '\n' ' ' <"$dir/http_ports"; echo; exit 0; fi
  sleep 0.1
done
echo "cluster in $dir did not come up within 30 s (logs: $dir/*/log, $dir/zk/out.log)" >&2
stop_all
exit 1
