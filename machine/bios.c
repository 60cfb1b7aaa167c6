/* The small PC BIOS of docs/bios.md. Low memory as SeaBIOS leaves it on QEMU's
 * pc machine (IVT, BDA, EBDA), a ROM in segment F000 whose stubs push the
 * registers (as SeaBIOS's entry code builds its struct bregs) and write their
 * vector to BIOS_CALL_PORT, and the services behind that port, answered the way
 * a headless SeaBIOS with no disks answers (Ralf Brown's Interrupt List for the
 * calls' conventions). The services change only the pushed frame, which the
 * stub pops before IRET, so hvsim never writes CPU registers from the hook. */
#include "machine/bios.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "machine/e820.h"

#define IVT_IRET 0xff53u         /* the dummy IRET of IBM-compatible ROMs */
#define IRQ_MASTER_STUB 0xe200u  /* EOI to the master 8259, IRET */
#define IRQ_SLAVE_STUB 0xe210u   /* EOI to both 8259s, IRET */
#define POST_ENTRY 0xe05bu       /* where the reset vector jumps: nothing to boot, halt */
#define RESET_VECTOR 0xfff0u
#define FIRST_SERVICE 0x10
#define LAST_SERVICE 0x16

/* BIOS data area (segment 0x40) and EBDA offsets used here. */
#define BDA_COM1 0x400
#define BDA_EQUIPMENT 0x410
#define BDA_BASE_MEM_KIB 0x413
#define BDA_KBD_FLAG0 0x417
#define BDA_KBD_FLAG1 0x418
#define BDA_KBD_HEAD 0x41a
#define BDA_KBD_TAIL 0x41c
#define BDA_FLOPPY_STATUS 0x441
#define BDA_DISK_STATUS 0x474
#define BDA_KBD_BUF_START 0x480
#define BDA_KBD_BUF_END 0x482

#define FLAGS_CF 0x0001u
#define FLAGS_ZF 0x0040u
#define RET_EUNSUPPORTED 0x86 /* SeaBIOS: function not supported */
#define DISK_RET_EPARAM 0x01  /* SeaBIOS: invalid function or parameter (no such drive) */
#define SMAP 0x534d4150u

struct bios {
    struct cpu *cpu;
    uint8_t *ram;
    uint64_t ram_size;
};

static void put16(uint8_t *ram, uint32_t a, uint16_t v) { memcpy(ram + a, &v, 2); }
static uint16_t get16(const uint8_t *ram, uint32_t a)
{
    uint16_t v;
    memcpy(&v, ram + a, 2);
    return v;
}

/* IVT entry: offset, then segment. */
static void ivt_set(uint8_t *ram, int vector, uint16_t off)
{
    put16(ram, (uint32_t)vector * 4, off);
    put16(ram, (uint32_t)vector * 4 + 2, BIOS_ROM_SEG);
}

static void rom_put(uint8_t *ram, uint16_t off, const uint8_t *code, size_t n)
{
    memcpy(ram + BIOS_ROM_BASE + off, code, n);
}

void bios_install(uint8_t *ram, uint64_t ram_size)
{
    (void)ram_size;
    /* ROM: service stubs; each pushes a struct bios_regs, reports its vector. */
    for (int v = FIRST_SERVICE; v <= LAST_SERVICE; v++) {
        const uint8_t stub[BIOS_STUB_SIZE] = {
            0x66, 0x60,                                             /* pushad */
            0x1e, 0x06,                                             /* push ds; push es */
            0xba, BIOS_CALL_PORT & 0xff, BIOS_CALL_PORT >> 8,       /* mov dx, BIOS_CALL_PORT */
            0xb0, (uint8_t)v,                                       /* mov al, vector */
            0xee,                                                   /* out dx, al */
            0x07, 0x1f,                                             /* pop es; pop ds */
            0x66, 0x61,                                             /* popad */
            0xcf,                                                   /* iret */
            0x90,
        };
        rom_put(ram, (uint16_t)(BIOS_STUBS + (v - FIRST_SERVICE) * BIOS_STUB_SIZE), stub, sizeof stub);
    }
    /* Hardware interrupts that reach real mode are acknowledged and dropped. */
    static const uint8_t irq_master[] = { 0x50, 0xb0, 0x20, 0xe6, 0x20, 0x58, 0xcf };
    static const uint8_t irq_slave[] = { 0x50, 0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20, 0x58, 0xcf };
    static const uint8_t iret[] = { 0xcf };
    static const uint8_t post[] = { 0xfa, 0xf4, 0xeb, 0xfd };              /* cli; 1: hlt; jmp 1b */
    static const uint8_t reset[] = { 0xea, POST_ENTRY & 0xff, POST_ENTRY >> 8, 0x00, 0xf0 }; /* jmp f000:e05b */
    static const char date[] = "12/01/26";
    rom_put(ram, IRQ_MASTER_STUB, irq_master, sizeof irq_master);
    rom_put(ram, IRQ_SLAVE_STUB, irq_slave, sizeof irq_slave);
    rom_put(ram, IVT_IRET, iret, sizeof iret);
    rom_put(ram, POST_ENTRY, post, sizeof post);
    rom_put(ram, RESET_VECTOR, reset, sizeof reset);
    rom_put(ram, 0xfff5, (const uint8_t *)date, 8);
    ram[BIOS_ROM_BASE + 0xfffe] = 0xfc; /* model byte: AT-compatible */

    /* IVT: every vector to the dummy IRET, then the IRQs and the services. */
    for (int v = 0; v < 256; v++)
        ivt_set(ram, v, IVT_IRET);
    for (int v = 0x08; v <= 0x0f; v++)
        ivt_set(ram, v, IRQ_MASTER_STUB);
    for (int v = 0x70; v <= 0x77; v++)
        ivt_set(ram, v, IRQ_SLAVE_STUB);
    for (int v = FIRST_SERVICE; v <= LAST_SERVICE; v++)
        ivt_set(ram, v, (uint16_t)(BIOS_STUBS + (v - FIRST_SERVICE) * BIOS_STUB_SIZE));

    /* BDA: one serial port, no parallel ports, no disks, an empty keyboard buffer. */
    memset(ram + 0x400, 0, 0x100);
    put16(ram, BDA_COM1, COM1_PORT);
    put16(ram, BDA_EBDA_SEGMENT, E820_EBDA_BASE >> 4);
    put16(ram, BDA_EQUIPMENT, BIOS_EQUIPMENT);
    put16(ram, BDA_BASE_MEM_KIB, E820_EBDA_BASE / 1024);
    put16(ram, BDA_KBD_HEAD, 0x1e);
    put16(ram, BDA_KBD_TAIL, 0x1e);
    put16(ram, BDA_KBD_BUF_START, 0x1e);
    put16(ram, BDA_KBD_BUF_END, 0x3e);
    /* EBDA: its first word is its size in KiB. */
    memset(ram + E820_EBDA_BASE, 0, VGA_MEM_BASE - E820_EBDA_BASE);
    put16(ram, E820_EBDA_BASE, (VGA_MEM_BASE - E820_EBDA_BASE) / 1024);
}

static void set_cf(struct bios_regs *r, int on)
{
    r->flags = (uint16_t)(on ? r->flags | FLAGS_CF : r->flags & ~FLAGS_CF);
}

static void set_ah(struct bios_regs *r, uint8_t ah) { r->eax = (r->eax & ~0xff00u) | (uint32_t)ah << 8; }
static void set_ax(struct bios_regs *r, uint16_t ax) { r->eax = (r->eax & ~0xffffu) | ax; }

/* SeaBIOS's set_code_invalid / set_code_unimplemented: AH = code, CF = 1. */
static void fail(struct bios_regs *r, uint8_t code)
{
    set_ah(r, code);
    set_cf(r, 1);
}

static void int13_disk(uint8_t *ram, struct bios_regs *r)
{
    /* No drive answers: every function fails as for a missing drive. */
    ram[(r->edx & 0xff) < 0x80 ? BDA_FLOPPY_STATUS : BDA_DISK_STATUS] = DISK_RET_EPARAM;
    fail(r, DISK_RET_EPARAM);
}

static void int15_e820(uint8_t *ram, uint64_t ram_size, struct bios_regs *r)
{
    struct e820_entry map[E820_MAX];
    int n = e820_build(ram_size, map);
    uint16_t idx = (uint16_t)r->ebx;
    if (r->edx != SMAP || idx >= n || (uint16_t)r->ecx < 20) {
        fail(r, RET_EUNSUPPORTED);
        return;
    }
    uint8_t rec[20];
    memcpy(rec, &map[idx].base, 8);
    memcpy(rec + 8, &map[idx].len, 8);
    memcpy(rec + 16, &map[idx].type, 4);
    for (int i = 0; i < 20; i++) { /* ES:DI, wrapping inside the segment */
        uint32_t a = ((uint32_t)r->es << 4) + (uint16_t)(r->edi + i);
        if (a < ram_size)
            ram[a] = rec[i];
    }
    r->ebx = idx == n - 1 ? 0 : idx + 1u;
    r->eax = SMAP;
    r->ecx = 20;
    set_cf(r, 0);
}

static void int15_system(uint8_t *ram, uint64_t ram_size, struct bios_regs *r)
{
    uint64_t ext = e820_extended_kib(ram_size);
    uint16_t ax = (uint16_t)r->eax;

    if ((r->eax & 0xffffu) == 0xe820) {
        int15_e820(ram, ram_size, r);
    } else if (ax == 0xe801) {
        /* KiB from 1 to 16 MiB (at most 15 MiB), 64 KiB blocks above 16 MiB. */
        uint16_t low = (uint16_t)(ext > 15 * 1024 ? 15 * 1024 : ext);
        uint64_t high = ext > 15 * 1024 ? (ext - 15 * 1024) / 64 : 0;
        set_ax(r, low);
        r->ecx = (r->ecx & ~0xffffu) | low;
        r->ebx = (r->ebx & ~0xffffu) | (uint16_t)(high > 0xffff ? 0xffff : high);
        r->edx = (r->edx & ~0xffffu) | (uint16_t)(high > 0xffff ? 0xffff : high);
        set_cf(r, 0);
    } else if ((ax >> 8) == 0x88) {
        /* KiB above 1 MiB; SeaBIOS caps it at 63 MiB as real machines do. */
        set_ax(r, (uint16_t)(ext > 63 * 1024 ? 63 * 1024 : ext));
        set_cf(r, 0);
    } else if (ax == 0x2401 || ax == 0x2402 || ax == 0x2403) {
        /* A20 is always on: enable succeeds, status says on, the gate is supported. */
        if (ax == 0x2402)
            r->eax = (r->eax & ~0xffu) | 1;
        if (ax == 0x2403)
            r->ebx = (r->ebx & ~0xffffu) | 3;
        set_ah(r, 0);
        set_cf(r, 0);
    } else {
        fail(r, RET_EUNSUPPORTED);
    }
}

static void int16_keyboard(uint8_t *ram, struct bios_regs *r)
{
    switch ((r->eax >> 8) & 0xff) {
    case 0x00:
    case 0x10:
        set_ax(r, 0); /* no keyboard: no key, at once (SeaBIOS would wait) */
        break;
    case 0x01:
    case 0x11:
        r->flags |= FLAGS_ZF; /* no keystroke waiting */
        break;
    case 0x02:
        r->eax = (r->eax & ~0xffu) | ram[BDA_KBD_FLAG0];
        break;
    case 0x12:
        set_ax(r, (uint16_t)(ram[BDA_KBD_FLAG0] | ram[BDA_KBD_FLAG1] << 8));
        break;
    default:
        break;
    }
}

void bios_service(uint8_t *ram, uint64_t ram_size, int vector, struct bios_regs *r)
{
    switch (vector) {
    case 0x10:
        break; /* no VGA BIOS: SeaBIOS's own INT 10h handler does nothing */
    case 0x11:
        set_ax(r, get16(ram, BDA_EQUIPMENT));
        break;
    case 0x12:
        set_ax(r, get16(ram, BDA_BASE_MEM_KIB));
        break;
    case 0x13:
        int13_disk(ram, r);
        break;
    case 0x14:
        fail(r, RET_EUNSUPPORTED);
        break;
    case 0x15:
        int15_system(ram, ram_size, r);
        break;
    case 0x16:
        int16_keyboard(ram, r);
        break;
    default:
        log_guest("bios: no service for vector %#x", vector);
        break;
    }
}

/* Copy the frame at SS:SP in or out byte by byte, wrapping inside the segment
 * as the stub's pushes did. */
static void frame_copy(struct bios *b, uint64_t ss_base, uint16_t sp, struct bios_regs *r, int out)
{
    uint8_t *p = (uint8_t *)r;
    for (size_t i = 0; i < sizeof *r; i++) {
        uint64_t a = ss_base + (uint16_t)(sp + i);
        if (a >= b->ram_size)
            p[i] = 0;
        else if (out)
            b->ram[a] = p[i];
        else
            p[i] = b->ram[a];
    }
}

static void bios_call_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    struct bios *b = opaque;
    struct bios_regs r;

    uint64_t ss_base;
    uint16_t sp;

    /* Only the ROM's stubs call, from real mode; anything else is ignored. */
    if (off != 0 || size != 1 || !cpu_real_mode_stack(b->cpu, &ss_base, &sp)) {
        log_guest("bios: call port written outside real mode or with %u bytes: ignored", size);
        return;
    }
    frame_copy(b, ss_base, sp, &r, 0);
    bios_service(b->ram, b->ram_size, (int)(val & 0xff), &r);
    frame_copy(b, ss_base, sp, &r, 1);
}

static uint64_t bios_call_read(void *opaque, uint64_t off, unsigned size)
{
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void bios_call_reset(void *opaque) {}
static int bios_call_save(void *opaque, struct buf *out) { return 0; } /* state lives in RAM */
static int bios_call_load(void *opaque, struct buf_reader *in) { return 0; }

const struct dev_ops bios_call_ops = {
    .name = "bios-call",
    .read = bios_call_read,
    .write = bios_call_write,
    .reset = bios_call_reset,
    .save = bios_call_save,
    .load = bios_call_load,
};

struct bios *bios_create(struct cpu *cpu, uint8_t *ram, uint64_t ram_size)
{
    struct bios *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    *b = (struct bios){ .cpu = cpu, .ram = ram, .ram_size = ram_size };
    return b;
}

void bios_destroy(struct bios *b) { free(b); }
