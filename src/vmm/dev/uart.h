/*
 * uart.h - a 16550A UART (the PC's COM ports).
 *
 * The core takes an interrupt line and a byte backend and never the
 * machine; uart.c's setup glue wires COM1 to the configured chardev.
 */
#ifndef TTYVM_DEV_UART_H
#define TTYVM_DEV_UART_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/irq.h"
#include "vmm/snap.h"

#define UART_NREGS 8
#define UART_FIFO_SIZE 16

/* Register offsets from the port base (DLAB selects DLL/DLM at 0/1). */
enum {
	UART_RBR = 0, UART_THR = 0, UART_DLL = 0,
	UART_IER = 1, UART_DLM = 1,
	UART_IIR = 2, UART_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

/*
 * The host side.  tx gets the bytes the guest transmits; rx_space is
 * called when the guest has drained the receive FIFO, so the host may
 * offer more input.  Both may be called with the UART's lock held: they
 * must not call back into the UART synchronously.
 */
struct uart_backend {
	void (*tx)(void *ctx, const uint8_t *buf, size_t len);
	void (*rx_space)(void *ctx);
	void *ctx;
};

struct uart;

/*
 * Creates a UART in its reset state.  irq and be are copied; either may be
 * NULL (no interrupt, bytes dropped).  Returns NULL when out of memory.
 * Free with uart_destroy().
 */
struct uart *uart_create(const struct irq_line *irq, const struct uart_backend *be);
void uart_destroy(struct uart *u);

/* Guest register access; reg is the offset 0-7 (others read 0xFF). */
uint8_t uart_read(struct uart *u, unsigned int reg);
void uart_write(struct uart *u, unsigned int reg, uint8_t val);

/*
 * Host to guest: puts up to len bytes into the receive FIFO and returns
 * how many it took, never more than uart_rx_room().  The caller keeps the
 * rest until rx_space is called.
 */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);

/* Bytes uart_receive() would accept now (0 in loopback mode). */
size_t uart_rx_room(struct uart *u);

/* System reset: registers to power-on values, FIFOs emptied. */
void uart_reset(struct uart *u);

/* Saves or loads the UART's registers and FIFO.  0 or -errno. */
int uart_snapshot(struct uart *u, struct snap *s);

#endif
