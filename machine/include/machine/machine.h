/* The PC machine hvsim boots: RAM, one vCPU, the platform devices at QEMU pc
 * addresses, one event queue, and the virtual-time main loop. */
#ifndef MACHINE_MACHINE_H
#define MACHINE_MACHINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/vtime.h"
#include "cpu/cpu.h"
#include "machine/multiboot.h"
#include "traces/evtrace.h"
#include "traces/reclog.h"

struct machine;

struct machine_config {
    uint64_t mem_bytes;
    uint64_t hz;              /* nominal CPU frequency; also the TSC rate */
    uint64_t rtc_epoch;       /* Unix seconds of power-on, for the CMOS clock */
    FILE *console;            /* where COM1's output goes */
    struct cpu_switches cpu_switches; /* for tests and measurements (cpu/cpu.h) */
    bool counters;            /* HVSIM_COUNTERS: host-cost counters to stderr (docs/perf.md) */
};

enum machine_end {
    MACHINE_END_EXIT,         /* isa-debug-exit: status (value << 1) | 1 */
    MACHINE_END_POWEROFF,     /* ACPI S5 */
    MACHINE_END_TRIPLE_FAULT,
    MACHINE_END_TIME_LIMIT,
    MACHINE_END_HUNG,         /* halted with nothing that could wake the CPU */
    MACHINE_END_ERROR,
    MACHINE_END_OBSERVER,     /* a tick function asked to stop (replay divergence) */
};

struct machine_result {
    enum machine_end end;
    int exit_status;          /* what `hvsim boot` returns */
    vtime_t time;
    uint64_t instructions;
    int fault_vector;
    uint64_t fault_rip;
};

struct machine *machine_create(const struct machine_config *cfg);
void machine_destroy(struct machine *m);
/* Load a multiboot kernel and put the CPU at its entry. 0 or -1 with err set. */
int machine_load_multiboot(struct machine *m, const struct mb_config *mb, char *err, size_t errlen);
/* Run until virtual time `until` or until the machine ends. Returns true when it
 * ended (res says how), false when it reached `until` and can go on: the world
 * (sim/world.c) steps every machine this way on its one clock. VTIME_NEVER means
 * nothing outside the machine has a deadline, so a CPU halted with nothing
 * queued ends the run (MACHINE_END_HUNG). Stopping at `until` and going on later
 * is invisible to the guest, like a checkpoint tick. */
bool machine_run_until(struct machine *m, vtime_t until, struct machine_result *res);
/* Let the run be stopped from outside: *flag (set by a signal handler, nothing
 * else) is read each time a CPU run ends at its limit or idles, and CPU runs
 * last at most `slice` of virtual time so it is read often. When it is nonzero,
 * machine_run_until returns false (still running) at an instruction-block
 * boundary where a run given that time as `until` would have returned too, so a
 * record of the run replays. Invisible to the guest. NULL: no flag. */
void machine_set_stop_flag(struct machine *m, const volatile sig_atomic_t *flag, vtime_t slice);
/* Fill res for a run that was given no more time (`boot --max-time`): status 4. */
void machine_result_time_limit(struct machine *m, struct machine_result *res);

vtime_t machine_now(const struct machine *m);
uint64_t machine_instructions(const struct machine *m);
uint64_t machine_hz(const struct machine *m);

/* Observers. A tick runs fn every period of virtual time (at multiples of period),
 * between CPU runs at the first instruction-block boundary at or after the tick,
 * where the whole state can be hashed or saved. It only reads: the guest sees the
 * same run with or without it. fn returning nonzero ends machine_run_until with
 * MACHINE_END_OBSERVER. A NULL fn removes the tick. One tick per machine. */
typedef int machine_tick_fn(void *opaque, struct machine *m);
void machine_set_tick(struct machine *m, vtime_t period, machine_tick_fn *fn, void *opaque);

/* Console input, an outside input (ARCHITECTURE.md): bytes enter COM1's receive
 * FIFO between CPU runs, as the guest makes room, looked at every millisecond of
 * virtual time. Live, they come from data (copied); each byte that enters is
 * reported to on_byte (the recorder) with its time and instruction count. In a
 * replay, src gives the recorded bytes, and each enters at its instruction count. */
typedef void machine_input_fn(void *opaque, vtime_t time, uint64_t icount, uint8_t byte);
struct machine_input_src {
    /* The next recorded byte: 1 and its fields, or 0 when there is none. */
    int (*peek)(void *opaque, vtime_t *time, uint64_t *icount, uint8_t *byte);
    void (*pop)(void *opaque);
    /* The run passed the next byte's instruction count without stopping there:
     * the replay has diverged; the machine stops (MACHINE_END_OBSERVER). */
    void (*missed)(void *opaque, uint64_t icount_now);
    void *opaque;
};
/* machine_console_feed called again on a live machine appends data (on_byte and
 * opaque of the first call stay); HV_EINVAL on a replaying machine. */
int machine_console_feed(struct machine *m, const uint8_t *data, size_t len, machine_input_fn *on_byte, void *opaque);
int machine_console_replay(struct machine *m, const struct machine_input_src *src);
/* Exceptions, interrupts and run slices into t (NULL: none). t outlives the run. */
void machine_set_trace(struct machine *m, struct evtrace *t);
/* An observer of the CPU's events (struct cpu_platform's on_event; the kinds in
 * cpu/cpu.h), such as hypervisor awareness (hv/). It runs in the middle of
 * emulation and must only read. NULL: none. */
/* Returns the event-trace domain to charge the event to (0: the machine). */
typedef unsigned machine_event_fn(void *opaque, int kind, int vector, uint32_t err, uint64_t rip);
void machine_set_observer(struct machine *m, machine_event_fn *fn, void *opaque);
/* For observers: the root CPU, and guest RAM (guest-physical from 0). */
struct cpu *machine_cpu(struct machine *m);
const uint8_t *machine_ram(const struct machine *m, uint64_t *size);
/* Trace every instruction retired in [from, to) of virtual time (needs a trace). */
void machine_trace_insns(struct machine *m, vtime_t from, vtime_t to);

/* Snapshots (snapshot.c): the CPU, every device in a fixed order, the pending
 * device events in their order, RAM (non-zero pages, zlib) and the console's
 * hash. Taken between runs (from a tick); loaded into a machine created with the
 * same configuration, before it runs. The tick is not saved: set it again. */
int machine_save(struct machine *m, struct buf *out);
/* 0, or a negative HV_E* with what did not match in err. */
int machine_load(struct machine *m, const void *blob, size_t len, char *err, size_t errlen);

/* State hashes for replay checkpoints (statehash.c): "cpu", "devices", "memory",
 * "console", "input" (when and what outside input entered). Fills up to n entries; returns how many (MACHINE_N_HASHES). */
#define MACHINE_N_HASHES 5
size_t machine_hashes(struct machine *m, struct reclog_hash *out, size_t n);

#endif
