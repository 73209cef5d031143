/*
 * ctl_server.h - the VM process's control socket (ttyvm-control(7)).
 *
 * A listening AF_UNIX socket at a path, mode 0600, served on the event
 * loop: it greets each client, answers one reply per request line and
 * carries requests out through struct ctl_machine_ops.  Everything runs on
 * the event-loop thread; create and destroy it there too (or before the
 * loop runs / after it returned).
 */
#ifndef TTYVM_CTL_SERVER_H
#define TTYVM_CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/config.h"

struct evloop;
struct machine;
struct ctl_server;

/*
 * What a client may do to the VM: the calls of machine_ctl.h behind
 * pointers, so the server runs in a unit test without /dev/kvm.
 */
struct ctl_machine_ops {
	int (*pause)(void *vm);        /* 0 or -EALREADY */
	int (*resume)(void *vm);       /* 0 or -EALREADY when not paused */
	bool (*paused)(void *vm);
	int (*powerdown)(void *vm);    /* 0 or -ENODEV */
	void (*reset)(void *vm);
	void (*stop)(void *vm);
	unsigned int (*resets)(void *vm);
	/* the text screen as UTF-8 (vga_screen_text()): 0 and a new string,
	 * or -ENODEV without a display; NULL: the VM has none */
	int (*screen_text)(void *vm, char **text);
	/* the screen as a PNG file at path (absolute), written atomically
	 * (vga_screenshot()); 0 with the picture's size, or -errno (-ENODEV
	 * without a display); NULL: the VM has none */
	int (*screenshot)(void *vm, const char *path, unsigned int *width,
			  unsigned int *height);
	/* a key (KEY_*) pressed or released, to the guest's keyboard (the
	 * input router); NULL: the VM has no keyboard */
	void (*key)(void *vm, unsigned int code, bool down);
	/* the pointer at pixel (x, y) of the screen with buttons (bit 0 left,
	 * 1 right, 2 middle) down; 0 and *absolute (a tablet took it), or
	 * -ENODEV without a pointer; NULL: none */
	int (*pointer)(void *vm, unsigned int x, unsigned int y, unsigned int buttons,
		       bool *absolute);
	/* "HOST:PORT" of the VM's VNC server, or NULL (none); NULL op: none */
	const char *(*vnc_address)(void *vm);
};

/* machine_ctl.h's functions, vm being a struct machine. */
extern const struct ctl_machine_ops ctl_machine_ops;

/* Most clients served at once; one more is told "error busy" and closed. */
#define CTL_SERVER_MAX_CLIENTS 16
/* A client whose replies have not been read for this long is dropped. */
#define CTL_SERVER_STALL_MS 10000

/*
 * Listens on path.  An existing file there is replaced only when it is a
 * stale socket (nobody accepts on it); a live socket gives -EADDRINUSE,
 * anything else -EEXIST.  The socket appears at path already listening
 * and with mode 0600 (bound under a temporary name, then renamed), so a
 * client never finds a socket that refuses it while the VM starts.  cfg
 * (name, cpus, memory, acpi) is read for status replies and must outlive
 * the server.  Returns 0 or -errno with one message in err.
 */
int ctl_server_create(struct ctl_server **out, struct evloop *el, const char *path,
		      const struct vm_config *cfg, const struct ctl_machine_ops *ops,
		      void *vm, char *err, size_t errlen);

/* The same for a machine: its event loop, its config, ctl_machine_ops,
 * and a console hub on its COM1. */
int ctl_server_create_machine(struct ctl_server **out, struct machine *m,
			      const char *path, char *err, size_t errlen);

/*
 * The serial console that `console` and `serial-read` serve (a
 * ctl_console.h hub on the same loop); without one they answer
 * not-supported.  ctl_server_create_machine() makes one on COM1 and owns
 * it; a hub set here stays the caller's.
 */
struct ctl_console;
void ctl_server_set_console(struct ctl_server *s, struct ctl_console *cc);

/* Closes every client and the listening socket and removes the socket
 * file (when it is still ours).  NULL is fine. */
void ctl_server_destroy(struct ctl_server *s);

/* For tests: how long a client may leave its replies unread. */
void ctl_server_set_stall_ms(struct ctl_server *s, unsigned int ms);

#endif
