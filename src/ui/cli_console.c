/*
 * cli_console.c - `ttyvm console VM` (the serial console on this
 * terminal, or piped) and `ttyvm expect VM TEXT` (wait until TEXT shows on
 * the serial console or the text screen), through the control socket's
 * console, serial-read and screen-text commands (ttyvm-control(7)).
 *
 * console: on a terminal, stdin goes raw (no echo, no line editing, no
 * signals from Ctrl-C: those keys belong to the guest) and Ctrl-] detaches
 * (virsh's and telnet's key); the terminal's settings come back on every
 * way out - detach, the VM ending, an error, SIGTERM/SIGHUP/SIGQUIT -
 * because the restore runs from exit paths, a signal handler and atexit.
 * Not on a terminal, stdin is passed on byte for byte (no escape); at its
 * end the sending side of the socket is closed and output goes on until
 * the VM ends, --timeout passes or the reader goes away.
 *
 * expect: one connection, polling.  serial-read pages forward from the
 * oldest byte kept (or, with --new, from the end when expect starts) and
 * TEXT is searched in what came, with the tail of the previous page kept
 * so a match across pages is found; --screen takes a screen-text snapshot
 * every 200 ms.  Exit 0 seen, 1 timed out, 2 the VM is not running or
 * ended first, 3 error.
 */
#include "ui/cli_manager.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ui/cli_util.h"
#include "ui/ctl_client.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/util.h"

enum {
	CON_EXIT_OK = 0,
	CON_EXIT_ERROR = 1,
	CON_EXIT_NOT_RUNNING = 2,
	CON_EXIT_REFUSED = 3,
};

enum {
	EXP_EXIT_SEEN = 0,
	EXP_EXIT_TIMEOUT = 1,
	EXP_EXIT_NOT_RUNNING = 2,
	EXP_EXIT_ERROR = 3,
};

#define EXPECT_DEFAULT_TIMEOUT 30   /* seconds */
#define EXPECT_POLL_MS 50           /* between serial-reads with nothing new */
#define EXPECT_SCREEN_MS 200        /* between screen snapshots */
#define CON_CONNECT_MS 5000

void cli_console_usage(FILE *out)
{
	fputs("usage: ttyvm console [--ro] [--replay] [--timeout S] VM\n"
	      "\n"
	      "Attaches this terminal to the serial console (COM1) of VM: what the guest\n"
	      "writes appears here, what you type goes to the guest.  Press Ctrl-] to\n"
	      "detach; the VM runs on.  One client at a time may type; others attach\n"
	      "with --ro to watch.  Not on a terminal, stdin is sent as it is (no escape)\n"
	      "and console ends when the VM does, or after --timeout.\n"
	      "VM is a VM name or the path of a control socket (anything with a '/').\n"
	      "\n"
	      "  -r, --ro         watch only; type nothing\n"
	      "  -R, --replay     first show the output the VM still holds (up to 64 KiB)\n"
	      "  -t, --timeout S  detach after S seconds\n"
	      "  -h, --help       this help\n"
	      "\n"
	      "Exit status: 0 detached, or the VM ended; 1 error; 2 the VM is not running;\n"
	      "3 refused: another client types on the console (try --ro).\n", out);
}

void cli_expect_usage(FILE *out)
{
	fprintf(out,
		"usage: ttyvm expect [--timeout S] [--screen] [--new] VM TEXT\n"
		"\n"
		"Waits until TEXT appears in the serial console output of VM (from the\n"
		"oldest output the VM still holds, up to 64 KiB, so output that came before\n"
		"expect started counts), or with --screen on its text screen, so that a\n"
		"script can wait for a prompt, a boot message or an installer's question.\n"
		"TEXT is matched byte for byte, anywhere (use $'...\\r\\n' in bash for line\n"
		"ends).  VM is a VM name or the path of a control socket.\n"
		"\n"
		"  -t, --timeout S  give up after S seconds (default %d; 0: wait forever)\n"
		"  -s, --screen     look at the VGA text screen instead of the serial port\n"
		"  -n, --new        only output that comes after expect starts\n"
		"  -h, --help       this help\n"
		"\n"
		"Exit status: 0 TEXT appeared; 1 timed out; 2 the VM is not running, or it\n"
		"ended first; 3 error (bad usage, no serial port or display).\n",
		EXPECT_DEFAULT_TIMEOUT);
}

static int console_parse(bool expect, int argc, char **argv, struct cli_console_opts *o)
{
	static const struct option opts[] = {
		{ "ro", no_argument, NULL, 'r' },
		{ "replay", no_argument, NULL, 'R' },
		{ "timeout", required_argument, NULL, 't' },
		{ "screen", no_argument, NULL, 's' },
		{ "new", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb = expect ? "expect" : "console";
	int nargs = expect ? 2 : 1;
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_s = expect ? EXPECT_DEFAULT_TIMEOUT : 0;
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, expect ? ":t:snh" : ":rRt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': case 'R':
			if (expect)
				goto unknown;
			if (c == 'r')
				o->ro = true;
			else
				o->replay = true;
			break;
		case 's': case 'n':
			if (!expect)
				goto unknown;
			if (c == 's')
				o->screen = true;
			else
				o->new_only = true;
			break;
		case 't':
			if (parse_uint(optarg, expect ? 0 : 1, 86400 * 365, &v)) {
				log_error("%s: --timeout %s: expected seconds from %d", verb, optarg,
					  expect ? 0 : 1);
				return 1;
			}
			o->timeout_s = (int)v;
			break;
		case 'h':
			(expect ? cli_expect_usage : cli_console_usage)(stdout);
			return 2;
		case ':':
			log_error("%s: option %s needs a value", verb, argv[optind - 1]);
			return 1;
		default:
		unknown:
			log_error("%s: unknown option %s (see ttyvm %s --help)", verb,
				  argv[optind - 1], verb);
			return 1;
		}
	}
	if (argc - optind != nargs) {
		log_error(expect ? "expect: expected VM TEXT (ttyvm expect --help)"
				 : "console: which VM? one (ttyvm console --help)");
		return 1;
	}
	o->vm = argv[optind];
	if (expect) {
		o->text = argv[optind + 1];
		if (!*o->text) {
			log_error("expect: TEXT is empty");
			return 1;
		}
		if (o->screen && o->new_only) {
			log_error("expect: --new is for serial output, not --screen");
			return 1;
		}
	}
	return 0;
}

int cli_console_parse(int argc, char **argv, struct cli_console_opts *o)
{
	return console_parse(false, argc, argv, o);
}

int cli_expect_parse(int argc, char **argv, struct cli_console_opts *o)
{
	return console_parse(true, argc, argv, o);
}

size_t cli_console_escape_at(const char *buf, size_t len)
{
	const char *e = memchr(buf, CLI_CONSOLE_ESCAPE, len);

	return e ? (size_t)(e - buf) : len;
}

/* --- connecting --------------------------------------------------------------------- */

static int64_t con_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Opens vm's control socket; on failure a message and the exit status
 * (not running: not_running, else error). */
static struct ctl_client *con_open(const char *verb, const char *vm, int not_running,
				   int error, int *code)
{
	struct ctl_client *c;
	char sock[4096];
	bool named;
	int r;

	*code = error;
	if (cli_vm_socket(verb, vm, sock, sizeof(sock), &named))
		return NULL;
	r = ctl_client_open(&c, sock, CON_CONNECT_MS, NULL);
	if (r) {
		log_error("%s %s: %s", verb, vm, ctl_client_strerror(r));
		if (r == -ENOENT || r == -ECONNREFUSED)
			*code = not_running;
		return NULL;
	}
	return c;
}

/* --- console ------------------------------------------------------------------------ */

/* The terminal as it was: restored from every way out (signal handler
 * and atexit included, hence a file-scope copy: the CLI edge). */
static struct termios con_saved;
static volatile sig_atomic_t con_raw;

static void con_restore(void)
{
	if (con_raw) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &con_saved);
		con_raw = 0;
	}
}

static void con_on_signal(int sig)
{
	con_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int con_make_raw(void)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &con_saved) < 0)
		return -errno;
	raw = con_saved;
	cfmakeraw(&raw);
	atexit(con_restore);
	signal(SIGTERM, con_on_signal);
	signal(SIGHUP, con_on_signal);
	signal(SIGQUIT, con_on_signal);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) < 0)
		return -errno;
	con_raw = 1;
	return 0;
}

static int con_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			poll(&p, 1, 1000);
			continue;
		}
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copies both ways until detach, end or time; returns the exit status. */
static int con_pump(const struct cli_console_opts *o, int fd, bool tty)
{
	int64_t deadline = o->timeout_s ? con_now_ms() + (int64_t)o->timeout_s * 1000 : 0;
	bool in_open = !o->ro || tty; /* a terminal is read for Ctrl-] even with --ro */
	char buf[16384];

	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = STDIN_FILENO, .events = POLLIN } };
		int wait = -1;

		if (deadline) {
			int64_t left = deadline - con_now_ms();
			if (left <= 0)
				return CON_EXIT_OK;
			wait = (int)MIN(left, 1000000);
		}
		int n = poll(p, in_open ? 2 : 1, wait);
		if (n < 0 && errno != EINTR) {
			log_error("console: poll: %s", strerror(errno));
			return CON_EXIT_ERROR;
		}
		if (n <= 0)
			continue;
		if (p[0].revents) {
			ssize_t r = read(fd, buf, sizeof(buf));
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				if (tty)
					fputs("\r\n", stderr);
				fprintf(stderr, "%s: the console closed (the VM ended)%s", o->vm,
					tty ? "\r\n" : "\n");
				return CON_EXIT_OK;
			}
			if (r > 0 && con_write_all(STDOUT_FILENO, buf, (size_t)r) < 0)
				return CON_EXIT_OK; /* the reader went away */
		}
		if (in_open && p[1].revents) {
			ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0) {
				in_open = false;
				shutdown(fd, SHUT_WR); /* no more input; output goes on */
				continue;
			}
			size_t len = (size_t)r, keep = tty ? cli_console_escape_at(buf, len) : len;
			if (!o->ro && keep && con_write_all(fd, buf, keep) < 0)
				return CON_EXIT_OK;
			if (keep < len)
				return CON_EXIT_OK; /* Ctrl-]: detached */
		}
	}
}

int cli_console(int argc, char **argv)
{
	struct cli_console_opts o;
	struct ctl_client *c;
	struct ctl_reply r;
	char early[CTL_REPLY_MAX];
	size_t nearly;
	int code, e;

	e = cli_console_parse(argc, argv, &o);
	if (e)
		return e == 2 ? CON_EXIT_OK : CON_EXIT_ERROR;
	c = con_open("console", o.vm, CON_EXIT_NOT_RUNNING, CON_EXIT_ERROR, &code);
	if (!c)
		return code;
	const char *words[] = { "console", o.ro ? "ro" : "rw", o.replay ? "0" : NULL, NULL };
	e = ctl_client_call(c, words, &r, CON_CONNECT_MS);
	if (e) {
		log_error("console %s: %s", o.vm, ctl_client_strerror(e));
		ctl_client_close(c);
		return e == -ECONNRESET ? CON_EXIT_NOT_RUNNING : CON_EXIT_ERROR;
	}
	if (!r.ok) {
		log_error("console %s: %s", o.vm, r.message[0] ? r.message : r.code);
		ctl_client_close(c);
		return r.err == CTL_ERR_STATE ? CON_EXIT_REFUSED : CON_EXIT_ERROR;
	}
	int fd = ctl_client_release(c, early, sizeof(early), &nearly);
	bool tty = isatty(STDIN_FILENO);
	if (tty) {
		fprintf(stderr, "Connected to the serial console of %s%s (Ctrl-] detaches)\n",
			o.vm, o.ro ? ", watching" : "");
		if (con_make_raw() < 0) {
			log_error("console: the terminal: %s", strerror(errno));
			close(fd);
			return CON_EXIT_ERROR;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	/* output that came in the same read as the "ok" first */
	if (nearly == 0 || con_write_all(STDOUT_FILENO, early, nearly) == 0)
		code = con_pump(&o, fd, tty);
	else
		code = CON_EXIT_OK; /* the reader went away */
	con_restore();
	if (tty)
		fprintf(stderr, "\nDetached from %s\n", o.vm);
	close(fd);
	return code;
}

/* --- expect ---------------------------------------------------------------------------- */

/* The screen as text, paged in; NULL after a message (*code set). */
static char *exp_screen(struct ctl_client *c, const char *vm, struct ctl_reply *r, int *code)
{
	char *text = NULL, off[32];
	size_t len = 0;
	uint64_t size = 0, next;

	for (bool first = true;; first = false) {
		snprintf(off, sizeof(off), "%zu", len);
		const char *words[] = { "screen-text", first ? NULL : off, NULL };
		int e = ctl_client_call(c, words, r, CON_CONNECT_MS);
		if (e || !r->ok) {
			*code = e == -ECONNRESET ? EXP_EXIT_NOT_RUNNING : EXP_EXIT_ERROR;
			if (e == -ECONNRESET)
				log_error("expect %s: the VM ended", vm);
			else
				log_error("expect %s: %s", vm, e ? ctl_client_strerror(e) : r->message);
			free(text);
			return NULL;
		}
		const char *t = ctl_reply_get(r, "text"), *s = ctl_reply_get(r, "size"),
			   *nx = ctl_reply_get(r, "next");
		if (!t || !s || !nx || parse_uint(s, 0, 1 << 24, &size) ||
		    parse_uint(nx, 0, size, &next) || next < len) {
			log_error("expect %s: a screen-text reply without size, next or text", vm);
			*code = EXP_EXIT_ERROR;
			free(text);
			return NULL;
		}
		if (first && !(text = malloc(size + 1))) {
			*code = EXP_EXIT_ERROR;
			return NULL;
		}
		size_t tl = strlen(t);
		if (len + tl > size)
			tl = size - len;
		memcpy(text + len, t, tl);
		len += tl;
		text[len] = '\0';
		if (next >= size || tl == 0)
			return text;
	}
}

int cli_expect(int argc, char **argv)
{
	struct cli_console_opts o;
	struct ctl_client *c;
	struct ctl_reply *r;
	char *win = NULL;
	size_t tlen, keep, wlen = 0;
	uint64_t pos = 0;
	bool have_pos = false;
	int code, e;

	e = cli_expect_parse(argc, argv, &o);
	if (e)
		return e == 2 ? EXP_EXIT_SEEN : EXP_EXIT_ERROR;
	c = con_open("expect", o.vm, EXP_EXIT_NOT_RUNNING, EXP_EXIT_ERROR, &code);
	if (!c)
		return code;
	r = malloc(sizeof(*r));
	tlen = strlen(o.text);
	keep = tlen - 1;
	win = malloc(keep + CTL_DATA_MAX + 1);
	if (!r || !win) {
		log_error("out of memory");
		code = EXP_EXIT_ERROR;
		goto out;
	}
	int64_t deadline = o.timeout_s ? con_now_ms() + (int64_t)o.timeout_s * 1000 : 0;
	for (;;) {
		bool more = false;

		if (o.screen) {
			char *screen = exp_screen(c, o.vm, r, &code);
			if (!screen)
				goto out;
			bool seen = strstr(screen, o.text) != NULL;
			free(screen);
			if (seen) {
				code = EXP_EXIT_SEEN;
				goto out;
			}
		} else {
			char at[32];
			snprintf(at, sizeof(at), "%llu", (unsigned long long)pos);
			const char *words[] = { "serial-read", have_pos ? at : NULL, NULL };
			e = ctl_client_call(c, words, r, CON_CONNECT_MS);
			if (e || !r->ok) {
				if (e == -ECONNRESET) {
					log_error("expect %s: the VM ended before '%s' appeared", o.vm,
						  o.text);
					code = EXP_EXIT_NOT_RUNNING;
				} else {
					log_error("expect %s: %s", o.vm,
						  e ? ctl_client_strerror(e) : r->message);
					code = EXP_EXIT_ERROR;
				}
				goto out;
			}
			const char *d = ctl_reply_get(r, "data"), *nx = ctl_reply_get(r, "next"),
				   *en = ctl_reply_get(r, "end");
			uint64_t next, end;
			if (!d || !nx || !en || parse_uint(nx, 0, UINT64_MAX, &next) ||
			    parse_uint(en, 0, UINT64_MAX, &end)) {
				log_error("expect %s: a serial-read reply without data, next or end",
					  o.vm);
				code = EXP_EXIT_ERROR;
				goto out;
			}
			if (!have_pos && o.new_only) {
				next = end; /* what came before does not count */
				d = "";
			}
			size_t dl = MIN(strlen(d), (size_t)CTL_DATA_MAX);
			memcpy(win + wlen, d, dl);
			wlen += dl;
			win[wlen] = '\0';
			if (memmem(win, wlen, o.text, tlen)) {
				code = EXP_EXIT_SEEN;
				goto out;
			}
			/* keep the tail: the text may go on in the next page */
			if (wlen > keep) {
				memmove(win, win + wlen - keep, keep);
				wlen = keep;
			}
			pos = next;
			have_pos = true;
			more = next < end;
		}
		if (deadline && con_now_ms() >= deadline) {
			log_error("expect %s: '%s' did not appear within %d s", o.vm, o.text,
				  o.timeout_s);
			code = EXP_EXIT_TIMEOUT;
			goto out;
		}
		if (!more)
			usleep((o.screen ? EXPECT_SCREEN_MS : EXPECT_POLL_MS) * 1000);
	}
out:
	free(win);
	free(r);
	ctl_client_close(c);
	return code;
}
