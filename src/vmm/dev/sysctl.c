/*
 * sysctl.c - two chipset registers that reset the machine: System Control
 * Port A at 0x92 (PS/2 "fast A20 and fast reset", as on PIIX/ICH chipsets)
 * and the Reset Control Register at 0xCF9 (Intel ICH datasheets, "RST_CNT").
 *
 * Port 0x92: bit 1 is the A20 gate and reads back what was written; bit 0
 * written as 1 requests a reset and reads 0.  KVM has no A20 gate, so the
 * bit is only remembered; it powers on set.  Port 0xCF9: a write with
 * RST_CPU (bit 2) set requests a reset - the FADT's RESET_REG points here
 * with RESET_CTL_VALUE (6: SYS_RST | RST_CPU), which is how Linux and
 * Windows reboot; reads return the last value written without bit 2.
 * Hard, soft and full resets are all the same VM_REQ_RESET to the machine.
 *
 * Note for the PCI host bridge (later): the bridge's CONFIG_ADDRESS is the
 * dword at 0xCF8 and CONFIG_DATA 0xCFC-0xCFF, but byte accesses at 0xCF9
 * must still reach this model.  Either the bridge registers 0xCF8 as a
 * 1-byte range plus 0xCFA (2 bytes) and 0xCFC (4 bytes) - a dword access
 * at 0xCF8 straddles and is delivered whole to the 0xCF8 range, see
 * trap_dispatch() - or it claims 0xCF8-0xCFF and forwards 1-byte accesses
 * at 0xCF9 to sysctl_read()/sysctl_write(); this file then skips its own
 * 0xCF9 registration.  Each port is registered separately here so that
 * stays a one-line change.
 *
 * Threads: vCPU threads only; a mutex still guards the two bytes.
 */
#include "vmm/dev/sysctl.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "vmm/layout.h"
#include "vmm/machine.h"
#include "vmm/trap.h"

struct sysctl {
	pthread_mutex_t lock;
	struct vm_request_cb req;
	uint8_t port_a;      /* without the reset bit */
	uint8_t rst_cnt;     /* without RST_CPU */
};

/*
 * Creates the registers; see sysctl.h.  The caller owns the result and
 * frees it with sysctl_destroy().
 */
struct sysctl *sysctl_create(const struct vm_request_cb *req)
{
	struct sysctl *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return NULL;
	if (pthread_mutex_init(&sc->lock, NULL) != 0) {
		free(sc);
		return NULL;
	}
	if (req)
		sc->req = *req;
	sc->port_a = SYSCTL_A_A20;
	return sc;
}

void sysctl_destroy(struct sysctl *sc)
{
	if (!sc)
		return;
	pthread_mutex_destroy(&sc->lock);
	free(sc);
}

uint8_t sysctl_read(struct sysctl *sc, uint16_t port)
{
	uint8_t v = 0xFF;

	pthread_mutex_lock(&sc->lock);
	if (port == PORT_SYSCTL_A)
		v = sc->port_a;
	else if (port == PORT_RESET_CTL)
		v = sc->rst_cnt;
	pthread_mutex_unlock(&sc->lock);
	return v;
}

void sysctl_write(struct sysctl *sc, uint16_t port, uint8_t val)
{
	bool reset = false;

	pthread_mutex_lock(&sc->lock);
	if (port == PORT_SYSCTL_A) {
		sc->port_a = val & (uint8_t)~SYSCTL_A_RESET;
		reset = (val & SYSCTL_A_RESET) != 0;
	} else if (port == PORT_RESET_CTL) {
		sc->rst_cnt = val & (uint8_t)~RESET_CTL_RST_CPU;
		reset = (val & RESET_CTL_RST_CPU) != 0;
	}
	pthread_mutex_unlock(&sc->lock);
	if (reset)
		vm_request(&sc->req, VM_REQ_RESET);
}

/* System reset: A20 on, reset control cleared. */
void sysctl_reset(struct sysctl *sc)
{
	pthread_mutex_lock(&sc->lock);
	sc->port_a = SYSCTL_A_A20;
	sc->rst_cnt = 0;
	pthread_mutex_unlock(&sc->lock);
}

int sysctl_snapshot(struct sysctl *sc, struct snap *s)
{
	uint32_t version = 1;
	uint8_t a, r;

	pthread_mutex_lock(&sc->lock);
	a = sc->port_a;
	r = sc->rst_cnt;
	snap_section(s, "sysctl", &version);
	snap_u8(s, &a);
	snap_u8(s, &r);
	if (snap_loading(s) && !snap_error(s)) {
		if ((a & SYSCTL_A_RESET) || (r & RESET_CTL_RST_CPU)) {
			snap_fail(s, -EINVAL);
		} else {
			sc->port_a = a;
			sc->rst_cnt = r;
		}
	}
	pthread_mutex_unlock(&sc->lock);
	return snap_error(s);
}

/* ---- machine glue ------------------------------------------------------ */

static uint64_t sysctl_a_read(void *opaque, uint64_t off, unsigned int size)
{
	(void)off;
	(void)size;
	return sysctl_read(opaque, PORT_SYSCTL_A);
}

static void sysctl_a_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	(void)off;
	(void)size;
	sysctl_write(opaque, PORT_SYSCTL_A, (uint8_t)val);
}

static uint64_t sysctl_rst_read(void *opaque, uint64_t off, unsigned int size)
{
	(void)off;
	(void)size;
	return sysctl_read(opaque, PORT_RESET_CTL);
}

static void sysctl_rst_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	(void)off;
	(void)size;
	sysctl_write(opaque, PORT_RESET_CTL, (uint8_t)val);
}

static const struct trap_ops sysctl_a_ops = {
	.read = sysctl_a_read,
	.write = sysctl_a_write,
};

static const struct trap_ops sysctl_rst_ops = {
	.read = sysctl_rst_read,
	.write = sysctl_rst_write,
};

static void sysctl_dev_teardown(void *dev)
{
	sysctl_destroy(dev);
}

static void sysctl_dev_reset(void *dev)
{
	sysctl_reset(dev);
}

static int sysctl_dev_snapshot(void *dev, struct snap *s)
{
	return sysctl_snapshot(dev, s);
}

static const struct device_desc sysctl_desc;

static int sysctl_setup(struct machine *m)
{
	struct vm_request_cb req = machine_request_cb(m);
	struct trap_map *traps = machine_traps(m);
	struct sysctl *sc;
	int rc;

	sc = sysctl_create(&req);
	if (!sc)
		return -ENOMEM;
	rc = trap_register(traps, TRAP_PIO, PORT_SYSCTL_A, 1, &sysctl_a_ops, sc);
	if (rc < 0)
		goto err_free;
	rc = trap_register(traps, TRAP_PIO, PORT_RESET_CTL, 1, &sysctl_rst_ops, sc);
	if (rc < 0)
		goto err_a;
	rc = machine_attach(m, &sysctl_desc, sc);
	if (rc < 0)
		goto err_rst;
	return 0;

err_rst:
	trap_unregister(traps, TRAP_PIO, PORT_RESET_CTL);
err_a:
	trap_unregister(traps, TRAP_PIO, PORT_SYSCTL_A);
err_free:
	sysctl_destroy(sc);
	return rc;
}

static const struct device_desc sysctl_desc = {
	.name = "sysctl",
	.order = DEVICE_ORDER_CORE,
	.setup = sysctl_setup,
	.teardown = sysctl_dev_teardown,
	.reset = sysctl_dev_reset,
	.snapshot = sysctl_dev_snapshot,
};
DEVICE_DEFINE(sysctl_desc);
