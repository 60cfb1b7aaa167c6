/* lapic.h: the local APIC, in xAPIC mode through MMIO at LAPIC_BASE or in x2APIC
 * mode through MSRs 0x800 + reg/16 (Intel SDM vol. 3A chapter 10). */
#ifndef KLIB_LAPIC_H
#define KLIB_LAPIC_H

#include <stdint.h>

#define LAPIC_ID        0x020
#define LAPIC_VERSION   0x030
#define LAPIC_TPR       0x080
#define LAPIC_EOI       0x0b0
#define LAPIC_SVR       0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_ICR 0x380   /* initial count */
#define LAPIC_TIMER_CCR 0x390   /* current count */
#define LAPIC_TIMER_DCR 0x3e0   /* divide configuration */

#define LAPIC_SVR_ENABLE      (1u << 8)
#define LAPIC_LVT_MASKED      (1u << 16)
#define LAPIC_TIMER_ONESHOT   (0u << 17)
#define LAPIC_TIMER_PERIODIC  (1u << 17)
#define LAPIC_TIMER_DEADLINE  (2u << 17)
#define LAPIC_DCR_DIV1        0xb
#define LAPIC_DCR_DIV16       0x3

uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t val);
/* Software-enables the APIC with VEC_SPURIOUS; from reset it is in xAPIC mode. */
void lapic_enable(void);
/* Switches to x2APIC mode (APIC_BASE.EXTD); later accesses use the MSRs. */
void lapic_enable_x2apic(void);
int lapic_is_x2apic(void);
static inline void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

#endif
