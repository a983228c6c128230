# strata — developer entry points. `make migrate_up` and `make test` work on a fresh clone:
# missing Debian packages are installed first (as root; otherwise the apt-get line is printed).

DATABASE_URL ?= sqlite:strata-dev.db
MIGRATIONS   ?= testdata/example
BUILD_DIR    ?= build
ASAN_DIR     ?= build-asan
FUZZ_DIR     ?= build-fuzz
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 15
PREFIX       ?= /usr/local
JOBS         ?= $(shell nproc 2>/dev/null || echo 2)

# Warnings are errors in CI; a user's build stays warning-tolerant.
ifeq ($(CI),true)
WERROR := ON
else
WERROR ?= OFF
endif

STRATA := $(BUILD_DIR)/strata
# The URLs the driver tests connect to (the servers scripts/test-dbs.sh starts).
TEST_DB_ENV := $(shell scripts/test-dbs.sh env)
# The cluster, pooler and replica URLs the topology tests connect to (scripts/topologies.sh).
TOPOLOGY_ENV := $(shell scripts/topologies.sh env)
RUN    := $(STRATA) --database '$(DATABASE_URL)' --path '$(MIGRATIONS)'

.PHONY: all deps test-dbs topologies build test unit-test asan-test fuzz fuzz-smoke valgrind install package bench clean \
        migrate_up migrate_down migrate_status migrate_version migrate_create migrate_force migrate_goto

all: build

deps:
	@scripts/install-deps.sh

# PostgreSQL and MariaDB on loopback for the driver tests (installed and started when missing).
test-dbs:
	@scripts/install-deps.sh servers
	@scripts/test-dbs.sh status || scripts/test-dbs.sh start

# Galera, a PostgreSQL primary + standby, PgBouncer, pgpool-II and a read-only MariaDB on
# loopback (docs/clusters.md); already running ones are left alone.
topologies:
	@scripts/install-deps.sh topologies
	@scripts/topologies.sh status >/dev/null 2>&1 || scripts/topologies.sh start

# Configure once; later builds reuse the cache. Build output is kept quiet on success.
$(BUILD_DIR)/CMakeCache.txt: | deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_WERROR=$(WERROR) >/dev/null

build: deps $(BUILD_DIR)/CMakeCache.txt
	@echo "building $(STRATA)" >&2
	@cmake --build $(BUILD_DIR) --target strata -j $(JOBS) >$(BUILD_DIR)/build.log 2>&1 \
	  || { cat $(BUILD_DIR)/build.log; exit 1; }

# valgrind after the other tests (about 1.5 minutes on 2 cores), also under make -j.
test: unit-test asan-test fuzz-smoke
	@$(MAKE) --no-print-directory valgrind

# The normal build (warnings as errors under CI), every test against it.
unit-test: deps test-dbs topologies $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)
	cd $(BUILD_DIR) && env $(TEST_DB_ENV) $(TOPOLOGY_ENV) ctest --output-on-failure -j $(JOBS)

# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer.
asan-test: deps test-dbs topologies
	@test -f $(ASAN_DIR)/CMakeCache.txt || cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug \
	  -DSTRATA_SANITIZE=ON -DSTRATA_WERROR=$(WERROR) >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && env $(TEST_DB_ENV) $(TOPOLOGY_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# The SQLite path under valgrind (memcheck): the unit, parser and SQLite conformance tests,
# then real build/strata runs on a scratch SQLite database (up, status, down, validate,
# dry-run, failures). Uses the normal build (no sanitizers). Any memcheck error or
# definite/possible leak fails it: valgrind's exit code, and for runs expected to fail, its
# "==pid==" report lines (-q prints nothing else). No suppressions: none have been needed.
# --child-silent-after-fork: tests fork children that only probe a lock and _exit; without it
# valgrind leak-checks each child's copy of the parent's heap and rewrites its exit status.
comma := ,
VALGRIND      := valgrind -q --error-exitcode=1 --child-silent-after-fork=yes --leak-check=full --errors-for-leak-kinds=definite,possible \
                 --show-leak-kinds=definite,possible --track-origins=yes
VALGRIND_SQLITE_TESTS := Sqlite*:SqliteDriverTest.*:OpenDriverTest.*
# This test forks children that probe SQLite's locks and _exit with a verdict. Each child's leak
# check sees the parent's live SQLite page cache (held through an interior pointer) as "possibly
# lost" and valgrind turns the child's exit status into 1, failing the test; so it runs on its
# own with only definite and indirect leaks counted.
VALGRIND_FORK_TESTS   := SqliteDriverTest.DestroyingADriverKeepsTheSqliteLocksOfAnotherConnection

valgrind: deps $(BUILD_DIR)/CMakeCache.txt
	@cmake --build $(BUILD_DIR) --target strata unit_tests parser_tests planner_tests conformance_tests -j $(JOBS) \
	  >$(BUILD_DIR)/build.log 2>&1 || { cat $(BUILD_DIR)/build.log; exit 1; }
	@start=$$(date +%s); failed=0; \
	scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	check() { label="$$1"; expect="$$2"; shift 2; \
	  "$$@" >"$$scratch/log" 2>&1; rc=$$?; \
	  if [ $$rc -ne $$expect ] || grep -Eq '^==[0-9]+==' "$$scratch/log"; then \
	    cat "$$scratch/log"; echo "valgrind: FAIL $$label (exit $$rc)"; failed=$$((failed + 1)); \
	  else echo "valgrind: ok   $$label"; fi; }; \
	check unit_tests 0 $(VALGRIND) $(BUILD_DIR)/tests/unit_tests --gtest_brief=1; \
	check parser_tests 0 $(VALGRIND) $(BUILD_DIR)/tests/parser_tests --gtest_brief=1; \
	check planner_tests 0 $(VALGRIND) $(BUILD_DIR)/tests/planner_tests --gtest_brief=1; \
	check "conformance_tests (sqlite)" 0 $(VALGRIND) $(BUILD_DIR)/tests/conformance_tests --gtest_brief=1 \
	  --gtest_filter='$(VALGRIND_SQLITE_TESTS)-$(VALGRIND_FORK_TESTS)'; \
	check "conformance_tests (sqlite, forking)" 0 $(subst definite$(comma)possible,definite$(comma)indirect,$(VALGRIND)) \
	  $(BUILD_DIR)/tests/conformance_tests --gtest_brief=1 --gtest_filter='$(VALGRIND_FORK_TESTS)'; \
	cp -r testdata/example "$$scratch/migrations"; \
	cli() { expect="$$1"; shift; check "strata $$*" "$$expect" env -u DATABASE_URL -u STRATA_PATH -u STRATA_TABLE \
	  $(VALGRIND) $(abspath $(STRATA)) -d "sqlite:$$scratch/v.db" -p "$$scratch/migrations" "$$@"; }; \
	cli 0 validate; cli 0 up --dry-run; cli 0 up 2; cli 0 status; cli 6 status --exit-code; cli 0 --json up; \
	cli 0 -v down; cli 0 redo; cli 0 goto 1; cli 0 --json status; cli 0 down --all -y; cli 0 version; \
	cli 2 up --bogus; \
	printf "SELECT 'unterminated;\\n" >"$$scratch/migrations/000009_broken.up.sql"; cli 4 validate; cli 4 up; \
	echo 'SELECT no_such_function();' >"$$scratch/migrations/000009_broken.up.sql"; cli 1 up; \
	echo "valgrind: $$( [ $$failed -eq 0 ] && echo PASSED || echo "FAILED ($$failed)" ) in $$(( $$(date +%s) - start ))s"; \
	[ $$failed -eq 0 ]

# libFuzzer targets (fuzz/) built with clang++ in $(FUZZ_DIR), run one after the other; each keeps
# its corpus in $(FUZZ_DIR)/corpus/<target> and saves a crashing input in $(FUZZ_DIR)/crashes/.
FUZZ_BUILD = @test -f $(FUZZ_DIR)/CMakeCache.txt || cmake -S . -B $(FUZZ_DIR) -DCMAKE_CXX_COMPILER=clang++ \
	  -DSTRATA_FUZZ=ON -DSTRATA_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_WERROR=$(WERROR) >/dev/null
FUZZ_COMPILE = @cmake --build $(FUZZ_DIR) --target fuzz_targets -j $(JOBS) >$(FUZZ_DIR)/build.log 2>&1 \
	  || { cat $(FUZZ_DIR)/build.log; exit 1; }

# The long run: FUZZ_SECONDS per target (make fuzz FUZZ_SECONDS=60 FUZZ_TARGETS='splitter url').
fuzz: deps
	$(FUZZ_BUILD)
	$(FUZZ_COMPILE)
	@fuzz/run-fuzzers.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# A short run of every target, part of `make test`.
fuzz-smoke: deps
	$(FUZZ_BUILD)
	$(FUZZ_COMPILE)
	@fuzz/run-fuzzers.sh $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS)

install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

# The .deb (Depends from dpkg-shlibdeps) and the .tar.gz, both from the install rules; cpack's
# output is kept in $(BUILD_DIR)/cpack.log and shown only on failure.
package: build
	@cd $(BUILD_DIR) && cpack -G 'DEB;TGZ' >cpack.log 2>&1 || { cat cpack.log; exit 1; }
	@sed -n 's/^CPack: - package: \(.*\) generated\.$$/package: \1/p' $(BUILD_DIR)/cpack.log

# The benchmark suite (issue 5, docs/performance.md): strata vs the raw clients and dbmate on
# SQLite, PostgreSQL and MariaDB, every workload including the large ones (10,000 migrations, a
# 1 GB seed file, generated under $TMPDIR and deleted after use). A full run takes about 41 minutes
# (dbmate is stopped at 300 s on the SQLite 200,000 INSERTs; psql and the mariadb client run the
# 1 GB seed only with BENCH_ARGS='--seed-raw all', 15-40 minutes more each);
# `make bench BENCH_ARGS=--quick` (no large workloads) finishes in a few minutes. dbmate comes from
# npm into bench/.tools (installed here when missing).
BENCH_ARGS ?=
DBMATE_BIN  = $(wildcard bench/.tools/node_modules/@dbmate/*/bin/dbmate)

bench: build test-dbs
	@test -n "$(DBMATE_BIN)" || npm install --prefix bench/.tools --no-fund --no-audit dbmate >&2
	@env $(TEST_DB_ENV) python3 bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)

migrate_up: build
	@$(RUN) up
	@$(RUN) status

migrate_down: build
	@$(RUN) down

migrate_status: build
	@$(RUN) status

migrate_version: build
	@$(RUN) version

migrate_create: build
	@test -n "$(NAME)" || { echo "usage: make migrate_create NAME=add_users" >&2; exit 2; }
	@$(STRATA) --path '$(MIGRATIONS)' create '$(NAME)'

migrate_force: build
	@test -n "$(VERSION)" || { echo "usage: make migrate_force VERSION=3" >&2; exit 2; }
	@$(RUN) force '$(VERSION)'

migrate_goto: build
	@test -n "$(VERSION)" || { echo "usage: make migrate_goto VERSION=3" >&2; exit 2; }
	@$(RUN) goto '$(VERSION)'
