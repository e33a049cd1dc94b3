# Front door. `make test` on a fresh Debian 12 machine installs what is missing, builds (Debug,
# ASan+UBSan) and runs every test through ctest. `make demo` runs the main job on the embedded
# defaults. `make bench` builds Release and runs the benchmarks.
BUILD_DIR   ?= build
RELEASE_DIR ?= build-release
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build release test tsan bench demo clean interop-spark

all: build

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(BUILD_DIR) -j$(JOBS)

release: deps
	cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(RELEASE_DIR) -j$(JOBS)

# The tests run on the Debug build; an optimised clang build is compiled too, because -O2 and
# clang report warnings (-Werror) that a gcc -O0 build never sees.
test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)
	CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build-clang -j$(JOBS) >/dev/null
	$(MAKE) --no-print-directory fuzz-ci
	$(MAKE) --no-print-directory tsan

# Every fuzz target on FUZZ_CI_RUNS inputs from a fixed seed: the same inputs on every machine, so
# CI's verdict never depends on timing (`make fuzz` explores for FUZZ_SECONDS instead).
FUZZ_CI_RUNS ?= 200000
.PHONY: fuzz-ci
fuzz-ci:
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DI2I_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j$(JOBS) >/dev/null
	fuzz/run.sh build-fuzz runs:$(FUZZ_CI_RUNS)

# The replicate tests (which run the write pipeline's threads) under ThreadSanitizer; part of
# `make test` (about 3 minutes on 2 cores: the CLI and five tests, built once more with TSan).
TSAN_DIR ?= build-tsan
tsan: deps
	cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DI2I_TSAN=ON
	cmake --build $(TSAN_DIR) -j$(JOBS) --target influx2iceberg test_job test_replicate_threads \
	  test_replicate_e2e test_replicate_crash test_replicate_failures test_replicate_readahead
	cd $(TSAN_DIR) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j$(JOBS) -R '^test_(job|replicate_)'

# Spark SQL (pyspark 4.1 + Iceberg 1.12's runtime, over the same SQLite catalog) judges every kind
# of table we write; ctest runs it too (judge_spark). See tests/judges/README.md.
interop-spark: build
	@tests/judges/install_spark.sh
	python3 tests/judges/make_tables.py --cli $(BUILD_DIR)/src/cli/influx2iceberg --out $(BUILD_DIR)/judge-spark
	build/spark-venv/bin/python tests/judges/judge_spark.py $(BUILD_DIR)/judge-spark/tables.json

bench: release
	@scripts/bench.sh $(RELEASE_DIR)

# Only the upstream plugin (../shared/seed) side by side with ours; see bench/seed/README.md.
.PHONY: bench-seed
bench-seed: release
	@bench/seed/run.sh $(RELEASE_DIR)

# libFuzzer targets (fuzz/, clang + ASan/UBSan) from the corpus in fuzz/corpus, FUZZ_SECONDS each.
FUZZ_SECONDS ?= 300
.PHONY: fuzz
fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DI2I_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j$(JOBS) >/dev/null
	fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

# The integration tests under valgrind memcheck (a Debug build without sanitizers); ~15 min.
.PHONY: memcheck
memcheck: deps
	cmake -S . -B build-memcheck -DCMAKE_BUILD_TYPE=Debug -DI2I_SANITIZE=OFF >/dev/null
	cmake --build build-memcheck -j$(JOBS) >/dev/null
	scripts/memcheck.sh build-memcheck

# The crash campaign (tests/crash/README.md): 100 seeded SIGKILL points per set-up, each followed
# by a rerun; ctest runs a sample of 20 (test_crash_sample). CRASH_SEED picks another spread.
CRASH_SEED   ?= 1
CRASH_SETUPS ?= sqlite-local sql-s3 rest-s3
.PHONY: crash
crash: release
	tests/interop/.venv/bin/python tests/crash/crash_campaign.py --cli $(RELEASE_DIR)/src/cli/influx2iceberg \
		--points 100 --seed $(CRASH_SEED) $(foreach s,$(CRASH_SETUPS),--setup $(s))

demo: release
	@scripts/demo.sh $(RELEASE_DIR)

clean:
	rm -rf $(BUILD_DIR) $(RELEASE_DIR) $(TSAN_DIR)
