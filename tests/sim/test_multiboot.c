/* The multiboot v1 loader (Multiboot Specification 0.6.96, 3.1-3.3): ELF32, ELF64
 * and a.out-kludge kernels, gzip-compressed kernels and modules, modules placed
 * page-aligned after the kernel with their command lines, the information
 * structure (memory, command line starting with the kernel's name, memory map),
 * and an error naming the file and the fault for every bad input. Images are
 * built by the test in a temporary directory. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "machine/multiboot.h"

#define MB_MAGIC 0x1badb002u
#define RAM (16u << 20)
#define FILL 0xaa

static char dir[64];
static uint8_t *ram;
static char err[512];
static struct mb_image img;

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/hvsim-mbtest-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    ram = malloc(RAM);
    memset(ram, FILL, RAM);
    memset(&img, 0, sizeof img);
    err[0] = 0;
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    free(ram);
}

TestSuite(multiboot, .init = setup, .fini = teardown);

static const char *path_of(const char *name)
{
    static char p[4][128];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
    return p[i];
}

static const char *write_file(const char *name, const void *data, size_t len, bool gzip)
{
    const char *p = path_of(name);
    if (gzip) {
        gzFile g = gzopen(p, "wb");
        cr_assert_not_null(g);
        cr_assert_eq(gzwrite(g, data, (unsigned)len), (int)len);
        gzclose(g);
    } else {
        FILE *f = fopen(p, "wb");
        cr_assert_not_null(f);
        cr_assert_eq(fwrite(data, 1, len, f), len);
        fclose(f);
    }
    return p;
}

struct seg {
    uint64_t paddr, vaddr;
    uint32_t filesz, memsz;
};

enum mb_kind { MB_NONE, MB_GOOD, MB_BAD_SUM };

#define SEG_FILE_OFF(i) (0x1000u + 0x1000u * (i))

/* An ELF image: segment i's bytes at file offset 0x1000 * (i + 1), filled with
 * 0x11 * (i + 1); the multiboot header at the start of segment 0's bytes. */
static size_t build_elf(uint8_t *f, int cls, const struct seg *s, int n, uint64_t entry, enum mb_kind mb)
{
    size_t len = SEG_FILE_OFF(n);
    memset(f, 0, len);
    memcpy(f, ELFMAG, SELFMAG);
    f[EI_CLASS] = (uint8_t)cls;
    f[EI_DATA] = ELFDATA2LSB;
    f[EI_VERSION] = EV_CURRENT;
    if (cls == ELFCLASS32) {
        Elf32_Ehdr *e = (Elf32_Ehdr *)f;
        e->e_type = ET_EXEC, e->e_machine = EM_386, e->e_version = EV_CURRENT, e->e_entry = (uint32_t)entry;
        e->e_phoff = sizeof *e, e->e_ehsize = sizeof *e, e->e_phentsize = sizeof(Elf32_Phdr), e->e_phnum = (uint16_t)n;
        for (int i = 0; i < n; i++) {
            Elf32_Phdr *p = (Elf32_Phdr *)(f + sizeof *e) + i;
            *p = (Elf32_Phdr){ .p_type = PT_LOAD, .p_offset = SEG_FILE_OFF(i), .p_vaddr = (uint32_t)s[i].vaddr,
                               .p_paddr = (uint32_t)s[i].paddr, .p_filesz = s[i].filesz, .p_memsz = s[i].memsz,
                               .p_flags = PF_R | PF_X, .p_align = 0x1000 };
        }
    } else {
        Elf64_Ehdr *e = (Elf64_Ehdr *)f;
        e->e_type = ET_EXEC, e->e_machine = EM_X86_64, e->e_version = EV_CURRENT, e->e_entry = entry;
        e->e_phoff = sizeof *e, e->e_ehsize = sizeof *e, e->e_phentsize = sizeof(Elf64_Phdr), e->e_phnum = (uint16_t)n;
        for (int i = 0; i < n; i++) {
            Elf64_Phdr *p = (Elf64_Phdr *)(f + sizeof *e) + i;
            *p = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = SEG_FILE_OFF(i), .p_vaddr = s[i].vaddr,
                               .p_paddr = s[i].paddr, .p_filesz = s[i].filesz, .p_memsz = s[i].memsz,
                               .p_flags = PF_R | PF_X, .p_align = 0x1000 };
        }
    }
    for (int i = 0; i < n; i++)
        memset(f + SEG_FILE_OFF(i), 0x11 * (i + 1), s[i].filesz);
    if (mb != MB_NONE) {
        uint32_t h[3] = { MB_MAGIC, 0x3, 0 };
        h[2] = -(h[0] + h[1]) + (mb == MB_BAD_SUM);
        memcpy(f + SEG_FILE_OFF(0), h, sizeof h);
    }
    return len;
}

static uint8_t file[0x10000];

/* A two-segment ELF kernel at 1 MiB: text (0x800 bytes) and data with 0x1000 of bss. */
static size_t good_elf(int cls)
{
    static const struct seg s[] = { { 0x100000, 0x100000, 0x800, 0x800 }, { 0x101000, 0x101000, 0x400, 0x1400 } };
    return build_elf(file, cls, s, 2, 0x10000c, MB_GOOD);
}

static int load(const char *kernel, const char *cmdline, const struct mb_module *mods, int nmods, uint64_t ram_size)
{
    struct mb_config cfg = { .kernel = kernel, .cmdline = cmdline, .mods = mods, .nmods = nmods };
    return multiboot_load(ram, ram_size, &cfg, &img, err, sizeof err);
}

static uint32_t rd32(uint64_t pa)
{
    uint32_t v;
    memcpy(&v, ram + pa, 4);
    return v;
}

static void check_good_kernel(void)
{
    cr_assert_eq(img.entry, 0x10000c);
    cr_assert_eq(img.kernel_lo, 0x100000);
    cr_assert_eq(img.kernel_hi, 0x102400, "the end of the data segment's bss");
    cr_assert_eq(rd32(0x100000), MB_MAGIC, "segment 0 loaded at its physical address");
    cr_assert_eq(ram[0x1007ff], 0x11);
    cr_assert_eq(ram[0x100800], FILL, "nothing written past segment 0's memsz");
    cr_assert_eq(ram[0x101000], 0x22);
    cr_assert_eq(ram[0x1013ff], 0x22);
    for (uint32_t a = 0x101400; a < 0x102400; a++)
        cr_assert_eq(ram[a], 0, "bss at %#x not cleared", a);
}

Test(multiboot, elf32_kernel)
{
    const char *k = write_file("k32.elf", file, good_elf(ELFCLASS32), false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), 0, "%s", err);
    check_good_kernel();
}

Test(multiboot, elf64_kernel)
{
    const char *k = write_file("k64.elf", file, good_elf(ELFCLASS64), false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), 0, "%s", err);
    check_good_kernel();
}

Test(multiboot, gzip_kernel_loads_like_the_plain_one)
{
    size_t n = good_elf(ELFCLASS32);
    const char *k = write_file("k32.elf.gz", file, n, true);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), 0, "%s", err);
    check_good_kernel();
    uint64_t h1 = img.binary_hash;
    const char *plain = write_file("k32.elf", file, n, false);
    memset(ram, FILL, RAM);
    cr_assert_eq(load(plain, NULL, NULL, 0, RAM), 0, "%s", err);
    cr_assert_eq(img.binary_hash, h1, "the hash is of the kernel after gunzip");
}

Test(multiboot, entry_given_as_a_virtual_address)
{
    /* Linked high, loaded low: the entry runs at its physical copy. */
    static const struct seg s[] = { { 0x100000, 0xc0100000, 0x800, 0x800 } };
    const char *k = write_file("high.elf", file, build_elf(file, ELFCLASS32, s, 1, 0xc0100010, MB_GOOD), false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), 0, "%s", err);
    cr_assert_eq(img.entry, 0x100010);
}

Test(multiboot, aout_kludge)
{
    /* A raw image whose header gives load and bss addresses (flags bit 16). */
    uint32_t hdr[8] = { MB_MAGIC, 0x10003, 0, 0x200000, 0x200000, 0, 0x203000, 0x200020 };
    hdr[2] = -(hdr[0] + hdr[1]);
    memset(file, 0x5c, 0x1000);
    memcpy(file, hdr, sizeof hdr);
    const char *k = write_file("kludge.bin", file, 0x1000, false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), 0, "%s", err);
    cr_assert_eq(img.entry, 0x200020);
    cr_assert_eq(img.kernel_lo, 0x200000);
    cr_assert_eq(img.kernel_hi, 0x203000);
    cr_assert_eq(rd32(0x200000), MB_MAGIC);
    cr_assert_eq(ram[0x200fff], 0x5c);
    cr_assert_eq(ram[0x201000], 0, "bss cleared up to bss_end_addr");
    cr_assert_eq(ram[0x202fff], 0);
    cr_assert_geq(img.info, 0x203000, "the information after the bss");
}

/* The information structure's fields (spec 3.3). */
#define MBI_FLAGS 0
#define MBI_MEM_LOWER 4
#define MBI_MEM_UPPER 8
#define MBI_CMDLINE 16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR 24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48
#define MBI_LOADER_NAME 64

Test(multiboot, information_memory_and_command_line)
{
    const char *k = write_file("k32.elf", file, good_elf(ELFCLASS32), false);
    cr_assert_eq(load(k, "console=ttyS0 quiet", NULL, 0, RAM), 0, "%s", err);
    uint32_t mi = img.info, flags = rd32(mi + MBI_FLAGS);
    cr_assert_geq(mi, img.kernel_hi, "the information lies after the kernel");
    cr_assert(flags & (1u << 0), "mem_lower/upper");
    cr_assert(flags & (1u << 2), "cmdline");
    cr_assert(flags & (1u << 6), "mmap");
    cr_assert(flags & (1u << 9), "boot loader name");
    cr_assert_eq(flags & (1u << 3), 0, "no modules");
    cr_assert_eq(rd32(mi + MBI_MEM_LOWER), 639, "KiB below 0x9fc00");
    cr_assert_eq(rd32(mi + MBI_MEM_UPPER), (RAM - 0x100000) / 1024, "KiB from 1 MiB to the end of RAM");
    char want[256];
    snprintf(want, sizeof want, "%s console=ttyS0 quiet", k);
    cr_assert_str_eq((char *)ram + rd32(mi + MBI_CMDLINE), want, "the command line starts with the kernel's name");
    cr_assert_str_eq((char *)ram + rd32(mi + MBI_LOADER_NAME), "hvsim");
}

Test(multiboot, command_line_without_arguments_is_the_kernel_name)
{
    const char *k = write_file("k32.elf", file, good_elf(ELFCLASS32), false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), 0, "%s", err);
    cr_assert_str_eq((char *)ram + rd32(img.info + MBI_CMDLINE), k);
}

Test(multiboot, memory_map)
{
    const char *k = write_file("k32.elf", file, good_elf(ELFCLASS32), false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), 0, "%s", err);
    uint32_t addr = rd32(img.info + MBI_MMAP_ADDR), len = rd32(img.info + MBI_MMAP_LENGTH);
    cr_assert_gt(len, 0);
    bool low = false, high = false;
    for (uint32_t p = addr; p < addr + len;) {
        uint32_t size = rd32(p), type = rd32(p + 20);
        uint64_t base, length;
        memcpy(&base, ram + p + 4, 8);
        memcpy(&length, ram + p + 12, 8);
        cr_assert_eq(size, 20);
        if (type == 1 && base == 0) {
            low = true;
            cr_assert_eq(length, 0x9fc00);
        }
        if (type == 1 && base == 0x100000) {
            high = true;
            cr_assert_eq(length, RAM - 0x100000);
        }
        if (type == 1)
            cr_assert(base + length <= RAM, "usable range [%#llx, +%#llx) beyond RAM", (unsigned long long)base,
                      (unsigned long long)length);
        p += size + 4;
    }
    cr_assert(low && high, "usable memory below 640 KiB and from 1 MiB");
}

Test(multiboot, modules_page_aligned_with_command_lines)
{
    static uint8_t m1[5000], m2[100];
    memset(m1, 0x31, sizeof m1);
    memset(m2, 0x32, sizeof m2);
    const char *k = write_file("k32.elf", file, good_elf(ELFCLASS32), false);
    struct mb_module mods[2] = { { write_file("initrd.img", m1, sizeof m1, false), "initrd root=/dev/ram0" },
                                 { write_file("dom0.gz", m2, sizeof m2, true), NULL } };
    cr_assert_eq(load(k, NULL, mods, 2, RAM), 0, "%s", err);
    uint32_t mi = img.info;
    cr_assert(rd32(mi + MBI_FLAGS) & (1u << 3), "mods");
    cr_assert_eq(rd32(mi + MBI_MODS_COUNT), 2);
    uint32_t ma = rd32(mi + MBI_MODS_ADDR);
    uint32_t s1 = rd32(ma), e1 = rd32(ma + 4), s2 = rd32(ma + 16), e2 = rd32(ma + 20);
    cr_assert_eq(s1 & 0xfff, 0, "module 1 page aligned");
    cr_assert_eq(s2 & 0xfff, 0, "module 2 page aligned");
    cr_assert_geq(s1, img.kernel_hi, "modules after the kernel");
    cr_assert_eq(e1 - s1, sizeof m1);
    cr_assert_geq(s2, e1, "module 2 after module 1");
    cr_assert_eq(e2 - s2, sizeof m2, "module 2 gunzipped");
    cr_assert_eq(memcmp(ram + s1, m1, sizeof m1), 0);
    cr_assert_eq(memcmp(ram + s2, m2, sizeof m2), 0);
    cr_assert_str_eq((char *)ram + rd32(ma + 8), "initrd root=/dev/ram0");
    cr_assert_str_eq((char *)ram + rd32(ma + 24), mods[1].path, "no command line: the path, as GRUB passes it");
    cr_assert_geq(mi, e2, "the information after the modules");
}

/* Errors: -1 and a message naming the file and the fault. */
static void expect_error(const char *file_named, const char *what)
{
    cr_assert(strstr(err, file_named), "message '%s' does not name %s", err, file_named);
    cr_assert(strstr(err, what), "message '%s' does not say '%s'", err, what);
}

Test(multiboot, error_missing_file)
{
    const char *k = path_of("nothing-here.elf");
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), -1);
    expect_error(k, "cannot open");
}

Test(multiboot, error_no_multiboot_header)
{
    static const struct seg s[] = { { 0x100000, 0x100000, 0x800, 0x800 } };
    const char *k = write_file("plain.elf", file, build_elf(file, ELFCLASS32, s, 1, 0x100000, MB_NONE), false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), -1);
    expect_error(k, "no multiboot header");
}

Test(multiboot, error_bad_checksum)
{
    static const struct seg s[] = { { 0x100000, 0x100000, 0x800, 0x800 } };
    const char *k = write_file("badsum.elf", file, build_elf(file, ELFCLASS32, s, 1, 0x100000, MB_BAD_SUM), false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), -1);
    expect_error(k, "checksum");
}

Test(multiboot, error_truncated_program_headers)
{
    size_t n = good_elf(ELFCLASS32);
    ((Elf32_Ehdr *)file)->e_phnum = 2000; /* 64000 bytes of headers in an 12 KiB file */
    const char *k = write_file("trunc.elf", file, n, false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), -1);
    expect_error(k, "program headers");
}

Test(multiboot, error_segment_runs_past_the_file)
{
    size_t n = good_elf(ELFCLASS32);
    ((Elf32_Phdr *)(file + sizeof(Elf32_Ehdr)))[1].p_filesz = 0x100000;
    ((Elf32_Phdr *)(file + sizeof(Elf32_Ehdr)))[1].p_memsz = 0x100000;
    const char *k = write_file("short.elf", file, n, false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), -1);
    expect_error(k, "runs past the file");
}

Test(multiboot, error_overlapping_segments)
{
    static const struct seg s[] = { { 0x100000, 0x100000, 0x800, 0x800 }, { 0x100400, 0x100400, 0x800, 0x800 } };
    const char *k = write_file("overlap.elf", file, build_elf(file, ELFCLASS32, s, 2, 0x100010, MB_GOOD), false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), -1);
    expect_error(k, "overlap");
}

Test(multiboot, error_segment_beyond_mem)
{
    static const struct seg s[] = { { 0x100000, 0x100000, 0x800, 0x800 }, { 0x1800000, 0x1800000, 0x100, 0x100 } };
    const char *k = write_file("big.elf", file, build_elf(file, ELFCLASS32, s, 2, 0x100010, MB_GOOD), false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), -1);
    expect_error(k, "--mem");
}

Test(multiboot, error_segment_over_the_boot_gdt)
{
    static const struct seg s[] = { { 0x1000, 0x1000, 0x800, 0x800 } };
    const char *k = write_file("low.elf", file, build_elf(file, ELFCLASS32, s, 1, 0x1010, MB_GOOD), false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), -1);
    expect_error(k, "boot GDT");
}

Test(multiboot, error_entry_outside_the_image)
{
    static const struct seg s[] = { { 0x100000, 0x100000, 0x800, 0x800 } };
    const char *k = write_file("entry.elf", file, build_elf(file, ELFCLASS32, s, 1, 0x300000, MB_GOOD), false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), -1);
    expect_error(k, "entry point");
}

Test(multiboot, error_not_elf_without_aout_kludge)
{
    uint32_t hdr[3] = { MB_MAGIC, 0x3, 0 };
    hdr[2] = -(hdr[0] + hdr[1]);
    memset(file, 0, 0x1000);
    memcpy(file + 0x40, hdr, sizeof hdr);
    const char *k = write_file("raw.bin", file, 0x1000, false);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), -1);
    expect_error(k, "not an ELF");
}

Test(multiboot, error_corrupt_gzip)
{
    size_t n = good_elf(ELFCLASS32);
    const char *k = write_file("k.gz", file, n, true);
    /* Keep the gzip magic, cut the stream short. */
    FILE *f = fopen(k, "r+b");
    cr_assert_not_null(f);
    cr_assert_eq(ftruncate(fileno(f), 30), 0);
    fclose(f);
    cr_assert_eq(load(k, NULL, NULL, 0, RAM), -1);
    expect_error(k, "gzip");
}

Test(multiboot, error_missing_module_names_the_module)
{
    const char *k = write_file("k32.elf", file, good_elf(ELFCLASS32), false);
    struct mb_module mods[1] = { { path_of("no-such-module"), NULL } };
    cr_assert_eq(load(k, NULL, mods, 1, RAM), -1);
    expect_error(mods[0].path, "cannot open");
}

Test(multiboot, error_module_beyond_mem)
{
    static uint8_t big[3u << 20];
    const char *k = write_file("k32.elf", file, good_elf(ELFCLASS32), false);
    struct mb_module mods[1] = { { write_file("big.mod", big, sizeof big, false), NULL } };
    cr_assert_eq(load(k, NULL, mods, 1, 4u << 20), -1);
    expect_error(mods[0].path, "--mem");
}
