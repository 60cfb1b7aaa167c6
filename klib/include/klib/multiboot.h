/* multiboot.h: Multiboot Specification 0.6.96 structures (boot information,
 * memory map, modules) as the loader hands them to the kernel. */
#ifndef KLIB_MULTIBOOT_H
#define KLIB_MULTIBOOT_H

#define MULTIBOOT_HEADER_MAGIC      0x1badb002
#define MULTIBOOT_BOOTLOADER_MAGIC  0x2badb002
#define MULTIBOOT_PAGE_ALIGN        (1u << 0)
#define MULTIBOOT_MEMORY_INFO       (1u << 1)

#define MULTIBOOT_INFO_MEMORY       (1u << 0)
#define MULTIBOOT_INFO_CMDLINE      (1u << 2)
#define MULTIBOOT_INFO_MODS         (1u << 3)
#define MULTIBOOT_INFO_MEM_MAP      (1u << 6)
#define MULTIBOOT_INFO_LOADER_NAME  (1u << 9)

#define MULTIBOOT_MEMORY_AVAILABLE  1
#define MULTIBOOT_MEMORY_RESERVED   2
#define MULTIBOOT_MEMORY_ACPI       3
#define MULTIBOOT_MEMORY_NVS        4

#ifndef __ASSEMBLER__
#include <stdint.h>

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;       /* KiB below 1 MiB and above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
    uint32_t vbe[6];
};

/* `size` does not count itself: the next entry is at (char *)e + e->size + 4. */
struct __attribute__((packed)) multiboot_mmap_entry {
    uint32_t size;
    uint64_t addr, len;
    uint32_t type;
};

struct multiboot_module {
    uint32_t mod_start, mod_end;
    uint32_t cmdline;
    uint32_t reserved;
};

/* The boot information the loader passed, saved by klib_start. */
extern struct multiboot_info *boot_info;

/* Whether the boot command line contains `word` as a whole space-separated word. */
int cmdline_has(const char *word);

#endif /* __ASSEMBLER__ */
#endif
