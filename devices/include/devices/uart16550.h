/* COM-port 16550A UART: transmit to a sink callback, receive through a 16-byte
 * FIFO fed by uart_rx_push. Follows the TI/National PC16550D datasheet. */
#ifndef DEVICES_UART16550_H
#define DEVICES_UART16550_H

#include <stdint.h>

#include "base/evq.h"
#include "devices/dev.h"

/* 8 registers: COM1 is 0x3f8-0x3ff, IRQ 4. */
#define UART16550_PORT_LEN 8

typedef void uart_tx_fn(void *opaque, uint8_t byte);

struct uart16550;

/* tx receives every transmitted byte (not in loopback); irq is the INTR output. */
struct uart16550 *uart_create(struct evq *q, struct irq_line irq, uart_tx_fn *tx, void *tx_opaque);
void uart_destroy(struct uart16550 *u);
/* Queue a received byte. HV_EFULL (and LSR overrun) if the FIFO is full. */
int uart_rx_push(struct uart16550 *u, uint8_t byte);
/* Free room in the receive FIFO, so the machine can hold input back. */
unsigned uart_rx_room(const struct uart16550 *u);

extern const struct dev_ops uart16550_ops;

#endif
