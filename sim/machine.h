/* The PC machine hvsim boots: RAM, one vCPU, the platform devices at QEMU pc
 * addresses, one event queue, and the virtual-time main loop. */
#ifndef SIM_MACHINE_H
#define SIM_MACHINE_H

#include <stdint.h>
#include <stdio.h>

#include "base/vtime.h"
#include "multiboot.h"

struct machine;

struct machine_config {
    uint64_t mem_bytes;
    uint64_t hz;              /* nominal CPU frequency; also the TSC rate */
    uint64_t rtc_epoch;       /* Unix seconds of power-on, for the CMOS clock */
    FILE *console;            /* where COM1's output goes */
};

enum machine_end {
    MACHINE_END_EXIT,         /* isa-debug-exit: status (value << 1) | 1 */
    MACHINE_END_POWEROFF,     /* ACPI S5 */
    MACHINE_END_TRIPLE_FAULT,
    MACHINE_END_TIME_LIMIT,
    MACHINE_END_HUNG,         /* halted with nothing that could wake the CPU */
    MACHINE_END_ERROR,
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
void machine_run(struct machine *m, vtime_t max_time, struct machine_result *res);

#endif
