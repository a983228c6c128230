#!/usr/bin/env bash
# test-dbs.sh - start PostgreSQL 15 and MariaDB 10.11 for strata's tests: loopback only, no
# systemd, data under /tmp, on their own ports so a developer's own servers are never touched.
# Must run as root on Debian 12. Idempotent: a running server is left alone, the test user and
# database are upserted.
#
#   scripts/test-dbs.sh [start]   start both, wait until they accept the test user over TCP
#   scripts/test-dbs.sh stop      stop both
#   scripts/test-dbs.sh status    exit 0 iff both accept TCP connections and MariaDB speaks TLS
#   scripts/test-dbs.sh env       print the URLs, socket and CA file the tests use (for eval)
#   scripts/test-dbs.sh start-postgres|start-mysql      start only that server
#   scripts/test-dbs.sh restart-postgres|restart-mysql  stop and start only that server (fast
#                                 shutdown: open connections are ended), wait until it accepts
#                                 the test user again
#
# STRATA_TEST_DB_ROOT, PG_CLUSTER, PG_PORT and MY_PORT select an instance: a second instance
# with all four of its own shares nothing with the first (data, sockets, pid files, logs,
# configuration). tests/e2e/restart_test.cpp restarts one such instance of its own.
#
# Result: PostgreSQL on 127.0.0.1:$PG_PORT, MariaDB on 127.0.0.1:$MY_PORT, user strata /
# password strata, database strata_test on both. The user may also create databases (MariaDB:
# those named strata_*) so tests can isolate themselves. MariaDB also listens on its Unix socket
# and speaks TLS with a self-signed test CA generated under $ROOT/mariadb-tls (ca.pem; a server
# certificate for 127.0.0.1 and localhost; client.pem/client-key.pem, a client certificate from
# the same CA). Two more MariaDB users, password strata, with the same rights as strata: strata_tls
# (REQUIRE SSL) and strata_x509 (REQUIRE X509: a client certificate from the test CA).
set -euo pipefail

ROOT=${STRATA_TEST_DB_ROOT:-/tmp/strata-test-dbs}
PG_VERSION=${PG_VERSION:-15}
PG_CLUSTER=${PG_CLUSTER:-strata}
PG_PORT=${PG_PORT:-55432}
PG_DATADIR=$ROOT/postgres
MY_PORT=${MY_PORT:-53306}
MY_DATADIR=$ROOT/mariadb
MY_RUNDIR=$ROOT/mariadb-run  # socket, pid file and log: owned by the mysql user
MY_SOCKET=$MY_RUNDIR/mariadb.sock
MY_PIDFILE=$MY_RUNDIR/mariadb.pid
MY_LOG=$MY_RUNDIR/mariadb.log
MY_TLSDIR=$ROOT/mariadb-tls  # test CA, server and client certificates (readable by mysql)
DB_USER=${DB_USER:-strata}
DB_PASS=${DB_PASS:-strata}
DB_NAME=${DB_NAME:-strata_test}
WAIT_SECS=${WAIT_SECS:-60}

log() { printf '[test-dbs] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

urls() {
  echo "STRATA_TEST_POSTGRES_URL='postgres://$DB_USER:$DB_PASS@127.0.0.1:$PG_PORT/$DB_NAME?sslmode=disable'"
  echo "STRATA_TEST_MYSQL_URL='mysql://$DB_USER:$DB_PASS@127.0.0.1:$MY_PORT/$DB_NAME'"
  echo "STRATA_TEST_MYSQL_SOCKET='$MY_SOCKET'"
  echo "STRATA_TEST_MYSQL_TLS_DIR='$MY_TLSDIR'"
}
pg_ready() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -t 1; }
# `mariadb-admin ping` exits 0 whenever the server answers (even "access denied").
my_ready() { mariadb-admin --no-defaults --protocol=tcp -h 127.0.0.1 -P "$MY_PORT" --connect-timeout=1 ping >/dev/null 2>&1; }

# A MariaDB started by an older copy of this script runs without TLS: `start` restarts it.
my_tls_ready() {
  [ "$(mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$MY_PORT" -u"$DB_USER" -p"$DB_PASS" --connect-timeout=1 \
    -Nse 'SELECT @@have_ssl' 2>/dev/null)" = "YES" ]
}

case "${1:-start}" in
  env) urls; exit 0 ;;
  status) pg_ready && my_ready && my_tls_ready; exit ;;
esac

[ "$(id -u)" -eq 0 ] || die "must run as root (it starts servers as the postgres and mysql users)"
cd /  # so `su postgres` does not warn about an unreadable working directory
install -d -m 755 "$ROOT"

# ---------------------------------------------------------------------------- PostgreSQL
pg_psql() { su postgres -c "psql -X -q -v ON_ERROR_STOP=1 -p $PG_PORT $*"; }
# pg_isready: 0 accepting, 1 rejecting (starting/stopping), 2 no response
pg_running() { local rc=0; pg_isready -q -h /var/run/postgresql -p "$PG_PORT" -t 2 || rc=$?; [ "$rc" -le 1 ]; }
pg_cluster_listed() {
  pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {f=1} END {exit !f}'
}

pg_start() {
  # Another instance's cluster (STRATA_TEST_DB_ROOT changed, PG_CLUSTER not): never touch it.
  local listed_port listed_dir
  if pg_cluster_listed; then
    read -r listed_port listed_dir < <(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {print $3, $6}')
    [ "$listed_dir" = "$PG_DATADIR" ] \
      || die "PostgreSQL cluster $PG_VERSION/$PG_CLUSTER keeps its data in $listed_dir, not $PG_DATADIR: give this STRATA_TEST_DB_ROOT a PG_CLUSTER of its own"
    [ "$listed_port" = "$PG_PORT" ] \
      || die "PostgreSQL cluster $PG_VERSION/$PG_CLUSTER listens on port $listed_port, not PG_PORT=$PG_PORT"
  fi
  # /tmp may have been cleaned while the cluster's configuration in /etc stayed behind.
  if pg_cluster_listed && [ ! -f "$PG_DATADIR/PG_VERSION" ]; then
    log "dropping PostgreSQL cluster $PG_VERSION/$PG_CLUSTER whose data directory is gone"
    pg_dropcluster "$PG_VERSION" "$PG_CLUSTER" >/dev/null 2>&1 || rm -rf "/etc/postgresql/$PG_VERSION/$PG_CLUSTER"
  fi
  if ! pg_cluster_listed; then
    log "creating PostgreSQL cluster $PG_VERSION/$PG_CLUSTER in $PG_DATADIR"
    install -d -m 700 -o postgres -g postgres "$PG_DATADIR"
    pg_createcluster --port "$PG_PORT" --datadir "$PG_DATADIR" --locale C.UTF-8 --encoding UTF8 \
      "$PG_VERSION" "$PG_CLUSTER" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    # Loopback only, and quick to stop.
    echo "listen_addresses = '127.0.0.1'" >>"/etc/postgresql/$PG_VERSION/$PG_CLUSTER/postgresql.conf"
  fi
  install -d -m 2775 -o postgres -g postgres /var/run/postgresql
  if pg_running; then
    log "PostgreSQL $PG_VERSION/$PG_CLUSTER already running"
  else
    # A postmaster killed with -9 stays a zombie while PID 1 does not reap it (containers);
    # pg_ctl then believes it is alive, so drop its pid file.
    local pidf="$PG_DATADIR/postmaster.pid" p
    if [ -f "$pidf" ]; then
      p=$(head -n 1 "$pidf")
      case "$(ps -o stat= -p "$p" 2>/dev/null || true)" in Z*) rm -f "$pidf" ;; esac
    fi
    log "starting PostgreSQL $PG_VERSION/$PG_CLUSTER on 127.0.0.1:$PG_PORT"
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
  fi
  local i=0
  until pg_ready; do
    i=$((i + 1)); [ "$i" -le $((WAIT_SECS * 5)) ] || die "PostgreSQL not ready after ${WAIT_SECS}s"
    sleep 0.2
  done
  # CREATE DATABASE cannot run inside a DO block: \gexec.
  pg_psql -d postgres -v u="$DB_USER" -v p="$DB_PASS" -v d="$DB_NAME" <<'SQL'
SELECT format('CREATE ROLE %I', :'u') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'u', :'p') \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L LC_COLLATE %L LC_CTYPE %L TEMPLATE template0', :'d', :'u', 'UTF8', 'C.UTF-8', 'C.UTF-8')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'d') \gexec
SQL
  PGPASSWORD="$DB_PASS" psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U "$DB_USER" -d "$DB_NAME" -Atc 'select 1' >/dev/null \
    || die "PostgreSQL: cannot log in as $DB_USER over TCP"
  log "PostgreSQL ready on 127.0.0.1:$PG_PORT"
}

pg_stop() {
  if pg_cluster_listed && pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" status >/dev/null 2>&1; then
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop -m fast
    log "PostgreSQL stopped"
  fi
}

# ------------------------------------------------------------------------------ MariaDB
my_root() { mariadb --no-defaults --protocol=socket --socket="$MY_SOCKET" -uroot "$@"; }
my_alive_on_socket() { mariadb-admin --no-defaults --socket="$MY_SOCKET" --connect-timeout=1 ping >/dev/null 2>&1; }

# A CA, a server certificate signed by it for 127.0.0.1 and localhost, and a client certificate:
# EC keys, so generating them takes milliseconds. Kept once made; a set that is incomplete (an
# interrupted run) is made anew.
my_tls_files() {
  local d=$MY_TLSDIR f
  for f in ca.pem server.pem server-key.pem client.pem client-key.pem; do
    [ -s "$d/$f" ] || { f=; break; }
  done
  [ -n "${f:-}" ] && return 0
  log "generating the test TLS CA and certificates in $d"
  rm -rf "$d" && install -d -m 755 "$d"
  (
    cd "$d"
    local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 "${ec[@]}" -keyout ca-key.pem -out ca.pem -days 3650 -subj "/CN=strata test CA" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext
    openssl req "${ec[@]}" -keyout server-key.pem -out server.csr -subj "/CN=localhost" 2>/dev/null
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -extfile server.ext \
      -out server.pem 2>/dev/null
    openssl req "${ec[@]}" -keyout client-key.pem -out client.csr -subj "/CN=strata test client" 2>/dev/null
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -out client.pem 2>/dev/null
    rm -f server.csr client.csr server.ext ca.srl
  ) || die "openssl could not make the test certificates in $d"
  chown mysql:mysql "$d/server-key.pem"
  chmod 600 "$d/server-key.pem"
}

# Whether the server on the socket speaks TLS (one started by an older copy of this script does not).
my_has_tls() { [ "$(my_root -Nse "SELECT @@have_ssl" 2>/dev/null)" = "YES" ]; }

my_start() {
  install -d -m 755 -o mysql -g mysql "$MY_RUNDIR"
  my_tls_files
  if [ ! -d "$MY_DATADIR/mysql" ]; then
    log "initialising MariaDB data directory $MY_DATADIR"
    install -d -m 750 -o mysql -g mysql "$MY_DATADIR"
    mariadb-install-db --no-defaults --user=mysql --datadir="$MY_DATADIR" --skip-test-db \
      --auth-root-authentication-method=socket >"$ROOT/mariadb-install.log" 2>&1 \
      || { tail -n 30 "$ROOT/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
  fi
  if my_alive_on_socket && ! my_has_tls; then
    log "MariaDB is running without TLS: restarting it with the test certificates"
    my_stop
  fi
  if my_alive_on_socket; then
    log "MariaDB already running"
  else
    log "starting MariaDB on 127.0.0.1:$MY_PORT"
    # mariadbd directly: Debian's mysqld_safe logs to a syslog that containers lack. setsid
    # detaches it from the caller's process group; --user=mysql drops root.
    setsid mariadbd --no-defaults --user=mysql --datadir="$MY_DATADIR" \
      --bind-address=127.0.0.1 --port="$MY_PORT" --socket="$MY_SOCKET" --pid-file="$MY_PIDFILE" \
      --log-error="$MY_LOG" --innodb-buffer-pool-size=64M \
      --ssl-ca="$MY_TLSDIR/ca.pem" --ssl-cert="$MY_TLSDIR/server.pem" --ssl-key="$MY_TLSDIR/server-key.pem" \
      </dev/null >/dev/null 2>&1 &
    local pid=$! i=0
    until my_ready; do
      if ! kill -0 "$pid" 2>/dev/null; then tail -n 30 "$MY_LOG" >&2; die "mariadbd exited during startup"; fi
      i=$((i + 1)); [ "$i" -le $((WAIT_SECS * 5)) ] || { tail -n 30 "$MY_LOG" >&2; die "MariaDB not ready after ${WAIT_SECS}s"; }
      sleep 0.2
    done
  fi
  my_ready || die "MariaDB answers on $MY_SOCKET but not on 127.0.0.1:$MY_PORT"
  my_root <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost';
CREATE USER IF NOT EXISTS '$DB_USER'@'%';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
ALTER USER '$DB_USER'@'%' IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost', '$DB_USER'@'%';
GRANT ALL PRIVILEGES ON \`strata\\_%\`.* TO '$DB_USER'@'localhost', '$DB_USER'@'%';
GRANT PROCESS, CONNECTION ADMIN ON *.* TO '$DB_USER'@'localhost', '$DB_USER'@'%';
CREATE USER IF NOT EXISTS '${DB_USER}_tls'@'%';
ALTER USER '${DB_USER}_tls'@'%' IDENTIFIED BY '$DB_PASS' REQUIRE SSL;
GRANT ALL PRIVILEGES ON \`strata\\_%\`.* TO '${DB_USER}_tls'@'%';
CREATE USER IF NOT EXISTS '${DB_USER}_x509'@'%';
ALTER USER '${DB_USER}_x509'@'%' IDENTIFIED BY '$DB_PASS' REQUIRE X509;
GRANT ALL PRIVILEGES ON \`strata\\_%\`.* TO '${DB_USER}_x509'@'%';
SQL
  mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P "$MY_PORT" -u"$DB_USER" -p"$DB_PASS" "$DB_NAME" -Nse 'select 1' >/dev/null \
    || die "MariaDB: cannot log in as $DB_USER over TCP"
  my_has_tls || die "MariaDB does not speak TLS (see $MY_LOG)"
  log "MariaDB ready on 127.0.0.1:$MY_PORT (TLS, socket $MY_SOCKET)"
}

my_stop() {
  if my_alive_on_socket; then
    local pid i=0
    pid=$(cat "$MY_PIDFILE" 2>/dev/null || true)
    mariadb-admin --no-defaults --socket="$MY_SOCKET" -uroot shutdown
    while [ -e "$MY_PIDFILE" ] && [ "$i" -lt $((WAIT_SECS * 5)) ]; do sleep 0.2; i=$((i + 1)); done
    # The pid file goes before the process has let go of its files; a server started now
    # would wait for InnoDB's lock. (A zombie, where PID 1 does not reap, holds nothing.)
    while [ -n "$pid" ] && [ "$i" -lt $((WAIT_SECS * 5)) ]; do
      case "$(ps -o stat= -p "$pid" 2>/dev/null || true)" in '' | Z*) break ;; esac
      sleep 0.2; i=$((i + 1))
    done
    [ ! -e "$MY_PIDFILE" ] || die "MariaDB did not stop within ${WAIT_SECS}s"
    log "MariaDB stopped"
  fi
}

case "${1:-start}" in
  start)  pg_start; my_start ;;
  stop)   my_stop; pg_stop ;;
  start-postgres) pg_start ;;
  start-mysql) my_start ;;
  restart-postgres) pg_stop; pg_start ;;
  restart-mysql) my_stop; my_start ;;
  *) die "usage: $0 [start|stop|status|env|start-postgres|start-mysql|restart-postgres|restart-mysql]" ;;
esac
