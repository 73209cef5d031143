/*
 * debugcon.c - QEMU's "isa-debugcon" at port 0x402: every byte the guest
 * writes goes to a host file, reads return 0xE9 so firmware knows the port
 * is there.  SeaBIOS (CONFIG_DEBUG_IO) probes exactly that and then prints
 * its whole debug log here, which is what tests and people debugging a
 * firmware boot read.  The device exists only when the user names a file
 * (vm_config.debugcon, `--debugcon FILE`); without it the port is
 * unclaimed, reads return 0xFF and SeaBIOS stays quiet, which saves one
 * exit per character.
 *
 * Not emulated: QEMU's configurable port and readback value, and any input.
 * Output is buffered per line and written with write(2) on the vCPU thread
 * that wrote the newline; a slow or failing file loses the text, never
 * stalls the guest for more than that write.  One mutex.
 */
#include "vmm/dev/debugcon.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "vmm/device.h"
#include "vmm/machine.h"
#include "vmm/trap.h"

#define DEBUGCON_BUF 256

struct debugcon {
	pthread_mutex_t lock;
	int fd;
	size_t n;
	uint8_t buf[DEBUGCON_BUF];
};

struct debugcon *debugcon_create(int fd)
{
	struct debugcon *dc = calloc(1, sizeof(*dc));

	if (!dc || pthread_mutex_init(&dc->lock, NULL) != 0) {
		free(dc);
		close(fd);
		return NULL;
	}
	dc->fd = fd;
	return dc;
}

/* Lock held. */
static void debugcon_drain(struct debugcon *dc)
{
	size_t off = 0;

	while (off < dc->n) {
		ssize_t w = write(dc->fd, dc->buf + off, dc->n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;  /* the text is lost; the guest goes on */
		off += (size_t)w;
	}
	dc->n = 0;
}

void debugcon_destroy(struct debugcon *dc)
{
	if (!dc)
		return;
	debugcon_drain(dc);
	close(dc->fd);
	pthread_mutex_destroy(&dc->lock);
	free(dc);
}

uint8_t debugcon_read(struct debugcon *dc)
{
	(void)dc;
	return DEBUGCON_READBACK;
}

void debugcon_write(struct debugcon *dc, uint8_t byte)
{
	pthread_mutex_lock(&dc->lock);
	dc->buf[dc->n++] = byte;
	if (byte == '\n' || dc->n == DEBUGCON_BUF)
		debugcon_drain(dc);
	pthread_mutex_unlock(&dc->lock);
}

void debugcon_flush(struct debugcon *dc)
{
	pthread_mutex_lock(&dc->lock);
	debugcon_drain(dc);
	pthread_mutex_unlock(&dc->lock);
}

/* --- machine glue -------------------------------------------------------- */

static uint64_t debugcon_pio_read(void *opaque, uint64_t off, unsigned int size)
{
	(void)off;
	(void)size;
	return debugcon_read(opaque);
}

static void debugcon_pio_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	(void)off;
	(void)size;
	debugcon_write(opaque, (uint8_t)val);
}

static const struct trap_ops debugcon_ops = {
	.read = debugcon_pio_read,
	.write = debugcon_pio_write,
};

static void debugcon_dev_teardown(void *dev)
{
	debugcon_destroy(dev);
}

/* A pause (snapshot, migration) leaves no half line behind. */
static void debugcon_dev_pause(void *dev)
{
	debugcon_flush(dev);
}

static const struct device_desc debugcon_desc;

static int debugcon_setup(struct machine *m)
{
	const char *path = machine_config(m)->debugcon;
	struct debugcon *dc;
	int fd, rc;

	if (!path)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return -errno;
	dc = debugcon_create(fd);
	if (!dc)
		return -ENOMEM;
	rc = trap_register(machine_traps(m), TRAP_PIO, DEBUGCON_PORT, 1, &debugcon_ops, dc);
	if (rc < 0) {
		debugcon_destroy(dc);
		return rc;
	}
	rc = machine_attach(m, &debugcon_desc, dc);
	if (rc < 0) {
		trap_unregister(machine_traps(m), TRAP_PIO, DEBUGCON_PORT);
		debugcon_destroy(dc);
		return rc;
	}
	return 0;
}

/* No state worth saving: what was written is in the file. */
static const struct device_desc debugcon_desc = {
	.name = "debugcon",
	.order = DEVICE_ORDER_CORE,
	.setup = debugcon_setup,
	.teardown = debugcon_dev_teardown,
	.pause = debugcon_dev_pause,
};
DEVICE_DEFINE(debugcon_desc);
