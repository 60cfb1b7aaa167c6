# Front door: `make demo` runs the default scenario, `make test` runs every test.
# Both do the whole set-up on a fresh Debian 12 machine first (tools/setup.sh).
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all setup build test demo bench clean
all: build

setup:
	@tools/setup.sh

$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The default scenario: Xen, Domain-0 and two DomUs (scenarios/demo.lua); the
# images are fetched and built into cache/stack first (tools/stack/images.sh),
# consoles in out/demo/, a summary on stdout.
demo: build
	tools/stack/images.sh
	$(BUILD)/hvsim run scenarios/demo.lua --out out/demo

bench: build
	bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD)
