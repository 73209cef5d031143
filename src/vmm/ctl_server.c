/*
 * ctl_server.c - the control socket of a VM process: a listening
 * AF_UNIX stream socket served on the event loop, speaking the line
 * protocol of ttyvm-control(7) (grammar in ui/ctl_proto.c).
 *
 * Threads: everything here runs on the event-loop thread - accepting,
 * reading, dispatching, writing, the stall timer - so there are no locks.
 * Requests act on the VM through struct ctl_machine_ops, which for a real
 * VM are machine_ctl.h's functions (they too expect the event-loop
 * thread).  A `stop` or `reset` only records the request and stops the
 * loop; the reply is already in the socket by then, and the server
 * survives resets (the loop runs again for the next boot).
 *
 * Trust: a client is a process of the same user (socket mode 0600 in a
 * private directory, and the peer's uid is checked), but still a
 * stranger's input: every client has a fixed input buffer of one request
 * line and a fixed output buffer.  A line longer than CTL_REQUEST_MAX
 * gets "error too-long" and the connection is closed; a client that does
 * not read its replies first stops being read, then is dropped after
 * CTL_SERVER_STALL_MS.  At most CTL_SERVER_MAX_CLIENTS are served; one
 * more is told "error busy".  So memory stays bounded whatever clients
 * do, and no client can block the loop (all sockets are non-blocking).
 *
 * Console: after `console` is answered, the connection leaves line mode:
 * once the "ok" is flushed the server forgets it and hands its descriptor
 * (and any bytes the client sent after the request) to the console hub
 * (ctl_console.c), which streams raw serial bytes from then on.
 * `serial-read` and `screen-text` page through data that may not fit one
 * reply line: positions in the serial output, offsets in a snapshot of
 * the screen taken per connection.
 *
 * The socket file: bound under a temporary name, chmod 0600, listening,
 * then renamed into place, so whoever finds the path finds a live
 * server.  An existing file is replaced only when it is a socket nobody
 * accepts on (left by a VM that crashed); it is removed at the end only
 * while it is still ours (same inode).
 */
#include "vmm/ctl_server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <config.h> /* autoconf's, for PACKAGE_VERSION (not vmm/config.h) */
#include "ui/ctl_proto.h"
#include "display/display_dev.h"
#include "util/log.h"
#include "util/util.h"
#include "util/parse.h"
#include "vmm/ctl_console.h"
#include "vmm/ctl_input.h"
#include "vmm/ctl_keys.h"
#include "vmm/dev/vga.h"
#include "vmm/evloop.h"
#include "vmm/machine.h"
#include "vmm/machine_ctl.h"

#define CTL_OUT_MAX   (4 * CTL_REPLY_MAX)
#define CTL_BACKLOG   8
#define CTL_RETRY_ACCEPT_MS 200 /* after EMFILE and friends */
#define CTL_READS_PER_WAKEUP 8  /* then the loop serves others first */

struct ctl_client {
	struct ctl_server *srv;
	int fd;
	uint32_t events;         /* what the loop watches now */
	bool closing;            /* answer nothing more; close once flushed */
	bool eof;                /* the client sent all it will: answer the
				  * complete lines left, then close */
	bool dead;               /* close now */
	bool handoff;            /* becomes a console once its reply is out */
	bool waiting;            /* its keys are being typed: the reply, and
				  * the next request, wait for them */
	uint64_t keys_events;    /* ... this many */
	bool handoff_writer;     /* ... holding the console's input */
	uint64_t handoff_pos;    /* ... from this output position */
	char *screen;            /* screen-text snapshot, NULL: none */
	size_t screen_len;
	uint64_t stalled_since;  /* ns; 0 while the client keeps up */
	size_t in_len;
	size_t out_off, out_len;
	char in[CTL_REQUEST_MAX];
	char out[CTL_OUT_MAX];
};

struct ctl_server {
	struct evloop *el;
	int fd;
	bool listening;          /* the listening fd is watched */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
	const struct vm_config *cfg;
	const struct ctl_machine_ops *ops;
	void *vm;
	uint64_t started_ns;
	uint64_t stall_ns;
	struct evloop_timer *timer;
	struct ctl_console *console;  /* NULL: no serial console */
	struct ctl_keys *keys;        /* NULL: no keyboard */
	bool own_console;
	struct ctl_client *clients[CTL_SERVER_MAX_CLIENTS];
};

static uint64_t ctl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* --- machine_ctl.h as ops ------------------------------------------------- */

static int ctl_m_pause(void *vm) { return machine_pause(vm); }
static int ctl_m_resume(void *vm) { return machine_resume(vm); }
static bool ctl_m_paused(void *vm) { return machine_state(vm) == MACHINE_PAUSED; }
static int ctl_m_powerdown(void *vm) { return machine_powerdown(vm); }
static void ctl_m_reset(void *vm) { machine_reset(vm); }
static void ctl_m_stop(void *vm) { machine_stop(vm); }
static unsigned int ctl_m_resets(void *vm) { return machine_resets(vm); }

static int ctl_m_screen_text(void *vm, char **text)
{
	struct vga *v = machine_find(vm, "vga");

	return v ? vga_screen_text(v, text) : -ENODEV;
}

static const char *ctl_m_vnc_address(void *vm)
{
	return display_vnc_address(machine_find(vm, "display"));
}

const struct ctl_machine_ops ctl_machine_ops = {
	.pause = ctl_m_pause,
	.resume = ctl_m_resume,
	.paused = ctl_m_paused,
	.powerdown = ctl_m_powerdown,
	.reset = ctl_m_reset,
	.stop = ctl_m_stop,
	.resets = ctl_m_resets,
	.screen_text = ctl_m_screen_text,
	.screenshot = ctl_input_machine_screenshot,
	.key = ctl_input_machine_key,
	.pointer = ctl_input_machine_pointer,
	.vnc_address = ctl_m_vnc_address,
};

/* --- what the requests do -------------------------------------------------- */

static void ctl_do_help(const struct ctl_request *rq, struct ctl_writer *w)
{
	char list[256] = "";

	if (rq->argc == 0) {
		for (int i = 0; i < CTL_CMD_COUNT; i++) {
			size_t n = strlen(list);
			snprintf(list + n, sizeof(list) - n, "%s%s", i ? "," : "",
				 ctl_cmd_info((enum ctl_cmd)i)->name);
		}
		ctl_write_word(w, "ok");
		ctl_write_field(w, "commands", list);
		return;
	}
	int cmd = ctl_cmd_lookup(rq->argv[0]);
	if (cmd < 0) {
		ctl_write_error(w, CTL_ERR_BAD_ARGUMENT, "no command '%.40s' (help lists them)",
				rq->argv[0]);
		return;
	}
	const struct ctl_cmd_info *ci = ctl_cmd_info((enum ctl_cmd)cmd);
	ctl_write_word(w, "ok");
	ctl_write_field(w, "command", ci->name);
	ctl_write_field(w, "args", ci->args);
	ctl_write_field(w, "summary", ci->summary);
}

static void ctl_do_status(struct ctl_server *s, struct ctl_writer *w)
{
	ctl_write_word(w, "ok");
	ctl_write_field(w, "state", s->ops->paused(s->vm) ? "paused" : "running");
	ctl_write_field(w, "name", s->cfg->name);
	ctl_write_field_u64(w, "cpus", s->cfg->cpus);
	ctl_write_field_u64(w, "memory", s->cfg->memory);
	ctl_write_field_u64(w, "uptime", (ctl_now_ns() - s->started_ns) / 1000000000ULL);
	ctl_write_field_u64(w, "resets", s->ops->resets(s->vm));
	ctl_write_field_u64(w, "pid", (uint64_t)getpid());
	struct timespec cpu;
	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0)
		ctl_write_field_u64(w, "cputime", (uint64_t)cpu.tv_sec * 1000000000ULL +
						      (uint64_t)cpu.tv_nsec);
	static const char *const modes[] = { NULL, "sdl", "vnc", "sdl,vnc" };
	if (s->cfg->display.mode > DISPLAY_NONE && s->cfg->display.mode <= DISPLAY_SDL_VNC)
		ctl_write_field(w, "display", modes[s->cfg->display.mode]);
	const char *vnc = s->ops->vnc_address ? s->ops->vnc_address(s->vm) : NULL;
	if (vnc)
		ctl_write_field(w, "vnc", vnc);
}

/* console [rw|ro] [POS] */
static void ctl_do_console(struct ctl_server *s, struct ctl_client *c,
			   const struct ctl_request *rq, struct ctl_writer *w)
{
	bool writer = true, mode_set = false, pos_set = false;
	uint64_t pos = 0, start, end;

	for (unsigned int i = 0; i < rq->argc; i++) {
		const char *a = rq->argv[i];
		if (!mode_set && (strcmp(a, "rw") == 0 || strcmp(a, "ro") == 0)) {
			writer = a[1] == 'w';
			mode_set = true;
		} else if (!pos_set && parse_uint(a, 0, UINT64_MAX, &pos) == 0) {
			pos_set = true;
		} else {
			ctl_write_error(w, CTL_ERR_BAD_ARGUMENT, "usage: console [rw|ro] [POS]");
			return;
		}
	}
	if (!s->console) {
		ctl_write_error(w, CTL_ERR_NOT_SUPPORTED, "this VM has no serial console");
		return;
	}
	if (!ctl_console_has_room(s->console)) {
		ctl_write_error(w, CTL_ERR_STATE, "too many console connections (at most %d)",
				CTL_CONSOLE_MAX_CLIENTS);
		return;
	}
	if (writer && !ctl_console_claim_writer(s->console)) {
		ctl_write_error(w, CTL_ERR_STATE, "another client has the console's input; "
				"console ro watches without typing");
		return;
	}
	ctl_console_range(s->console, &start, &end);
	pos = !pos_set ? end : pos < start ? start : pos > end ? end : pos;
	c->handoff = true;
	c->handoff_writer = writer;
	c->handoff_pos = pos;
	ctl_write_word(w, "ok");
	ctl_write_field(w, "mode", writer ? "rw" : "ro");
	ctl_write_field_u64(w, "pos", pos);
}

/* serial-read [POS]; NUL bytes are left out of data (a word cannot hold
 * them), so next - pos may exceed the length of data. */
static void ctl_do_serial_read(struct ctl_server *s, const struct ctl_request *rq,
			       struct ctl_writer *w)
{
	uint8_t buf[CTL_DATA_MAX + 1];
	uint64_t pos = 0, first, end;
	size_t n, skip = 0;

	if (rq->argc && parse_uint(rq->argv[0], 0, UINT64_MAX, &pos)) {
		ctl_write_error(w, CTL_ERR_BAD_ARGUMENT, "serial-read %.40s: expected a byte "
				"position", rq->argv[0]);
		return;
	}
	if (!s->console) {
		ctl_write_error(w, CTL_ERR_NOT_SUPPORTED, "this VM has no serial console");
		return;
	}
	n = ctl_console_read(s->console, pos, buf, CTL_DATA_MAX, &first, &end);
	while (skip < n && buf[skip] == 0)
		skip++;
	size_t len = skip < n ? strnlen((char *)buf + skip, n - skip) : 0;
	buf[skip + len] = '\0';
	ctl_write_word(w, "ok");
	ctl_write_field_u64(w, "pos", first);
	ctl_write_field_u64(w, "next", first + skip + len);
	ctl_write_field_u64(w, "end", end);
	ctl_write_field_u64(w, "lost", rq->argc && first > pos ? first - pos : 0);
	ctl_write_field(w, "data", (char *)buf + skip);
}

/* screen-text [OFFSET] */
static void ctl_do_screen_text(struct ctl_server *s, struct ctl_client *c,
			       const struct ctl_request *rq, struct ctl_writer *w)
{
	char chunk[CTL_DATA_MAX + 1];
	uint64_t off = 0;
	int r;

	if (rq->argc == 0) {
		free(c->screen);
		c->screen = NULL;
		if (!s->ops->screen_text) {
			ctl_write_error(w, CTL_ERR_NOT_SUPPORTED, "this VM has no display");
			return;
		}
		r = s->ops->screen_text(s->vm, &c->screen);
		if (r == -ENODEV) {
			ctl_write_error(w, CTL_ERR_NOT_SUPPORTED, "this VM has no display");
			return;
		}
		if (r) {
			c->screen = NULL;
			ctl_write_error(w, CTL_ERR_INTERNAL, "reading the screen: %s", strerror(-r));
			return;
		}
		c->screen_len = strlen(c->screen);
	} else if (parse_uint(rq->argv[0], 0, UINT64_MAX, &off)) {
		ctl_write_error(w, CTL_ERR_BAD_ARGUMENT, "screen-text %.40s: expected a byte "
				"offset", rq->argv[0]);
		return;
	} else if (!c->screen) {
		ctl_write_error(w, CTL_ERR_STATE, "no screen snapshot on this connection; "
				"screen-text without an offset takes one");
		return;
	} else if (off > c->screen_len) {
		ctl_write_error(w, CTL_ERR_BAD_ARGUMENT, "offset %llu is past the snapshot's "
				"%zu bytes", (unsigned long long)off, c->screen_len);
		return;
	}
	size_t n = MIN((size_t)(c->screen_len - off), (size_t)CTL_DATA_MAX);
	memcpy(chunk, c->screen + off, n);
	chunk[n] = '\0';
	ctl_write_word(w, "ok");
	ctl_write_field_u64(w, "size", c->screen_len);
	ctl_write_field_u64(w, "offset", off);
	ctl_write_field_u64(w, "next", off + n);
	ctl_write_field(w, "text", chunk);
}

/* --- sendkey, type ------------------------------------------------------------ */

static void ctl_client_pump(struct ctl_client *c);
static bool ctl_client_update(struct ctl_client *c);
static void ctl_client_queue(struct ctl_client *c, const char *data, size_t len);

/* The last key of c's request went out: its reply, then what it sent
 * since. */
static void ctl_keys_done(void *opaque)
{
	struct ctl_client *c = opaque;
	char reply[128];
	struct ctl_writer w;

	ctl_writer_init(&w, reply, sizeof(reply));
	ctl_write_word(&w, "ok");
	ctl_write_field_u64(&w, "events", c->keys_events);
	size_t n = ctl_writer_end(&w);
	ctl_client_queue(c, reply, n);
	c->waiting = false;
	ctl_client_pump(c);
	ctl_client_update(c);
}

/* Whether keys may go now; an error written when not. */
static bool ctl_keys_allowed(struct ctl_server *s, struct ctl_writer *w)
{
	if (!s->keys) {
		ctl_write_error(w, CTL_ERR_NOT_SUPPORTED, "this VM has no keyboard");
		return false;
	}
	if (s->ops->paused(s->vm)) {
		/* a parked guest reads no keys: they would pile up and be lost */
		ctl_write_error(w, CTL_ERR_STATE, "the VM is paused; resume it first");
		return false;
	}
	return true;
}

/* Queues n events for c; true when its reply is to wait for them. */
static bool ctl_keys_start(struct ctl_server *s, struct ctl_client *c, unsigned int hold_ms,
			   const struct ctl_key_event *ev, size_t n, struct ctl_writer *w)
{
	int r = ctl_keys_play(s->keys, ev, n, CTL_KEYS_DELAY_MS, hold_ms,
			      ctl_keys_done, c);

	if (r == -ENOSPC) {
		ctl_write_error(w, CTL_ERR_STATE, "too many keys queued already (at most %d "
				"events); try again when they are typed", CTL_KEYS_QUEUE_MAX);
		return false;
	}
	if (r) {
		ctl_write_error(w, CTL_ERR_INTERNAL, "queueing keys: %s", strerror(-r));
		return false;
	}
	c->waiting = true;
	c->keys_events = n;
	return true;
}

/* sendkey COMBO... and type TEXT: checked whole before any key goes. */
static bool ctl_do_keys(struct ctl_server *s, struct ctl_client *c,
			const struct ctl_request *rq, struct ctl_writer *w)
{
	struct ctl_key_event *ev;
	size_t n;
	bool later;

	if (!ctl_keys_allowed(s, w))
		return false;
	if (!(rq->cmd == CTL_CMD_SENDKEY ? ctl_input_sendkey_events(rq, &ev, &n, w)
					 : ctl_input_type_events(rq, &ev, &n, w)))
		return false;
	/* a combination is held; typed characters are not (a typist's pace) */
	later = ctl_keys_start(s, c, rq->cmd == CTL_CMD_SENDKEY ? CTL_KEYS_HOLD_MS
								: CTL_KEYS_DELAY_MS, ev, n, w);
	free(ev);
	return later;
}

enum ctl_next {
	CTL_NEXT_REPLY,  /* the reply is in the writer */
	CTL_NEXT_CLOSE,  /* ... and the connection closes after it */
	CTL_NEXT_LATER,  /* no reply yet: it comes when the work is done */
};

/* Carries out one request; says what happens next. */
static enum ctl_next ctl_dispatch(struct ctl_server *s, struct ctl_client *c,
				  const struct ctl_request *rq, struct ctl_writer *w)
{
	int r;

	switch (rq->cmd) {
	case CTL_CMD_VERSION:
		ctl_write_word(w, "ok");
		ctl_write_field_u64(w, "protocol", CTL_PROTO_VERSION);
		ctl_write_field(w, "ttyvm", PACKAGE_VERSION);
		break;
	case CTL_CMD_STATUS:
		ctl_do_status(s, w);
		break;
	case CTL_CMD_PAUSE:
		r = s->ops->pause(s->vm);
		if (r == -EALREADY)
			ctl_write_error(w, CTL_ERR_STATE, "the VM is already paused");
		else if (r)
			ctl_write_error(w, CTL_ERR_INTERNAL, "pausing: %s", strerror(-r));
		else {
			ctl_write_word(w, "ok");
			ctl_write_field(w, "state", "paused");
		}
		break;
	case CTL_CMD_RESUME:
		r = s->ops->resume(s->vm);
		if (r == -EALREADY)
			ctl_write_error(w, CTL_ERR_STATE, "the VM is not paused");
		else if (r)
			ctl_write_error(w, CTL_ERR_INTERNAL, "resuming: %s", strerror(-r));
		else {
			ctl_write_word(w, "ok");
			ctl_write_field(w, "state", "running");
		}
		break;
	case CTL_CMD_POWERDOWN:
		r = s->cfg->acpi ? s->ops->powerdown(s->vm) : -ENODEV;
		if (r == -ENODEV)
			ctl_write_error(w, CTL_ERR_NOT_SUPPORTED,
					"this VM has no ACPI power button (it runs without ACPI); "
					"stop pulls the plug");
		else if (r)
			ctl_write_error(w, CTL_ERR_INTERNAL, "powerdown: %s", strerror(-r));
		else
			ctl_write_word(w, "ok");
		break;
	case CTL_CMD_RESET:
		s->ops->reset(s->vm);
		ctl_write_word(w, "ok");
		break;
	case CTL_CMD_STOP:
		/* the connection stays open until the VM is gone: a client
		 * waits for end-of-file to know the process has finished */
		s->ops->stop(s->vm);
		ctl_write_word(w, "ok");
		break;
	case CTL_CMD_QUIT:
		ctl_write_word(w, "ok");
		return CTL_NEXT_CLOSE;
	case CTL_CMD_HELP:
		ctl_do_help(rq, w);
		break;
	case CTL_CMD_CONSOLE:
		ctl_do_console(s, c, rq, w);
		break;
	case CTL_CMD_SERIAL_READ:
		ctl_do_serial_read(s, rq, w);
		break;
	case CTL_CMD_SCREEN_TEXT:
		ctl_do_screen_text(s, c, rq, w);
		break;
	case CTL_CMD_SCREENSHOT:
		ctl_input_screenshot(s->ops, s->vm, rq, w);
		break;
	case CTL_CMD_SENDKEY:
	case CTL_CMD_TYPE:
		return ctl_do_keys(s, c, rq, w) ? CTL_NEXT_LATER : CTL_NEXT_REPLY;
	case CTL_CMD_POINTER:
		ctl_input_pointer(s->ops, s->vm, rq, w);
		break;
	default:
		ctl_write_error(w, CTL_ERR_INTERNAL, "command not implemented");
		break;
	}
	return CTL_NEXT_REPLY;
}

/* --- clients ---------------------------------------------------------------- */

/* Forgets c; its descriptor is closed unless keep_fd. */
static void ctl_client_drop(struct ctl_client *c, bool keep_fd)
{
	struct ctl_server *s = c->srv;

	for (unsigned int i = 0; i < CTL_SERVER_MAX_CLIENTS; i++)
		if (s->clients[i] == c)
			s->clients[i] = NULL;
	evloop_del_fd(s->el, c->fd);
	if (!keep_fd) {
		close(c->fd);
		if (c->handoff && c->handoff_writer)
			ctl_console_release_writer(s->console);
	}
	if (c->waiting)
		ctl_keys_forget(s->keys, c); /* its keys still go: none stays down */
	free(c->screen);
	free(c);
}

static void ctl_client_free(struct ctl_client *c)
{
	ctl_client_drop(c, false);
}

/* The reply to `console` is out: the connection is the hub's now, with
 * whatever the client sent after its request. */
static void ctl_client_handoff(struct ctl_client *c)
{
	struct ctl_console *cc = c->srv->console;
	int fd = c->fd, r;
	bool writer = c->handoff_writer;
	uint64_t pos = c->handoff_pos;
	char early[CTL_REQUEST_MAX];
	size_t n = c->in_len;

	memcpy(early, c->in, n);
	ctl_client_drop(c, true);
	r = ctl_console_attach(cc, fd, writer, pos, early, n);
	if (r)
		log_debug("control: console connection failed: %s", strerror(-r));
}

static void ctl_arm_stall_timer(struct ctl_server *s);

static void ctl_client_queue(struct ctl_client *c, const char *data, size_t len)
{
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (len > sizeof(c->out) - c->out_len) {
		c->dead = true; /* cannot happen: callers check the room first */
		return;
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
}

static void ctl_client_flush(struct ctl_client *c)
{
	while (c->out_off < c->out_len && !c->dead) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
			c->stalled_since = 0;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->stalled_since) {
				c->stalled_since = ctl_now_ns();
				ctl_arm_stall_timer(c->srv);
			}
			return;
		} else {
			c->dead = true; /* EPIPE, ECONNRESET: the client is gone */
		}
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		c->stalled_since = 0;
	}
}

static bool ctl_client_has_room(const struct ctl_client *c)
{
	return sizeof(c->out) - (c->out_len - c->out_off) >= CTL_REPLY_MAX;
}

/* Answers every complete line in the input buffer while there is room
 * for the reply. */
static void ctl_client_process(struct ctl_client *c)
{
	struct ctl_request rq;
	char reply[CTL_REPLY_MAX];
	struct ctl_writer w;

	while (!c->closing && !c->dead && !c->handoff && !c->waiting &&
	       ctl_client_has_room(c)) {
		char *lf = memchr(c->in, '\n', c->in_len);
		if (!lf) {
			if (c->in_len == sizeof(c->in)) {
				ctl_writer_init(&w, reply, sizeof(reply));
				ctl_write_error(&w, CTL_ERR_TOO_LONG,
						"request longer than %d bytes; closing",
						CTL_REQUEST_MAX - 1);
				size_t n = ctl_writer_end(&w);
				ctl_client_queue(c, reply, n);
				c->closing = true;
				log_debug("control: dropped a client that sent an over-long line");
			}
			break;
		}
		size_t linelen = (size_t)(lf - c->in);
		struct ctl_parse_error perr;
		ctl_writer_init(&w, reply, sizeof(reply));
		int r = ctl_request_parse(c->in, linelen, &rq, &perr);
		enum ctl_next next = CTL_NEXT_REPLY;
		if (r == 0) {
			next = ctl_dispatch(c->srv, c, &rq, &w);
			if (next == CTL_NEXT_CLOSE)
				c->closing = true;
		} else if (r < 0) {
			ctl_write_error(&w, perr.code, "%s", perr.message);
		}
		if (r != CTL_PARSE_EMPTY && next != CTL_NEXT_LATER) {
			size_t n = ctl_writer_end(&w);
			ctl_client_queue(c, reply, n);
		}
		c->in_len -= linelen + 1;
		memmove(c->in, lf + 1, c->in_len);
	}
}

/*
 * Answers and sends until the input holds no complete line or the
 * output is stuck (then EPOLLOUT brings us back).  Lines may wait in the
 * input while the output is full, and the client may have nothing more
 * to send, so this must not stop while it can make progress.
 */
static void ctl_client_pump(struct ctl_client *c)
{
	do {
		ctl_client_process(c);
		ctl_client_flush(c);
	} while (!c->dead && !c->closing && !c->handoff && !c->waiting &&
		 c->out_off == c->out_len && memchr(c->in, '\n', c->in_len));
}

/* Watches what the client's state calls for; closes it when it is done.
 * Returns false when c was freed. */
static bool ctl_client_update(struct ctl_client *c)
{
	bool pending = c->out_off < c->out_len;
	/* a client waiting for its keys stays, even after its end-of-file
	 * (socat sends the request and closes its side) */
	bool done = !c->waiting &&
		    (c->closing || (c->eof && !memchr(c->in, '\n', c->in_len)));
	uint32_t ev = 0;

	if (c->handoff && !c->dead && !pending) {
		ctl_client_handoff(c);
		return false;
	}
	if (c->dead || (done && !pending)) {
		ctl_client_free(c);
		return false;
	}
	/* stop reading while the reply to the next line would not fit, and
	 * after a line that closes the connection */
	/* a waiting client is still read (its next lines wait in c->in)
	 * until its input buffer is full */
	if (!c->closing && !c->eof && !c->handoff && ctl_client_has_room(c) &&
	    c->in_len < sizeof(c->in))
		ev |= EPOLLIN;
	if (pending)
		ev |= EPOLLOUT;
	if (ev != c->events) {
		if (evloop_mod_fd(c->srv->el, c->fd, ev) < 0) {
			ctl_client_free(c);
			return false;
		}
		c->events = ev;
	}
	return true;
}

static void ctl_client_ready(void *opaque, uint32_t revents)
{
	struct ctl_client *c = opaque;

	if (revents & EPOLLOUT) {
		ctl_client_flush(c);
		ctl_client_pump(c); /* lines held back while the output was full */
	}
	/* gone both ways while its keys are typed: nobody to answer (epoll
	 * reports this whatever we watch, so it must not wait) */
	if ((revents & (EPOLLHUP | EPOLLERR)) && c->waiting)
		c->dead = true;
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		/* level-triggered: what is left is read on the next round */
		for (int reads = 0; reads < CTL_READS_PER_WAKEUP && !c->closing && !c->eof &&
				    !c->dead && !c->handoff && c->in_len < sizeof(c->in); reads++) {
			ssize_t n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
			if (n > 0) {
				c->in_len += (size_t)n;
				ctl_client_pump(c);
				if (!ctl_client_has_room(c))
					break;
			} else if (n == 0) {
				c->eof = true; /* an unterminated last line is no request */
			} else if (errno == EINTR) {
				continue;
			} else {
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					c->dead = true;
				break;
			}
		}
		ctl_client_pump(c);
	}
	ctl_client_update(c);
}

/* The peer runs as our user (or root): anyone else gets nothing. */
static bool ctl_peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == geteuid() || cred.uid == 0;
}

static void ctl_refuse_busy(int fd)
{
	char buf[128];
	struct ctl_writer w;

	ctl_writer_init(&w, buf, sizeof(buf));
	ctl_write_error(&w, CTL_ERR_BUSY, "too many control connections (at most %d)",
			CTL_SERVER_MAX_CLIENTS);
	size_t n = ctl_writer_end(&w);
	ssize_t r = send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)r; /* best effort */
}

static void ctl_accept_one(struct ctl_server *s, int fd)
{
	char greeting[64];
	int slot = -1;

	if (!ctl_peer_allowed(fd)) {
		close(fd);
		return;
	}
	for (int i = 0; i < CTL_SERVER_MAX_CLIENTS && slot < 0; i++)
		if (!s->clients[i])
			slot = i;
	if (slot < 0) {
		log_debug("control: refused a client: %d already connected",
			  CTL_SERVER_MAX_CLIENTS);
		ctl_refuse_busy(fd);
		close(fd);
		return;
	}
	struct ctl_client *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->events = EPOLLIN;
	if (evloop_add_fd(s->el, fd, c->events, ctl_client_ready, c) < 0) {
		close(fd);
		free(c);
		return;
	}
	s->clients[slot] = c;
	size_t n = ctl_greeting_format(greeting, sizeof(greeting));
	ctl_client_queue(c, greeting, n);
	ctl_client_flush(c);
	ctl_client_update(c);
}

static void ctl_listen_ready(void *opaque, uint32_t revents)
{
	struct ctl_server *s = opaque;
	(void)revents;

	for (;;) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			ctl_accept_one(s, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* out of descriptors: stop listening for a moment rather
			 * than spin on a socket that stays readable */
			if (evloop_mod_fd(s->el, s->fd, 0) == 0) {
				s->listening = false;
				evloop_timer_arm(s->timer, CTL_RETRY_ACCEPT_MS * 1000000ULL, 0);
			}
		}
		return;
	}
}

/* Drops stalled clients; re-arms for the next deadline; listens again
 * after a pause for lack of descriptors. */
static void ctl_timer_fired(void *opaque)
{
	struct ctl_server *s = opaque;
	uint64_t now = ctl_now_ns();

	if (!s->listening && evloop_mod_fd(s->el, s->fd, EPOLLIN) == 0)
		s->listening = true;
	for (unsigned int i = 0; i < CTL_SERVER_MAX_CLIENTS; i++) {
		struct ctl_client *c = s->clients[i];
		if (c && c->stalled_since && now - c->stalled_since >= s->stall_ns) {
			log_debug("control: dropped a client that does not read its replies");
			ctl_client_free(c);
		}
	}
	ctl_arm_stall_timer(s);
}

static void ctl_arm_stall_timer(struct ctl_server *s)
{
	uint64_t now = ctl_now_ns(), next = 0;

	if (!s->listening)
		return; /* armed for the accept retry; it will look again */
	for (unsigned int i = 0; i < CTL_SERVER_MAX_CLIENTS; i++) {
		struct ctl_client *c = s->clients[i];
		if (!c || !c->stalled_since)
			continue;
		uint64_t due = c->stalled_since + s->stall_ns;
		uint64_t delay = due > now ? due - now : 1;
		if (!next || delay < next)
			next = delay;
	}
	/* next == 0 disarms */
	evloop_timer_arm(s->timer, next, 0);
}

/* --- the socket file --------------------------------------------------------- */

__attribute__((format(printf, 4, 5)))
static int ctl_fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

/*
 * What is at path now: 0 when nothing or a stale socket (to be replaced),
 * else -errno with a message.
 */
static int ctl_check_existing(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return ctl_fail(err, errlen, -errno, "control socket %s: %s", path,
				strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return ctl_fail(err, errlen, -EEXIST,
				"control socket %s: the path exists and is not a socket; "
				"not replacing it", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ctl_fail(err, errlen, -errno, "control socket: %s", strerror(errno));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	close(fd);
	if (r == -ECONNREFUSED || r == -ENOENT)
		return 0; /* stale: left by a VM that did not exit cleanly */
	if (r == 0 || r == -EAGAIN || r == -EINPROGRESS)
		return ctl_fail(err, errlen, -EADDRINUSE,
				"control socket %s: another VM is serving it", path);
	return ctl_fail(err, errlen, r, "control socket %s: cannot check the existing "
			"socket: %s", path, strerror(-r));
}

static int ctl_listen(struct ctl_server *s, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[sizeof(sa.sun_path)];
	struct stat st;
	int r, n;

	n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return ctl_fail(err, errlen, -ENAMETOOLONG,
				"control socket %s: the path is too long for a socket "
				"(about %zu bytes at most)", path, sizeof(tmp) - 16);
	r = ctl_check_existing(path, err, errlen);
	if (r)
		return r;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return ctl_fail(err, errlen, -errno, "control socket: %s", strerror(errno));
	/* on Linux the socket file takes the socket inode's mode: 0600 from
	 * the start, whatever the umask */
	if (fchmod(s->fd, 0600) < 0)
		return ctl_fail(err, errlen, -errno, "control socket: %s", strerror(errno));
	/* a temporary name left by an earlier process with our pid */
	if (lstat(tmp, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(tmp);
	memcpy(sa.sun_path, tmp, (size_t)n + 1);
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return ctl_fail(err, errlen, -errno, "control socket %s: %s", tmp,
				strerror(errno));
	if (chmod(tmp, 0600) < 0 || listen(s->fd, CTL_BACKLOG) < 0 ||
	    rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		return ctl_fail(err, errlen, r, "control socket %s: %s", path, strerror(-r));
	}
	if (lstat(path, &st) < 0)
		return ctl_fail(err, errlen, -errno, "control socket %s: %s", path,
				strerror(errno));
	if (!S_ISSOCK(st.st_mode) || (st.st_mode & 0777) != 0600) {
		unlink(path);
		return ctl_fail(err, errlen, -EPERM, "control socket %s: could not make it "
				"private (mode 0600)", path);
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	memcpy(s->path, path, strlen(path) + 1);
	return 0;
}

int ctl_server_create(struct ctl_server **out, struct evloop *el, const char *path,
		      const struct vm_config *cfg, const struct ctl_machine_ops *ops,
		      void *vm, char *err, size_t errlen)
{
	struct ctl_server *s = calloc(1, sizeof(*s));
	int r;

	*out = NULL;
	if (!s)
		return ctl_fail(err, errlen, -ENOMEM, "control socket: out of memory");
	s->el = el;
	s->fd = -1;
	s->cfg = cfg;
	s->ops = ops;
	s->vm = vm;
	s->started_ns = ctl_now_ns();
	s->stall_ns = CTL_SERVER_STALL_MS * 1000000ULL;
	r = ctl_listen(s, path, err, errlen);
	if (r)
		goto fail;
	s->timer = evloop_timer_new(el, ctl_timer_fired, s);
	if (!s->timer) {
		r = ctl_fail(err, errlen, -ENOMEM, "control socket: no timer");
		goto fail;
	}
	if (ops->key) {
		r = ctl_keys_create(&s->keys, el, ops->key, vm);
		if (r) {
			ctl_fail(err, errlen, r, "control socket: the key player: %s",
				 strerror(-r));
			goto fail;
		}
	}
	r = evloop_add_fd(el, s->fd, EPOLLIN, ctl_listen_ready, s);
	if (r) {
		ctl_fail(err, errlen, r, "control socket: %s", strerror(-r));
		goto fail;
	}
	s->listening = true;
	*out = s;
	return 0;
fail:
	ctl_server_destroy(s);
	return r;
}

int ctl_server_create_machine(struct ctl_server **out, struct machine *m,
			      const char *path, char *err, size_t errlen)
{
	struct chardev *cd = machine_serial(m, 0);
	int r = ctl_server_create(out, machine_evloop(m), path, machine_config(m),
				  &ctl_machine_ops, m, err, errlen);

	if (r || !cd)
		return r;
	r = ctl_console_create(&(*out)->console, machine_evloop(m));
	if (r) {
		ctl_server_destroy(*out);
		*out = NULL;
		return ctl_fail(err, errlen, r, "control socket: the serial console: %s",
				strerror(-r));
	}
	(*out)->own_console = true;
	ctl_console_connect((*out)->console, cd);
	return 0;
}

void ctl_server_set_console(struct ctl_server *s, struct ctl_console *cc)
{
	if (s->own_console)
		ctl_console_destroy(s->console);
	s->console = cc;
	s->own_console = false;
}

void ctl_server_set_stall_ms(struct ctl_server *s, unsigned int ms)
{
	s->stall_ns = (uint64_t)ms * 1000000ULL;
}

void ctl_server_destroy(struct ctl_server *s)
{
	struct stat st;

	if (!s)
		return;
	for (unsigned int i = 0; i < CTL_SERVER_MAX_CLIENTS; i++)
		if (s->clients[i])
			ctl_client_free(s->clients[i]);
	if (s->own_console)
		ctl_console_destroy(s->console); /* console clients see the end */
	ctl_keys_destroy(s->keys);
	evloop_timer_free(s->timer);
	if (s->fd >= 0) {
		evloop_del_fd(s->el, s->fd);
		close(s->fd);
	}
	if (s->path[0] && lstat(s->path, &st) == 0 && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
	free(s);
}
