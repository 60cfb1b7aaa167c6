/* A small test machine for the CPU unit tests: 4 MiB of RAM, one struct cpu, a
 * platform that records port writes and offers an interrupt the test controls,
 * and a snippet (tests/cpu/snippets/NAME.S, built to NAME.bin and NAME.sym)
 * loaded at CODE_BASE with the descriptor tables and page tables of layout.h. */
#ifndef TESTS_CPU_HARNESS_H
#define TESTS_CPU_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

#include "cpu/cpu.h"
#include "snippets/layout.h"

#define HV_MAX_LOG 64

struct hv_port_write {
    uint16_t port;
    uint32_t val;
    unsigned size;
};

struct hv_event {
    int kind, vector;
    uint32_t err;
    uint64_t rip;
};

struct hv_sym {
    char name[48];
    uint64_t addr;
};

struct hv {
    uint8_t *ram;
    struct cpu *cpu;
    int bits;                 /* 32 or 64: gate and TSS formats */
    struct hv_sym *syms;
    int nsyms;
    struct hv_port_write writes[HV_MAX_LOG];
    int nwrites;
    uint32_t in_value;        /* what IN returns */
    int nreads;
    int irq;                  /* pending external interrupt vector, or -1 */
    int acks;
    int kick_port;            /* a write here raises kick_vector and kicks the CPU */
    int kick_vector;
    uint32_t plat_msr;        /* an MSR the platform claims (as the local APIC's) */
    uint64_t plat_msr_val;
    struct hv_event events[HV_MAX_LOG];
    int nevents;
};

/* Fresh machine with snippet NAME for BITS-bit code: GDT, TSS (all ports denied
 * in the bitmap), IDT gates 0-31, VEC_IRQ, VEC_INT and 0x80 to h_<vector> (DPL 0
 * interrupt gates), and both page-table sets. */
/* The switches the next hv_init gives the CPU (tests set them; all off by default). */
extern struct cpu_switches hv_switches;
void hv_init(struct hv *h, const char *name, int bits);
void hv_fini(struct hv *h);
/* Address of a label of the snippet; fails the test when it is missing. */
uint64_t hv_sym(struct hv *h, const char *name);
/* Multiboot state at label ENTRY with EAX = eax, EBX = ebx. */
void hv_start(struct hv *h, const char *entry, uint32_t eax, uint32_t ebx);
/* cpu_run with a generous cycle budget. */
enum cpu_exit hv_run(struct hv *h);
/* An IDT gate: type 0xe interrupt or 0xf trap; cleared present bit when !present. */
void hv_gate(struct hv *h, int vec, uint64_t handler, int type, int dpl, int ist, bool present);
/* When halted in h_<v>: v; else -1. */
int hv_halted_vector(struct hv *h);
/* Allow ports [port, port + n) in the TSS I/O bitmap. */
void hv_ioperm_allow(struct hv *h, uint16_t port, unsigned n);

uint32_t hv_rd32(struct hv *h, uint64_t pa);
uint64_t hv_rd64(struct hv *h, uint64_t pa);
void hv_wr32(struct hv *h, uint64_t pa, uint32_t v);
void hv_wr64(struct hv *h, uint64_t pa, uint64_t v);
uint64_t hv_reg(struct hv *h, int uc_reg);

/* Path of a built snippet file, e.g. hv_snippet_path(buf, "exc32", ".bin"). */
void hv_snippet_path(char *out, size_t n, const char *name, const char *ext);

#endif
