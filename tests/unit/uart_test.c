/*
 * uart_test.c - the 16550A model driven the way Linux's 8250 driver and a
 * host backend drive it.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/uart.h"
#include "vmm/snap.h"

struct irq_rec {
	int level;
	unsigned int rises, calls;
};

static void irq_rec_set(void *ctx, unsigned int gsi, int level)
{
	struct irq_rec *r = ctx;
	(void)gsi;
	r->calls++;
	if (level && !r->level)
		r->rises++;
	r->level = level;
}

struct be_rec {
	uint8_t tx[256];
	size_t ntx;
	unsigned int rx_space;
};

static void be_tx(void *ctx, const uint8_t *buf, size_t len)
{
	struct be_rec *b = ctx;
	for (size_t i = 0; i < len && b->ntx < sizeof(b->tx); i++)
		b->tx[b->ntx++] = buf[i];
}

static void be_rx_space(void *ctx)
{
	struct be_rec *b = ctx;
	b->rx_space++;
}

struct fixture {
	struct irq_rec irq;
	struct be_rec be;
	struct irq_line line;
	struct uart *u;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct uart_backend be = { be_tx, be_rx_space, NULL };

	if (!f)
		return -1;
	f->line.set = irq_rec_set;
	f->line.ctx = &f->irq;
	f->line.gsi = 4;
	be.ctx = &f->be;
	f->u = uart_create(&f->line, &be);
	if (!f->u) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	uart_destroy(f->u);
	free(f);
	return 0;
}

/* drivers/tty/serial/8250/8250_port.c: autoconfig() and autoconfig_16550a() */
static void test_linux_autoconfig(void **state)
{
	struct fixture *f = *state;
	struct uart *u = f->u;
	uint8_t scratch, scratch2, scratch3, status1, status2, save_mcr, save_lcr;

	/* IER scratch test */
	scratch = uart_read(u, UART_IER);
	uart_write(u, UART_IER, 0);
	scratch2 = uart_read(u, UART_IER) & 0x0f;
	uart_write(u, UART_IER, 0x0f);
	scratch3 = uart_read(u, UART_IER) & 0x0f;
	uart_write(u, UART_IER, scratch);
	assert_int_equal(scratch2, 0);
	assert_int_equal(scratch3, 0x0f);

	/* loopback: MCR LOOP|OUT2|RTS must show DCD|CTS in MSR */
	save_mcr = uart_read(u, UART_MCR);
	save_lcr = uart_read(u, UART_LCR);
	uart_write(u, UART_MCR, 0x10 | 0x0a);
	status1 = uart_read(u, UART_MSR) & 0xf0;
	uart_write(u, UART_MCR, save_mcr);
	assert_int_equal(status1, 0x90);

	/* FIFO detection: EFR write under 0xBF, then FCR enable, IIR >> 6 */
	uart_write(u, UART_LCR, 0xbf);
	uart_write(u, 2, 0);
	uart_write(u, UART_LCR, 0);
	uart_write(u, UART_FCR, 0x01);
	scratch = uart_read(u, UART_IIR) >> 6;
	assert_int_equal(scratch, 3);

	/* autoconfig_16550a: no EFR under 0xBF or 0x80 (reads nonzero IIR) */
	uart_write(u, UART_LCR, 0xbf);
	assert_int_not_equal(uart_read(u, 2), 0);
	uart_write(u, UART_LCR, 0x80);
	assert_int_not_equal(uart_read(u, 2), 0);

	/* not an NS SuperIO: IIR bit 4 never follows MCR LOOP */
	uart_write(u, UART_LCR, 0);
	status1 = uart_read(u, UART_MCR);
	uart_write(u, UART_LCR, 0xe0);
	status2 = uart_read(u, 0x02);
	assert_int_equal((status1 ^ status2) & 0x10, 0);
	uart_write(u, UART_LCR, 0);
	uart_write(u, UART_MCR, status1 ^ 0x10);
	uart_write(u, UART_LCR, 0xe0);
	status2 = uart_read(u, 0x02);
	uart_write(u, UART_LCR, 0);
	uart_write(u, UART_MCR, status1);
	assert_int_equal((status2 ^ status1) & 0x10, 0);

	/* not a 16750: no 64-byte FIFO bit */
	uart_write(u, UART_LCR, 0);
	uart_write(u, UART_FCR, 0x01 | 0x20);
	status1 = uart_read(u, UART_IIR) >> 5;
	uart_write(u, UART_FCR, 0x01);
	uart_write(u, UART_LCR, 0x80);
	uart_write(u, UART_FCR, 0x01 | 0x20);
	status2 = uart_read(u, UART_IIR) >> 5;
	uart_write(u, UART_FCR, 0x01);
	uart_write(u, UART_LCR, 0);
	assert_int_equal(status1, 6);
	assert_int_not_equal(status2, 7);

	/* not an XScale: IER bit 6 (UUE) does not stick */
	uart_write(u, UART_IER, 0x40);
	assert_int_equal(uart_read(u, UART_IER) & 0x40, 0);
	uart_write(u, UART_IER, 0);

	uart_write(u, UART_LCR, save_lcr);
	/* LSR must never look like an absent port */
	assert_int_not_equal(uart_read(u, UART_LSR), 0xff);
	assert_int_equal(uart_read(u, UART_LSR) & 0x60, 0x60);
	assert_int_equal(f->irq.level, 0);
}

static void test_tx_reaches_backend(void **state)
{
	struct fixture *f = *state;
	const char *msg = "hello\r\n";

	for (size_t i = 0; i < strlen(msg); i++) {
		assert_true(uart_read(f->u, UART_LSR) & 0x20);
		uart_write(f->u, UART_THR, (uint8_t)msg[i]);
	}
	assert_int_equal(f->be.ntx, strlen(msg));
	assert_memory_equal(f->be.tx, msg, strlen(msg));
	assert_int_equal(uart_read(f->u, UART_LSR) & 0x60, 0x60);

	/* in loopback the byte goes to RX instead of the backend */
	uart_write(f->u, UART_MCR, 0x10);
	uart_write(f->u, UART_THR, 'x');
	assert_int_equal(f->be.ntx, strlen(msg));
	assert_true(uart_read(f->u, UART_LSR) & 0x01);
	assert_int_equal(uart_read(f->u, UART_RBR), 'x');
	assert_false(uart_read(f->u, UART_LSR) & 0x01);
}

static void test_rx_trigger_levels(void **state)
{
	struct fixture *f = *state;
	struct uart *u = f->u;
	uint8_t buf[16];

	memset(buf, 'a', sizeof(buf));
	/* FIFO on, trigger 4, RX interrupts on */
	uart_write(u, UART_FCR, 0x01 | 0x40);
	uart_write(u, UART_IER, 0x01);
	assert_int_equal(uart_read(u, UART_IIR), 0xc1);
	assert_int_equal(f->irq.level, 0);

	/* below the trigger: character timeout */
	assert_int_equal(uart_receive(u, buf, 3), 3);
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(uart_read(u, UART_IIR), 0xcc);
	/* at the trigger: received data available */
	assert_int_equal(uart_receive(u, buf, 1), 1);
	assert_int_equal(uart_read(u, UART_IIR), 0xc4);
	/* reading below the trigger falls back to timeout, then none */
	uart_read(u, UART_RBR);
	assert_int_equal(uart_read(u, UART_IIR), 0xcc);
	for (int i = 0; i < 3; i++)
		uart_read(u, UART_RBR);
	assert_int_equal(uart_read(u, UART_IIR), 0xc1);
	assert_int_equal(f->irq.level, 0);

	/* trigger 14 and 8, with the RX-clear bit emptying the FIFO */
	uart_write(u, UART_FCR, 0x01 | 0xc0);
	assert_int_equal(uart_receive(u, buf, 13), 13);
	assert_int_equal(uart_read(u, UART_IIR), 0xcc);
	assert_int_equal(uart_receive(u, buf, 1), 1);
	assert_int_equal(uart_read(u, UART_IIR), 0xc4);
	uart_write(u, UART_FCR, 0x01 | 0x80 | 0x02);
	assert_false(uart_read(u, UART_LSR) & 0x01);
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(uart_receive(u, buf, 8), 8);
	assert_int_equal(uart_read(u, UART_IIR), 0xc4);

	/* trigger 1 */
	uart_write(u, UART_FCR, 0x01 | 0x02);
	assert_int_equal(uart_receive(u, buf, 1), 1);
	assert_int_equal(uart_read(u, UART_IIR), 0xc4);

	/* FIFO off: one byte holding register, IIR top bits clear */
	uart_write(u, UART_FCR, 0x00);
	assert_int_equal(uart_rx_room(u), 1);
	assert_int_equal(uart_receive(u, buf, 2), 1);
	assert_int_equal(uart_read(u, UART_IIR), 0x04);

	/* interrupts masked: data present, line low */
	uart_write(u, UART_IER, 0);
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(uart_read(u, UART_IIR), 0x01);
	assert_int_equal(uart_read(u, UART_RBR), 'a');
}

static void test_rx_room(void **state)
{
	struct fixture *f = *state;
	struct uart *u = f->u;
	uint8_t buf[40];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	uart_write(u, UART_FCR, 0x01);
	assert_int_equal(uart_rx_room(u), 16);
	assert_int_equal(uart_receive(u, buf, sizeof(buf)), 16);
	assert_int_equal(uart_rx_room(u), 0);
	assert_int_equal(uart_receive(u, buf + 16, 4), 0);
	/* no overrun from the host side: receive just refuses */
	assert_int_equal(uart_read(u, UART_LSR) & 0x02, 0);

	unsigned int before = f->be.rx_space;
	for (int i = 0; i < 15; i++)
		assert_int_equal(uart_read(u, UART_RBR), i);
	assert_int_equal(uart_rx_room(u), 15);
	assert_int_equal(uart_read(u, UART_RBR), 15);
	/* drained: the host is told once */
	assert_int_equal(f->be.rx_space, before + 1);
	assert_int_equal(uart_receive(u, buf + 16, 4), 4);
	assert_int_equal(uart_read(u, UART_RBR), 16);

	/* loopback takes no host input; leaving it announces room */
	uart_write(u, UART_FCR, 0x03);
	uart_write(u, UART_MCR, 0x10);
	assert_int_equal(uart_rx_room(u), 0);
	assert_int_equal(uart_receive(u, buf, 1), 0);
	before = f->be.rx_space;
	uart_write(u, UART_MCR, 0x00);
	assert_int_equal(f->be.rx_space, before + 1);
	assert_int_equal(uart_rx_room(u), 16);
}

static void test_priority_and_thre(void **state)
{
	struct fixture *f = *state;
	struct uart *u = f->u;
	uart_write(u, UART_FCR, 0x01);
	/* enabling ETBEI with THR empty raises THRE */
	uart_write(u, UART_IER, 0x02);
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(f->irq.rises, 1);
	/* IIR read reporting THRE clears it */
	assert_int_equal(uart_read(u, UART_IIR), 0xc2);
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(uart_read(u, UART_IIR), 0xc1);
	/* Linux's THRE test: IER 0 then THRI again re-raises */
	uart_write(u, UART_IER, 0);
	uart_write(u, UART_IER, 0x02);
	assert_int_equal(uart_read(u, UART_IIR), 0xc2);
	/* a THR write clears THRE and, the byte gone, raises a new edge */
	unsigned int rises = f->irq.rises;
	uart_write(u, UART_THR, 'a');
	assert_int_equal(f->irq.rises, rises + 1);
	assert_int_equal(f->irq.level, 1);
	/* with THRE pending, another write still gives its own edge */
	uart_write(u, UART_THR, 'b');
	assert_int_equal(f->irq.rises, rises + 2);
	assert_int_equal(f->be.ntx, 2);
	/* disabling ETBEI drops it */
	uart_write(u, UART_IER, 0);
	assert_int_equal(f->irq.level, 0);

	/* priorities: RLS > RDA > THRE > MSR */
	uart_write(u, UART_IER, 0x0f);
	uart_write(u, UART_MCR, 0x10 | 0x02);  /* loopback, RTS -> CTS change */
	for (int i = 0; i < 17; i++)            /* 17th byte overruns */
		uart_write(u, UART_THR, 'o');
	assert_int_equal(f->irq.level, 1);
	assert_int_equal(uart_read(u, UART_IIR), 0xc6);
	assert_int_equal(uart_read(u, UART_LSR) & 0x03, 0x03);  /* OE and DR */
	assert_int_equal(uart_read(u, UART_LSR) & 0x02, 0);     /* OE cleared */
	assert_int_equal(uart_read(u, UART_IIR), 0xc4);
	uart_write(u, UART_FCR, 0x03);                          /* clear RX */
	assert_int_equal(uart_read(u, UART_IIR), 0xc2);         /* THRE reported */
	assert_int_equal(uart_read(u, UART_IIR), 0xc0);         /* then MSR */
	uint8_t msr = uart_read(u, UART_MSR);
	assert_int_equal(msr & 0x0f, 0x02 | 0x08);              /* DDSR DDCD */
	assert_int_equal(msr & 0xf0, 0x10);                     /* only CTS */
	assert_int_equal(uart_read(u, UART_IIR), 0xc1);
	assert_int_equal(f->irq.level, 0);

	/* RI trailing edge: OUT1 on then off */
	uart_write(u, UART_MCR, 0x10 | 0x04);
	assert_int_equal(uart_read(u, UART_MSR) & 0x40, 0x40);
	uart_write(u, UART_MCR, 0x10);
	assert_int_equal(uart_read(u, UART_MSR) & 0x0f, 0x04);

	/* out of loopback: CTS/DSR/DCD asserted */
	uart_write(u, UART_MCR, 0x00);
	assert_int_equal(uart_read(u, UART_MSR), 0xb0 | 0x01 | 0x02 | 0x08);
	assert_int_equal(uart_read(u, UART_MSR), 0xb0);
}

static void test_dlab(void **state)
{
	struct fixture *f = *state;
	struct uart *u = f->u;

	uart_write(u, UART_IER, 0x05);
	uart_write(u, UART_LCR, 0x83);
	uart_write(u, UART_DLL, 0x01);
	uart_write(u, UART_DLM, 0x02);
	assert_int_equal(uart_read(u, UART_DLL), 0x01);
	assert_int_equal(uart_read(u, UART_DLM), 0x02);
	assert_int_equal(f->be.ntx, 0);  /* DLL write is not a THR write */
	uart_write(u, UART_LCR, 0x03);
	assert_int_equal(uart_read(u, UART_IER), 0x05);
	assert_int_equal(uart_read(u, UART_LCR), 0x03);
	uart_write(u, UART_THR, 'q');
	assert_int_equal(f->be.ntx, 1);
	uart_write(u, UART_LCR, 0x80);
	assert_int_equal(uart_read(u, UART_DLL), 0x01);
	assert_int_equal(uart_read(u, UART_DLM), 0x02);
	/* SCR keeps any value */
	uart_write(u, UART_SCR, 0xa5);
	assert_int_equal(uart_read(u, UART_SCR), 0xa5);
}

static void test_reg_out_of_range(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(uart_read(f->u, 8), 0xff);
	assert_int_equal(uart_read(f->u, 0xffffffffu), 0xff);
	uart_write(f->u, 8, 0x55);
	uart_write(f->u, 0x80000000u, 0x55);
	assert_int_equal(f->be.ntx, 0);
	assert_int_equal(uart_read(f->u, UART_SCR), 0);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;
	struct uart *u = f->u;
	uint8_t buf[3] = { 1, 2, 3 };

	uart_write(u, UART_FCR, 0x01);
	uart_write(u, UART_IER, 0x03);
	uart_receive(u, buf, 3);
	assert_int_equal(f->irq.level, 1);
	uart_reset(u);
	assert_int_equal(f->irq.level, 0);
	assert_int_equal(uart_read(u, UART_IER), 0);
	assert_int_equal(uart_read(u, UART_IIR), 0x01);
	assert_int_equal(uart_read(u, UART_LSR), 0x60);
	assert_int_equal(uart_rx_room(u), 1);
}

static void test_snapshot_round_trip(void **state)
{
	struct fixture *f = *state;
	struct uart *u = f->u;
	struct irq_rec irq2 = { 0 };
	struct irq_line line2 = { irq_rec_set, &irq2, 4 };
	uint8_t buf[5] = { 'h', 'e', 'l', 'l', 'o' };
	struct snap s;

	uart_write(u, UART_LCR, 0x80);
	uart_write(u, UART_DLL, 0x03);
	uart_write(u, UART_DLM, 0x00);
	uart_write(u, UART_LCR, 0x1b);
	uart_write(u, UART_FCR, 0x81);
	uart_write(u, UART_IER, 0x0d);
	uart_write(u, UART_MCR, 0x0b);
	uart_write(u, UART_SCR, 0x5a);
	uart_read(u, UART_RBR);
	/* wrap the FIFO's head before saving */
	uart_receive(u, buf, 5);
	for (int i = 0; i < 3; i++)
		uart_read(u, UART_RBR);
	uart_receive(u, buf, 5);
	assert_int_equal(f->irq.level, 1);

	snap_init_save(&s);
	assert_int_equal(uart_snapshot(u, &s), 0);

	struct uart *v = uart_create(&line2, NULL);
	assert_non_null(v);
	struct snap l;
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(uart_snapshot(v, &l), 0);
	assert_int_equal(l.pos, l.len);
	assert_int_equal(irq2.level, 1);  /* the line follows the loaded state */

	/* side-effect-free registers first, then the FIFO contents */
	for (unsigned int r = 1; r < UART_NREGS; r++) {
		if (r == UART_IIR || r == UART_LSR || r == UART_MSR)
			continue;
		assert_int_equal(uart_read(v, r), uart_read(u, r));
	}
	assert_int_equal(uart_read(v, UART_IIR), uart_read(u, UART_IIR));
	assert_int_equal(uart_read(v, UART_MSR), uart_read(u, UART_MSR));
	uart_write(u, UART_LCR, 0x9b);
	uart_write(v, UART_LCR, 0x9b);
	assert_int_equal(uart_read(v, UART_DLL), uart_read(u, UART_DLL));
	assert_int_equal(uart_read(v, UART_DLM), uart_read(u, UART_DLM));
	uart_write(u, UART_LCR, 0x1b);
	uart_write(v, UART_LCR, 0x1b);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(uart_read(v, UART_LSR), uart_read(u, UART_LSR));
		assert_int_equal(uart_read(v, UART_RBR), uart_read(u, UART_RBR));
	}
	assert_int_equal(uart_read(v, UART_IIR), uart_read(u, UART_IIR));

	/* a corrupt FIFO count is refused */
	size_t count_at = s.len - (4 + 16) - 1;
	s.buf[count_at] = 17;
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(uart_snapshot(v, &l), -EINVAL);
	snap_free(&s);
	uart_destroy(v);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_linux_autoconfig, setup, teardown),
	cmocka_unit_test_setup_teardown(test_tx_reaches_backend, setup, teardown),
	cmocka_unit_test_setup_teardown(test_rx_trigger_levels, setup, teardown),
	cmocka_unit_test_setup_teardown(test_rx_room, setup, teardown),
	cmocka_unit_test_setup_teardown(test_priority_and_thre, setup, teardown),
	cmocka_unit_test_setup_teardown(test_dlab, setup, teardown),
	cmocka_unit_test_setup_teardown(test_reg_out_of_range, setup, teardown),
	cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	cmocka_unit_test_setup_teardown(test_snapshot_round_trip, setup, teardown),
};

UNIT_SUITE(uart, tests);
