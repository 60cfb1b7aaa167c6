/* The I/O APIC: 24 redirection entries turning interrupt pins into APIC
 * messages. Follows the Intel 82093AA I/O APIC datasheet (version 0x11). */
#ifndef DEVICES_IOAPIC_H
#define DEVICES_IOAPIC_H

#include <stdint.h>

#include "arch/pc.h"
#include "devices/apic_msg.h"
#include "devices/dev.h"

#define IOAPIC_MMIO_LEN 0x1000 /* IOREGSEL at 0x00, IOWIN at 0x10 */
#define IOAPIC_PINS 24
#define IOAPIC_ISA_IRQ0_PIN 2 /* ISA IRQ0 (the PIT) arrives on pin 2, as on QEMU */

struct ioapic;

/* deliver receives each message sent (for one CPU: lapic_deliver). */
struct ioapic *ioapic_create(uint8_t id, apic_deliver_fn *deliver, void *opaque);
void ioapic_destroy(struct ioapic *io);
/* Input pin level (logical: 1 asserted; the polarity bit is recorded only). */
void ioapic_set_irq(struct ioapic *io, unsigned pin, int level);
/* EOI broadcast from a local APIC: clears remote IRR of level entries with
 * that vector and re-sends those still asserted. */
void ioapic_eoi(struct ioapic *io, int vector);

extern const struct dev_ops ioapic_ops;

#endif
