/* paging.c: page allocator and page-table builder for 2-level, PAE and 4-level
 * paging (Intel SDM vol. 3A 4.3, 4.4, 4.5). Tables are identity-mapped. */
#include "klib/console.h"
#include "klib/memlayout.h"
#include "klib/multiboot.h"
#include "klib/paging.h"
#include "klib/string.h"
#include "klib/test.h"
#include "klib/x86.h"

extern char __kernel_end[];
static uintptr_t palloc_next;

static uintptr_t max_addr(uintptr_t a, uintptr_t b) { return a > b ? a : b; }

static uintptr_t string_end(uint32_t addr)
{
    return addr ? addr + strlen((const char *)(uintptr_t)addr) + 1 : 0;
}

/* Loaders put the boot information and modules just past the kernel (QEMU
 * does), so allocation starts past all of them. */
void palloc_init(void)
{
    const struct multiboot_info *mbi = boot_info;
    uintptr_t end = max_addr((uintptr_t)__kernel_end, (uintptr_t)mbi + sizeof(*mbi));
    if (mbi->flags & MULTIBOOT_INFO_CMDLINE)
        end = max_addr(end, string_end(mbi->cmdline));
    if (mbi->flags & MULTIBOOT_INFO_MEM_MAP)
        end = max_addr(end, mbi->mmap_addr + mbi->mmap_length);
    if (mbi->flags & MULTIBOOT_INFO_MODS) {
        const struct multiboot_module *m = (const void *)(uintptr_t)mbi->mods_addr;
        end = max_addr(end, (uintptr_t)(m + mbi->mods_count));
        for (uint32_t i = 0; i < mbi->mods_count; i++)
            end = max_addr(max_addr(end, m[i].mod_end), string_end(m[i].cmdline));
    }
    palloc_next = (end + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1);
}

void *palloc(void)
{
    if (palloc_next + PAGE_SIZE > IDENTITY_MAP_END) {
        kprintf("palloc: out of pages below %#x\n", IDENTITY_MAP_END);
        hv_exit(EXIT_UNEXPECTED);
    }
    void *p = (void *)palloc_next;
    palloc_next += PAGE_SIZE;
    memset(p, 0, PAGE_SIZE);
    return p;
}

/* Per mode: number of levels, the shift of the top level's index, the width
 * of an entry. Every level below the top indexes 9 bits (10 in 2-level). */
struct pt_format {
    int levels, top_shift, entry_size, index_bits;
};
static const struct pt_format formats[] = {
    [PT_2LEVEL] = { 2, 22, 4, 10 },
    [PT_PAE] = { 3, 30, 8, 9 },
    [PT_4LEVEL] = { 4, 39, 8, 9 },
};

static uint64_t entry_read(const struct pt_format *f, uintptr_t table, unsigned idx)
{
    return f->entry_size == 4 ? ((uint32_t *)table)[idx] : ((uint64_t *)table)[idx];
}

static void entry_write(const struct pt_format *f, uintptr_t table, unsigned idx, uint64_t e)
{
    if (f->entry_size == 4)
        ((uint32_t *)table)[idx] = (uint32_t)e;
    else
        ((uint64_t *)table)[idx] = e;
}

static unsigned index_of(const struct pt_format *f, uint64_t va, int shift)
{
    return (va >> shift) & ((1u << f->index_bits) - 1);
}

void pt_init(struct pagetable *pt, enum pt_mode mode)
{
    pt->mode = mode;
    pt->root = (uintptr_t)palloc();
}

/* The table holding the entry for va at page size `size`, creating the tables
 * on the way when `create`; 0 when a level is missing or a large page is in
 * the way. *idx receives the entry's index. */
static uintptr_t walk(struct pagetable *pt, uint64_t va, uint64_t size, int create, unsigned *idx)
{
    const struct pt_format *f = &formats[pt->mode];
    uintptr_t table = pt->root;
    for (int shift = f->top_shift;; shift -= f->index_bits) {
        *idx = index_of(f, va, shift);
        if ((1ull << shift) == size)
            return table;
        uint64_t e = entry_read(f, table, *idx);
        if (!(e & PTE_P)) {
            if (!create)
                return 0;
            uintptr_t next = (uintptr_t)palloc();
            /* PAE's PDPT entries have no R/W or U/S bits: P alone. */
            uint64_t flags = pt->mode == PT_PAE && shift == f->top_shift ? PTE_P : PTE_P | PTE_W | PTE_U;
            entry_write(f, table, *idx, next | flags);
            e = next | flags;
        } else if (e & PTE_PS) {
            return 0;
        }
        table = (uintptr_t)(e & PTE_ADDR_MASK);
        if (shift == 12)
            return 0;
    }
}

void pt_map(struct pagetable *pt, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags)
{
    unsigned idx;
    uintptr_t table = walk(pt, va, size, 1, &idx);
    if (!table) {
        kprintf("pt_map: cannot map %#llx with size %#llx\n", (unsigned long long)va,
                (unsigned long long)size);
        hv_exit(EXIT_UNEXPECTED);
    }
    entry_write(&formats[pt->mode], table, idx, pa | flags | PTE_P | (size != SIZE_4K ? PTE_PS : 0));
}

void pt_identity(struct pagetable *pt, uint64_t start, uint64_t end, uint64_t flags)
{
    for (uint64_t a = start & ~(SIZE_4K - 1); a < end; a += SIZE_4K)
        pt_map(pt, a, a, SIZE_4K, flags);
}

/* The leaf for va: the smallest size whose table exists and whose entry is a
 * page (PS set above the last level). */
static uintptr_t leaf(struct pagetable *pt, uint64_t va, unsigned *idx)
{
    const struct pt_format *f = &formats[pt->mode];
    uintptr_t table = pt->root;
    for (int shift = f->top_shift;; shift -= f->index_bits) {
        *idx = index_of(f, va, shift);
        uint64_t e = entry_read(f, table, *idx);
        if (shift == 12 || (e & PTE_PS) || !(e & PTE_P))
            return shift == 12 || (e & PTE_PS) ? table : 0;
        table = (uintptr_t)(e & PTE_ADDR_MASK);
    }
}

uint64_t pt_get(struct pagetable *pt, uint64_t va)
{
    unsigned idx;
    uintptr_t table = leaf(pt, va, &idx);
    return table ? entry_read(&formats[pt->mode], table, idx) : 0;
}

void pt_set(struct pagetable *pt, uint64_t va, uint64_t entry)
{
    unsigned idx;
    uintptr_t table = leaf(pt, va, &idx);
    if (!table) {
        kprintf("pt_set: no leaf for %#llx\n", (unsigned long long)va);
        hv_exit(EXIT_UNEXPECTED);
    }
    entry_write(&formats[pt->mode], table, idx, entry);
    invlpg((uintptr_t)va);
}

void pt_activate(struct pagetable *pt)
{
#ifdef __x86_64__
    write_cr3(pt->root);
#else
    /* CR4.PAE may only change with paging off. */
    pt_disable();
    unsigned long cr4 = read_cr4();
    write_cr4(pt->mode == PT_PAE ? cr4 | CR4_PAE : cr4 & ~CR4_PAE);
    write_cr3(pt->root);
    write_cr0(read_cr0() | CR0_PG | CR0_WP);
#endif
}

#ifndef __x86_64__
void pt_disable(void)
{
    write_cr0(read_cr0() & ~CR0_PG);
}
#endif
