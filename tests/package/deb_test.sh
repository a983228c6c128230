#!/usr/bin/env bash
# deb_test.sh BUILD_DIR - build the .deb and the .tar.gz from a configured and built tree,
# check their metadata and contents (strata and libstrata-dev), install the .debs into a scratch root, run the installed
# binary, and check that the man page and both completions cover every command and option
# that `strata --help` lists, that the documentation --help and the man page point to is
# installed (with a DEP-5 copyright file and a changelog), and that lintian finds no error.
# Prints one FAIL line per problem; exits 1 if there was any.
set -euo pipefail

build=$(cd "${1:?usage: deb_test.sh BUILD_DIR}" && pwd)
# shellcheck source=tests/package/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" deb_test

for tool in cpack dpkg-deb dpkg dpkg-shlibdeps dpkg-parsechangelog lintian tar; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh installs it)"
done
[ -f "$build/CPackConfig.cmake" ] || die "$build/CPackConfig.cmake missing: configure the build first"
[ -x "$build/strata" ] || die "$build/strata missing: build the strata target first"

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
[ -n "$version" ] || die "no CPACK_PACKAGE_VERSION in $build/CPackConfig.cmake"
arch=$(dpkg --print-architecture)

# ---------------------------------------------------------------- build both packages
for generator in DEB TGZ; do
  if ! cpack -G "$generator" -B "$tmp/out" --config "$build/CPackConfig.cmake" >"$tmp/cpack-$generator.log" 2>&1; then
    cat "$tmp/cpack-$generator.log" >&2
    die "cpack -G $generator failed"
  fi
done

deb=$tmp/out/strata_${version}_${arch}.deb
[ -f "$deb" ] || die "expected $deb; cpack wrote: $(find "$tmp/out" -maxdepth 1 -type f -printf '%f ')"
tgz=$(find "$tmp/out" -maxdepth 1 -name "strata-${version}-*.tar.gz" | head -n 1)
[ -n "$tgz" ] || die "no strata-${version}-*.tar.gz in $tmp/out"

# ---------------------------------------------------------------- control fields
field() { dpkg-deb -f "$deb" "$1"; }
expect_field() {
  local got
  got=$(field "$1")
  [ "$got" = "$2" ] || fail "deb field $1 is '$got', expected '$2'"
}
expect_field Package strata
expect_field Version "$version"
expect_field Architecture "$arch"
expect_field Section database
maintainer=$(sed -n 's/^set(CPACK_DEBIAN_PACKAGE_MAINTAINER "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
[[ $maintainer =~ ^[^\<]+\ \<[^@\>]+@[^@\>]+\.[^@\>]+\>$ ]] || fail "maintainer '$maintainer' is not 'Name <user@host.domain>'"
expect_field Maintainer "$maintainer"
expect_field Recommends bash-completion
[ -n "$(field Description)" ] || fail "deb has no Description"
[ "$(dpkg-deb -f "$deb" Description | wc -l)" -gt 1 ] || fail "deb Description has no long description"

depends=$(field Depends)
echo "Depends: $depends"
# The libraries strata links; each must show up as a package dpkg-shlibdeps computed.
for lib in libc6 libstdc++6 libpqxx libpq5 libmysqlcppconn libfmt libnettle libsqlite3; do
  grep -qE "(^|, )${lib//+/\\+}[^ ,]*( |,|$)" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
grep -qE 'libpqxx[^ ]* \(>= ' <<<"$depends" || fail "Depends has no version for libpqxx (shlibdeps not run?)"

# ---------------------------------------------------------------- contents
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$tmp/deb-files"
tar -tzf "$tgz" | sed 's|^[^/]*/||' >"$tmp/tgz-files"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "$(uname -m)-linux-gnu")
for path in bin/strata share/man/man1/strata.1 share/bash-completion/completions/strata \
            share/zsh/vendor-completions/_strata lib/"$multiarch"/strata/strata-driver-postgres.so \
            lib/"$multiarch"/strata/strata-driver-mysql.so; do
  # The man page may be installed gzip'd.
  grep -qxE "/usr/$path(\\.gz)?" "$tmp/deb-files" || fail "deb lacks /usr/$path"
  grep -qxE "$path(\\.gz)?" "$tmp/tgz-files" || fail "tar.gz lacks $path"
done

# The man page is compressed (Debian policy 12.1), and share/doc/strata has what --help and
# the man page point to: README.md, every docs/*.md of the source tree, copyright, changelog.
grep -qx /usr/share/man/man1/strata.1.gz "$tmp/deb-files" || fail "deb lacks the gzip'd man page /usr/share/man/man1/strata.1.gz"
grep -qx /usr/share/man/man1/strata.1 "$tmp/deb-files" && fail "deb has an uncompressed man page"
doc=usr/share/doc/strata
doc_files=(README.md copyright changelog.gz)
for md in "$source_dir"/docs/*.md; do doc_files+=("docs/${md##*/}"); done
for path in "${doc_files[@]}"; do
  grep -qx "/$doc/$path" "$tmp/deb-files" || fail "deb lacks /$doc/$path"
  grep -qx "share/doc/strata/$path" "$tmp/tgz-files" || fail "tar.gz lacks share/doc/strata/$path"
done

root=$tmp/root
dpkg -x "$deb" "$root"

# ---------------------------------------------------------------- copyright and changelog
copyright=$root/$doc/copyright
if [ -f "$copyright" ]; then
  [ "$(head -n 1 "$copyright")" = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" ] ||
    fail "copyright is not machine-readable (DEP-5): first line '$(head -n 1 "$copyright")'"
  # strata's own paragraph, and its licence text word for word as in LICENSE.
  awk 'BEGIN { RS = "" } /^Files: \*\n/' "$copyright" | grep -qx 'License: Expat' ||
    fail "copyright has no 'Files: *' paragraph under License: Expat"
  licence_text() { tr -s ' \n' '  ' | sed 's/ \. / /g; s/^ //; s/ $//'; }
  want=$(sed '1,/^Copyright/d' "$source_dir/LICENSE" | licence_text)
  got=$(awk 'BEGIN { RS = "" } /^License: Expat\n/' "$copyright" | sed 1d | licence_text)
  if [ -z "$want" ] || [ "$got" != "$want" ]; then fail "the Expat text in copyright differs from LICENSE"; fi
fi
changelog=$root/$doc/changelog.gz
if [ -f "$changelog" ]; then
  gzip -dc "$changelog" >"$tmp/changelog"
  got=$(dpkg-parsechangelog -l "$tmp/changelog" -S Version 2>&1) || fail "dpkg-parsechangelog: $got"
  [ "$got" = "$version" ] || fail "the changelog's latest entry is for version '$got', the package is $version"
  got=$(dpkg-parsechangelog -l "$tmp/changelog" -S Maintainer 2>&1) || true
  [ "$got" = "$maintainer" ] || fail "the changelog is signed by '$got', the Maintainer is '$maintainer'"
fi

# ---------------------------------------------------------------- lintian: no errors
# Every tag is printed (warnings, informational and pedantic ones too) so that the log shows them.
lintian_started=$SECONDS
lintian_rc=0
lintian --display-info --pedantic --tag-display-limit 0 "$deb" >"$tmp/lintian.log" 2>"$tmp/lintian.err" || lintian_rc=$?
echo "lintian ($((SECONDS - lintian_started)) s):"
sed 's/^/  /' "$tmp/lintian.log"
grep -q '^E: ' "$tmp/lintian.log" && fail "lintian reports errors: $(grep '^E: ' "$tmp/lintian.log" | tr '\n' ';')"
# Exit status 2 is an error tag (--fail-on error, the default), reported above; 1 is lintian
# failing to run.
[ "$lintian_rc" -ne 1 ] || fail "lintian could not check the package: $(grep -v 'running with root privileges' "$tmp/lintian.err")"
strata=$root/usr/bin/strata
[ -x "$strata" ] || die "dpkg -x did not produce an executable $strata"

# ---------------------------------------------------------------- the installed binary works
work=$tmp/work
mkdir "$work"
run() {  # the installed binary in a scratch directory, without the caller's settings or .env
  (cd "$work" && env -u DATABASE_URL -u STRATA_PATH -u STRATA_TABLE -u STRATA_LOCK_TIMEOUT \
    NO_COLOR=1 "$strata" "$@")
}

got=$(run --version) || fail "strata --version exited $?"
[ "$got" = "strata $version (drivers: sqlite, postgres, mysql)" ] || fail "strata --version printed '$got'"

# The installed binary finds its driver modules (drivers/module.hpp) where the package put them:
# a server that is not there is a connection error (exit 1), not a missing driver (exit 2).
for url in postgres://u:p@127.0.0.1:1/x mysql://u:p@127.0.0.1:1/x; do
  rc=0
  err=$(run -d "$url" --lock-timeout 1 version 2>&1 >/dev/null) || rc=$?
  [ "$rc" = 1 ] && [[ $err == "strata: error: "* ]] || fail "strata version on $url exited $rc: $err"
done
# Without its module, a PostgreSQL URL is exit 2 naming the file it looked for.
mv "$root/usr/lib/$multiarch/strata/strata-driver-postgres.so" "$tmp/"
rc=0
err=$(run -d postgres://u:p@127.0.0.1:1/x version 2>&1 >/dev/null) || rc=$?
[ "$rc" = 2 ] && [[ $err == *"PostgreSQL driver of this strata is not installed"*"strata-driver-postgres.so"* ]] ||
  fail "strata without its PostgreSQL module exited $rc: $err"
got=$(run --version)
[ "$got" = "strata $version (drivers: sqlite, mysql)" ] || fail "strata --version without the module printed '$got'"
mv "$tmp/strata-driver-postgres.so" "$root/usr/lib/$multiarch/strata/"

created=$(run -p migrations create add users) || fail "strata create exited $?"
expected_created=$'migrations/000001_add_users.up.sql\nmigrations/000001_add_users.down.sql'
[ "$created" = "$expected_created" ] || fail "strata create printed '$created'"
if [ -f "$work/migrations/000001_add_users.up.sql" ]; then
  echo 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);' \
    >"$work/migrations/000001_add_users.up.sql"
  echo 'DROP TABLE users;' >"$work/migrations/000001_add_users.down.sql"
fi
run -q -d sqlite:app.db -p migrations up || fail "strata up exited $?"
got=$(run -d sqlite:app.db -p migrations version) || fail "strata version exited $?"
[ "$got" = 1 ] || fail "after up, strata version printed '$got', expected 1"
run -d sqlite:app.db -p migrations status --exit-code >/dev/null ||
  fail "strata status --exit-code exited $? with nothing pending"
run -q -d sqlite:app.db -p migrations down || fail "strata down exited $?"
got=$(run -d sqlite:app.db -p migrations version) || fail "strata version exited $?"
[ "$got" = none ] || fail "after down, strata version printed '$got', expected none"

# ---------------------------------------------------------------- docs stay in step with --help
# Commands and options as the binary lists them.
help=$(run --help)
# The installed --help points at the installed documentation, and the man page names only
# documentation paths that the package installs.
got=$(sed -n 's/^Documentation: //p' <<<"$help")
[ "$got" = "man strata, $root/$doc/docs/cli.md" ] || fail "installed strata --help says 'Documentation: $got'"
mapfile -t commands < <(sed -n '/^Subcommands:/,/^$/{/^  [a-z]/s/^  \([a-z-]*\).*/\1/p}' <<<"$help")
mapfile -t global_opts < <(sed -n '/^Options:/,/^$/p' <<<"$help" | grep -oE '^ +(-[A-Za-z],)?--[a-z-]+' |
  tr ',' '\n' | tr -d ' ')
[ "${#commands[@]}" -ge 10 ] || fail "parsed only ${#commands[@]} commands from strata --help"
[ "${#global_opts[@]}" -ge 10 ] || fail "parsed only ${#global_opts[@]} options from strata --help"
declare -A command_opts
for c in "${commands[@]}"; do
  command_opts[$c]=$(run "$c" --help | sed -n '/^Options:/,/^$/p' | grep -oE '^ +(-[A-Za-z],)?--[a-z-]+' |
    tr ',' '\n' | tr -d ' ' | grep -vxE -- '-h|--help' | tr '\n' ' ') || true
done

man_src=$(find "$root/usr/share/man/man1" -name 'strata.1*' 2>/dev/null | head -n 1)
[ -n "$man_src" ] || die "no man page under $root/usr/share/man/man1"
case $man_src in
  *.gz) gzip -dc "$man_src" >"$tmp/strata.1" ;;
  *) cp "$man_src" "$tmp/strata.1" ;;
esac
# Roff to plain text, enough to read the tags of .TP paragraphs (tags() drops the macro
# names): drop font escapes, turn \- into -.
deroff() { sed -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\-/-/g' -e 's/\\&//g'; }
# The tag lines (the line after .TP) of one section; a tag nested in .RS/.RE is printed as
# "<first word of the enclosing tag><TAB><tag>", so a command's options can be told apart.
tags() {
  awk -v sec="$1" '
    function text(l) { sub(/^\.[A-Z]+ */, "", l); gsub(/"/, "", l); return l }
    /^\.SH/ { insec = ($0 ~ "^\\.SH \"?" sec "\"?$"); depth = 0 }
    insec && tp {
      if (depth > 0) { print parent "\t" text($0) } else { print text($0); split(text($0), w, " "); parent = w[1] }
    }
    { tp = 0 }
    insec && /^\.TP/ { tp = 1 }
    insec && /^\.RS/ { depth++ }
    insec && /^\.RE/ { depth-- }
  ' "$tmp/strata.1" | deroff
}
tags COMMANDS >"$tmp/command-tags"
tags OPTIONS >"$tmp/option-tags"
has_word() {  # has_word WORD FILE: WORD delimited by anything but letters, digits and '-'
  grep -qE -- "(^|[^A-Za-z0-9-])${1//./\\.}([^A-Za-z0-9-]|$)" "$2"
}
for c in "${commands[@]}"; do
  grep -qE "^$c( |$)" "$tmp/command-tags" || fail "man page has no entry for command '$c' under COMMANDS"
  grep "^$c"$'\t' "$tmp/command-tags" | cut -f 2 >"$tmp/command-tags-$c" || true
  for o in ${command_opts[$c]}; do
    has_word "$o" "$tmp/command-tags-$c" || fail "man page has no entry for '$c $o' under COMMANDS $c"
  done
done
for o in "${global_opts[@]}"; do
  has_word "$o" "$tmp/option-tags" || fail "man page has no entry for global option '$o' under OPTIONS"
done
for section in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS 'EXIT STATUS' ENVIRONMENT FILES EXAMPLES 'SEE ALSO'; do
  grep -qE "^\\.SH \"?$section\"?\$" "$tmp/strata.1" || fail "man page has no $section section"
done
for code in 0 1 2 3 4 5 6; do
  tags 'EXIT STATUS' | grep -qx "$code" || fail "man page EXIT STATUS does not describe exit code $code"
done
for var in DATABASE_URL STRATA_PATH STRATA_TABLE STRATA_LOCK_TIMEOUT NO_COLOR; do
  tags ENVIRONMENT | grep -qx "$var" || fail "man page ENVIRONMENT does not describe $var"
done
tags FILES | grep -qx '.env' || fail "man page FILES does not describe .env"
for path in $(grep -oE '/usr/share/doc/strata/[A-Za-z0-9./\\-]*' "$tmp/strata.1" | deroff | sort -u); do
  [ -e "$root$path" ] || fail "man page points to $path, which the package does not install"
done
grep -q '/usr/share/doc/strata/docs/cli.md' "$tmp/strata.1" || fail "man page does not point to /usr/share/doc/strata/docs/cli.md"
if command -v groff >/dev/null; then
  warnings=$(groff -man -ww -z -Tutf8 "$tmp/strata.1" 2>&1) || true
  [ -z "$warnings" ] || fail "groff warns about the man page: $warnings"
fi

bash_completion=$root/usr/share/bash-completion/completions/strata
zsh_completion=$root/usr/share/zsh/vendor-completions/_strata

# ---------------------------------------------------------------- bash completion offers them all
complete_bash() {  # complete_bash WORD...: what the installed completion offers for the last word
  bash --norc -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _strata; echo "${COMPREPLY[*]}"' \
    _ "$bash_completion" "$@"
}
expect_completion() {
  local want=$1 got
  shift
  got=$(complete_bash "$@") || fail "bash completion failed for '$*'"
  [ "$got" = "$want" ] || fail "bash completion of '$*' gave '$got', expected '$want'"
}
offers() {  # offers WANT WORD...: the completion of WORD... includes WANT
  local got
  got=" $(complete_bash "$@") " || fail "bash completion failed for '$*'"
  [[ $got == *" $want "* ]]
}
if [ -f "$bash_completion" ]; then
  for c in "${commands[@]}"; do
    want=$c offers strata "" || fail "bash completion of 'strata ' does not offer command '$c'"
    # shellcheck disable=SC2086 # a blank-separated list
    for o in "${global_opts[@]}" ${command_opts[$c]}; do
      want=$o offers strata "$c" - || fail "bash completion of 'strata $c -' does not offer '$o'"
    done
  done
  expect_completion down strata "do"
  expect_completion "--all" strata down --a
  expect_completion "--exit-code" strata status --ex
  expect_completion "sqlite postgres mysql" strata --dialect ""
  expect_completion "status" strata -d sqlite:app.db st
  mkdir -p "$work/db/mig"
  expect_completion "$work/db/mig" strata --path "$work/db/m"
  touch "$work/vars.env"
  expect_completion "$work/vars.env" strata --env-file "$work/vars."
fi

# ---------------------------------------------------------------- zsh completion names them all
if [ -f "$zsh_completion" ]; then
  for c in "${commands[@]}"; do
    grep -qF "'$c:" "$zsh_completion" || fail "zsh completion does not describe command '$c'"
  done
  # shellcheck disable=SC2048,SC2086 # each command_opts value is a blank-separated list
  for o in "${global_opts[@]}" ${command_opts[*]}; do
    has_word "$o" "$zsh_completion" || fail "zsh completion lacks option '$o'"
  done
  if command -v zsh >/dev/null; then
    zsh -n "$zsh_completion" || fail "zsh -n reports a syntax error in _strata"
  fi
fi

# ---------------------------------------------------------------- libstrata-dev
# Headers, libstrata.a, strata-embed, the CMake package and strata.pc, in the multiarch
# directories; lintian-clean; no file of the strata package (both can be installed).
dev=$tmp/out/libstrata-dev_${version}_${arch}.deb
if [ ! -f "$dev" ]; then
  fail "expected $dev; cpack wrote: $(find "$tmp/out" -maxdepth 1 -type f -printf '%f ')"
else
  dev_field() { dpkg-deb -f "$dev" "$1"; }
  [ "$(dev_field Package)" = libstrata-dev ] || fail "libstrata-dev's Package field is '$(dev_field Package)'"
  [ "$(dev_field Version)" = "$version" ] || fail "libstrata-dev's Version is '$(dev_field Version)'"
  [ "$(dev_field Section)" = libdevel ] || fail "libstrata-dev's Section is '$(dev_field Section)', expected libdevel"
  [ "$(dev_field Description | wc -l)" -gt 1 ] || fail "libstrata-dev has no long description"
  dev_depends=$(dev_field Depends)
  echo "libstrata-dev Depends: $dev_depends"
  # What a program linking libstrata.a needs (strata.pc's Requires and Libs), and pkg-config.
  for pkg in libpqxx-dev libpq-dev libsqlite3-dev libsqlitecpp-dev nettle-dev libfmt-dev libmysqlcppconn7v5 pkg-config libc6; do
    grep -qE "(^|, )${pkg}( |,|$)" <<<"$dev_depends" || fail "libstrata-dev's Depends lacks $pkg: $dev_depends"
  done
  multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
  dpkg-deb -c "$dev" | awk '{print $NF}' | sed 's|^\./|/|' >"$tmp/dev-files"
  dev_expected=(/usr/bin/strata-embed "/usr/lib/$multiarch/libstrata.a" "/usr/lib/$multiarch/pkgconfig/strata.pc"
                "/usr/lib/$multiarch/cmake/strata/strataConfig.cmake" "/usr/lib/$multiarch/cmake/strata/strataConfigVersion.cmake"
                "/usr/lib/$multiarch/cmake/strata/StrataMigrations.cmake" /usr/share/man/man1/strata-embed.1.gz
                /usr/share/doc/libstrata-dev/copyright /usr/share/doc/libstrata-dev/changelog.gz)
  for header in "$source_dir"/include/strata/*.hpp; do dev_expected+=("/usr/include/strata/${header##*/}"); done
  for path in "${dev_expected[@]}"; do
    grep -qx "$path" "$tmp/dev-files" || fail "libstrata-dev lacks $path"
    grep -qx "${path#/usr/}" "$tmp/tgz-files" || fail "tar.gz lacks ${path#/usr/}"
  done
  shared=$(comm -12 <(grep -v '/$' "$tmp/deb-files" | sort) <(grep -v '/$' "$tmp/dev-files" | sort))
  [ -z "$shared" ] || fail "strata and libstrata-dev both ship: $shared"
  dpkg -x "$dev" "$root"
  grep -qx 'prefix=/usr' "$root/usr/lib/$multiarch/pkgconfig/strata.pc" || fail "strata.pc's prefix is not /usr"
  if objdump -h "$root/usr/lib/$multiarch/libstrata.a" 2>/dev/null | grep -qE ' \.(debug_|comment)'; then
    fail "libstrata.a keeps debugging or .comment sections"
  fi
  # The packaged generator compiles a set in (and refuses a broken one with file:line).
  "$root/usr/bin/strata-embed" "$source_dir/testdata/checkouts" -o "$tmp/set.cpp" -f app::migrations ||
    fail "the packaged strata-embed failed on testdata/checkouts"
  grep -q '{"1_notes.up.sql", k_file_1, 199u}' "$tmp/set.cpp" 2>/dev/null || fail "strata-embed's output lacks 1_notes.up.sql"
  got=$("$root/usr/bin/strata-embed" "$source_dir/testdata/broken_sql" -o "$tmp/broken.cpp" -f m --dialect sqlite 2>&1) &&
    fail "the packaged strata-embed accepted testdata/broken_sql"
  [ "$got" = "strata-embed: error: $source_dir/testdata/broken_sql/0002_unterminated.up.sql:4: unterminated string started here" ] ||
    fail "strata-embed on broken_sql said: $got"
  dev_lintian_rc=0
  lintian --display-info --pedantic --tag-display-limit 0 "$dev" >"$tmp/lintian-dev.log" 2>"$tmp/lintian-dev.err" || dev_lintian_rc=$?
  echo "lintian (libstrata-dev):"
  sed 's/^/  /' "$tmp/lintian-dev.log"
  grep -q '^E: ' "$tmp/lintian-dev.log" && fail "lintian reports errors for libstrata-dev: $(grep '^E: ' "$tmp/lintian-dev.log" | tr '\n' ';')"
  [ "$dev_lintian_rc" -ne 1 ] || fail "lintian could not check libstrata-dev: $(grep -v 'running with root privileges' "$tmp/lintian-dev.err")"
fi

finish "$(basename "$deb"), $(basename "$dev"), $(basename "$tgz")"
