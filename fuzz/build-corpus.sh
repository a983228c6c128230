#!/usr/bin/env bash
# build-corpus.sh SOURCE_DIR BUILD_DIR - writes the seed corpus of each fuzz target to
# BUILD_DIR/corpus/<target>/ from testdata/ and fuzz/seeds/. Files are named by content hash,
# so re-running adds nothing twice and never removes what the fuzzer has found since.
set -euo pipefail
src=${1:?usage: build-corpus.sh SOURCE_DIR BUILD_DIR}
out=${2:?usage: build-corpus.sh SOURCE_DIR BUILD_DIR}/corpus
mkdir -p "$out"/{splitter,streaming,file_name,annotation,url}

# put TARGET: stdin becomes one seed file of TARGET.
put() {
  local tmp
  tmp=$(mktemp "$out/$1/.seed.XXXXXX")
  cat >"$tmp"
  mv -f "$tmp" "$out/$1/seed-$(sha1sum <"$tmp" | cut -c1-16)"
}

shopt -s nullglob
sql_files=("$src"/testdata/*/*.sql "$src"/testdata/parser/*/*.sql)
for f in "${sql_files[@]}"; do
  put splitter <"$f"
  # streaming: byte 0 = dialect + layout (0-2 pair, 3-5 single), bytes 1-4 = chunk-size seed
  case ${f##*/} in input.sql | *.up.* | *.down.*) layouts="0 1 2" ;; *) layouts="3 4 5" ;; esac
  for b in $layouts; do
    { printf "\\$(printf %03o "$b")\\x5a\\x17\\x93\\x2c"; cat "$f"; } | put streaming
  done
  # annotation: byte 0 = dialect, the rest as is (annotation lines are already spelled out)
  { printf '\x01'; cat "$f"; } | put annotation
done

# file names: every name under testdata/ plus the hand-written ones
{
  for f in "$src"/testdata/*/*; do basename "$f"; done
  cat "$src/fuzz/seeds/file_names.txt"
} | sort -u | while IFS= read -r name; do printf %s "$name" | put file_name; done

# URLs, table names and .env files, one seed each
grep -v '^#' "$src/fuzz/seeds/urls.txt" | while IFS= read -r line; do
  [ -n "$line" ] && printf %s "$line" | put url
done
for f in "$src"/fuzz/seeds/*.env; do put url <"$f"; done
# inputs that once failed (testdata/fuzz-regressions/<target>-<what>) stay in the corpus
for f in "$src"/testdata/fuzz-regressions/*; do
  t=${f##*/}
  t=${t%%-*}
  [ -d "$out/$t" ] && put "$t" <"$f"
done
echo "fuzz corpus: $(find "$out" -type f | wc -l) seeds in $out"
