#!/usr/bin/env bash
# embed_project_test.sh BUILD_DIR - install the built tree into a scratch prefix and build
# tests/embed/project against that prefix only (find_package(strata) + strata_add_migrations):
# the set is compiled in and generated again when a file is edited, added or removed; a
# duplicate version and an unterminated string fail the build with the file (and line).
# Prints one FAIL line per problem; exits 1 if there was any.
set -euo pipefail

build=$(cd "${1:?usage: embed_project_test.sh BUILD_DIR}" && pwd)
# shellcheck source=tests/package/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" embed_project_test

prefix=$tmp/prefix
install_prefix "$build" "$prefix"

# configure NAME MIGRATIONS [cmake args...]: a fresh build tree of the project; only the scratch
# prefix is searched for strata.
configure() {
  local name=$1 migrations=$2
  shift 2
  cmake -S "$source_dir/tests/embed/project" -B "$tmp/$name" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DMIGRATIONS="$migrations" "$@" >"$tmp/$name.configure.log" 2>&1 ||
    { cat "$tmp/$name.configure.log" >&2; die "configuring the project ($name) failed"; }
}
build_project() {  # build_project NAME: the build's output in $tmp/NAME.build.log; its status
  cmake --build "$tmp/$1" >"$tmp/$1.build.log" 2>&1
}

# ---------------------------------------------------------------- a set builds and runs
mkdir "$tmp/migrations"
cp "$source_dir"/testdata/checkouts/*.sql "$tmp/migrations/"
configure ok "$tmp/migrations"
build_project ok || { cat "$tmp/ok.build.log" >&2; die "the project does not build"; }
grep -q "strata::strata-embed\|Compiling in the migrations of $tmp/migrations" "$tmp/ok.build.log" ||
  fail "the build did not run strata-embed: $(cat "$tmp/ok.build.log")"
out=$("$tmp/ok/list_migrations")
expected=$(printf '%s\n' "$tmp/migrations: 4 files" $'1_notes.down.sql 19 DROP TABLE notes;\r' \
  $'1_notes.up.sql 199 \xef\xbb\xbf-- Saved by an editor that adds a byte-order mark, checked out with CRLF line endings.\r' \
  '2_tags.down.sql 17 DROP TABLE tags;' '2_tags.up.sql 44 CREATE TABLE tags (id INTEGER PRIMARY KEY);')
[ "$out" = "$expected" ] || fail "the compiled-in set is not the directory's files byte for byte: $(printf '%q' "$out")"

# ---------------------------------------------------------------- edited, added, removed
printf 'CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);\n' >"$tmp/migrations/2_tags.up.sql"
build_project ok || { cat "$tmp/ok.build.log" >&2; die "rebuilding after an edit failed"; }
"$tmp/ok/list_migrations" | grep -qx "2_tags.up.sql 55 CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);" ||
  fail "an edited file was not compiled in again: $("$tmp/ok/list_migrations")"

printf 'CREATE TABLE c (id INTEGER);\n' >"$tmp/migrations/3_c.up.sql"
touch -d '2001-01-01' "$tmp/migrations/3_c.up.sql"  # as cp -p or an old checkout leaves it
build_project ok || { cat "$tmp/ok.build.log" >&2; die "rebuilding after adding a file failed"; }
"$tmp/ok/list_migrations" | grep -qx "3_c.up.sql 29 CREATE TABLE c (id INTEGER);" ||
  fail "an added file was not compiled in: $("$tmp/ok/list_migrations")"

rm "$tmp/migrations/1_notes.down.sql"
build_project ok || { cat "$tmp/ok.build.log" >&2; die "rebuilding after removing a file failed"; }
"$tmp/ok/list_migrations" | grep -q "^1_notes.down.sql" &&
  fail "a removed file is still compiled in: $("$tmp/ok/list_migrations")"
"$tmp/ok/list_migrations" | head -n 1 | grep -qx "$tmp/migrations: 4 files" ||
  fail "after removing a file the set should have 4 files: $("$tmp/ok/list_migrations")"

# A file that breaks the set fails the next build, and nothing stale is left to link.
printf "SELECT 'open;\n" >"$tmp/migrations/4_bad.up.sql"
if build_project ok; then fail "a broken file added to the set did not fail the build"; fi
grep -qF "strata-embed: error: $tmp/migrations/4_bad.up.sql:1: unterminated string started here" "$tmp/ok.build.log" ||
  fail "the failed build does not name 4_bad.up.sql:1: $(cat "$tmp/ok.build.log")"
rm "$tmp/migrations/4_bad.up.sql"
build_project ok || { cat "$tmp/ok.build.log" >&2; fail "removing the broken file did not mend the build"; }

# ---------------------------------------------------------------- sets the build refuses
configure duplicate "$source_dir/testdata/duplicate"
if build_project duplicate; then fail "a set with a duplicate version built"; fi
grep -qF "strata-embed: error: $source_dir/testdata/duplicate: duplicate migration version 3: 0003_a.up.sql, 03_b.up.sql" \
  "$tmp/duplicate.build.log" || fail "the duplicate version is not reported: $(cat "$tmp/duplicate.build.log")"

configure unterminated "$source_dir/testdata/broken_sql"
if build_project unterminated; then fail "a set with an unterminated string built"; fi
grep -qF "strata-embed: error: $source_dir/testdata/broken_sql/0002_unterminated.up.sql:4: unterminated string started here (read as sqlite;" \
  "$tmp/unterminated.build.log" || fail "the unterminated string is not reported with file:line: $(cat "$tmp/unterminated.build.log")"

# DIALECT: only the named dialects are checked. An apostrophe inside dollar quotes is text on
# PostgreSQL and starts an unterminated string on SQLite and MySQL.
mkdir "$tmp/dollar"
echo "COMMENT ON TABLE t IS \$\$it's\$\$;" >"$tmp/dollar/1_c.up.sql"
configure dollar_all "$tmp/dollar"
if build_project dollar_all; then fail "a PostgreSQL-only set built although it was checked for every dialect"; fi
grep -qF "1_c.up.sql:1: unterminated string started here (read as sqlite;" "$tmp/dollar_all.build.log" ||
  fail "the set checked for every dialect does not say which dialect failed: $(cat "$tmp/dollar_all.build.log")"
configure dollar_pg "$tmp/dollar" -DDIALECTS=postgres
build_project dollar_pg || fail "DIALECT postgres: the PostgreSQL-only set does not build: $(cat "$tmp/dollar_pg.build.log")"

finish "tests/embed/project"
