/* Entry into the state multiboot v1 specifies (Multiboot spec. 3.2): 32-bit
 * protected mode, paging off, flat 4 GiB CS and data segments, IF clear. A
 * UC_MODE_64 engine starts in long mode and API writes of segment registers set
 * no hidden state, so the segment caches and hidden flags are written into a
 * saved context and restored (ARCHITECTURE.md), over a scratch GDT that holds
 * the same descriptors, as a loader's GDT would. */
#include <string.h>

#include "base/log.h"
#include "cpu_priv.h"



int cpu_enter_multiboot_state(struct cpu *c, uint64_t scratch, uint32_t entry, uint32_t eax, uint32_t ebx)
{
    static const uint64_t gdt[] = {
        0,
        0x00af9a000000ffffULL, /* 0x08: 64-bit code */
        0x00cf9a000000ffffULL, /* 0x10: flat 32-bit code */
        0x00cf92000000ffffULL, /* 0x18: flat 32-bit data */
    };
    struct seg_cache code = { .sel = 0x10, .base = 0, .limit = 0xffffffffu,
                              .flags = (uint32_t)(gdt[2] >> 32) & 0x00f0ff00u };
    struct seg_cache data = { .sel = 0x18, .base = 0, .limit = 0xffffffffu,
                              .flags = (uint32_t)(gdt[3] >> 32) & 0x00f0ff00u };
    uc_x86_mmr gdtr = { .base = scratch, .limit = sizeof gdt - 1 };

    if (scratch + 0x1000 > c->ram_size || scratch > 0xfff00000u)
        return -1;
    memset(c->ram + scratch, 0, 0x1000);
    memcpy(c->ram + scratch, gdt, sizeof gdt);
    uc_reg_write(c->uc, UC_X86_REG_GDTR, &gdtr);
    if (engine_leave_start_state(c))
        return -1;
    uc_blob_save(c);
    uc_blob_set_seg(c, SEG_CS, &code);
    for (int s = SEG_ES; s <= SEG_GS; s++)
        if (s != SEG_CS)
            uc_blob_set_seg(c, (enum seg_index)s, &data);
    uc_blob_set_hflags(c, (uc_blob_hflags(c) & ~(HF_LMA_MASK | HF_CS64_MASK)) | HF_PE_MASK);
    uc_blob_update_seg_hflags(c, 0x11, false);
    uc_blob_reset_exception(c);
    uc_blob_restore(c);
    if (efer_get(c) & (1u << 10)) {
        log_error("cpu: could not leave long mode for the multiboot state");
        return -1;
    }
    reg_set(c, UC_X86_REG_RAX, eax);
    reg_set(c, UC_X86_REG_RBX, ebx);
    reg_set(c, UC_X86_REG_RSP, 0);
    reg_set(c, UC_X86_REG_RIP, entry);
    reg_set(c, UC_X86_REG_RFLAGS, 0x2);
    c->cycles = c->instructions = 0;
    c->tlb_flushed_at = 0;
    memset(&c->stats, 0, sizeof c->stats);
    /* A fresh start: nothing halted, pending or watched from an earlier run. */
    c->halted = c->kicked = c->stop_requested = c->irq_watch = c->irq_after_block = false;
    c->exc.valid = false;
    c->op = OP_NONE;
    return 0;
}
