/* The multiboot v1 loader (Multiboot Specification 0.6.96): ELF32 and ELF64
 * kernels, the a.out kludge, modules with command lines, the memory map and the
 * boot command line; gzip-compressed files are accepted as GRUB accepts them. */
#ifndef MACHINE_MULTIBOOT_H
#define MACHINE_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u
#define MB_SCRATCH_PAGE 0x1000u   /* the CPU's boot GDT lives here */

struct mb_module {
    const char *path;
    const char *cmdline; /* may be NULL: the image name alone is passed */
};

struct mb_config {
    const char *kernel;
    const char *cmdline;
    const struct mb_module *mods;
    int nmods;
};

struct mb_image {
    uint32_t entry;
    uint32_t info;       /* physical address of the multiboot information */
    uint64_t kernel_lo, kernel_hi;
    uint64_t binary_hash; /* of the kernel file as loaded (after gunzip) */
};

/* Load into ram. 0, or -1 with a message naming the file and what is wrong in err. */
int multiboot_load(uint8_t *ram, uint64_t ram_size, const struct mb_config *cfg, struct mb_image *out,
                   char *err, size_t errlen);

/* The module's string as GRUB passes it: "NAME ARGS", NAME the path's base name. */
void multiboot_module_string(const struct mb_module *mod, char *out, size_t len);

/* Read a whole file, gunzipping it when it starts with the gzip magic. */
int multiboot_read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen);

#endif
