#!/usr/bin/env bash
# install-deps.sh - install the Debian 12 packages strata needs to build and test.
#
#   scripts/install-deps.sh          # build + unit/e2e test packages
#   scripts/install-deps.sh servers  # also PostgreSQL and MariaDB servers/clients
#   scripts/install-deps.sh topologies  # servers, plus Galera, PgBouncer and pgpool-II
#                                       # (scripts/topologies.sh)
#
# Installs only what is missing. As root it runs apt-get; otherwise it prints the
# one apt-get line to run and exits 1.
set -euo pipefail

build_pkgs=(cmake make g++ pkg-config libcli11-dev libsqlitecpp-dev libsqlite3-dev
  libpqxx-dev libpq-dev libmysqlcppconn-dev libboost-dev libfmt-dev libgtest-dev
  libgmock-dev nettle-dev nlohmann-json3-dev sqlite3 dpkg-dev file clang libclang-rt-14-dev valgrind
  lintian)  # lintian: tests/package/deb_test.sh checks the .deb with it
server_pkgs=(postgresql postgresql-client mariadb-server mariadb-client openssl)  # openssl: test-dbs.sh makes a test CA
topology_pkgs=(galera-4 rsync pgbouncer pgpool2)  # rsync: Galera's state transfer

wanted=("${build_pkgs[@]}")
case "${1:-}" in
  servers) wanted+=("${server_pkgs[@]}") ;;
  topologies) wanted+=("${server_pkgs[@]}" "${topology_pkgs[@]}") ;;
esac

missing=()
for p in "${wanted[@]}"; do
  # dpkg-query reports "install ok installed" only for fully installed packages
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "strata: missing packages; run as root:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
