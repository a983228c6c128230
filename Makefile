# strata — developer entry points. `make migrate_up` and `make test` work on a fresh clone:
# missing Debian packages are installed first (as root; otherwise the apt-get line is printed).

DATABASE_URL ?= sqlite:strata-dev.db
MIGRATIONS   ?= testdata/example
BUILD_DIR    ?= build
ASAN_DIR     ?= build-asan
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
RUN    := $(STRATA) --database '$(DATABASE_URL)' --path '$(MIGRATIONS)'

.PHONY: all deps test-dbs build test unit-test asan-test install package bench clean \
        migrate_up migrate_down migrate_status migrate_version migrate_create migrate_force migrate_goto

all: build

deps:
	@scripts/install-deps.sh

# PostgreSQL and MariaDB on loopback for the driver tests (installed and started when missing).
test-dbs:
	@scripts/install-deps.sh servers
	@scripts/test-dbs.sh status || scripts/test-dbs.sh start

# Configure once; later builds reuse the cache. Build output is kept quiet on success.
$(BUILD_DIR)/CMakeCache.txt: | deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_WERROR=$(WERROR) >/dev/null

build: deps $(BUILD_DIR)/CMakeCache.txt
	@echo "building $(STRATA)" >&2
	@cmake --build $(BUILD_DIR) --target strata -j $(JOBS) >$(BUILD_DIR)/build.log 2>&1 \
	  || { cat $(BUILD_DIR)/build.log; exit 1; }

test: unit-test asan-test

# The normal build (warnings as errors under CI), every test against it.
unit-test: deps test-dbs $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)
	cd $(BUILD_DIR) && env $(TEST_DB_ENV) ctest --output-on-failure -j $(JOBS)

# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer.
asan-test: deps test-dbs
	@test -f $(ASAN_DIR)/CMakeCache.txt || cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug \
	  -DSTRATA_SANITIZE=ON -DSTRATA_WERROR=$(WERROR) >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && env $(TEST_DB_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

# The .deb (Depends from dpkg-shlibdeps) and the .tar.gz, both from the install rules; cpack's
# output is kept in $(BUILD_DIR)/cpack.log and shown only on failure.
package: build
	@cd $(BUILD_DIR) && cpack -G 'DEB;TGZ' >cpack.log 2>&1 || { cat cpack.log; exit 1; }
	@sed -n 's/^CPack: - package: \(.*\) generated\.$$/package: \1/p' $(BUILD_DIR)/cpack.log

bench: build
	@echo "bench: not yet implemented (see issue: performance)" >&2; exit 1

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)

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
