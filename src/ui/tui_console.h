/*
 * tui_console.h - where the TUI's console view gets a VM's serial stream
 * from (tui_console_src.c), apart from the terminal emulation that shows
 * it (tui_console.c).
 */
#ifndef TTYVM_TUI_CONSOLE_H
#define TTYVM_TUI_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tui_console_src;

/*
 * Opens VM name's serial stream.  0, or -errno with one line in err
 * (naming the VM and what failed).  Close with tui_console_src_close().
 */
int tui_console_src_open(struct tui_console_src **out, const char *name, char *err,
			 size_t errlen);
void tui_console_src_close(struct tui_console_src *s);

/*
 * Reads what has arrived without waiting: the number of bytes, -EAGAIN
 * when nothing is there now, or another -errno when the stream has ended
 * (tui_console_src_ended() says why in words).
 */
ssize_t tui_console_src_read(struct tui_console_src *s, char *buf, size_t len);

/* Sends bytes to the guest's serial port (dropped when not writable). */
void tui_console_src_write(struct tui_console_src *s, const char *buf, size_t len);

/* true when keys reach the guest. */
bool tui_console_src_writable(const struct tui_console_src *s);

/* A descriptor to poll for input, or -1 when the stream is to be read
 * again on a timer (a file that grows). */
int tui_console_src_fd(const struct tui_console_src *s);

/* "web1", or "web1 (its log)": for the status line. */
const char *tui_console_src_name(const struct tui_console_src *s);

/* Why the stream ended, for the status line ("the VM stopped"). */
const char *tui_console_src_ended(const struct tui_console_src *s, int err);

#endif
