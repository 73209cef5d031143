/*
 * chardev.h - a byte stream between a guest device (a UART) and the host:
 * stdio, a file, a pseudo-terminal, or nothing.
 *
 * Output (guest to host) is chardev_write(), called on vCPU threads; it
 * never blocks the guest for long: a slow reader loses nothing, the write
 * waits, but a closed reader drops bytes.  Input (host to guest) is pushed
 * by the event loop into the frontend through the receive callbacks; the
 * backend reads only as much as the frontend says it can take
 * (can_receive), and the frontend calls chardev_accept_input() when it has
 * room again, so no unbounded queue builds up.
 */
#ifndef TTYVM_CHARDEV_H
#define TTYVM_CHARDEV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmm/config.h"

struct evloop;
struct chardev;

struct chardev_frontend {
	size_t (*can_receive)(void *opaque);
	void (*receive)(void *opaque, const uint8_t *buf, size_t len);
	void *opaque;
};

/*
 * Opens the backend described by cfg.  For SERIAL_STDIO on a terminal the
 * terminal goes into raw mode (restored by chardev_close) and Ctrl-A X
 * quits, Ctrl-A Ctrl-A sends a Ctrl-A (as in QEMU).  For SERIAL_PTY the
 * slave path is printed on stderr.  Returns 0 or -errno; *err_what names
 * the failed step for the caller's message.
 */
int chardev_open(struct chardev **out, const struct serial_config *cfg,
		 struct evloop *el, const char **err_what);
void chardev_close(struct chardev *c);

void chardev_set_frontend(struct chardev *c, const struct chardev_frontend *fe);
void chardev_write(struct chardev *c, const uint8_t *buf, size_t len);
void chardev_accept_input(struct chardev *c);

/* Set by the Ctrl-A X escape: the user asked to quit. */
void chardev_set_quit_cb(struct chardev *c, void (*fn)(void *), void *ctx);

/*
 * A second listener on the guest's output (the control socket's serial
 * log, vmm/ctl_console.h): fn gets every byte chardev_write() gets, on the
 * writing vCPU thread, whatever the backend (also SERIAL_NONE).  fn must
 * not block.  Set it before the vCPUs run.
 */
void chardev_set_tap(struct chardev *c, void (*fn)(void *ctx, const uint8_t *buf, size_t len),
		     void *ctx);

/*
 * Host input from elsewhere than the backend's descriptor (a console
 * connection): hands the frontend at most what it can take now and
 * returns how many bytes it took.  Event-loop thread.  When it took fewer
 * than len, wake (see chardev_set_input_wake) is called once the frontend
 * has room again.
 */
size_t chardev_input(struct chardev *c, const uint8_t *buf, size_t len);
/* fn runs (on any thread; it must not block) when input held back by
 * chardev_input() may go on. */
void chardev_set_input_wake(struct chardev *c, void (*fn)(void *ctx), void *ctx);

#endif
