/* The simulated x86 CPU: one Unicorn engine with hvsim's ring model (exception and
 * interrupt delivery, I/O permission, SYSCALL/SYSENTER), MSRs, CPUID and virtual
 * time counted in retired instructions. The platform is reached only through
 * struct cpu_platform, so cpu/ never names a device. */
#ifndef CPU_CPU_H
#define CPU_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/vtime.h"

struct cpu;

/* What the CPU asks of the machine around it. Every callback may run in the
 * middle of emulation; cpu_now() is current when it runs. */
struct cpu_platform {
    uint32_t (*pio_read)(void *opaque, uint16_t port, unsigned size);
    void (*pio_write)(void *opaque, uint16_t port, uint32_t val, unsigned size);
    /* Highest-priority interrupt the interrupt controllers would deliver, or -1. */
    int (*intr_pending)(void *opaque);
    /* Acknowledge it (INTA): returns its vector. */
    int (*intr_ack)(void *opaque);
    /* A non-maskable interrupt the platform latched (the local APIC's LINT1 in
     * NMI mode, an NMI IPI or message): 1 once for each, taken from the latch,
     * else 0. The CPU keeps it pending while NMIs are blocked. Optional. */
    int (*nmi_take)(void *opaque);
    /* The task priority (CR8 is TPR[7:4]): read as TPR[7:0], written whole.
     * Optional: without them CR8 reads 0 and ignores writes. */
    uint8_t (*tpr_read)(void *opaque);
    void (*tpr_write)(void *opaque, uint8_t tpr);
    /* Platform MSRs (local APIC): return 0 handled, -1 for #GP, 1 not a platform MSR. */
    int (*msr_read)(void *opaque, uint32_t msr, uint64_t *val);
    int (*msr_write)(void *opaque, uint32_t msr, uint64_t val);
    /* Optional, for event traces: each event delivered through the IDT, and
     * each VM exit. kind: 0 exception, 1 software interrupt, 2 external
     * interrupt (vector, error code, RIP); 3 VM exit (exit reason, the low 32
     * bits of the qualification, guest RIP); 4 SYSCALL, before the switch to
     * ring 0, so the registers are the caller's (vector 0, RIP past the SYSCALL). */
    void (*on_event)(void *opaque, int kind, int vector, uint32_t error_code, uint64_t rip);
    /* Optional, for spin-loop fast-forward (ffwd.c): what repeating this port
     * access does, CPU_POLL_*; for a read, *until_cycles is when its answer
     * may next change (STABLE) or stop growing (RISING). */
    int (*pio_poll)(void *opaque, uint16_t port, unsigned size, bool write, uint32_t val, uint64_t *until_cycles);
    /* The CPU took back a fast-forward probe whose accesses were all
     * repeatable: time is cpu_now() again, earlier than their time. */
    void (*rewind)(void *opaque);
    void *opaque;
};
enum { CPU_POLL_NONE, CPU_POLL_STABLE, CPU_POLL_RISING, CPU_POLL_SAME }; /* as devices' DEV_POLL_* */

typedef uint64_t cpu_mmio_read_fn(void *opaque, uint64_t off, unsigned size);
typedef void cpu_mmio_write_fn(void *opaque, uint64_t off, uint64_t val, unsigned size);

/* Switches that keep a behaviour hvsim otherwise optimises away, for tests and
 * measurements; none changes what a guest sees. The program sets them from the
 * environment variables named here (sim/bootcfg.c); cpu/ never reads it. */
struct cpu_switches {
    bool slow_stores;    /* HVSIM_SLOW_STORES: every store through Unicorn's slow path */
    bool uc_exit_checks; /* HVSIM_UC_EXIT_CHECKS: keep Unicorn's exit check after each access */
    bool no_nested_run;  /* HVSIM_VMX_NO_NESTED_RUN: VM entries only from the run loop */
    bool uc_no_hint;     /* HVSIM_UC_NO_HINT: find Unicorn's CPU state by search only */
    bool no_ffwd;        /* HVSIM_NO_FFWD: run spin loops instead of fast-forwarding them */
};

struct cpu_config {
    uint8_t *ram;       /* guest physical memory from address 0, page aligned */
    uint64_t ram_size;
    uint64_t hz;        /* nominal frequency: one instruction per cycle, TSC rate */
    uint32_t apic_id;
    struct cpu_switches sw;
};

enum cpu_exit {
    CPU_EXIT_LIMIT,        /* reached the cycle limit given to cpu_run */
    CPU_EXIT_HALT,         /* HLT and no interrupt deliverable: advance time */
    CPU_EXIT_STOP,         /* the platform asked to stop (power-off, debug exit) */
    CPU_EXIT_TRIPLE_FAULT, /* shutdown: see cpu_last_fault() */
    CPU_EXIT_ERROR,        /* the engine failed; logged */
};

struct cpu_fault {
    int vector;
    uint32_t error_code;
    uint64_t rip;
};

struct cpu *cpu_new(const struct cpu_config *cfg, const struct cpu_platform *plat);
void cpu_free(struct cpu *c);

/* Map an MMIO range (page aligned) handled by callbacks. */
int cpu_mmio_map(struct cpu *c, uint64_t base, uint64_t size, cpu_mmio_read_fn *rd,
                 cpu_mmio_write_fn *wr, void *opaque);

/* Put the CPU in the state multiboot v1 specifies: 32-bit protected mode, paging
 * off, flat CS/DS/ES/SS, interrupts off. A scratch GDT and code go in the 4 KiB
 * page at scratch_gpa (the GDT stays there: multiboot leaves GDTR undefined). */
int cpu_enter_multiboot_state(struct cpu *c, uint64_t scratch_gpa, uint32_t entry,
                              uint32_t eax, uint32_t ebx);

/* Run until cycles reach limit_cycles or something needs the machine. */
enum cpu_exit cpu_run(struct cpu *c, uint64_t limit_cycles);

/* Cycles since power-on: instructions retired, idle time and modelled costs. */
uint64_t cpu_cycles(const struct cpu *c);
vtime_t cpu_now(const struct cpu *c);
uint64_t cpu_hz(const struct cpu *c);
uint64_t cpu_instructions(const struct cpu *c);
/* While halted, let time pass until `cycles` (no instructions retire). */
void cpu_idle_until(struct cpu *c, uint64_t cycles);
uint64_t cpu_cycles_at(const struct cpu *c, vtime_t t);
/* A modelled cost of the instruction running now (a slow bus access): time
 * moves on by `cycles` for the engine executing, root or VMX guest. */
void cpu_add_cycles(struct cpu *c, uint64_t cycles);

/* Something changed outside (an interrupt line, an earlier event): re-evaluate at
 * the next instruction-block boundary. Safe from any callback. */
void cpu_kick(struct cpu *c);
/* Stop at the next block boundary and return CPU_EXIT_STOP. */
void cpu_request_stop(struct cpu *c);

const struct cpu_fault *cpu_last_fault(const struct cpu *c);
/* Counters for reports, tests and docs/perf.md. */
struct cpu_stats {
    uint64_t exceptions, interrupts, syscalls, intercepts, blocks_decoded;
    uint64_t page_faults, gp_faults;  /* of the exceptions: #PF and #GP */
    uint64_t engine_runs;             /* uc_emu_start calls */
    uint64_t tlb_flushes;             /* whole-TLB flushes hvsim asks of Unicorn */
    uint64_t cr_writes, invlpgs;      /* MOV to CR and INVLPG sites emulated or passed */
    uint64_t retranslations;          /* blocks dropped to retranslate with new sites */
    uint64_t ffwd_loops, ffwd_insns;  /* spin loops fast-forwarded, instructions not run (ffwd.c) */
};
const struct cpu_stats *cpu_stats(const struct cpu *c);

/* Snapshots: the whole vCPU state (registers, hidden segment state, MSRs,
 * virtual time). cpu_load expects the same Unicorn build and drops cached
 * translations, since memory is restored beside it. */
int cpu_save(struct cpu *c, struct buf *out);
int cpu_load(struct cpu *c, struct buf_reader *in); /* 0 or HV_ECORRUPT */
/* A hash of the architectural state, for replay checkpoints. */
uint64_t cpu_state_hash(struct cpu *c);

/* An instruction trace for a window of cycles [from, to): fn gets each
 * instruction retired there (root operation) with its address and Capstone's
 * disassembly. Outside the window nothing is hooked, so it costs nothing. */
typedef void cpu_insn_fn(void *opaque, uint64_t rip, const char *text);
void cpu_trace_insns(struct cpu *c, uint64_t from_cycles, uint64_t to_cycles, cpu_insn_fn *fn, void *opaque);

/* For firmware services called from real mode (machine/bios.c): false when the
 * CPU is not in real-address mode, else SS's base and SP. */
bool cpu_real_mode_stack(struct cpu *c, uint64_t *ss_base, uint16_t *sp);

/* Registers for tests and debugging (Unicorn's UC_X86_REG_* ids). */
uint64_t cpu_reg_read(struct cpu *c, int uc_reg);
void cpu_reg_write(struct cpu *c, int uc_reg, uint64_t val);

#endif
