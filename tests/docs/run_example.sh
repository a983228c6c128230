#!/bin/sh
# Runs docs/library.md's example program (built as docs_example) on a fresh SQLite database with
# testdata/example, twice: the first run applies every migration, the second finds nothing to do.
# Usage: run_example.sh BINARY TESTDATA SCRATCH_DIR
set -eu
binary=$1
testdata=$2
scratch=$3
rm -rf "$scratch"
mkdir -p "$scratch"
db="sqlite:$scratch/app.db"

"$binary" "$db" "$testdata/example" >"$scratch/out1" 2>"$scratch/err1" || {
  echo "first run failed (exit $?):"; cat "$scratch/err1"; exit 1; }
grep -qx "5 users_name_index applied" "$scratch/out1" || { echo "status not printed:"; cat "$scratch/out1"; exit 1; }
grep -qx "database at version 5 (5 migrations applied)" "$scratch/err1" || {
  echo "unexpected progress:"; cat "$scratch/err1"; exit 1; }
grep -q "^\[1/5\] applying 000001_create_users$" "$scratch/err1" || { echo "no events:"; cat "$scratch/err1"; exit 1; }

"$binary" "$db" "$testdata/example" >"$scratch/out2" 2>"$scratch/err2" || {
  echo "second run failed (exit $?):"; cat "$scratch/err2"; exit 1; }
grep -qx "database at version 5 (0 migrations applied)" "$scratch/err2" || {
  echo "second run was not a no-op:"; cat "$scratch/err2"; exit 1; }
echo "docs/library.md example: ok"
