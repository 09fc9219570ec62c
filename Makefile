# Set-up and entry points. `make demo` and `make test` work on a fresh Debian 12 machine:
# they install missing build dependencies with apt-get, configure, build, then run.
BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

# Debian packages the build and the tests need (tests: strace for the differential suite,
# gcc-multilib for the i386 helpers, python3 for the end-to-end runner, util-linux for setpriv;
# clang and libclang-rt-14-dev for the libFuzzer targets of `make fuzz-smoke`, which `make test` runs).
DEB_PACKAGES := cmake make g++ gcc pkg-config libseccomp-dev libfmt-dev libcli11-dev doctest-dev nlohmann-json3-dev libgtest-dev \
                gcc-multilib python3 strace util-linux coreutils dash tmux golang-go clang libclang-rt-14-dev \
                qemu-system-x86 busybox-static cpio linux-source-6.12 dwarves flex bison bc libssl-dev libelf-dev \
                libbpf-dev bpftool zlib1g-dev

.PHONY: all deps configure build test demo clean

all: build

# $(call apt_install,PACKAGES): apt-get install whichever of PACKAGES are not installed yet.
apt_install = missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

deps:
	@$(call apt_install,$(DEB_PACKAGES))

configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(if $(CI),-DSYSVISOR_WERROR=ON) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) fuzz-smoke

demo: build
	./examples/demo.sh $(BUILD_DIR)/copycat

clean:
	rm -rf $(BUILD_DIR)

# Fuzzing (issue 5): the libFuzzer targets of fuzz/, built with clang in FUZZ_DIR (one ctest test each).
# `make fuzz` runs each for FUZZ_SECONDS, `make fuzz-smoke` (part of `make test`) for FUZZ_SMOKE_SECONDS.
# New inputs go to FUZZ_DIR/fuzz/corpus/ (fuzz/corpus/ is only read), crashes to FUZZ_DIR/fuzz/artifacts/;
# `make fuzz-merge` adds the inputs that reach new code to fuzz/corpus/.
FUZZ_DIR           ?= build-fuzz
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_TARGETS       := $(patsubst fuzz/%.cpp,%,$(wildcard fuzz/fuzz_*.cpp))
# $(call fuzz_build,SECONDS): configure FUZZ_DIR so that each ctest test fuzzes for SECONDS, and build
# (without the eBPF path and the benchmarks: no fuzzer reaches them).
fuzz_build = CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYSVISOR_FUZZ=ON \
               -DSYSVISOR_BUILD_TESTS=OFF -DSYSVISOR_BUILD_BENCH=OFF -DSYSVISOR_EBPF=OFF -DSYSVISOR_FUZZ_SECONDS=$(1) \
               >/dev/null && \
             cmake --build $(FUZZ_DIR) -j $(JOBS) --target sysvisor_fuzzers

# Sanitizers: the whole test suite, built with SANITIZE in ASAN_DIR, but install_examples: it links the
# installed, instrumented library into examples built with plain g++, which cannot work (undefined
# __asan_* symbols); the same library code runs sanitized in the `library` test.
ASAN_DIR ?= build-asan
SANITIZE ?= address,undefined

.PHONY: fuzz-smoke fuzz fuzz-merge test-asan

fuzz-smoke: deps
	$(call fuzz_build,$(FUZZ_SMOKE_SECONDS))
	@echo "fuzz-smoke: $(FUZZ_SMOKE_SECONDS) s each: $(FUZZ_TARGETS)"
	cd $(FUZZ_DIR)/fuzz && ctest --output-on-failure -j $(JOBS) -L fuzz

fuzz: deps
	$(call fuzz_build,$(FUZZ_SECONDS))
	@echo "fuzz: $(FUZZ_SECONDS) s each: $(FUZZ_TARGETS)"
	cd $(FUZZ_DIR)/fuzz && ctest --output-on-failure -j $(JOBS) -L fuzz

fuzz-merge: deps
	$(call fuzz_build,$(FUZZ_SECONDS))
	@for t in $(FUZZ_TARGETS); do \
	  before=$$(ls fuzz/corpus/$$t | wc -l); \
	  $(FUZZ_DIR)/fuzz/$$t -merge=1 -max_len=1024 -artifact_prefix=$(FUZZ_DIR)/fuzz/artifacts/$$t- fuzz/corpus/$$t $(FUZZ_DIR)/fuzz/corpus/$$t 2>/dev/null || exit 1; \
	  echo "fuzz-merge: $$t: $$before -> $$(ls fuzz/corpus/$$t | wc -l) inputs in fuzz/corpus/$$t"; \
	done

test-asan: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DSYSVISOR_SANITIZE=$(SANITIZE) -DSYSVISOR_WERROR=$(if $(CI),ON,OFF)
	cmake --build $(ASAN_DIR) -j $(JOBS)
	@echo "test-asan: $(SANITIZE); install_examples left out (plain g++ cannot link an instrumented library); the vm tests too (LeakSanitizer stops threads with ptrace, which the guest's Yama ptrace_scope 2 and 3 cases refuse)"
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:check_initialization_order=1:strict_init_order=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS) -E '^install_examples$$' -LE vm

# Benchmark (issue 6): installs strace and proot if missing, builds (bench/ programs included), runs
# bench/run_bench.py and prints the table (~5 minutes on 2 cores). BENCH_QUICK=1: a one-minute run.
BENCH_PACKAGES := strace proot
BENCH_QUICK    ?=
BENCH_ARGS     ?=

.PHONY: bench bench-deps

bench-deps:
	@$(call apt_install,$(BENCH_PACKAGES))

bench: bench-deps build
	python3 bench/run_bench.py --build $(BUILD_DIR) $(if $(filter-out 0,$(BENCH_QUICK)),--quick) $(BENCH_ARGS)
