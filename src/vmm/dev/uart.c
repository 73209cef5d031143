/*
 * uart.c - a National Semiconductor PC16550D compatible UART ("16550A"),
 * wired as COM1.
 *
 * Implements the register file of the PC16550D data sheet as Linux's 8250
 * driver probes and drives it: scratch and IER tests, loopback mode with
 * the MCR outputs fed back into the MSR inputs, FIFO detection through
 * FCR/IIR, 16-byte receive FIFO with trigger levels 1/4/8/14, interrupt
 * identification by priority (line status > received data / character
 * timeout > THR empty > modem status) and the divisor latch.
 *
 * What it leaves out: there is no baud-rate timing.  A byte written to THR
 * reaches the backend at once, so the transmitter is always empty again
 * when the write returns (THRE and TEMT read 1, the TX FIFO never holds
 * anything), and the THRE interrupt is cleared by the write and raised
 * anew - one fresh edge per byte, as a real UART gives once the byte has
 * shifted out.  Input arrives in bursts from the host; the end of each
 * burst counts as the line going idle, so data below the trigger level is
 * reported at once with the character-timeout identification (IIR 0x0C)
 * instead of after four character times.  No parity, framing or break
 * errors are ever produced; overrun happens only in loopback mode, because
 * uart_receive() never accepts more than the FIFO has room for.  The IRQ
 * output is not gated by MCR OUT2 (as in QEMU and bhyve).
 *
 * Threads: vCPU threads call uart_read()/uart_write() through the trap
 * map; the event-loop thread calls uart_rx_room()/uart_receive() through
 * the chardev frontend.  One mutex covers the state; the backend's tx and
 * rx_space callbacks run under it (chardev_accept_input() only schedules
 * work on the event loop, so it does not re-enter the UART).
 */
#include "vmm/dev/uart.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vmm/chardev.h"
#include "vmm/device.h"
#include "vmm/layout.h"
#include "vmm/machine.h"
#include "vmm/trap.h"

/* IER */
#define IER_ERBFI 0x01   /* received data available */
#define IER_ETBEI 0x02   /* THR empty */
#define IER_ELSI  0x04   /* receiver line status */
#define IER_EDSSI 0x08   /* modem status */
#define IER_MASK  0x0F

/* IIR */
#define IIR_NO_INT  0x01
#define IIR_MSI     0x00
#define IIR_THRI    0x02
#define IIR_RDI     0x04
#define IIR_RLSI    0x06
#define IIR_CTI     0x0C
#define IIR_FIFO_ON 0xC0

/* FCR */
#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_DMA      0x08
#define FCR_TRIG     0xC0
#define FCR_KEEP     (FCR_ENABLE | FCR_DMA | FCR_TRIG)

/* LCR */
#define LCR_DLAB 0x80

/* MCR */
#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1F

/* LSR */
#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_PE   0x04
#define LSR_FE   0x08
#define LSR_BI   0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

/* MSR */
#define MSR_DCTS  0x01
#define MSR_DDSR  0x02
#define MSR_TERI  0x04
#define MSR_DDCD  0x08
#define MSR_DELTA 0x0F
#define MSR_CTS   0x10
#define MSR_DSR   0x20
#define MSR_RI    0x40
#define MSR_DCD   0x80

#define UART_RESET_DIVISOR 12 /* 9600 baud from 1.8432 MHz */

struct uart {
	pthread_mutex_t lock;
	struct irq_line irq;
	struct uart_backend be;
	int irq_level;

	uint8_t ier;
	uint8_t lcr;
	uint8_t mcr;
	uint8_t lsr_err;       /* sticky error bits of LSR; the rest is derived */
	uint8_t msr;           /* delta bits and line states */
	uint8_t scr;
	uint8_t dll, dlm;
	uint8_t fcr;           /* FCR_KEEP bits of the last FCR write */
	bool thre_pending;     /* THRE interrupt not yet acknowledged */

	uint8_t rx[UART_FIFO_SIZE];
	unsigned int rx_head;  /* index of the oldest byte */
	unsigned int rx_count;

	struct chardev_frontend fe; /* glue: lives as long as the UART */
};

static bool uart_fifo_on(const struct uart *u)
{
	return (u->fcr & FCR_ENABLE) != 0;
}

static unsigned int uart_rx_cap(const struct uart *u)
{
	return uart_fifo_on(u) ? UART_FIFO_SIZE : 1;
}

static unsigned int uart_rx_trigger(const struct uart *u)
{
	static const unsigned int levels[4] = { 1, 4, 8, 14 };

	if (!uart_fifo_on(u))
		return 1;
	return levels[(u->fcr >> 6) & 3];
}

static size_t uart_room_locked(const struct uart *u)
{
	if (u->mcr & MCR_LOOP)
		return 0;
	return uart_rx_cap(u) - u->rx_count;
}

/* The modem input lines: wired to the MCR outputs in loopback mode. */
static uint8_t uart_msr_lines(const struct uart *u)
{
	uint8_t l = 0;

	if (!(u->mcr & MCR_LOOP))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	if (u->mcr & MCR_RTS)
		l |= MSR_CTS;
	if (u->mcr & MCR_DTR)
		l |= MSR_DSR;
	if (u->mcr & MCR_OUT1)
		l |= MSR_RI;
	if (u->mcr & MCR_OUT2)
		l |= MSR_DCD;
	return l;
}

/* Latches delta bits for the lines that changed since the last update. */
static void uart_msr_update(struct uart *u)
{
	uint8_t now = uart_msr_lines(u);
	uint8_t old = u->msr & ~MSR_DELTA;
	uint8_t changed = now ^ old;
	uint8_t delta = u->msr & MSR_DELTA;

	if (changed & MSR_CTS)
		delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		delta |= MSR_DDSR;
	if (changed & MSR_DCD)
		delta |= MSR_DDCD;
	if ((old & MSR_RI) && !(now & MSR_RI))
		delta |= MSR_TERI;
	u->msr = now | delta;
}

/* The highest-priority pending interrupt, in IIR bits 0-3. */
static uint8_t uart_iir_id(const struct uart *u)
{
	if ((u->ier & IER_ELSI) && (u->lsr_err & LSR_ERRS))
		return IIR_RLSI;
	if ((u->ier & IER_ERBFI) && u->rx_count) {
		if (u->rx_count >= uart_rx_trigger(u))
			return IIR_RDI;
		return IIR_CTI;
	}
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRI;
	if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTA))
		return IIR_MSI;
	return IIR_NO_INT;
}

static void uart_update_irq(struct uart *u)
{
	int level = uart_iir_id(u) != IIR_NO_INT;

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

static void uart_rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* A byte from the serial input (loopback only): overrun when full. */
static void uart_rx_push(struct uart *u, uint8_t b)
{
	if (u->rx_count >= uart_rx_cap(u)) {
		u->lsr_err |= LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = b;
	u->rx_count++;
}

/* Tells the host there is room again when a mode change made some. */
static void uart_room_grew(struct uart *u, size_t before)
{
	if (uart_room_locked(u) > before && u->be.rx_space)
		u->be.rx_space(u->be.ctx);
}

static void uart_reset_locked(struct uart *u)
{
	size_t before = uart_room_locked(u);

	u->ier = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->lsr_err = 0;
	u->fcr = 0;
	u->dll = UART_RESET_DIVISOR;
	u->dlm = 0;
	u->thre_pending = false;
	uart_rx_clear(u);
	u->msr = uart_msr_lines(u);
	uart_update_irq(u);
	uart_room_grew(u, before);
}

/*
 * Creates a UART in its reset state; see uart.h.  The caller owns the
 * result and frees it with uart_destroy().
 */
struct uart *uart_create(const struct irq_line *irq, const struct uart_backend *be)
{
	struct uart *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	if (pthread_mutex_init(&u->lock, NULL) != 0) {
		free(u);
		return NULL;
	}
	if (irq)
		u->irq = *irq;
	if (be)
		u->be = *be;
	u->msr = uart_msr_lines(u);
	u->dll = UART_RESET_DIVISOR;
	return u;
}

void uart_destroy(struct uart *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}

void uart_reset(struct uart *u)
{
	pthread_mutex_lock(&u->lock);
	uart_reset_locked(u);
	pthread_mutex_unlock(&u->lock);
}

static uint8_t uart_read_rbr(struct uart *u)
{
	uint8_t v;

	if (!u->rx_count)
		return 0;
	v = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	uart_update_irq(u);
	if (u->rx_count == 0)
		uart_room_grew(u, 0);
	return v;
}

static uint8_t uart_read_iir(struct uart *u)
{
	uint8_t id = uart_iir_id(u);

	if (id == IIR_THRI) {
		u->thre_pending = false;
		uart_update_irq(u);
	}
	return id | (uart_fifo_on(u) ? IIR_FIFO_ON : 0);
}

static uint8_t uart_read_lsr(struct uart *u)
{
	uint8_t v = u->lsr_err | LSR_THRE | LSR_TEMT;

	if (u->rx_count)
		v |= LSR_DR;
	if (u->lsr_err) {
		u->lsr_err = 0;
		uart_update_irq(u);
	}
	return v;
}

static uint8_t uart_read_msr(struct uart *u)
{
	uint8_t v = u->msr;

	if (u->msr & MSR_DELTA) {
		u->msr &= ~MSR_DELTA;
		uart_update_irq(u);
	}
	return v;
}

/*
 * Reads register reg (0-7) with its side effects: RBR pops the FIFO, IIR
 * acknowledges a THRE interrupt, LSR clears errors, MSR clears deltas.
 * Out-of-range registers read 0xFF.
 */
uint8_t uart_read(struct uart *u, unsigned int reg)
{
	uint8_t v = 0xFF;

	if (reg >= UART_NREGS)
		return v;
	pthread_mutex_lock(&u->lock);
	switch (reg) {
	case UART_RBR:
		v = (u->lcr & LCR_DLAB) ? u->dll : uart_read_rbr(u);
		break;
	case UART_IER:
		v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
		break;
	case UART_IIR:
		v = uart_read_iir(u);
		break;
	case UART_LCR:
		v = u->lcr;
		break;
	case UART_MCR:
		v = u->mcr;
		break;
	case UART_LSR:
		v = uart_read_lsr(u);
		break;
	case UART_MSR:
		v = uart_read_msr(u);
		break;
	case UART_SCR:
		v = u->scr;
		break;
	}
	pthread_mutex_unlock(&u->lock);
	return v;
}

static void uart_write_thr(struct uart *u, uint8_t val)
{
	/* The write acknowledges THRE; the byte leaves at once and THR is
	 * empty again, which raises THRE anew (a new edge on the line). */
	u->thre_pending = false;
	uart_update_irq(u);
	if (u->mcr & MCR_LOOP)
		uart_rx_push(u, val);
	else if (u->be.tx)
		u->be.tx(u->be.ctx, &val, 1);
	u->thre_pending = true;
	uart_update_irq(u);
}

static void uart_write_ier(struct uart *u, uint8_t val)
{
	uint8_t ier = val & IER_MASK;
	uint8_t changed = u->ier ^ ier;

	u->ier = ier;
	/* Enabling ETBEI while THR is empty (always, here) raises THRE. */
	if (changed & IER_ETBEI)
		u->thre_pending = (ier & IER_ETBEI) != 0;
	uart_update_irq(u);
}

static void uart_write_fcr(struct uart *u, uint8_t val)
{
	size_t before = uart_room_locked(u);

	/* Changing the enable bit empties both FIFOs. */
	if ((val ^ u->fcr) & FCR_ENABLE)
		uart_rx_clear(u);
	if (val & FCR_ENABLE) {
		if (val & FCR_CLEAR_RX)
			uart_rx_clear(u);
		/* FCR_CLEAR_TX: the transmitter never holds anything */
		u->fcr = val & FCR_KEEP;
	} else {
		u->fcr = 0;
	}
	uart_update_irq(u);
	uart_room_grew(u, before);
}

static void uart_write_mcr(struct uart *u, uint8_t val)
{
	size_t before = uart_room_locked(u);

	u->mcr = val & MCR_MASK;
	uart_msr_update(u);
	uart_update_irq(u);
	uart_room_grew(u, before);
}

/* Writes register reg (0-7); out-of-range registers are ignored. */
void uart_write(struct uart *u, unsigned int reg, uint8_t val)
{
	if (reg >= UART_NREGS)
		return;
	pthread_mutex_lock(&u->lock);
	switch (reg) {
	case UART_THR:
		if (u->lcr & LCR_DLAB)
			u->dll = val;
		else
			uart_write_thr(u, val);
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB)
			u->dlm = val;
		else
			uart_write_ier(u, val);
		break;
	case UART_FCR:
		uart_write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		uart_write_mcr(u, val);
		break;
	case UART_LSR:   /* factory test register: ignored */
	case UART_MSR:
		break;
	case UART_SCR:
		u->scr = val;
		break;
	}
	pthread_mutex_unlock(&u->lock);
}

size_t uart_rx_room(struct uart *u)
{
	size_t room;

	pthread_mutex_lock(&u->lock);
	room = uart_room_locked(u);
	pthread_mutex_unlock(&u->lock);
	return room;
}

/* Host to guest; see uart.h.  Returns the number of bytes taken. */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&u->lock);
	n = MIN(len, uart_room_locked(u));
	for (size_t i = 0; i < n; i++)
		uart_rx_push(u, buf[i]);
	if (n)
		uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

/*
 * One walk for save and load.  The FIFO is stored oldest byte first;
 * LSR's derived bits and MSR's line bits are recomputed after loading.
 */
int uart_snapshot(struct uart *u, struct snap *s)
{
	uint32_t version = 1;
	uint8_t ier, lcr, mcr, lsr_err, msr, scr, dll, dlm, fcr, count;
	uint8_t fifo[UART_FIFO_SIZE];
	bool thre;

	pthread_mutex_lock(&u->lock);
	ier = u->ier;
	lcr = u->lcr;
	mcr = u->mcr;
	lsr_err = u->lsr_err;
	msr = u->msr;
	scr = u->scr;
	dll = u->dll;
	dlm = u->dlm;
	fcr = u->fcr;
	thre = u->thre_pending;
	count = (uint8_t)u->rx_count;
	memset(fifo, 0, sizeof(fifo));
	for (unsigned int i = 0; i < u->rx_count; i++)
		fifo[i] = u->rx[(u->rx_head + i) % UART_FIFO_SIZE];

	snap_section(s, "uart", &version);
	snap_u8(s, &ier);
	snap_u8(s, &lcr);
	snap_u8(s, &mcr);
	snap_u8(s, &lsr_err);
	snap_u8(s, &msr);
	snap_u8(s, &scr);
	snap_u8(s, &dll);
	snap_u8(s, &dlm);
	snap_u8(s, &fcr);
	snap_bool(s, &thre);
	snap_u8(s, &count);
	snap_bytes(s, fifo, sizeof(fifo));

	if (snap_loading(s) && !snap_error(s)) {
		unsigned int cap = (fcr & FCR_ENABLE) ? UART_FIFO_SIZE : 1;

		if ((ier & ~IER_MASK) || (mcr & ~MCR_MASK) ||
		    (lsr_err & ~LSR_ERRS) || (fcr & ~FCR_KEEP) || count > cap) {
			snap_fail(s, -EINVAL);
		} else {
			u->ier = ier;
			u->lcr = lcr;
			u->mcr = mcr;
			u->lsr_err = lsr_err;
			u->scr = scr;
			u->dll = dll;
			u->dlm = dlm;
			u->fcr = fcr;
			u->thre_pending = thre;
			memcpy(u->rx, fifo, sizeof(fifo));
			u->rx_head = 0;
			u->rx_count = count;
			u->msr = (uint8_t)((msr & MSR_DELTA) | uart_msr_lines(u));
			uart_update_irq(u);
		}
	}
	pthread_mutex_unlock(&u->lock);
	return snap_error(s);
}

/* ---- machine glue ------------------------------------------------------ */

static uint64_t uart_pio_read(void *opaque, uint64_t off, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint64_t reg = off + i;
		uint8_t b = reg < UART_NREGS ? uart_read(opaque, (unsigned int)reg) : 0xFF;
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

static void uart_pio_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint64_t reg = off + i;
		if (reg < UART_NREGS)
			uart_write(opaque, (unsigned int)reg, (uint8_t)(val >> (8 * i)));
	}
}

static const struct trap_ops uart_pio_ops = {
	.read = uart_pio_read,
	.write = uart_pio_write,
};

static void uart_chr_tx(void *ctx, const uint8_t *buf, size_t len)
{
	chardev_write(ctx, buf, len);
}

static void uart_chr_rx_space(void *ctx)
{
	chardev_accept_input(ctx);
}

static size_t uart_fe_can_receive(void *opaque)
{
	return uart_rx_room(opaque);
}

static void uart_fe_receive(void *opaque, const uint8_t *buf, size_t len)
{
	(void)uart_receive(opaque, buf, len);
}

static void uart_dev_teardown(void *dev)
{
	uart_destroy(dev);
}

static void uart_dev_reset(void *dev)
{
	uart_reset(dev);
}

static int uart_dev_snapshot(void *dev, struct snap *s)
{
	return uart_snapshot(dev, s);
}

static const struct device_desc uart_desc;

/*
 * COM1, when a serial backend is configured.  The chardev outlives the
 * UART's frontend registration: the machine closes chardevs (or at least
 * stops the event loop) before tearing devices down.
 */
static int uart_setup(struct machine *m)
{
	struct chardev *cd = machine_serial(m, 0);
	struct irq_line irq;
	struct uart_backend be = {
		.tx = uart_chr_tx,
		.rx_space = uart_chr_rx_space,
		.ctx = cd,
	};
	struct uart *u;
	int rc;

	if (!cd)
		return 0;
	irq = machine_irq(m, IRQ_COM1);
	u = uart_create(&irq, &be);
	if (!u)
		return -ENOMEM;
	rc = trap_register(machine_traps(m), TRAP_PIO, PORT_COM1, UART_NREGS,
			   &uart_pio_ops, u);
	if (rc < 0) {
		uart_destroy(u);
		return rc;
	}
	rc = machine_attach(m, &uart_desc, u);
	if (rc < 0) {
		trap_unregister(machine_traps(m), TRAP_PIO, PORT_COM1);
		uart_destroy(u);
		return rc;
	}
	u->fe.can_receive = uart_fe_can_receive;
	u->fe.receive = uart_fe_receive;
	u->fe.opaque = u;
	chardev_set_frontend(cd, &u->fe);
	return 0;
}

static const struct device_desc uart_desc = {
	.name = "uart",
	.order = DEVICE_ORDER_DEV,
	.setup = uart_setup,
	.teardown = uart_dev_teardown,
	.reset = uart_dev_reset,
	.snapshot = uart_dev_snapshot,
};
DEVICE_DEFINE(uart_desc);
