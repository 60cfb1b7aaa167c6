/* Reading guest memory for hypervisor awareness: guest-virtual addresses through
 * a guest's own 4-level page tables, optionally under EPT (the tables then hold
 * guest-physical addresses), to offsets in the machine's RAM. Reads only; an
 * unmapped, reserved or out-of-RAM address is an error, never a crash. */
#ifndef HV_GUESTMEM_H
#define HV_GUESTMEM_H

#include <stddef.h>
#include <stdint.h>

/* A view of one guest's memory. eptp 0: no EPT (a PV guest, whose tables hold
 * machine addresses, or the machine itself). cr3 0 with paging 0: addresses are
 * (guest-)physical already. */
struct hv_gm {
    const uint8_t *ram;
    uint64_t ram_size;
    uint64_t cr3;
    uint64_t eptp;
    int paging;
};

/* Guest-physical to RAM offset through the EPT (SDM vol. 3C 29.3.2): 0 and *pa,
 * -1 when not mapped for reading. Without EPT the address is returned as is,
 * when inside RAM. */
int hv_gm_gpa(const struct hv_gm *g, uint64_t gpa, uint64_t *pa);
/* Guest-virtual to RAM offset (SDM vol. 3A 4.5: 4-level paging, 2 MiB and 1 GiB
 * pages): 0 and *pa, or -1. */
int hv_gm_translate(const struct hv_gm *g, uint64_t va, uint64_t *pa);
/* Copy len bytes at guest-virtual va, page by page: 0, or -1 when any byte is not mapped. */
int hv_gm_read(const struct hv_gm *g, uint64_t va, void *out, size_t len);
/* len bytes at guest-physical gpa: 0 or -1. */
int hv_gm_read_phys(const struct hv_gm *g, uint64_t gpa, void *out, size_t len);

#endif
