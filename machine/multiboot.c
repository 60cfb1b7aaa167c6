/* Multiboot v1 loading, as GRUB does it: find the header in the first 8 KiB,
 * load the ELF segments by physical address (or the a.out kludge's ranges), place
 * modules page-aligned after the kernel, and build the information structure
 * (memory, command line, modules, memory map, boot loader name) after them. */
#include "machine/multiboot.h"

#include <elf.h>
#include <stdbool.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "arch/pc.h"
#include "base/buf.h"
#include "machine/e820.h"

#define MB_HEADER_MAGIC 0x1badb002u
#define MB_SEARCH 8192
#define MB_AOUT_KLUDGE (1u << 16)
#define MB_INFO_MEMORY (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MMAP (1u << 6)
#define MB_INFO_LOADER_NAME (1u << 9)

static int fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

static int gunzip(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen)
{
    z_stream z;
    size_t cap = *len * 4 + 65536, out = 0;
    uint8_t *dst = malloc(cap);
    int r;

    memset(&z, 0, sizeof z);
    if (!dst || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        free(dst);
        return fail(err, errlen, "%s: cannot start gzip decompression", path);
    }
    z.next_in = *data;
    z.avail_in = (uInt)*len;
    do {
        if (out == cap) {
            uint8_t *n = cap < (1u << 30) ? realloc(dst, cap * 2) : NULL;
            if (!n) {
                inflateEnd(&z);
                free(dst);
                return fail(err, errlen, "%s: decompressed image too large", path);
            }
            dst = n;
            cap *= 2;
        }
        z.next_out = dst + out;
        z.avail_out = (uInt)(cap - out);
        r = inflate(&z, Z_NO_FLUSH);
        out = cap - z.avail_out;
    } while (r == Z_OK);
    inflateEnd(&z);
    if (r != Z_STREAM_END) {
        free(dst);
        return fail(err, errlen, "%s: corrupt gzip data (%s)", path, z.msg ? z.msg : "truncated");
    }
    free(*data);
    *data = dst;
    *len = out;
    return 0;
}

int multiboot_read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    long size;

    if (!f)
        return fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        fclose(f);
        return fail(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    }
    *data = malloc(size ? (size_t)size : 1);
    *len = (size_t)size;
    if (!*data || fread(*data, 1, *len, f) != *len) {
        fclose(f);
        free(*data);
        return fail(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    }
    fclose(f);
    if (*len >= 2 && (*data)[0] == 0x1f && (*data)[1] == 0x8b)
        return gunzip(path, data, len, err, errlen);
    return 0;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

struct seg {
    uint64_t pa, filesz, memsz, off, va;
};

static int check_range(const char *path, const char *what, uint64_t lo, uint64_t hi, uint64_t ram_size,
                       char *err, size_t errlen)
{
    if (hi > ram_size)
        return fail(err, errlen, "%s: %s [%#llx, %#llx) needs %llu MiB of RAM; --mem gives %llu MiB", path, what,
                    (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)((hi + 0xfffff) >> 20),
                    (unsigned long long)(ram_size >> 20));
    if (lo < MB_SCRATCH_PAGE + 0x1000 && hi > MB_SCRATCH_PAGE)
        return fail(err, errlen, "%s: %s [%#llx, %#llx) overlaps the boot GDT page at %#x", path, what,
                    (unsigned long long)lo, (unsigned long long)hi, MB_SCRATCH_PAGE);
    if (lo < ACPI_RSDP_AREA_END && hi > ACPI_RSDP_AREA_START)
        return fail(err, errlen, "%s: %s [%#llx, %#llx) overlaps the BIOS area [0xe0000, 0x100000)", path, what,
                    (unsigned long long)lo, (unsigned long long)hi);
    return 0;
}

static int elf_segments(const char *path, const uint8_t *d, size_t len, struct seg *segs, int *nseg,
                        uint64_t *entry, char *err, size_t errlen)
{
    bool is64 = d[EI_CLASS] == ELFCLASS64;
    uint64_t phoff, phnum, phentsize;
    uint16_t machine;

    if (len < (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
        return fail(err, errlen, "%s: truncated ELF header", path);
    if (d[EI_CLASS] != ELFCLASS32 && d[EI_CLASS] != ELFCLASS64)
        return fail(err, errlen, "%s: ELF class %u is neither ELF32 nor ELF64", path, d[EI_CLASS]);
    if (d[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, "%s: ELF data encoding is not little-endian", path);
    if (is64) {
        const Elf64_Ehdr *h = (const void *)d;
        machine = h->e_machine, phoff = h->e_phoff, phnum = h->e_phnum, phentsize = h->e_phentsize;
        *entry = h->e_entry;
        if (phentsize < sizeof(Elf64_Phdr))
            return fail(err, errlen, "%s: e_phentsize %llu is too small", path, (unsigned long long)phentsize);
    } else {
        const Elf32_Ehdr *h = (const void *)d;
        machine = h->e_machine, phoff = h->e_phoff, phnum = h->e_phnum, phentsize = h->e_phentsize;
        *entry = h->e_entry;
        if (phentsize < sizeof(Elf32_Phdr))
            return fail(err, errlen, "%s: e_phentsize %llu is too small", path, (unsigned long long)phentsize);
    }
    if (machine != EM_386 && machine != EM_X86_64)
        return fail(err, errlen, "%s: e_machine %u is not x86", path, machine);
    if (phoff > len || phnum * phentsize > len - phoff)
        return fail(err, errlen, "%s: program headers (e_phoff %#llx, %llu entries) run past the end of the file",
                    path, (unsigned long long)phoff, (unsigned long long)phnum);
    *nseg = 0;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *p = d + phoff + i * phentsize;
        struct seg s;
        uint32_t type;
        if (is64) {
            const Elf64_Phdr *ph = (const void *)p;
            type = ph->p_type;
            s = (struct seg){ ph->p_paddr, ph->p_filesz, ph->p_memsz, ph->p_offset, ph->p_vaddr };
        } else {
            const Elf32_Phdr *ph = (const void *)p;
            type = ph->p_type;
            s = (struct seg){ ph->p_paddr, ph->p_filesz, ph->p_memsz, ph->p_offset, ph->p_vaddr };
        }
        if (type != PT_LOAD || s.memsz == 0)
            continue;
        if (s.filesz > s.memsz || s.off > len || s.filesz > len - s.off)
            return fail(err, errlen, "%s: program header %llu: p_offset %#llx + p_filesz %#llx runs past the file "
                        "(%zu bytes) or exceeds p_memsz", path, (unsigned long long)i,
                        (unsigned long long)s.off, (unsigned long long)s.filesz, len);
        if (*nseg == 32)
            return fail(err, errlen, "%s: more than 32 loadable segments", path);
        segs[(*nseg)++] = s;
    }
    if (*nseg == 0)
        return fail(err, errlen, "%s: no loadable segment", path);
    return 0;
}

void multiboot_module_string(const struct mb_module *mod, char *out, size_t len)
{
    /* GRUB's `module FILE ARGS...` passes "FILE ARGS...": the image's name
     * first, which Xen and other multiboot kernels drop. The host's directories
     * mean nothing to the guest, so the name is the file's base name. */
    const char *slash = strrchr(mod->path, '/');
    const char *name = slash ? slash + 1 : mod->path;
    if (mod->cmdline && *mod->cmdline)
        snprintf(out, len, "%s %s", name, mod->cmdline);
    else
        snprintf(out, len, "%s", name);
}

int multiboot_load(uint8_t *ram, uint64_t ram_size, const struct mb_config *cfg, struct mb_image *out,
                   char *err, size_t errlen)
{
    uint8_t *d = NULL;
    size_t len;
    const uint8_t *hdr = NULL;
    struct seg segs[32];
    int nseg = 0, ret = -1;
    uint64_t entry = 0, hi = 0, lo = UINT64_MAX;
    uint32_t flags;

    if (multiboot_read_file(cfg->kernel, &d, &len, err, errlen))
        return -1;
    for (size_t off = 0; off + 12 <= len && off < MB_SEARCH; off += 4) {
        const uint8_t *h = d + off;
        if (rd32(h) == MB_HEADER_MAGIC && rd32(h) + rd32(h + 4) + rd32(h + 8) == 0) {
            hdr = h;
            break;
        }
    }
    if (!hdr) {
        fail(err, errlen, "%s: no multiboot header (magic 0x1badb002 with a valid checksum) in the first %d bytes",
             cfg->kernel, MB_SEARCH);
        goto out;
    }
    flags = rd32(hdr + 4);
    if (flags & 0xfffcu & ~(1u << 2)) {
        fail(err, errlen, "%s: multiboot header flags %#x ask for features hvsim does not provide", cfg->kernel, flags);
        goto out;
    }
    if (flags & MB_AOUT_KLUDGE) {
        if ((size_t)(hdr - d) + 32 > len) {
            fail(err, errlen, "%s: multiboot header truncated (a.out kludge fields missing)", cfg->kernel);
            goto out;
        }
        uint32_t header_addr = rd32(hdr + 12), load_addr = rd32(hdr + 16), load_end = rd32(hdr + 20);
        uint32_t bss_end = rd32(hdr + 24);
        uint64_t file_off = (uint64_t)(hdr - d) - (header_addr - load_addr);
        uint64_t filesz = load_end ? (uint64_t)load_end - load_addr : len - file_off;
        if (header_addr < load_addr || file_off > len || filesz > len - file_off) {
            fail(err, errlen, "%s: multiboot a.out fields (header_addr %#x, load_addr %#x, load_end_addr %#x) do "
                 "not fit the file", cfg->kernel, header_addr, load_addr, load_end);
            goto out;
        }
        uint64_t memsz = bss_end > load_addr + filesz ? bss_end - load_addr : filesz;
        segs[0] = (struct seg){ load_addr, filesz, memsz, file_off, load_addr };
        nseg = 1;
        entry = rd32(hdr + 28);
    } else {
        if (len < 4 || memcmp(d, ELFMAG, SELFMAG)) {
            fail(err, errlen, "%s: not an ELF file and the multiboot header has no a.out kludge (flag bit 16)",
                 cfg->kernel);
            goto out;
        }
        if (elf_segments(cfg->kernel, d, len, segs, &nseg, &entry, err, errlen))
            goto out;
        /* An entry given as a virtual address inside a segment runs at its physical copy. */
        for (int i = 0; i < nseg; i++)
            if (entry >= segs[i].va && entry < segs[i].va + segs[i].memsz && segs[i].va != segs[i].pa) {
                entry = entry - segs[i].va + segs[i].pa;
                break;
            }
    }
    for (int i = 0; i < nseg; i++) {
        char what[48];
        snprintf(what, sizeof what, "segment %d", i);
        if (check_range(cfg->kernel, what, segs[i].pa, segs[i].pa + segs[i].memsz, ram_size, err, errlen))
            goto out;
        for (int j = 0; j < i; j++)
            if (segs[i].pa < segs[j].pa + segs[j].memsz && segs[j].pa < segs[i].pa + segs[i].memsz) {
                fail(err, errlen, "%s: segments %d and %d overlap at physical %#llx", cfg->kernel, j, i,
                     (unsigned long long)segs[i].pa);
                goto out;
            }
        memcpy(ram + segs[i].pa, d + segs[i].off, segs[i].filesz);
        memset(ram + segs[i].pa + segs[i].filesz, 0, segs[i].memsz - segs[i].filesz);
        if (segs[i].pa + segs[i].memsz > hi)
            hi = segs[i].pa + segs[i].memsz;
        if (segs[i].pa < lo)
            lo = segs[i].pa;
    }
    if (entry >= 0x100000000ULL || entry < lo || entry >= hi) {
        fail(err, errlen, "%s: entry point %#llx is not inside the loaded image [%#llx, %#llx)", cfg->kernel,
             (unsigned long long)entry, (unsigned long long)lo, (unsigned long long)hi);
        goto out;
    }
    out->entry = (uint32_t)entry;
    out->kernel_lo = lo;
    out->kernel_hi = hi;
    out->binary_hash = hash_fnv1a64(HASH_FNV1A64_INIT, d, len);

    /* Modules, page-aligned after the kernel; then the information structure. */
    uint64_t place = (hi + 0xfff) & ~0xfffULL;
    uint32_t mod_start[64], mod_end[64];
    if (cfg->nmods > 64) {
        fail(err, errlen, "too many modules (%d); at most 64", cfg->nmods);
        goto out;
    }
    for (int i = 0; i < cfg->nmods; i++) {
        uint8_t *md;
        size_t mlen;
        if (multiboot_read_file(cfg->mods[i].path, &md, &mlen, err, errlen))
            goto out;
        if (check_range(cfg->mods[i].path, "module", place, place + mlen, ram_size, err, errlen)) {
            free(md);
            goto out;
        }
        memcpy(ram + place, md, mlen);
        free(md);
        mod_start[i] = (uint32_t)place;
        mod_end[i] = (uint32_t)(place + mlen);
        place = (place + mlen + 0xfff) & ~0xfffULL;
    }
    uint64_t info = place, p = info + 0x100;
    if (check_range(cfg->kernel, "multiboot information", info, info + 0x1000 + 0x400 * (uint64_t)cfg->nmods,
                    ram_size, err, errlen))
        goto out;
    uint8_t *mi = ram + info;
    memset(mi, 0, 0x100);
    uint32_t iflags = MB_INFO_MEMORY | MB_INFO_MMAP | MB_INFO_LOADER_NAME | MB_INFO_CMDLINE;
    /* mem_lower: conventional memory below the EBDA, as the BDA's base memory
     * size says (bios.c); mem_upper: from 1 MiB to the first hole. */
    uint32_t v = E820_EBDA_BASE / 1024;
    memcpy(mi + 4, &v, 4);
    v = (uint32_t)e820_extended_kib(ram_size);
    memcpy(mi + 8, &v, 4);

#define PUT_STRING(off, s)                              \
    do {                                                \
        size_t n_ = strlen(s) + 1;                      \
        memcpy(ram + p, (s), n_);                       \
        v = (uint32_t)p;                                \
        memcpy(mi + (off), &v, 4);                      \
        p += n_;                                        \
    } while (0)
    {
        /* The command line starts with the kernel's name, as GRUB passes it. */
        char cl[4096];
        snprintf(cl, sizeof cl, "%s%s%s", cfg->kernel, cfg->cmdline && *cfg->cmdline ? " " : "",
                 cfg->cmdline ? cfg->cmdline : "");
        PUT_STRING(16, cl);
    }
    PUT_STRING(64, "hvsim");
    p = (p + 15) & ~15ULL;
    if (cfg->nmods) {
        iflags |= MB_INFO_MODS;
        uint64_t mods = p;
        p += 16 * (uint64_t)cfg->nmods;
        v = (uint32_t)cfg->nmods;
        memcpy(mi + 20, &v, 4);
        v = (uint32_t)mods;
        memcpy(mi + 24, &v, 4);
        for (int i = 0; i < cfg->nmods; i++) {
            char cl[4096];
            multiboot_module_string(&cfg->mods[i], cl, sizeof cl);
            size_t n = strlen(cl) + 1;
            uint32_t e[4] = { mod_start[i], mod_end[i], (uint32_t)p, 0 };
            memcpy(ram + mods + 16 * i, e, 16);
            memcpy(ram + p, cl, n);
            p += n;
        }
        p = (p + 15) & ~15ULL;
    }
    {
        /* The memory map the BIOS reports through INT 15h E820 (e820.c). */
        struct e820_entry map[E820_MAX];
        int nmap = e820_build(ram_size, map);
        uint64_t mmap = p;
        for (int i = 0; i < nmap; i++) {
            uint32_t size = 20;
            memcpy(ram + p, &size, 4);
            memcpy(ram + p + 4, &map[i].base, 8);
            memcpy(ram + p + 12, &map[i].len, 8);
            memcpy(ram + p + 20, &map[i].type, 4);
            p += 24;
        }
        v = (uint32_t)(p - mmap);
        memcpy(mi + 44, &v, 4);
        v = (uint32_t)mmap;
        memcpy(mi + 48, &v, 4);
    }
#undef PUT_STRING
    memcpy(mi, &iflags, 4);
    out->info = (uint32_t)info;
    ret = 0;
out:
    free(d);
    return ret;
}
