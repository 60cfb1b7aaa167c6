/* Linear-to-physical translation as the x86 page walker does it (Intel SDM vol. 3A
 * ch. 4): no paging, 32-bit 2-level with 4 MiB pages, PAE, and 4-level IA-32e.
 * The ring model uses it to read the IDT, GDT and TSS, push exception frames and
 * decode blocks, and to derive #PF error codes for its own accesses. Accessed and
 * dirty bits are not set by these walks (Unicorn sets them for guest accesses). */
#include <string.h>

#include "cpu_priv.h"

uint64_t efer_get(struct cpu *c)
{
    if (c->blob_live)
        return *live_u64(c, c->blob.efer);
    uc_x86_msr m = { .rid = MSR_IA32_EFER, .value = 0 };
    uc_reg_read(c->uc, UC_X86_REG_MSR, &m);
    return m.value;
}

void pw_ctx_read(struct cpu *c, struct pw_ctx *m)
{
    m->cr0 = reg_get(c, UC_X86_REG_CR0);
    m->cr3 = reg_get(c, UC_X86_REG_CR3);
    m->cr4 = reg_get(c, UC_X86_REG_CR4);
    m->efer = efer_get(c);
}

/* Host-physical for a physical address of this engine: a non-root engine's
 * physical addresses are guest-physical, translated by the EPT. */
static bool host_pa(struct cpu *c, uint64_t pa, uint64_t *hpa)
{
    if (!c->nr) {
        *hpa = pa;
        return true;
    }
    if (c->vmx_ops->nr_gpa_to_hpa(c, pa, hpa))
        return true;
    c->ept_fault = true;
    c->ept_fault_gpa = pa;
    return false;
}

static int phys_load(struct cpu *c, uint64_t pa, unsigned size, uint64_t *v)
{
    if (!host_pa(c, pa, &pa) || pa + size > c->ram_size)
        return -1;
    *v = 0;
    memcpy(v, c->ram + pa, size);
    return 0;
}

int pw_translate(struct cpu *c, const struct pw_ctx *m, uint64_t lin, enum pw_access acc,
                  bool user, uint64_t *phys, uint32_t *pf_err)
{
    bool nxe = (m->efer & EFER_NXE) != 0;
    uint32_t err = (acc == PW_WRITE ? PF_W : 0) | (user ? PF_U : 0) | (acc == PW_FETCH && nxe ? PF_I : 0);
    uint64_t e, table, allow_w = 1, allow_u = 1, nx = 0, page_mask;
    int levels, shift;
    unsigned esize;

    if (!(m->cr0 & CR0_PG)) {
        *phys = (m->efer & EFER_LMA) ? lin : (lin & 0xffffffffULL);
        return 0;
    }
    if (m->efer & EFER_LMA) {
        levels = 4, shift = 39, esize = 8;
        table = m->cr3 & PTE_ADDR_MASK;
    } else if (m->cr4 & CR4_PAE) {
        /* The four PDPTEs: no U/W bits, only P and the address. */
        if (phys_load(c, (m->cr3 & 0xffffffe0ULL) + ((lin >> 30) & 3) * 8, 8, &e))
            goto bad_phys;
        if (!(e & PTE_P))
            goto not_present;
        levels = 2, shift = 21, esize = 8;
        table = e & PTE_ADDR_MASK;
    } else {
        levels = 2, shift = 22, esize = 4;
        table = m->cr3 & 0xfffff000ULL;
    }
    for (int l = levels; l >= 1; l--) {
        uint64_t idx = (lin >> shift) & (esize == 8 ? 0x1ff : 0x3ff);
        if (phys_load(c, table + idx * esize, esize, &e))
            goto bad_phys;
        if (!(e & PTE_P))
            goto not_present;
        allow_w &= (e >> 1) & 1;
        allow_u &= (e >> 2) & 1;
        if (esize == 8 && nxe)
            nx |= e >> 63;
        bool large = (e & PTE_PS) && ((esize == 8 && (l == 2 || (l == 3 && levels == 4))) ||
                                      (esize == 4 && l == 2 && (m->cr4 & CR4_PSE)));
        if (large || l == 1) {
            page_mask = (1ULL << shift) - 1;
            if (esize == 4 && large)
                table = (e & 0xffc00000ULL) | ((e >> 13) & 0xffULL) << 32; /* PSE-36 */
            else
                table = e & PTE_ADDR_MASK & ~page_mask;
            break;
        }
        table = e & (esize == 8 ? PTE_ADDR_MASK : 0xfffff000ULL);
        shift -= esize == 8 ? 9 : 10;
    }
    if (user && !allow_u)
        goto protection;
    if (acc == PW_WRITE && !allow_w && (user || (m->cr0 & CR0_WP)))
        goto protection;
    if (acc == PW_FETCH && nx)
        goto protection;
    *phys = table | (lin & page_mask);
    return 0;

protection:
    *pf_err = err | PF_P;
    return -1;
not_present:
    *pf_err = err;
    return -1;
bad_phys:
    /* A table outside RAM reads all-ones on the bus: reserved bits set. */
    *pf_err = err | PF_P | PF_RSVD;
    return -1;
}

static int copy(struct cpu *c, const struct pw_ctx *m, uint64_t lin, uint8_t *buf, size_t n, bool write,
                uint64_t *fault_lin, uint32_t *pf_err)
{
    while (n) {
        uint64_t pa;
        size_t chunk = 4096 - (lin & 4095);
        if (chunk > n)
            chunk = n;
        if (pw_translate(c, m, lin, write ? PW_WRITE : PW_READ, false, &pa, pf_err)) {
            *fault_lin = lin;
            return -1;
        }
        if (!host_pa(c, pa, &pa) || pa + chunk > c->ram_size) {
            /* Outside RAM: reads float high, writes go nowhere. */
            if (!write)
                memset(buf, 0xff, chunk);
        } else if (write) {
            memcpy(c->ram + pa, buf, chunk);
        } else {
            memcpy(buf, c->ram + pa, chunk);
        }
        lin += chunk;
        buf += chunk;
        n -= chunk;
    }
    return 0;
}

int pw_read(struct cpu *c, const struct pw_ctx *m, uint64_t lin, void *buf, size_t n,
             uint64_t *fault_lin, uint32_t *pf_err)
{
    return copy(c, m, lin, buf, n, false, fault_lin, pf_err);
}

int pw_write(struct cpu *c, const struct pw_ctx *m, uint64_t lin, const void *buf, size_t n,
              uint64_t *fault_lin, uint32_t *pf_err)
{
    return copy(c, m, lin, (uint8_t *)buf, n, true, fault_lin, pf_err);
}
