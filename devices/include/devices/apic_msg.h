/* An interrupt message on the (modelled) APIC bus: what an I/O APIC redirection
 * entry or an MSI sends to a local APIC. Field meanings follow the Intel SDM
 * vol. 3 ch. 10 and the 82093AA datasheet. */
#ifndef DEVICES_APIC_MSG_H
#define DEVICES_APIC_MSG_H

#include <stdint.h>

#define APIC_DM_FIXED 0
#define APIC_DM_LOWPRI 1
#define APIC_DM_SMI 2
#define APIC_DM_NMI 4
#define APIC_DM_INIT 5
#define APIC_DM_STARTUP 6
#define APIC_DM_EXTINT 7

struct apic_msg {
    uint8_t vector;
    uint8_t delivery_mode; /* APIC_DM_* */
    uint8_t dest_logical;  /* 0 physical, 1 logical destination mode */
    uint8_t level;         /* 1 level-triggered (EOI is broadcast back), 0 edge */
    uint32_t dest;         /* APIC ID or logical destination */
};

typedef void apic_deliver_fn(void *opaque, const struct apic_msg *m);

#endif
