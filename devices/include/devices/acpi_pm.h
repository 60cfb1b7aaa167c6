/* The ACPI fixed-hardware PM block at 0x600: PM1a event (status, enable) and
 * control registers, and the 24-bit 3.579545 MHz PM timer. Writing SLP_EN with
 * the DSDT's S5 type powers off. Follows ACPI 6.4 ch. 4.8. */
#ifndef DEVICES_ACPI_PM_H
#define DEVICES_ACPI_PM_H

#include <stdint.h>

#include "base/evq.h"
#include "devices/dev.h"

#define ACPI_PM_PORT_LEN 12 /* PM1_STS +0, PM1_EN +2, PM1_CNT +4, PM_TMR +8 */
#define ACPI_PM_TIMER_HZ 3579545ULL

typedef void acpi_poweroff_fn(void *opaque);

struct acpi_pm_config {
    struct irq_line sci;        /* SCI (ISA IRQ 9, level) */
    acpi_poweroff_fn *poweroff; /* SLP_EN with SLP_TYP = S5 */
    void *opaque;
};

struct acpi_pm;

struct acpi_pm *acpi_pm_create(struct evq *q, const struct acpi_pm_config *cfg);
void acpi_pm_destroy(struct acpi_pm *pm);
/* The fixed power button: sets PWRBTN_STS (an SCI if PWRBTN_EN). */
void acpi_pm_press_power_button(struct acpi_pm *pm);

extern const struct dev_ops acpi_pm_ops;

#endif
