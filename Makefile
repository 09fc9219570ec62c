# Set-up and entry points. `make demo`, `make deb` and `make test` work on a fresh Debian 12 machine:
# they install the missing Debian packages they need with apt-get, configure, build, then run.
BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

# Debian packages. DEMO_PACKAGES build sysvisor and run examples/demo.sh (a Python program), nothing
# more: `make demo` builds without the tests, the benchmarks and the eBPF path.
DEMO_PACKAGES := cmake make gcc g++ pkg-config libseccomp-dev libfmt-dev libcli11-dev nlohmann-json3-dev python3
# DEB_PACKAGES: `make deb` (dpkg-shlibdeps and file, with which CPack computes Depends; the eBPF path of -k).
EBPF_PACKAGES := libbpf-dev bpftool clang libelf-dev zlib1g-dev
DEB_PACKAGES  := $(DEMO_PACKAGES) dpkg-dev file $(EBPF_PACKAGES)
# TEST_PACKAGES: everything `make test` needs: strace for the differential suite, gcc-multilib for the i386
# helpers, util-linux for setpriv, clang and libclang-rt-14-dev for the libFuzzer targets of `make fuzz-smoke`,
# qemu and a kernel source for the VM tests, dpkg-dev, file, lintian and man-db for the `deb` test,
# universal-ctags for the function-length check (tests/style).
TEST_PACKAGES := $(DEB_PACKAGES) doctest-dev libgtest-dev gcc-multilib strace util-linux coreutils dash tmux \
                 golang-go libclang-rt-14-dev qemu-system-x86 busybox-static cpio linux-source-6.12 dwarves flex \
                 bison bc libssl-dev lintian man-db universal-ctags

# `make demo` and `make deb` build in directories of their own, configured for what they make, so that
# `make test` afterwards in the same clone still gets a build with the tests (and the other way round).
DEMO_DIR        ?= build-demo
DEMO_CMAKE_ARGS := -DSYSVISOR_BUILD_TESTS=OFF -DSYSVISOR_BUILD_BENCH=OFF -DSYSVISOR_EBPF=OFF
DEB_DIR         ?= build-deb
DEB_CMAKE_ARGS  := -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DSYSVISOR_BUILD_TESTS=OFF \
                   -DSYSVISOR_BUILD_BENCH=OFF

.PHONY: all deps demo-deps deb-deps configure build test demo deb clean

all: build

# $(call apt_install,PACKAGES): apt-get install whichever of PACKAGES are not installed yet, quietly: one
# line naming them and the log; on failure the end of the log.
apt_install = missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  log=$$(mktemp /tmp/sysvisor-apt.XXXXXX); \
	  echo "installing:$$missing (log: $$log)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  if ! { $$SUDO apt-get update -qq && \
	         $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	       } >"$$log" 2>&1; then \
	    echo "apt-get failed; the end of $$log:"; tail -n 20 "$$log"; exit 1; \
	  fi; \
	fi

# $(call quietly,WHAT,LOG,COMMAND): run COMMAND with its output in LOG; one line, and LOG's end on failure.
quietly = echo "$(1) (log: $(2))"; mkdir -p "$(dir $(2))"; \
	if ! { $(3); } >"$(2)" 2>&1; then echo "$(1) failed; the end of $(2):"; tail -n 30 "$(2)"; exit 1; fi

deps:
	@$(call apt_install,$(TEST_PACKAGES))

demo-deps:
	@$(call apt_install,$(DEMO_PACKAGES))

deb-deps:
	@$(call apt_install,$(DEB_PACKAGES))

configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(if $(CI),-DSYSVISOR_WERROR=ON) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) fuzz-smoke

# The demo: only its packages, then configure, build sysvisor and run examples/demo.sh, a few lines each.
demo: demo-deps
	@$(call quietly,configuring $(DEMO_DIR),$(DEMO_DIR)/configure.log,\
	  cmake -S . -B $(DEMO_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(DEMO_CMAKE_ARGS) $(CMAKE_ARGS))
	@$(call quietly,building sysvisor,$(DEMO_DIR)/build.log,cmake --build $(DEMO_DIR) -j $(JOBS) --target sysvisor)
	@echo
	@./examples/demo.sh $(DEMO_DIR)/copycat

# The Debian package: $(DEB_DIR)/sysvisor_VERSION_ARCH.deb (CPack; cmake/SysvisorPackage.cmake).
deb: deb-deps
	@$(call quietly,configuring $(DEB_DIR),$(DEB_DIR)/configure.log,\
	  cmake -S . -B $(DEB_DIR) $(DEB_CMAKE_ARGS) $(CMAKE_ARGS))
	@$(call quietly,building,$(DEB_DIR)/build.log,cmake --build $(DEB_DIR) -j $(JOBS))
	@$(call quietly,packaging,$(DEB_DIR)/cpack.log,cd $(DEB_DIR) && cpack -G DEB)
	@ls $(DEB_DIR)/sysvisor_*.deb

clean:
	rm -rf $(BUILD_DIR) $(DEMO_DIR) $(DEB_DIR)

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
BENCH_PACKAGES := strace proot python3-matplotlib
BENCH_QUICK    ?=
BENCH_ARGS     ?=

.PHONY: bench bench-deps

bench-deps:
	@$(call apt_install,$(BENCH_PACKAGES))

bench: bench-deps build
	python3 bench/run_bench.py --build $(BUILD_DIR) $(if $(filter-out 0,$(BENCH_QUICK)),--quick) $(BENCH_ARGS)
