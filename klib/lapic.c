/* lapic.c: local APIC register access in xAPIC (MMIO) and x2APIC (MSR) modes
 * (Intel SDM vol. 3A 10.4 and 10.12). */
#include "klib/lapic.h"
#include "klib/memlayout.h"
#include "klib/x86.h"

static int x2apic;

int lapic_is_x2apic(void)
{
    return x2apic;
}

uint32_t lapic_read(uint32_t reg)
{
    if (x2apic)
        return (uint32_t)rdmsr(MSR_X2APIC_BASE + (reg >> 4));
    return *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg);
}

void lapic_write(uint32_t reg, uint32_t val)
{
    if (x2apic)
        wrmsr(MSR_X2APIC_BASE + (reg >> 4), val);
    else
        *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg) = val;
}

void lapic_enable(void)
{
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EN);
    lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | VEC_SPURIOUS);
}

void lapic_enable_x2apic(void)
{
    /* xAPIC -> x2APIC is a legal transition with EN already set (SDM 10.12.5). */
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EN | APIC_BASE_EXTD);
    x2apic = 1;
    lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | VEC_SPURIOUS);
}
