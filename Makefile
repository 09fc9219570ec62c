# Set-up and entry points. `make demo` and `make test` work on a fresh Debian 12 machine:
# they install missing build dependencies with apt-get, configure, build, then run.
BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

# Debian packages the build and the tests need (tests: strace for the differential suite,
# gcc-multilib for the i386 helpers, python3 for the end-to-end runner, util-linux for setpriv).
DEB_PACKAGES := cmake make g++ gcc pkg-config libseccomp-dev libfmt-dev libcli11-dev doctest-dev nlohmann-json3-dev \
                gcc-multilib python3 strace util-linux coreutils

.PHONY: all deps configure build test demo clean

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

configure: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(if $(CI),-DSYSVISOR_WERROR=ON) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

demo: build
	./examples/demo.sh $(BUILD_DIR)/copycat

clean:
	rm -rf $(BUILD_DIR)
