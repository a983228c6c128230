# shellcheck shell=bash
# Sourced by the scripts of tests/package: a scratch directory removed at exit, one FAIL line
# per problem, and the summary line that decides the exit status.
# Usage: source common.sh NAME (NAME names the scratch directory and the summary).
test_name=$1
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)  # the checkout the test belongs to
export source_dir
tmp=$(mktemp -d "${TMPDIR:-/tmp}/strata-$test_name.XXXXXX")
cleanups=("rm -rf '$tmp'")
run_cleanups() {
  local i
  for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do eval "${cleanups[i]}" || true; done
}
trap run_cleanups EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
die() {
  echo "FAIL: $*" >&2
  exit 1
}
# finish [DETAIL]: the summary; exits 1 after any failure.
finish() {
  if [ "$failures" -gt 0 ]; then
    echo "$test_name: $failures failure(s)" >&2
    exit 1
  fi
  echo "$test_name: ok${1:+ ($1)}"
}

# install_prefix BUILD_DIR PREFIX: the built tree installed (stripped, as a package is) there.
install_prefix() {
  cmake --install "$1" --prefix "$2" --strip >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log" >&2; die "cmake --install $1 failed"; }
}

# url_part URL user|password|host|port|database: one part of scheme://user:password@host:port/database?…
url_part() {
  local rest=${1#*://} authority
  authority=${rest%%/*}
  case $2 in
    user) authority=${authority%%@*} && echo "${authority%%:*}" ;;
    password) authority=${authority%%@*} && echo "${authority#*:}" ;;
    host) authority=${authority#*@} && echo "${authority%%:*}" ;;
    port) authority=${authority#*@} && echo "${authority##*:}" ;;
    database) rest=${rest#*/} && echo "${rest%%\?*}" ;;
  esac
}
