#!/usr/bin/env bash
# run-fuzzers.sh BUILD_DIR SECONDS [TARGET...] - runs each fuzz target (default: all) for
# SECONDS, one at a time, on BUILD_DIR/corpus/<target> (which keeps what it finds). Prints one
# line per target and a closing "fuzz: N passed, M failed"; exits 1 when any target crashed,
# leaked, hung or broke a property, naming the saved input under BUILD_DIR/crashes/.
set -uo pipefail
build=${1:?usage: run-fuzzers.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: run-fuzzers.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(splitter streaming file_name annotation url)
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$build/crashes" "$build/logs"

dict_of() {
  case $1 in
    url) echo "$here/dict/url.dict" ;;
    file_name) echo "$here/dict/file_name.dict" ;;
    *) echo "$here/dict/sql.dict" ;;
  esac
}

passed=0
failed=0
for t in "${targets[@]}"; do
  exe="$build/fuzz/fuzz_$t"
  log="$build/logs/$t.log"
  mkdir -p "$build/corpus/$t"
  if [ ! -x "$exe" ]; then
    echo "fuzz: $t FAILED: $exe not built"
    failed=$((failed + 1))
    continue
  fi
  before=$(find "$build/crashes" -name "$t-*" -type f | sort)
  # -timeout: an input taking 10 s is a hang; ASan checks leaks at the end of each input.
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$exe" -max_total_time="$seconds" -timeout=10 \
    -print_final_stats=1 -dict="$(dict_of "$t")" -artifact_prefix="$build/crashes/$t-" \
    "$build/corpus/$t" >"$log" 2>&1
  rc=$?
  inited=$(grep -a -m1 -o 'INITED cov: [0-9]*' "$log" | grep -o '[0-9]*$')
  done_line=$(grep -a 'DONE *cov:' "$log" | tail -1)
  execs=$(grep -a -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  rate=$(grep -a -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
  if [ $rc -eq 0 ] && [ -n "$done_line" ]; then
    cov=$(grep -o 'cov: [0-9]*' <<<"$done_line" | grep -o '[0-9]*$')
    corp=$(grep -o 'corp: [0-9]*' <<<"$done_line" | grep -o '[0-9]*$')
    echo "fuzz: $t ok: ${execs:-?} execs (${rate:-?}/s), coverage ${inited:-?} -> ${cov:-?} edges" \
      "(+$(( ${cov:-0} - ${inited:-0} ))), corpus $corp inputs"
    passed=$((passed + 1))
  else
    crash=$(grep -a -o 'Test unit written to .*' "$log" | tail -1 | sed 's/^Test unit written to //')
    [ -n "$crash" ] || crash=$(comm -13 <(echo "$before") <(find "$build/crashes" -name "$t-*" -type f | sort) | head -1)
    reason=$(grep -a -m1 -E \
      'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error|fuzz property violated' "$log")
    echo "fuzz: $t FAILED after ${execs:-?} execs: ${reason:-exit status $rc}"
    echo "fuzz: $t crash input: ${crash:-(none saved)}; full log: $log"
    grep -a -E '^ *#[0-9]+ 0x|violated|runtime error|SUMMARY' "$log" | head -15 | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
