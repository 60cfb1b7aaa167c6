/* The CPU test machine of harness.h: RAM, platform callbacks that record what
 * the CPU did, and the descriptor and page tables every snippet starts from
 * (Intel SDM vol. 3A: 3.4.5 descriptors, 6.11/6.14.1 gates, 7.2.1/7.7 TSS, 4.3/4.5 paging). */
#include "harness.h"
#include "vmx/vmx.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cpu_switches hv_switches;

static uint32_t plat_pio_read(void *opaque, uint16_t port, unsigned size)
{
    struct hv *h = opaque;
    h->nreads++;
    return h->in_value;
}

static void plat_pio_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct hv *h = opaque;
    if (h->nwrites < HV_MAX_LOG)
        h->writes[h->nwrites] = (struct hv_port_write){ port, val, size };
    h->nwrites++;
    if (port == h->nmi_port) {
        h->nmi++;
        cpu_kick(h->cpu);
    }
    if (port == h->kick_port) {
        /* As a device raising its line from an I/O access does. */
        h->irq = h->kick_vector;
        cpu_kick(h->cpu);
    }
}

static int plat_intr_pending(void *opaque)
{
    struct hv *h = opaque;
    return h->irq;
}

static int plat_intr_ack(void *opaque)
{
    struct hv *h = opaque;
    int v = h->irq;
    h->irq = -1;
    h->acks++;
    return v;
}

static int plat_nmi_take(void *opaque)
{
    struct hv *h = opaque;
    if (!h->nmi)
        return 0;
    h->nmi--;
    return 1;
}

static int plat_msr_read(void *opaque, uint32_t msr, uint64_t *val)
{
    struct hv *h = opaque;
    if (!h->plat_msr || msr != h->plat_msr)
        return 1;
    *val = h->plat_msr_val;
    return 0;
}

static int plat_msr_write(void *opaque, uint32_t msr, uint64_t val)
{
    struct hv *h = opaque;
    if (!h->plat_msr || msr != h->plat_msr)
        return 1;
    h->plat_msr_val = val;
    return 0;
}

static void plat_on_event(void *opaque, int kind, int vector, uint32_t err, uint64_t rip)
{
    struct hv *h = opaque;
    if (h->nevents < HV_MAX_LOG)
        h->events[h->nevents] = (struct hv_event){ kind, vector, err, rip };
    h->nevents++;
}

void hv_snippet_path(char *out, size_t n, const char *name, const char *ext)
{
    snprintf(out, n, "%s/%s%s", HV_SNIPPET_DIR, name, ext);
}

static void load_snippet(struct hv *h, const char *name)
{
    char path[512], line[256];
    FILE *f;
    size_t n;

    hv_snippet_path(path, sizeof path, name, ".bin");
    f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open snippet %s", path);
    n = fread(h->ram + CODE_BASE, 1, RAM_SIZE - CODE_BASE, f);
    fclose(f);
    cr_assert_gt(n, 0, "empty snippet %s", path);

    hv_snippet_path(path, sizeof path, name, ".sym");
    f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open symbols %s", path);
    h->nsyms = 0;
    h->syms = NULL;
    while (fgets(line, sizeof line, f)) {
        unsigned long long addr;
        char type, sym[48];
        if (sscanf(line, "%llx %c %47s", &addr, &type, sym) != 3)
            continue;
        h->syms = realloc(h->syms, (size_t)(h->nsyms + 1) * sizeof *h->syms);
        cr_assert_not_null(h->syms);
        snprintf(h->syms[h->nsyms].name, sizeof h->syms[h->nsyms].name, "%s", sym);
        h->syms[h->nsyms++].addr = addr;
    }
    fclose(f);
}

static const struct hv_sym *find_sym(struct hv *h, const char *name)
{
    for (int i = 0; i < h->nsyms; i++)
        if (!strcmp(h->syms[i].name, name))
            return &h->syms[i];
    return NULL;
}

uint64_t hv_sym(struct hv *h, const char *name)
{
    const struct hv_sym *s = find_sym(h, name);
    cr_assert_not_null(s, "snippet has no label '%s'", name);
    return s->addr;
}

uint32_t hv_rd32(struct hv *h, uint64_t pa)
{
    uint32_t v;
    memcpy(&v, h->ram + pa, 4);
    return v;
}

uint64_t hv_rd64(struct hv *h, uint64_t pa)
{
    uint64_t v;
    memcpy(&v, h->ram + pa, 8);
    return v;
}

void hv_wr32(struct hv *h, uint64_t pa, uint32_t v) { memcpy(h->ram + pa, &v, 4); }
void hv_wr64(struct hv *h, uint64_t pa, uint64_t v) { memcpy(h->ram + pa, &v, 8); }
uint64_t hv_reg(struct hv *h, int r) { return cpu_reg_read(h->cpu, r); }

static uint64_t seg_desc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags << 20) | (base & 0xff000000u);
    return (uint64_t)hi << 32 | lo;
}

void hv_gate(struct hv *h, int vec, uint64_t handler, int type, int dpl, int ist, bool present)
{
    uint16_t sel = h->bits == 64 ? SEL_KCODE64 : SEL_KCODE32;
    uint32_t lo = (uint32_t)(handler & 0xffff) | (uint32_t)sel << 16;
    uint32_t hi = (uint32_t)(handler & 0xffff0000u) | (present ? 1u << 15 : 0) | (uint32_t)dpl << 13 |
                  (uint32_t)type << 8 | (uint32_t)ist;
    if (h->bits == 64) {
        uint8_t *g = h->ram + IDT_BASE + 16 * vec;
        memcpy(g, &lo, 4);
        memcpy(g + 4, &hi, 4);
        uint64_t upper = handler >> 32;
        memcpy(g + 8, &upper, 8);
    } else {
        uint8_t *g = h->ram + IDT_BASE + 8 * vec;
        memcpy(g, &lo, 4);
        memcpy(g + 4, &hi, 4);
    }
}

void hv_ioperm_allow(struct hv *h, uint16_t port, unsigned n)
{
    for (unsigned p = port; p < port + n; p++)
        h->ram[TSS_BASE + TSS_IOMAP + p / 8] &= (uint8_t) ~(1u << (p % 8));
}

static void build_tables(struct hv *h)
{
    uint64_t gdt[GDT_LIMIT / 8 + 1] = { 0 };

    gdt[SEL_KCODE32 / 8] = seg_desc(0, 0xfffff, 0x9a, 0xc);
    gdt[SEL_KDATA / 8] = seg_desc(0, 0xfffff, 0x92, 0xc);
    gdt[SEL_UCODE32 / 8] = seg_desc(0, 0xfffff, 0xfa, 0xc);
    gdt[SEL_UDATA / 8] = seg_desc(0, 0xfffff, 0xf2, 0xc);
    gdt[SEL_UCODE64 / 8] = seg_desc(0, 0xfffff, 0xfa, 0xa);
    gdt[SEL_KCODE64 / 8] = seg_desc(0, 0xfffff, 0x9a, 0xa);
    gdt[SEL_KDATA64 / 8] = seg_desc(0, 0xfffff, 0x92, 0xc);
    gdt[SEL_TSS / 8] = seg_desc(TSS_BASE, TSS_LIMIT, 0x89, 0); /* upper half (64-bit) stays 0 */
    gdt[SEL_NP_DATA / 8] = seg_desc(0, 0xfffff, 0x12, 0xc);   /* P clear */
    memcpy(h->ram + GDT_BASE, gdt, sizeof gdt);
    uint16_t lim = GDT_LIMIT;
    uint64_t base = GDT_BASE;
    memcpy(h->ram + GDTR_PTR, &lim, 2);
    memcpy(h->ram + GDTR_PTR + 2, &base, 8);
    lim = h->bits == 64 ? 256 * 16 - 1 : 256 * 8 - 1;
    base = IDT_BASE;
    memcpy(h->ram + IDTR_PTR, &lim, 2);
    memcpy(h->ram + IDTR_PTR + 2, &base, 8);

    /* TSS: the ring-0 stack, IST1 in 64-bit mode, an I/O bitmap denying every port. */
    if (h->bits == 64) {
        hv_wr64(h, TSS_BASE + 4, STACK0_TOP);
        hv_wr64(h, TSS_BASE + 0x24, IST1_TOP);
    } else {
        hv_wr32(h, TSS_BASE + 4, STACK0_TOP);
        hv_wr32(h, TSS_BASE + 8, SEL_KDATA);
    }
    uint16_t iomap = TSS_IOMAP;
    memcpy(h->ram + TSS_BASE + 0x66, &iomap, 2);
    memset(h->ram + TSS_BASE + TSS_IOMAP, 0xff, 0x2001);

    static const int vecs[] = { VEC_IRQ, VEC_INT, 0x80 };
    char name[16];
    for (int v = 0; v < 32; v++) {
        snprintf(name, sizeof name, "h_%d", v);
        hv_gate(h, v, hv_sym(h, name), 0xe, 0, 0, true);
    }
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
        snprintf(name, sizeof name, "h_%d", vecs[i]);
        hv_gate(h, vecs[i], hv_sym(h, name), 0xe, 0, 0, true);
    }

    /* Identity maps of the 4 MiB, user and writable, with the test pages. */
    for (uint32_t i = 0; i < 1024; i++) {
        uint64_t pa = (uint64_t)i << 12, pte = pa | 7;
        if (pa == PG_NP)
            pte = 0;
        else if (pa == PG_RO)
            pte = pa | 5;
        else if (pa == PG_SUP)
            pte = pa | 3;
        hv_wr32(h, PT32 + 4 * i, (uint32_t)pte);
        if (pa == PG_NX)
            pte |= 1ULL << 63;
        hv_wr64(h, PT64 + 8 * i, pte);
    }
    hv_wr32(h, PD32, PT32 | 7);
    hv_wr64(h, PML4, PDPT | 7);
    hv_wr64(h, PDPT, PD64 | 7);
    hv_wr64(h, PD64, PT64 | 7);
    hv_wr64(h, PD64 + 8, (PT64 + 0x1000) | 7);
}

void hv_init(struct hv *h, const char *name, int bits)
{
    memset(h, 0, sizeof *h);
    h->bits = bits;
    h->irq = -1;
    h->kick_port = -1;
    h->nmi_port = -1;
    h->ram = aligned_alloc(4096, RAM_SIZE);
    cr_assert_not_null(h->ram);
    memset(h->ram, 0, RAM_SIZE);
    load_snippet(h, name);
    build_tables(h);
    struct cpu_config cfg = { .ram = h->ram, .ram_size = RAM_SIZE, .hz = 1000000000ULL, .apic_id = 0,
                              .sw = hv_switches };
    struct cpu_platform plat = {
        .pio_read = plat_pio_read, .pio_write = plat_pio_write, .intr_pending = plat_intr_pending,
        .intr_ack = plat_intr_ack, .msr_read = plat_msr_read, .msr_write = plat_msr_write,
        .nmi_take = plat_nmi_take, .on_event = plat_on_event, .opaque = h,
    };
    h->cpu = cpu_new(&cfg, &plat);
    cr_assert_not_null(h->cpu, "cpu_new failed");
    cr_assert_eq(vmx_attach(h->cpu), 0, "vmx_attach failed");
}

void hv_fini(struct hv *h)
{
    cpu_free(h->cpu);
    free(h->ram);
    free(h->syms);
    memset(h, 0, sizeof *h);
}

void hv_start(struct hv *h, const char *entry, uint32_t eax, uint32_t ebx)
{
    cr_assert_eq(cpu_enter_multiboot_state(h->cpu, SCRATCH_PAGE, (uint32_t)hv_sym(h, entry), eax, ebx), 0);
}

enum cpu_exit hv_run(struct hv *h)
{
    return cpu_run(h->cpu, cpu_cycles(h->cpu) + 50000000ULL);
}

int hv_halted_vector(struct hv *h)
{
    uint64_t rip = hv_reg(h, UC_X86_REG_RIP);
    for (int i = 0; i < h->nsyms; i++)
        if (!strncmp(h->syms[i].name, "h_", 2) && h->syms[i].addr + 1 == rip)
            return atoi(h->syms[i].name + 2);
    return -1;
}
