/* desc.c: the GDT (loaded by the entry code), the TSS and the IDT, for 32- and
 * 64-bit kernels (Intel SDM vol. 3A 3.4.5, 6.11, 6.14.1, 7.2). */
#include "klib/desc.h"
#include "klib/memlayout.h"
#include "klib/string.h"
#include "klib/x86.h"

/* Flat 4 GiB descriptors: base 0, limit 0xfffff pages. Access byte 0x9a/0xfa is
 * present code at DPL 0/3, 0x92/0xf2 writable data; flags 0xc = 32-bit, 4 KiB
 * granularity; flags 0xa = 64-bit code (L = 1, D = 0). */
#define DESC_KCODE32  0x00cf9a000000ffffull
#define DESC_KCODE64  0x00af9a000000ffffull
#define DESC_KDATA    0x00cf92000000ffffull
#define DESC_UCODE32  0x00cffa000000ffffull
#define DESC_UCODE64  0x00affa000000ffffull
#define DESC_UDATA    0x00cff2000000ffffull
#define DESC_TSS_AVAILABLE 0x9        /* type of an available 32/64-bit TSS */

#define GATE_INTERRUPT 0xe
#define GATE_TRAP      0xf

uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16))) = {
    [SEG_KDATA / 8] = DESC_KDATA,
    [SEG_UCODE32 / 8] = DESC_UCODE32,
    [SEG_UDATA / 8] = DESC_UDATA,
#ifdef __x86_64__
    [SEG_KCODE / 8] = DESC_KCODE64,
    [SEG_UCODE64 / 8] = DESC_UCODE64,
#else
    [SEG_KCODE / 8] = DESC_KCODE32,
#endif
};

struct __attribute__((packed)) desc_ptr {
    uint16_t limit;
    uintptr_t base;
};

/* LGDT operand for entry32.S/entry64.S; a 32-bit base is enough for both. */
struct desc_ptr gdt_desc = { sizeof(gdt) - 1, (uintptr_t)gdt };

#ifdef __x86_64__
struct gate {
    uint16_t off_lo, sel;
    uint8_t ist, type;          /* type: P, DPL, gate type */
    uint16_t off_mid;
    uint32_t off_hi, reserved;
};
#else
struct gate {
    uint16_t off_lo, sel;
    uint8_t zero, type;
    uint16_t off_hi;
};
#endif

static struct gate idt[256] __attribute__((aligned(16)));
extern char trap_stubs[];           /* stub v at trap_stubs + 16 * v */

tss_t kernel_tss;
char trap_stack[TRAP_STACK_SIZE] __attribute__((aligned(16)));

void tss_load(void *tss, size_t size)
{
    uintptr_t base = (uintptr_t)tss;
    uint64_t limit = size - 1;
    /* Byte 5 is P | DPL 0 | type; LTR faults on a busy TSS, so the type is
     * always rewritten as available. */
    gdt[SEG_TSS / 8] = (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
                       ((uint64_t)(0x80 | DESC_TSS_AVAILABLE) << 40) |
                       ((limit >> 16 & 0xf) << 48) | ((uint64_t)(base >> 24 & 0xff) << 56);
#ifdef __x86_64__
    gdt[SEG_TSS / 8 + 1] = base >> 32;
#endif
    asm volatile("ltr %w0" : : "r"(SEG_TSS) : "memory");
}

void idt_set_gate(int vec, int dpl, int trap, int ist)
{
    uintptr_t off = (uintptr_t)trap_stubs + 16 * vec;
    struct gate *g = &idt[vec];
    g->off_lo = off & 0xffff;
    g->sel = SEG_KCODE;
    g->type = 0x80 | dpl << 5 | (trap ? GATE_TRAP : GATE_INTERRUPT);
#ifdef __x86_64__
    g->ist = ist;
    g->off_mid = off >> 16 & 0xffff;
    g->off_hi = off >> 32;
#else
    (void)ist;
    g->off_hi = off >> 16;
#endif
}

void idt_load(void *base, uint16_t limit)
{
    struct desc_ptr p = { limit, (uintptr_t)base };
    asm volatile("lidt %0" : : "m"(p) : "memory");
}

void idt_init(void)
{
    for (int v = 0; v < 256; v++)
        idt_set_gate(v, 0, 0, 0);
    idt_load(idt, sizeof(idt) - 1);
}

void desc_init(void)
{
    memset(&kernel_tss, 0, sizeof(kernel_tss));
#ifdef __x86_64__
    kernel_tss.rsp[0] = (uintptr_t)(trap_stack + TRAP_STACK_SIZE);
#else
    kernel_tss.esp0 = (uintptr_t)(trap_stack + TRAP_STACK_SIZE);
    kernel_tss.ss0 = SEG_KDATA;
#endif
    /* A base past the limit means "no I/O bitmap": ring 3 I/O obeys IOPL alone. */
    kernel_tss.iomap_base = sizeof(kernel_tss);
    tss_load(&kernel_tss, sizeof(kernel_tss));
    idt_init();
}
