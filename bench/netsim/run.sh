#!/usr/bin/env bash
# bench/netsim/run.sh: frames per second through the bridge and the NAT, each
# beside a plain memcpy of the same bytes (bench_netsim.c). usage: run.sh BUILD_DIR [FRAMES]
set -u
bin=${1:?usage: run.sh BUILD_DIR [FRAMES]}/bench/netsim/bench_netsim
[ -x "$bin" ] || { echo "bench/netsim: $bin is missing; build first (make build)" >&2; exit 1; }
exec "$bin" "${2:-2000000}"
