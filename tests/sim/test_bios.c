/* The small BIOS (machine/bios.c, docs/bios.md): the low memory it leaves (IVT, BDA,
 * EBDA, ROM stubs) and each service on a register frame, as the ROM stub would
 * hand it over: INT 15h E820 walks the same map as multiboot's, E801 and 88h
 * agree with it, INT 13h says "no drive", INT 10h changes nothing, unknown
 * INT 15h functions set CF and AH = 86h. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "machine/bios.h"
#include "machine/e820.h"

#define RAM (128u << 20)
#define SMAP 0x534d4150u
#define CF 1u

static uint8_t *ram;

static void setup(void)
{
    ram = calloc(1, RAM);
    cr_assert_not_null(ram);
    bios_install(ram, RAM);
}

static void teardown(void) { free(ram); }

TestSuite(bios, .init = setup, .fini = teardown);

static uint16_t rd16(uint32_t a)
{
    uint16_t v;
    memcpy(&v, ram + a, 2);
    return v;
}

static struct bios_regs call(int vector, uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx)
{
    struct bios_regs r = { .eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx, .es = 0x2000, .edi = 0x100,
                           .esi = 0x5a5a5a5a, .ebp = 0x1234, .flags = 0x0202 };
    bios_service(ram, RAM, vector, &r);
    return r;
}

Test(bios, low_memory_as_seabios_leaves_it)
{
    cr_assert_eq(rd16(0x400), 0x3f8, "COM1");
    cr_assert_eq(rd16(0x40e), E820_EBDA_BASE >> 4, "EBDA segment");
    cr_assert_eq(rd16(0x413), E820_EBDA_BASE / 1024, "base memory in KiB");
    cr_assert_eq(rd16(0x410), BIOS_EQUIPMENT);
    cr_assert_eq(rd16(E820_EBDA_BASE), 1, "the EBDA's first word: its size in KiB");
    cr_assert_eq(ram[0xffffe], 0xfc, "model byte");
    for (int v = 0; v < 256; v++)
        cr_assert_eq(rd16(v * 4 + 2), BIOS_ROM_SEG, "vector %#x points into the ROM", v);
    /* The INT 15h stub: PUSHAD, PUSH DS, PUSH ES, MOV DX, port, MOV AL, 15h, OUT DX, AL ... IRET. */
    uint32_t stub = BIOS_ROM_BASE + rd16(0x15 * 4);
    cr_assert_eq(ram[stub], 0x66);
    cr_assert_eq(ram[stub + 1], 0x60);
    cr_assert_eq(rd16(stub + 5), BIOS_CALL_PORT);
    cr_assert_eq(ram[stub + 8], 0x15);
    cr_assert_eq(ram[stub + 14], 0xcf, "IRET");
    cr_assert_eq(sizeof(struct bios_regs), 2 * 2 + 8 * 4 + 3 * 2, "the stub's frame");
}

Test(bios, e820_walk_is_the_map)
{
    struct e820_entry want[E820_MAX];
    int n = e820_build(RAM, want);
    uint32_t ebx = 0;
    for (int i = 0; i < n; i++) {
        struct bios_regs r = call(0x15, 0xe820, ebx, 20, SMAP);
        cr_assert_eq(r.flags & CF, 0, "entry %d: CF clear", i);
        cr_assert_eq(r.eax, SMAP);
        cr_assert_eq(r.ecx, 20);
        uint8_t *rec = ram + 0x20000 + 0x100;
        uint64_t base, len;
        uint32_t type;
        memcpy(&base, rec, 8);
        memcpy(&len, rec + 8, 8);
        memcpy(&type, rec + 16, 4);
        cr_assert_eq(base, want[i].base, "entry %d", i);
        cr_assert_eq(len, want[i].len, "entry %d", i);
        cr_assert_eq(type, want[i].type, "entry %d", i);
        ebx = r.ebx;
        cr_assert_eq(ebx == 0, i == n - 1, "EBX is 0 after the last entry only");
        cr_assert_eq(r.esi, 0x5a5a5a5a, "other registers untouched");
    }
    struct bios_regs r = call(0x15, 0xe820, (uint32_t)n, 20, SMAP);
    cr_assert(r.flags & CF, "past the end: CF");
    r = call(0x15, 0xe820, 0, 20, 0x12345678);
    cr_assert(r.flags & CF, "without 'SMAP' in EDX: CF");
    r = call(0x15, 0xe820, 0, 16, SMAP);
    cr_assert(r.flags & CF, "a buffer under 20 bytes: CF");
}

Test(bios, e801_and_88_agree_with_the_map)
{
    uint64_t ext = e820_extended_kib(RAM);
    cr_assert_eq(ext, (RAM - 0x100000) / 1024);
    struct bios_regs r = call(0x15, 0xe801, 0, 0, 0);
    cr_assert_eq(r.flags & CF, 0);
    cr_assert_eq(r.eax & 0xffff, 15 * 1024);
    cr_assert_eq(r.ecx & 0xffff, 15 * 1024);
    cr_assert_eq(r.ebx & 0xffff, (RAM - (16u << 20)) >> 16, "64 KiB blocks above 16 MiB");
    cr_assert_eq(r.edx & 0xffff, (RAM - (16u << 20)) >> 16);
    r = call(0x15, 0x8800, 0, 0, 0);
    cr_assert_eq(r.flags & CF, 0);
    cr_assert_eq(r.eax & 0xffff, 63 * 1024, "88h: capped at 63 MiB");
}

Test(bios, unknown_functions_and_absent_devices)
{
    struct bios_regs r = call(0x15, 0xec00, 2, 0, 0);
    cr_assert(r.flags & CF);
    cr_assert_eq((r.eax >> 8) & 0xff, 0x86, "unsupported: AH = 86h");
    r = call(0x13, 0x4100, 0x55aa, 0, 0x80);
    cr_assert(r.flags & CF, "no drive 80h");
    cr_assert_eq((r.eax >> 8) & 0xff, 0x01);
    cr_assert_eq(r.ebx, 0x55aa, "BX not turned into AA55h");
    cr_assert_eq(ram[0x474], 0x01, "last disk status in the BDA");
    r = call(0x10, 0x1200, 0x10, 0, 0);
    cr_assert_eq(r.ebx, 0x10, "INT 10h with no VGA BIOS changes nothing");
    cr_assert_eq(r.eax, 0x1200);
    cr_assert_eq(r.flags, 0x0202);
    r = call(0x12, 0, 0, 0, 0);
    cr_assert_eq(r.eax, 639);
    r = call(0x11, 0, 0, 0, 0);
    cr_assert_eq(r.eax, BIOS_EQUIPMENT);
    r = call(0x16, 0x0200, 0, 0, 0);
    cr_assert_eq(r.eax & 0xff, 0, "no shift keys");
}
