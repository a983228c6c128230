#!/usr/bin/env bash
# topologies.sh - start the multi-server topologies strata's cluster tests run against: loopback
# only, no systemd, all state under one directory, ports of their own (the plain test servers of
# scripts/test-dbs.sh keep 55432 and 53306). Must run as root on Debian 12. Idempotent: what is
# already running and ready is left alone.
#
#   scripts/topologies.sh start  [TOPOLOGY...]   start (default: all), wait until each is ready
#   scripts/topologies.sh stop   [TOPOLOGY...]   stop by PID (what depends on it goes first)
#   scripts/topologies.sh status [TOPOLOGY...]   exit 0 iff every one named is up and ready
#   scripts/topologies.sh env                    print the STRATA_TEST_* URLs (for eval / make)
#
# TOPOLOGY is one of:
#   galera      3-node MariaDB Galera cluster, SQL ports 23306-23308; ready = every node
#               Synced and wsrep_cluster_size 3
#   standby     private PostgreSQL 15 primary on 25432 and a streaming standby on 25433
#   pgbouncer   PgBouncer on 26432 in front of the primary: database strata_txn (transaction
#               pooling) and strata_session (session pooling), both the primary's strata_test;
#               any other name is passed through to the primary's database of that name in
#               transaction pooling (so a test can use a database of its own)
#   pgpool      pgpool-II on 29999, streaming-replication mode, load balancing on, backend 0 the
#               primary (weight 0), backend 1 the standby (weight 1)
#   mariadb-ro  a plain MariaDB with read_only=1 on 23310
#   all         every one of them
# pgbouncer and pgpool start the PostgreSQL pair they need.
#
# Users: strata / password strata everywhere. PostgreSQL (primary, standby, PgBouncer, pgpool)
# trusts loopback connections as the recipes do, so the password is accepted but not checked;
# strata owns database strata_test and may create databases. On Galera strata has every right
# on strata_test and on the databases named strata_*, plus PROCESS and CONNECTION ADMIN. On the
# read-only MariaDB strata has ALL ON *.* (a privileged user, which the server itself would let
# write: strata has to refuse by itself), and strata_test exists.
#
# STRATA_TOPO_ROOT (default /tmp/strata-topologies) holds the data, logs, sockets and pid files;
# STRATA_TOPO_PORT_OFFSET (default 0) is added to every port, so a second instance with a root
# and an offset of its own shares nothing with the first;
# WAIT_SECS (default 90) bounds each readiness wait. docs/clusters.md ("Test topologies")
# describes them.
set -euo pipefail

ROOT=${STRATA_TOPO_ROOT:-/tmp/strata-topologies}
WAIT_SECS=${WAIT_SECS:-90}
DB_USER=strata
DB_PASS=strata
DB_NAME=strata_test

OFFSET=${STRATA_TOPO_PORT_OFFSET:-0}  # added to every port: a second instance with its own ROOT
GALERA_DIR=$ROOT/galera
GALERA_SQL_BASE=$((23305 + OFFSET))    # node i listens on 23305+i
GALERA_GROUP_BASE=$((24557 + OFFSET))  # node i: group port 24557+10*i, IST +1, SST +2
PG_DIR=$ROOT/pg                        # owned by postgres: both clusters, sockets, PgBouncer, pgpool
PG_BIN=/usr/lib/postgresql/15/bin
PG_PRIMARY_PORT=$((25432 + OFFSET))
PG_STANDBY_PORT=$((25433 + OFFSET))
PGBOUNCER_PORT=$((26432 + OFFSET))
PGPOOL_PORT=$((29999 + OFFSET))
PGPOOL_PCP_PORT=$((29998 + OFFSET))
RO_DIR=$ROOT/mariadb-ro
RO_PORT=$((23310 + OFFSET))

log() { printf '[topologies] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# fail_with_log FILE MESSAGE: the last lines of FILE, then the error.
fail_with_log() {
  if [ -f "$1" ]; then log "last lines of $1:"; tail -n 25 "$1" | sed 's/^/    /' >&2; fi
  die "$2"
}
# wait_until SECONDS DESCRIPTION LOGFILE CMD...: poll CMD every 0.2 s.
wait_until() {
  local secs=$1 what=$2 logf=$3 i=0
  shift 3
  until "$@"; do
    i=$((i + 1))
    [ "$i" -le $((secs * 5)) ] || fail_with_log "$logf" "$what not ready after ${secs}s"
    sleep 0.2
  done
}
# A live (not zombie) process whose pid is in FILE.
pid_alive() {
  local p
  [ -f "$1" ] || return 1
  p=$(tr -d '\0' <"$1" | head -n 1)  # pgpool pads its pid file with NULs
  [ -n "$p" ] || return 1
  case "$(ps -o stat= -p "$p" 2>/dev/null || true)" in '' | Z*) return 1 ;; esac
}
# stop_pid FILE NAME: SIGTERM the pid in FILE, wait until it is gone (or a zombie).
stop_pid() {
  local f=$1 name=$2 p i=0
  pid_alive "$f" || { rm -f "$f"; return 0; }
  p=$(tr -d '\0' <"$f" | head -n 1)
  kill "$p" 2>/dev/null || true
  while pid_alive "$f"; do
    i=$((i + 1)); [ "$i" -le $((WAIT_SECS * 5)) ] || die "$name (pid $p) did not stop within ${WAIT_SECS}s"
    sleep 0.2
  done
  rm -f "$f"
  log "$name stopped"
}

env_vars() {
  local g="" i
  for i in 1 2 3; do g+="${g:+,}mysql://$DB_USER:$DB_PASS@127.0.0.1:$((GALERA_SQL_BASE + i))/$DB_NAME"; done
  local pgq="?sslmode=disable"
  echo "STRATA_TEST_GALERA_URLS='$g'"
  echo "STRATA_TEST_PG_PRIMARY_URL='postgres://$DB_USER:$DB_PASS@127.0.0.1:$PG_PRIMARY_PORT/$DB_NAME$pgq'"
  echo "STRATA_TEST_PG_STANDBY_URL='postgres://$DB_USER:$DB_PASS@127.0.0.1:$PG_STANDBY_PORT/$DB_NAME$pgq'"
  echo "STRATA_TEST_PGBOUNCER_TXN_URL='postgres://$DB_USER:$DB_PASS@127.0.0.1:$PGBOUNCER_PORT/strata_txn$pgq'"
  echo "STRATA_TEST_PGBOUNCER_SESSION_URL='postgres://$DB_USER:$DB_PASS@127.0.0.1:$PGBOUNCER_PORT/strata_session$pgq'"
  echo "STRATA_TEST_PGBOUNCER_ADMIN_URL='postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/pgbouncer$pgq'"
  echo "STRATA_TEST_PGPOOL_URL='postgres://$DB_USER:$DB_PASS@127.0.0.1:$PGPOOL_PORT/$DB_NAME$pgq'"
  echo "STRATA_TEST_MARIADB_RO_URL='mysql://$DB_USER:$DB_PASS@127.0.0.1:$RO_PORT/$DB_NAME'"
}

# ------------------------------------------------------------------------------ Galera
galera_cnf() { echo "$GALERA_DIR/n$1/my.cnf"; }
galera_sock() { echo "$GALERA_DIR/n$1/mysqld.sock"; }
galera_root() { local n=$1; shift; mariadb --no-defaults --socket="$(galera_sock "$n")" -uroot --connect-timeout=2 "$@"; }
galera_status_var() { galera_root "$1" -Nse "SHOW STATUS LIKE '$2'" 2>/dev/null | awk '{print $2}'; }
galera_synced() { [ "$(galera_status_var "$1" wsrep_local_state_comment)" = Synced ]; }
galera_node_alive() { pid_alive "$GALERA_DIR/n$1/mysqld.pid"; }
galera_cluster_ready() {
  local i
  for i in 1 2 3; do galera_synced "$i" || return 1; done
  [ "$(galera_status_var 1 wsrep_cluster_size)" = 3 ]
}

galera_write_cnf() {
  local i=$1 g=$((GALERA_GROUP_BASE + 10 * $1)) d=$GALERA_DIR/n$1
  cat >"$d/my.cnf" <<CNF
[mysqld]
datadir=$d/data
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
port=$((GALERA_SQL_BASE + i))
bind-address=127.0.0.1
skip-name-resolve
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb_buffer_pool_size=64M
innodb_log_file_size=16M
wsrep_on=ON
wsrep_provider=/usr/lib/galera/libgalera_smm.so
wsrep_cluster_name=strata_galera
wsrep_cluster_address=gcomm://127.0.0.1:$((GALERA_GROUP_BASE + 10)),127.0.0.1:$((GALERA_GROUP_BASE + 20)),127.0.0.1:$((GALERA_GROUP_BASE + 30))
wsrep_node_name=n$i
wsrep_node_address=127.0.0.1
wsrep_node_incoming_address=127.0.0.1:$((GALERA_SQL_BASE + i))
wsrep_provider_options="base_port=$g;gmcast.listen_addr=tcp://127.0.0.1:$g;ist.recv_addr=127.0.0.1:$((g + 1));gcache.size=32M"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$((g + 2))
CNF
}

galera_init_node() {
  local i=$1 d=$GALERA_DIR/n$1
  [ -d "$d/data/mysql" ] && return 0
  log "initialising Galera node n$i in $d"
  rm -rf "$d" && install -d -m 755 "$d"
  galera_write_cnf "$i"
  mariadb-install-db --defaults-file="$d/my.cnf" --user=mysql --skip-test-db \
    --auth-root-authentication-method=socket >"$d/install.log" 2>&1 \
    || fail_with_log "$d/install.log" "mariadb-install-db failed for Galera node n$i"
  chown -R mysql:mysql "$d"
}

# galera_start_node I [--wsrep-new-cluster]: start node I and wait until it is Synced.
galera_start_node() {
  local i=$1 d=$GALERA_DIR/n$1
  shift
  log "starting Galera node n$i on 127.0.0.1:$((GALERA_SQL_BASE + i))${1:+ (bootstrapping the cluster)}"
  setsid mariadbd --defaults-file="$d/my.cnf" --user=mysql "$@" </dev/null >>"$d/stdout.log" 2>&1 &
  local pid=$! n=0
  until galera_synced "$i"; do
    kill -0 "$pid" 2>/dev/null || fail_with_log "$d/error.log" "Galera node n$i (mariadbd) exited during start-up"
    n=$((n + 1)); [ "$n" -le $((WAIT_SECS * 5)) ] || fail_with_log "$d/error.log" "Galera node n$i not Synced after ${WAIT_SECS}s"
    sleep 0.2
  done
}

galera_start() {
  if galera_cluster_ready; then log "Galera cluster already running (3 nodes Synced)"; return 0; fi
  local i alive=0
  for i in 1 2 3; do galera_init_node "$i"; galera_write_cnf "$i"; done
  for i in 1 2 3; do galera_node_alive "$i" && alive=$((alive + 1)); done
  if [ "$alive" -eq 0 ]; then
    # No node is up: n1 bootstraps (stop takes n1 down last, so it has the newest state).
    sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' "$GALERA_DIR/n1/data/grastate.dat" 2>/dev/null || true
    galera_start_node 1 --wsrep-new-cluster
  fi
  for i in 1 2 3; do
    if galera_node_alive "$i"; then
      wait_until "$WAIT_SECS" "Galera node n$i (running)" "$GALERA_DIR/n$i/error.log" galera_synced "$i"
    else
      galera_start_node "$i"
    fi
  done
  wait_until "$WAIT_SECS" "Galera cluster of 3" "$GALERA_DIR/n1/error.log" galera_cluster_ready
  galera_root 1 <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'%', '$DB_USER'@'localhost';
GRANT ALL PRIVILEGES ON \`strata\\_%\`.* TO '$DB_USER'@'%', '$DB_USER'@'localhost';
GRANT PROCESS, CONNECTION ADMIN ON *.* TO '$DB_USER'@'%', '$DB_USER'@'localhost';
SQL
  for i in 1 2 3; do
    mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P $((GALERA_SQL_BASE + i)) -u"$DB_USER" -p"$DB_PASS" \
      "$DB_NAME" -Nse 'SELECT 1' >/dev/null 2>&1 \
      || die "Galera node n$i: cannot log in as $DB_USER over TCP on 127.0.0.1:$((GALERA_SQL_BASE + i))"
  done
  log "Galera cluster ready: 3 nodes Synced on 127.0.0.1:$((GALERA_SQL_BASE + 1))-$((GALERA_SQL_BASE + 3))"
}

galera_stop() {
  local i
  for i in 3 2 1; do stop_pid "$GALERA_DIR/n$i/mysqld.pid" "Galera node n$i"; done
}

# ------------------------------------------------------------------ PostgreSQL + standby
as_pg() { su postgres -c "$*"; }
pg_ready_on() { pg_isready -q -h 127.0.0.1 -p "$1" -t 1; }
pg_sql() { local port=$1; shift; psql -X -q -At -h 127.0.0.1 -p "$port" -U postgres -d postgres "$@"; }
pg_alive() { pid_alive "$1/postmaster.pid"; }
standby_streaming() {
  [ "$(pg_sql "$PG_STANDBY_PORT" -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ] &&
    [ "$(pg_sql "$PG_PRIMARY_PORT" -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null)" -ge 1 ] 2>/dev/null
}

# pg_start_cluster DATADIR PORT NAME: start it with pg_ctl unless it answers already.
pg_start_cluster() {
  local dir=$1 port=$2 name=$3
  if pg_ready_on "$port"; then return 0; fi
  # A postmaster killed with -9 stays a zombie where PID 1 does not reap it: drop its pid file.
  [ -f "$dir/postmaster.pid" ] && ! pg_alive "$dir" && rm -f "$dir/postmaster.pid"
  if ! pg_alive "$dir"; then
    log "starting PostgreSQL $name on 127.0.0.1:$port"
    as_pg "$PG_BIN/pg_ctl -D $dir -l $dir.log -w -t $WAIT_SECS start" >/dev/null 2>&1 \
      || fail_with_log "$dir.log" "PostgreSQL $name did not start"
  fi
  wait_until "$WAIT_SECS" "PostgreSQL $name" "$dir.log" pg_ready_on "$port"
}

pg_primary_start() {
  local d=$PG_DIR/primary
  install -d -m 755 -o postgres -g postgres "$PG_DIR"
  if [ ! -f "$d/PG_VERSION" ]; then
    log "initialising PostgreSQL primary in $d"
    rm -rf "$d"
    as_pg "$PG_BIN/initdb -D $d -U postgres --auth=trust --locale=C.UTF-8 --encoding=UTF8" >"$PG_DIR/initdb.log" 2>&1 \
      || fail_with_log "$PG_DIR/initdb.log" "initdb failed"
    cat >>"$d/postgresql.conf" <<CONF
port = $PG_PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
wal_level = replica
max_wal_senders = 5
hot_standby = on
max_connections = 150
CONF
    echo "host replication all 127.0.0.1/32 trust" >>"$d/pg_hba.conf"
  fi
  pg_start_cluster "$d" "$PG_PRIMARY_PORT" primary
  pg_sql "$PG_PRIMARY_PORT" -v ON_ERROR_STOP=1 -v u="$DB_USER" -v p="$DB_PASS" -v d="$DB_NAME" <<'SQL' >/dev/null
SELECT format('CREATE ROLE %I', :'u') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'u', :'p') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'d', :'u') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'d') \gexec
SQL
}

standby_start() {
  pg_primary_start
  local d=$PG_DIR/standby
  if [ ! -f "$d/PG_VERSION" ]; then
    log "cloning the standby from the primary into $d"
    rm -rf "$d"
    as_pg "$PG_BIN/pg_basebackup -h 127.0.0.1 -p $PG_PRIMARY_PORT -U postgres -D $d -R -X stream --checkpoint=fast" \
      >"$PG_DIR/basebackup.log" 2>&1 || fail_with_log "$PG_DIR/basebackup.log" "pg_basebackup failed"
    echo "port = $PG_STANDBY_PORT" >>"$d/postgresql.conf"
  fi
  pg_start_cluster "$d" "$PG_STANDBY_PORT" standby
  wait_until "$WAIT_SECS" "PostgreSQL standby streaming from the primary" "$d.log" standby_streaming
  # The role and database made on the primary reach the standby by replay.
  wait_until "$WAIT_SECS" "database $DB_NAME on the standby" "$d.log" \
    pg_ready_db "$PG_STANDBY_PORT"
  log "PostgreSQL primary on 127.0.0.1:$PG_PRIMARY_PORT, streaming standby on 127.0.0.1:$PG_STANDBY_PORT"
}
pg_ready_db() { psql -X -q -At -h 127.0.0.1 -p "$1" -U "$DB_USER" -d "$DB_NAME" -c 'SELECT 1' >/dev/null 2>&1; }

standby_stop() {
  local d
  for d in "$PG_DIR/standby" "$PG_DIR/primary"; do
    if pg_alive "$d"; then
      as_pg "$PG_BIN/pg_ctl -D $d -m fast -w stop" >/dev/null 2>&1 || die "pg_ctl stop failed for $d"
      log "PostgreSQL $(basename "$d") stopped"
    fi
  done
}

# ------------------------------------------------------------------------------ PgBouncer
pgbouncer_ready() {
  psql -X -q -At -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U "$DB_USER" -d strata_txn -c 'SELECT 1' >/dev/null 2>&1 &&
    psql -X -q -At -h 127.0.0.1 -p "$PGBOUNCER_PORT" -U "$DB_USER" -d strata_session -c 'SELECT 1' >/dev/null 2>&1
}

pgbouncer_start() {
  pg_primary_start
  if pgbouncer_ready; then log "PgBouncer already running on 127.0.0.1:$PGBOUNCER_PORT"; return 0; fi
  local pidf=$PG_DIR/pgbouncer.pid
  cat >"$PG_DIR/pgbouncer.ini" <<INI
[databases]
strata_txn = host=127.0.0.1 port=$PG_PRIMARY_PORT dbname=$DB_NAME
strata_session = host=127.0.0.1 port=$PG_PRIMARY_PORT dbname=$DB_NAME pool_mode=session
* = host=127.0.0.1 port=$PG_PRIMARY_PORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir = $PG_DIR
auth_type = trust
auth_file = $PG_DIR/userlist.txt
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
server_reset_query = DISCARD ALL
ignore_startup_parameters = extra_float_digits
logfile = $PG_DIR/pgbouncer.log
pidfile = $pidf
admin_users = postgres
INI
  printf '"postgres" ""\n"%s" ""\n' "$DB_USER" >"$PG_DIR/userlist.txt"
  chown postgres:postgres "$PG_DIR/pgbouncer.ini" "$PG_DIR/userlist.txt"
  if ! pid_alive "$pidf"; then
    rm -f "$pidf"
    log "starting PgBouncer on 127.0.0.1:$PGBOUNCER_PORT (strata_txn: transaction pooling, strata_session: session pooling)"
    as_pg "pgbouncer -d $PG_DIR/pgbouncer.ini" >>"$PG_DIR/pgbouncer.stdout" 2>&1 \
      || fail_with_log "$PG_DIR/pgbouncer.log" "PgBouncer did not start"
  fi
  wait_until "$WAIT_SECS" "PgBouncer" "$PG_DIR/pgbouncer.log" pgbouncer_ready
  log "PgBouncer ready on 127.0.0.1:$PGBOUNCER_PORT"
}

pgbouncer_stop() { stop_pid "$PG_DIR/pgbouncer.pid" PgBouncer; }

# ------------------------------------------------------------------------------ pgpool-II
# Ready: both backends up, node 0 the primary and node 1 the standby.
pgpool_ready() {
  local nodes
  nodes=$(psql -X -q -At -F' ' -h 127.0.0.1 -p "$PGPOOL_PORT" -U "$DB_USER" -d "$DB_NAME" \
    -c 'SHOW pool_nodes' 2>/dev/null) || return 1
  echo "$nodes" | awk '$1 == 0 && $4 == "up" && $7 == "primary" {p = 1} $1 == 1 && $4 == "up" && $7 == "standby" {s = 1}
                       END {exit !(p && s)}'
}

pgpool_start() {
  standby_start
  if pgpool_ready; then log "pgpool-II already running on 127.0.0.1:$PGPOOL_PORT"; return 0; fi
  local pidf=$PG_DIR/pgpool.pid
  install -d -m 755 -o postgres -g postgres "$PG_DIR/pgpool-log"
  cat >"$PG_DIR/pgpool.conf" <<CONF
backend_clustering_mode = 'streaming_replication'
listen_addresses = '127.0.0.1'
port = $PGPOOL_PORT
unix_socket_directories = '$PG_DIR'
pcp_listen_addresses = '127.0.0.1'
pcp_port = $PGPOOL_PCP_PORT
pcp_socket_dir = '$PG_DIR'
wd_ipc_socket_dir = '$PG_DIR'
use_watchdog = off
backend_hostname0 = '127.0.0.1'
backend_port0 = $PG_PRIMARY_PORT
backend_weight0 = 0
backend_data_directory0 = '$PG_DIR/primary'
backend_flag0 = 'DISALLOW_TO_FAILOVER'
backend_hostname1 = '127.0.0.1'
backend_port1 = $PG_STANDBY_PORT
backend_weight1 = 1
backend_data_directory1 = '$PG_DIR/standby'
backend_flag1 = 'DISALLOW_TO_FAILOVER'
load_balance_mode = on
sr_check_user = 'postgres'
sr_check_period = 1
health_check_period = 0
failover_on_backend_error = off
enable_pool_hba = off
pool_passwd = ''
num_init_children = 8
max_pool = 4
pid_file_name = '$pidf'
logdir = '$PG_DIR/pgpool-log'
log_destination = 'stderr'
CONF
  chown postgres:postgres "$PG_DIR/pgpool.conf"
  if ! pid_alive "$pidf"; then
    rm -f "$pidf"
    log "starting pgpool-II on 127.0.0.1:$PGPOOL_PORT (load balancing: primary weight 0, standby weight 1)"
    # -n: stay in the foreground (setsid detaches it); -D: forget a stale node status file.
    as_pg "setsid pgpool -n -D -f $PG_DIR/pgpool.conf -a /dev/null -F /dev/null </dev/null >>$PG_DIR/pgpool.log 2>&1 &"
  fi
  wait_until "$WAIT_SECS" "pgpool-II (primary and standby up)" "$PG_DIR/pgpool.log" pgpool_ready
  log "pgpool-II ready on 127.0.0.1:$PGPOOL_PORT"
}

pgpool_stop() { stop_pid "$PG_DIR/pgpool.pid" pgpool-II; }

# ---------------------------------------------------------------------- read-only MariaDB
ro_sock() { echo "$RO_DIR/mysqld.sock"; }
ro_root() { mariadb --no-defaults --socket="$(ro_sock)" -uroot --connect-timeout=2 "$@"; }
ro_ready() { [ "$(ro_root -Nse 'SELECT @@read_only' 2>/dev/null)" = 1 ]; }

ro_start() {
  if ro_ready; then log "read-only MariaDB already running on 127.0.0.1:$RO_PORT"; return 0; fi
  if [ ! -d "$RO_DIR/data/mysql" ]; then
    log "initialising the read-only MariaDB in $RO_DIR"
    rm -rf "$RO_DIR" && install -d -m 755 -o mysql -g mysql "$RO_DIR"
    mariadb-install-db --no-defaults --user=mysql --datadir="$RO_DIR/data" --skip-test-db \
      --auth-root-authentication-method=socket >"$RO_DIR/install.log" 2>&1 \
      || fail_with_log "$RO_DIR/install.log" "mariadb-install-db failed for the read-only MariaDB"
    chown -R mysql:mysql "$RO_DIR"
  fi
  if ! pid_alive "$RO_DIR/mysqld.pid"; then
    log "starting the read-only MariaDB on 127.0.0.1:$RO_PORT"
    setsid mariadbd --no-defaults --user=mysql --datadir="$RO_DIR/data" --bind-address=127.0.0.1 \
      --port="$RO_PORT" --socket="$(ro_sock)" --pid-file="$RO_DIR/mysqld.pid" --log-error="$RO_DIR/error.log" \
      --skip-name-resolve --innodb-buffer-pool-size=32M --read-only=1 </dev/null >/dev/null 2>&1 &
    local pid=$! n=0
    until ro_ready; do
      kill -0 "$pid" 2>/dev/null || fail_with_log "$RO_DIR/error.log" "the read-only MariaDB exited during start-up"
      n=$((n + 1)); [ "$n" -le $((WAIT_SECS * 5)) ] || fail_with_log "$RO_DIR/error.log" "the read-only MariaDB not ready after ${WAIT_SECS}s"
      sleep 0.2
    done
  fi
  wait_until "$WAIT_SECS" "the read-only MariaDB" "$RO_DIR/error.log" ro_ready
  # root may write to a read_only server (it has READ_ONLY ADMIN), and so may strata.
  ro_root <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\`;
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'%';
SQL
  mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$RO_PORT" -u"$DB_USER" -p"$DB_PASS" "$DB_NAME" -Nse 'SELECT 1' \
    >/dev/null 2>&1 || die "read-only MariaDB: cannot log in as $DB_USER over TCP"
  log "read-only MariaDB ready on 127.0.0.1:$RO_PORT (read_only=1)"
}

ro_stop() { stop_pid "$RO_DIR/mysqld.pid" "read-only MariaDB"; }

# -------------------------------------------------------------------------------- main
status_of() {
  case "$1" in
    galera) galera_cluster_ready ;;
    standby) standby_streaming ;;
    pgbouncer) pgbouncer_ready ;;
    pgpool) pgpool_ready ;;
    mariadb-ro) ro_ready ;;
  esac
}

all=(galera standby pgbouncer pgpool mariadb-ro)
cmd=${1:-start}
[ $# -gt 0 ] && shift
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(all)
topos=()
for t in "${names[@]}"; do
  case "$t" in
    all) topos+=("${all[@]}") ;;
    galera | standby | pgbouncer | pgpool | mariadb-ro) topos+=("$t") ;;
    *) die "unknown topology '$t' (galera, standby, pgbouncer, pgpool, mariadb-ro, all)" ;;
  esac
done

case "$cmd" in
  env) env_vars; exit 0 ;;
  status)
    rc=0
    for t in "${topos[@]}"; do
      if status_of "$t"; then log "$t: ready"; else log "$t: NOT ready"; rc=1; fi
    done
    exit "$rc" ;;
  start | stop) ;;
  *) die "usage: $0 start|stop|status|env [galera|standby|pgbouncer|pgpool|mariadb-ro|all ...]" ;;
esac

[ "$(id -u)" -eq 0 ] || die "must run as root (it starts servers as the postgres and mysql users)"
cd /  # so `su postgres` does not warn about an unreadable working directory
install -d -m 755 "$ROOT"

if [ "$cmd" = start ]; then
  for t in "${topos[@]}"; do
    case "$t" in
      galera) galera_start ;;
      standby) standby_start ;;
      pgbouncer) pgbouncer_start ;;
      pgpool) pgpool_start ;;
      mariadb-ro) ro_start ;;
    esac
  done
else
  # What depends on the PostgreSQL pair stops before it.
  for t in pgpool pgbouncer standby galera mariadb-ro; do
    [[ " ${topos[*]} " == *" $t "* ]] || continue
    case "$t" in
      galera) galera_stop ;;
      standby) pgpool_stop; pgbouncer_stop; standby_stop ;;
      pgbouncer) pgbouncer_stop ;;
      pgpool) pgpool_stop ;;
      mariadb-ro) ro_stop ;;
    esac
  done
fi
