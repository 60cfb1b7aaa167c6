/* QEMU's isa-debug-exit: a guest write ends the run. hvsim's exit status is
 * then (value << 1) | 1, as QEMU's. */
#ifndef DEVICES_DEBUG_EXIT_H
#define DEVICES_DEBUG_EXIT_H

#include <stdint.h>

#include "arch/pc.h"
#include "devices/dev.h"

#define DEBUG_EXIT_PORT_LEN 4 /* QEMU's iosize may be 1, 2 or 4; a write at offset 0 of any size exits */

typedef void debug_exit_fn(void *opaque, uint32_t value);

struct debug_exit;

struct debug_exit *debug_exit_create(debug_exit_fn *fn, void *opaque);
void debug_exit_destroy(struct debug_exit *d);
/* hvsim's process exit status for a written value. */
static inline int debug_exit_status(uint32_t value) { return (int)(((value << 1) | 1) & 0xff); }

extern const struct dev_ops debug_exit_ops;

#endif
