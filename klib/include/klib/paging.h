/* paging.h: a page allocator and a page-table builder for the three x86 paging
 * modes: 32-bit 2-level, PAE 3-level and 4-level (Intel SDM vol. 3A 4.3-4.5). */
#ifndef KLIB_PAGING_H
#define KLIB_PAGING_H

#include <stdint.h>

#define PTE_P    (1ull << 0)
#define PTE_W    (1ull << 1)
#define PTE_U    (1ull << 2)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_A    (1ull << 5)
#define PTE_D    (1ull << 6)
#define PTE_PS   (1ull << 7)      /* a large page in a directory entry */
#define PTE_G    (1ull << 8)
#define PTE_NX   (1ull << 63)     /* PAE and 4-level only, with EFER.NXE */
#define PTE_ADDR_MASK 0x000ffffffffff000ull

#define SIZE_4K  0x1000ull
#define SIZE_2M  0x200000ull
#define SIZE_4M  0x400000ull
#define SIZE_1G  0x40000000ull

enum pt_mode {
    PT_2LEVEL,   /* CR4.PAE = 0: 4-byte entries, 4 KiB or 4 MiB (CR4.PSE) pages */
    PT_PAE,      /* 32-bit PAE: 4-entry PDPT, 8-byte entries, 4 KiB or 2 MiB pages */
    PT_4LEVEL,   /* long mode: 4 KiB, 2 MiB or 1 GiB pages */
};

/* The 8-byte-entry mode of this build (NX and 2 MiB pages in both): 4-level in
 * a 64-bit kernel, PAE in a 32-bit one. */
#ifdef __x86_64__
#define PT_WIDE PT_4LEVEL
#else
#define PT_WIDE PT_PAE
#endif

struct pagetable {
    enum pt_mode mode;
    uintptr_t root;              /* physical = virtual address of the top table */
};

/* Pages come from just past the kernel image and the boot information, below
 * IDENTITY_MAP_END; they are zeroed. There is no free: test kernels are short. */
void palloc_init(void);
void *palloc(void);

void pt_init(struct pagetable *pt, enum pt_mode mode);
/* Maps [va, va + size) to pa with one leaf entry of that size (4 KiB or a
 * large size the mode supports); flags are PTE_* bits, PTE_P is implied. */
void pt_map(struct pagetable *pt, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags);
/* Identity-maps [start, end) with 4 KiB pages. */
void pt_identity(struct pagetable *pt, uint64_t start, uint64_t end, uint64_t flags);
/* The leaf entry that maps va (0 when none); pt_set rewrites it, then INVLPG. */
uint64_t pt_get(struct pagetable *pt, uint64_t va);
void pt_set(struct pagetable *pt, uint64_t va, uint64_t entry);
/* Loads CR3. In a 32-bit kernel it also sets CR4.PAE (or clears it) and turns
 * paging on with CR0.WP (64-bit kernels run with paging and WP on from entry). */
void pt_activate(struct pagetable *pt);
#ifndef __x86_64__
/* Turns paging off again, to change CR4.PAE (32-bit kernels only). */
void pt_disable(void);
#endif

#endif
