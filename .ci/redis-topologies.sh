#!/usr/bin/env bash
# Local Redis topologies from the machine's redis-server, for the CI stages that run the suites
# against them (see .ci/run) and for trying them by hand:
#   .ci/redis-topologies.sh start cluster    # 3 masters on ports BASE+1..BASE+3
#   .ci/redis-topologies.sh start sentinel   # master BASE+11, replica BASE+12, Sentinels BASE+21..BASE+23
#   .ci/redis-topologies.sh stop cluster|sentinel
# Prints the variables the service needs (REDIS_CLUSTER_NODES or REDIS_SENTINELS + REDIS_SENTINEL_NAME).
# BASE is REDIS_TOPOLOGY_BASE_PORT (default 7100). Nothing is kept on disk beyond a temp dir.
set -euo pipefail
action=${1:?start|stop} kind=${2:?cluster|sentinel}
base=${REDIS_TOPOLOGY_BASE_PORT:-7100}
dir=${TMPDIR:-/tmp}/secureauth-redis-$kind-$base
master_name=secureauth

ports() {
  if [ "$kind" = cluster ]; then echo $((base + 1)) $((base + 2)) $((base + 3));
  else echo $((base + 11)) $((base + 12)) $((base + 21)) $((base + 22)) $((base + 23)); fi
}

stop() {
  for port in $(ports); do redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; done
  rm -rf "$dir"
}

wait_for() { # description, command...
  local what=$1; shift
  for _ in $(seq 1 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "redis-topologies: $what did not happen" >&2; return 1
}

server() { # port, extra args...
  local port=$1; shift
  mkdir -p "$dir/$port"
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --dir "$dir/$port" --logfile "$dir/$port/log" "$@"
  wait_for "redis on $port" redis-cli -p "$port" ping
}

start_cluster() {
  local nodes=()
  for port in $(ports); do
    server "$port" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000
    nodes+=("127.0.0.1:$port")
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log"
  for port in $(ports); do
    wait_for "cluster_state:ok on $port" bash -c "redis-cli -p $port cluster info | grep -q cluster_state:ok"
  done
  echo "REDIS_CLUSTER_NODES=$(IFS=,; echo "${nodes[*]}")"
}

start_sentinel() {
  local master=$((base + 11)) replica=$((base + 12)) sentinels=()
  server "$master"
  server "$replica" --replicaof 127.0.0.1 "$master"
  wait_for "replica in sync" bash -c "redis-cli -p $replica info replication | grep -q master_link_status:up"
  for port in $((base + 21)) $((base + 22)) $((base + 23)); do
    mkdir -p "$dir/$port"
    cat >"$dir/$port/sentinel.conf" <<CONF
port $port
bind 127.0.0.1
daemonize yes
dir $dir/$port
logfile $dir/$port/log
sentinel monitor $master_name 127.0.0.1 $master 2
sentinel down-after-milliseconds $master_name 1000
sentinel failover-timeout $master_name 5000
CONF
    redis-server "$dir/$port/sentinel.conf" --sentinel
    wait_for "sentinel on $port" redis-cli -p "$port" ping
    sentinels+=("127.0.0.1:$port")
  done
  echo "REDIS_SENTINELS=$(IFS=,; echo "${sentinels[*]}")"
  echo "REDIS_SENTINEL_NAME=$master_name"
}

case "$action" in
  start) stop; mkdir -p "$dir"; "start_$kind" ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop cluster|sentinel" >&2; exit 2 ;;
esac
