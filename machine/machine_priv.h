/* The machine's insides, shared by the files of sim/ that assemble, run, save and
 * hash it (machine.c, snapshot.c, statehash.c). Everyone else uses machine.h. */
#ifndef MACHINE_MACHINE_PRIV_H
#define MACHINE_MACHINE_PRIV_H

#include <signal.h>
#include <stdbool.h>

#include "base/evq.h"
#include "cpu/cpu.h"
#include "devices/dev.h"
#include "iomap.h"
#include "machine/machine.h"
#include "machine/nic.h"
#include "ram.h"
#include "traces/evtrace.h"

struct mmio_dev {
    struct machine *m;
    const struct dev_ops *ops;
    void *opaque;
};

struct machine {
    struct machine_config cfg;
    struct evq q;
    struct ram ram;
    struct cpu *cpu;
    struct iomap io;
    vtime_t deadline; /* how far the CPU is running now */

    struct uart16550 *uart;
    struct pic8259 *pic;
    struct pit8254 *pit;
    struct lapic *lapic;
    struct ioapic *ioapic;
    struct debug_exit *dbg;
    struct cmos_rtc *rtc;
    struct acpi_pm *pm;
    struct fw_cfg *fwcfg;
    struct pci_host *pci;
    struct bios *bios;       /* the BIOS's service port (bios.c) */
    struct mmio_dev mmio_lapic, mmio_ioapic;
    struct machine_nic *nics[MACHINE_MAX_NICS]; /* nic.c */
    int nnics;
    struct mmio_dev mmio_nic;    /* the PCI window the NICs' BARs lie in */

    bool stopping;
    enum machine_end end;
    int exit_status;

    /* Observers: what they do is invisible to the guest. */
    struct event tick_ev;    /* periodic, for replay checkpoints */
    vtime_t tick_period;
    bool tick_due;           /* set by tick_ev, served between CPU runs */
    machine_tick_fn *tick_fn;
    void *tick_opaque;
    struct evtrace *trace;   /* NULL: no event trace */
    machine_event_fn *observer; /* NULL: none (hv/) */
    void *observer_opaque;
    /* A stop from outside (a signal's flag, sim/run_stop.c): read between CPU
     * runs, which last at most stop_slice while it is set up. */
    const volatile sig_atomic_t *stop_flag;
    vtime_t stop_slice;
    uint64_t console_bytes;  /* COM1 output so far, and its FNV-1a hash */
    uint64_t console_hash;

    /* Console input (COM1 receive), an outside input: fed from a file when
     * live, from the record log in a replay (console_input.c). */
    struct console_input *input;
    struct machine_counters *counters; /* HVSIM_COUNTERS (counters.c), or NULL */
};

/* The devices whose state a snapshot holds, in their fixed order: the port-mapped
 * ones as the iomap lists them, then the local APIC and the I/O APIC. */
/* counters.c: host-cost counters per virtual second, an observer */
int machine_counters_enable(struct machine *m);
void machine_counters_free(struct machine *m);
void machine_counters_pio(struct machine *m, uint16_t port);
void machine_counters_mmio(struct machine *m);
void machine_counters_tick(struct machine *m); /* after each CPU run */
void machine_counters_end(struct machine *m);
/* console_input.c, for the run loop */
int console_input_serve(struct machine *m); /* nonzero: a replay missed an input */
vtime_t console_input_deadline(struct machine *m, vtime_t deadline);
void console_input_free(struct machine *m);
/* Every byte that entered with its instruction count: a replay that delivers an
 * input elsewhere differs here even when the guest did not notice. */
uint64_t console_input_hash(const struct machine *m);
/* The input's place in snapshots: hash, whether it started, bytes consumed (live). */
void console_input_save(const struct machine *m, struct buf *out);
void console_input_load(struct machine *m, struct buf_reader *in);
/* The input poll is the machine's, re-armed by console_input_load: snapshots
 * leave it out of the device events they list. */
bool console_input_is_poll(const struct machine *m, const struct event *ev);

#define MACHINE_MAX_STATE_DEVS (IOMAP_MAX_DEVS + 2 + MACHINE_MAX_NICS)
/* machine.c, for nic.c: map an MMIO range dispatched like the APICs' (time
 * synced before the access, events looked at after); bring the devices' clock
 * to the CPU's between runs. */
int machine_map_mmio(struct machine *m, struct mmio_dev *d, uint64_t base, uint64_t len, const struct dev_ops *ops,
                     void *opaque);
void machine_sync_devices(struct machine *m);
/* nic.c: free the NICs; list their state devices after the others. */
void machine_nics_free(struct machine *m);
int machine_nics_state(struct machine *m, const struct dev_ops **ops, void **opaque, int max);
int machine_state_devs(struct machine *m, const struct dev_ops **ops, void **opaque, int max);

#endif
