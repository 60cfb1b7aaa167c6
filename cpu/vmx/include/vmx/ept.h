/* Extended page tables: EPTP validity (SDM 24.6.11, 26.2.1.1), the 4-level
 * walk (28.2.2), EPT violations and misconfigurations (28.2.3), and the runs of
 * guest-physical memory the CPU maps into a non-root engine. Pure: memory is
 * read through struct vmx_mem. */
#ifndef VMX_EPT_H
#define VMX_EPT_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx/vmx_arch.h"
#include "vmx/vmx_caps.h"

enum ept_result {
    EPT_OK = 0,
    EPT_VIOLATION = 1, /* exit reason 48 */
    EPT_MISCONFIG = 2, /* exit reason 49 */
};

struct ept_translation {
    uint64_t hpa;           /* EPT_OK: host-physical address of the gpa */
    uint64_t page_size;     /* EPT_OK: 4 KiB, 2 MiB or 1 GiB; EPT_VIOLATION on a
                               non-present entry: the span that entry covers */
    unsigned perms;         /* EPT_OK: effective EPT_R|W|X (AND over the walk) */
    unsigned memtype;       /* EPT_OK: leaf bits 5:3 */
    int level;              /* level of the last entry read: 4 (PML4E) .. 1 (PTE) */
    uint64_t qualification; /* EPT_VIOLATION: bits 5:0 of the exit qualification */
    uint64_t entry_pa;      /* EPT_MISCONFIG: where the misconfigured entry is */
};

/* EPTP checks of 26.2.1.1: memory type advertised by EPT_VPID_CAP, walk length
 * 4, A/D enable only if advertised, bits 11:7 and above MAXPHYADDR clear. */
bool ept_eptp_valid(const struct vmx_caps *caps, uint64_t eptp);

/* Translate gpa for an access (EPT_R/W/X mask; 0 only asks where it maps). */
enum ept_result ept_translate(const struct vmx_mem *mem, const struct vmx_caps *caps,
                              uint64_t eptp, uint64_t gpa, unsigned access,
                              struct ept_translation *out);

/* A run of guest-physical memory, page aligned. */
struct ept_run {
    uint64_t gpa;
    uint64_t hpa;   /* EPT_OK only */
    uint64_t size;
    unsigned perms; /* EPT_OK only */
};

/* From the page holding gpa, the longest run, at most max_size bytes (> 0),
 * whose pages have the same effective permissions and map to contiguous
 * host-physical memory: EPT_OK. If gpa's page is not mapped: EPT_VIOLATION and
 * the run of unmapped memory that the non-present entry covers (clipped to
 * max_size), so the caller can skip it. EPT_MISCONFIG: run.size is 0. */
enum ept_result ept_walk_range(const struct vmx_mem *mem, const struct vmx_caps *caps,
                               uint64_t eptp, uint64_t gpa, uint64_t max_size,
                               struct ept_run *run);

#endif
