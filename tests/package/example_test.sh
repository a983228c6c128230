#!/usr/bin/env bash
# example_test.sh BUILD_DIR - install the built tree into a clean scratch prefix (cmake --install),
# build examples/migrate-at-startup against that prefix only, run it on SQLite, PostgreSQL and
# MariaDB (STRATA_TEST_POSTGRES_URL / STRATA_TEST_MYSQL_URL: scripts/test-dbs.sh env; a scratch
# schema or database of its own on each), check the result with the installed CLI, and compile a
# small program with `pkg-config --cflags --libs strata`.
# Prints one FAIL line per problem; exits 1 if there was any.
set -euo pipefail

build=$(cd "${1:?usage: example_test.sh BUILD_DIR}" && pwd)
# shellcheck source=tests/package/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" example_test
example=$source_dir/examples/migrate-at-startup
name=strata_example_$$
: "${STRATA_TEST_POSTGRES_URL:?set by scripts/test-dbs.sh env}"
: "${STRATA_TEST_MYSQL_URL:?set by scripts/test-dbs.sh env}"

# ---------------------------------------------------------------- install, build against it only
prefix=$tmp/prefix
install_prefix "$build" "$prefix"
strata=$prefix/bin/strata
cmake -S "$example" -B "$tmp/example" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF >"$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log" >&2; die "configuring the example failed"; }
found=$(sed -n 's/^strata_DIR:PATH=//p' "$tmp/example/CMakeCache.txt")
[[ $found == "$prefix"/* ]] || fail "the example found strata in '$found', not in the scratch prefix $prefix"
cmake --build "$tmp/example" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; die "building the example failed"; }
app=$tmp/example/notes-service
[ -x "$app" ] || die "no $app after the build"
# Nothing of the build tree is needed: no path into it in the program or its link line.
grep -q "$build" "$tmp/example/CMakeFiles/notes-service.dir/link.txt" &&
  fail "the example links something from the build tree: $(cat "$tmp/example/CMakeFiles/notes-service.dir/link.txt")"

cli() { env -u DATABASE_URL -u STRATA_PATH -u STRATA_TABLE NO_COLOR=1 "$strata" -p "$example/migrations" "$@"; }
# run_app WHERE [ARGS...]: the program in a directory of its own, without DATABASE_URL unless given.
run_app() {
  local where=$1
  shift
  mkdir -p "$tmp/$where"
  (cd "$tmp/$where" && env -u DATABASE_URL "$@") >"$tmp/$where/out" 2>"$tmp/$where/err"
}

# check_engine LABEL URL: the program migrates an empty database to 4; the CLI agrees, sees no
# edited file, and can revert and re-apply what the program applied; the program then finds
# nothing to do.
check_engine() {
  local label=$1 url=$2 got
  if ! run_app "$label" "$app" "$url"; then
    fail "$label: notes-service exited $?: $(cat "$tmp/$label/err")"
    return
  fi
  got=$(cat "$tmp/$label/out")
  [ "$got" = "notes-service: database at version 4 (4 migrations applied)" ] || fail "$label: notes-service printed '$got'"
  grep -q "^notes-service: applied 2 create_notes (2 statements, " "$tmp/$label/err" ||
    fail "$label: no event line for migration 2: $(cat "$tmp/$label/err")"
  got=$(cli -d "$url" version 2>&1) || fail "$label: strata version exited $?: $got"
  [ "$got" = 4 ] || fail "$label: after notes-service, strata version printed '$got'"
  got=$(cli -d "$url" status --exit-code 2>&1) || fail "$label: strata status --exit-code exited $? (edited files?): $got"
  cli -q -d "$url" down 2 >/dev/null 2>&1 || fail "$label: strata down 2 after notes-service failed"
  run_app "$label-again" "$app" "$url" || fail "$label: notes-service after strata down exited $?: $(cat "$tmp/$label-again/err")"
  got=$(cat "$tmp/$label-again/out")
  [ "$got" = "notes-service: database at version 4 (2 migrations applied)" ] || fail "$label: the second start printed '$got'"
  run_app "$label-third" "$app" "$url" || fail "$label: the third start exited $?"
  got=$(cat "$tmp/$label-third/out")
  [ "$got" = "notes-service: database at version 4 (0 migrations applied)" ] || fail "$label: the third start printed '$got'"
  got=$(cli -d "$url" status --exit-code 2>&1) || fail "$label: strata status after the restarts exited $?: $got"
}

# ---------------------------------------------------------------- SQLite (the default database)
run_app sqlite-default "$app" || fail "notes-service without a URL exited $?: $(cat "$tmp/sqlite-default/err")"
[ -f "$tmp/sqlite-default/notes.db" ] || fail "notes-service without a URL did not create notes.db"
got=$(cli -d "sqlite:$tmp/sqlite-default/notes.db" version 2>&1) || true
[ "$got" = 4 ] || fail "the default notes.db is at version '$got'"
check_engine sqlite "sqlite:$tmp/app.db"
# DATABASE_URL, and the CLI first: the program continues from what the CLI applied.
cli -q -d "sqlite:$tmp/shared.db" up 1 || fail "strata up 1 failed"
run_app sqlite-env env DATABASE_URL="sqlite:$tmp/shared.db" "$app" || fail "notes-service with DATABASE_URL exited $?"
got=$(cat "$tmp/sqlite-env/out")
[ "$got" = "notes-service: database at version 4 (3 migrations applied)" ] || fail "with DATABASE_URL it printed '$got'"
# An error is the CLI's exit code and message.
sqlite3 "$tmp/app.db" "UPDATE schema_migrations SET dirty = 1"
code=0
run_app sqlite-dirty "$app" "sqlite:$tmp/app.db" || code=$?
[ "$code" = 3 ] || fail "notes-service on a dirty database exited $code, expected 3: $(cat "$tmp/sqlite-dirty/err")"
grep -q "^notes-service: cannot migrate the database: .*dirty" "$tmp/sqlite-dirty/err" ||
  fail "notes-service on a dirty database said: $(cat "$tmp/sqlite-dirty/err")"

# ---------------------------------------------------------------- PostgreSQL and MariaDB
pg_url=$STRATA_TEST_POSTGRES_URL
pg_admin="env PGPASSWORD=$(url_part "$pg_url" password) psql -X -q -v ON_ERROR_STOP=1 -h $(url_part "$pg_url" host) -p $(url_part "$pg_url" port) -U $(url_part "$pg_url" user) -d $(url_part "$pg_url" database)"
$pg_admin -c "CREATE SCHEMA $name" || die "cannot create schema $name on $pg_url"
cleanups+=("$pg_admin -c 'DROP SCHEMA IF EXISTS $name CASCADE' >/dev/null 2>&1")
sep='?'
[[ $pg_url == *'?'* ]] && sep='&'
check_engine postgres "${pg_url}${sep}options=-csearch_path%3D$name"
# The per-dialect file ran on PostgreSQL (its checksum is recorded), the plain one elsewhere.
postgres_seed=$(sha256sum "$example/migrations/0004_seed_author.up.postgres.sql" | cut -d ' ' -f 1)
plain_seed=$(sha256sum "$example/migrations/0004_seed_author.up.sql" | cut -d ' ' -f 1)
got=$($pg_admin -At -c "SELECT checksum FROM $name.schema_migrations_history WHERE version = 4 AND outcome = 'applied' LIMIT 1")
[ "$got" = "$postgres_seed" ] || fail "postgres: version 4 was applied from a file with checksum '$got', not 0004_seed_author.up.postgres.sql"

my_url=$STRATA_TEST_MYSQL_URL
my_admin="mariadb --no-defaults -h $(url_part "$my_url" host) -P $(url_part "$my_url" port) -u $(url_part "$my_url" user) -p$(url_part "$my_url" password)"
$my_admin -e "CREATE DATABASE $name" || die "cannot create database $name on $my_url"
cleanups+=("$my_admin -e 'DROP DATABASE IF EXISTS $name' >/dev/null 2>&1")
check_engine mariadb "mysql://$(url_part "$my_url" user):$(url_part "$my_url" password)@$(url_part "$my_url" host):$(url_part "$my_url" port)/$name"
got=$($my_admin -N -e "SELECT checksum FROM $name.schema_migrations_history WHERE version = 4 AND outcome = 'applied' LIMIT 1")
[ "$got" = "$plain_seed" ] || fail "mariadb: version 4 was applied from a file with checksum '$got', not 0004_seed_author.up.sql"

# ---------------------------------------------------------------- pkg-config
multiarch_pc=$(find "$prefix" -name strata.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$multiarch_pc" ] || die "no strata.pc under $prefix"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$multiarch_pc")
mkdir "$tmp/pc"
"$prefix/bin/strata-embed" "$example/migrations" -o "$tmp/pc/set.cpp" --header "$tmp/pc/set.hpp" -f tiny::migrations ||
  fail "strata-embed failed on the example's migrations"
cat >"$tmp/pc/main.cpp" <<'CPP'
#include <iostream>
#include <strata/strata.hpp>
#include "set.hpp"
int main(int, char** argv) {
  strata::Migrator migrator(argv[1], strata::MigrationSource::embedded(tiny::migrations()));
  strata::RunResult result = migrator.up(2);
  std::cout << result.steps.size() << " " << *result.to << " " << (migrator.has_pending() ? "pending" : "done") << "\n";
}
CPP
# shellcheck disable=SC2046 # pkg-config prints words
if g++ -std=c++17 -Wall -Wextra -o "$tmp/pc/tiny" "$tmp/pc/main.cpp" "$tmp/pc/set.cpp" -I"$tmp/pc" \
  $(pkg-config --cflags --libs strata) >"$tmp/pc/build.log" 2>&1; then
  got=$("$tmp/pc/tiny" "sqlite:$tmp/pc/tiny.db" 2>&1) || fail "the pkg-config program exited $?: $got"
  [ "$got" = "2 2 pending" ] || fail "the pkg-config program printed '$got'"
  got=$(cli -d "sqlite:$tmp/pc/tiny.db" version 2>&1) || true
  [ "$got" = 2 ] || fail "after the pkg-config program, strata version printed '$got'"
else
  fail "g++ \$(pkg-config --cflags --libs strata) failed: $(cat "$tmp/pc/build.log")"
fi
grep -q -- "-I$prefix/include" <<<"$(pkg-config --cflags strata)" || fail "pkg-config --cflags strata: $(pkg-config --cflags strata)"

finish "examples/migrate-at-startup on sqlite, postgres, mariadb; pkg-config"
