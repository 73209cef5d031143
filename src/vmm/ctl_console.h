/*
 * ctl_console.h - the serial console as the control socket serves it: a
 * ring buffer of the guest's recent serial output, and raw console
 * connections (ttyvm-control(7): serial-read, console).
 *
 * The guest's output comes in through ctl_console_output() from any
 * thread (the chardev tap, on vCPU threads); everything else runs on the
 * event-loop thread.  Output positions count every byte the guest has
 * written since the VM process started (resets included), so a reader
 * can ask for "from byte N on" and learn what it missed.
 */
#ifndef TTYVM_CTL_CONSOLE_H
#define TTYVM_CTL_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;
struct chardev;
struct ctl_console;

#define CTL_CONSOLE_RING        (64 * 1024) /* serial output kept, bytes */
#define CTL_CONSOLE_MAX_CLIENTS 16          /* console connections at once */

/* Where console input goes: deliver takes what it can now and returns
 * how many bytes it took (chardev_input()). */
struct ctl_console_input {
	size_t (*deliver)(void *opaque, const uint8_t *buf, size_t len);
	void *opaque;
};

/* A hub on loop el, fed by hand (tests) or by a chardev (below). */
int ctl_console_create(struct ctl_console **out, struct evloop *el);
/* Closes every console connection.  NULL is fine. */
void ctl_console_destroy(struct ctl_console *cc);

/*
 * Connects the hub to serial port cd: its output is tapped into the
 * ring, console input goes to its frontend.  Before the vCPUs run.
 */
void ctl_console_connect(struct ctl_console *cc, struct chardev *cd);
/* Or by hand: where input goes, and "it may go on" from any thread. */
void ctl_console_set_input(struct ctl_console *cc, const struct ctl_console_input *in);
void ctl_console_input_ready(struct ctl_console *cc);

/* Guest output: any thread, never blocks for long (a mutex, a memcpy). */
void ctl_console_output(struct ctl_console *cc, const uint8_t *buf, size_t len);

/*
 * Copies up to max bytes of output starting at position pos into buf.
 * *first is the position of the first byte copied: pos, or the oldest
 * byte still kept when pos is older (first - pos bytes are lost), or the
 * end when pos is past it; *end is the position after the newest byte.
 * Returns the number of bytes copied.
 */
size_t ctl_console_read(struct ctl_console *cc, uint64_t pos, uint8_t *buf, size_t max,
			uint64_t *first, uint64_t *end);

/* The position of the oldest byte kept, and the end. */
void ctl_console_range(struct ctl_console *cc, uint64_t *start, uint64_t *end);

/*
 * One writer at a time: claims the input for a connection about to be
 * attached (true), or false when another holds it.  Released by
 * ctl_console_attach() failing, or by ctl_console_release_writer().
 */
bool ctl_console_claim_writer(struct ctl_console *cc);
void ctl_console_release_writer(struct ctl_console *cc);
/* true while there is room for one more console connection. */
bool ctl_console_has_room(struct ctl_console *cc);

/*
 * Turns the connected socket fd (non-blocking) into a console: from
 * position from on the guest's output is sent to it as it comes (a reader
 * that falls more than CTL_CONSOLE_RING behind loses the oldest bytes,
 * the guest never waits), and, for the writer (claimed before), what it
 * sends goes to the guest, starting with early (bytes the client sent
 * right after its request).  A reader's input is read and dropped.  The
 * connection ends when the client closes it or the hub is destroyed.
 * Takes fd in every case (closes it on failure).  0, or -ENOSPC (too
 * many), -ENOMEM, -errno.
 */
int ctl_console_attach(struct ctl_console *cc, int fd, bool writer, uint64_t from,
		       const void *early, size_t early_len);

/* Console connections now (tests). */
unsigned int ctl_console_clients(struct ctl_console *cc);

#endif
