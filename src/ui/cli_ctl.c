/*
 * cli_ctl.c - the verbs that talk to a running VM over its control
 * socket: `ttyvm status|pause|resume|reset|powerdown|stop [--force] VM`.
 *
 * VM is a name (the socket is RUNTIME/NAME.sock, see paths.h) or the
 * path of a control socket (anything with a '/'), so a VM run by hand
 * with `ttyvm run --control PATH` is reachable too.  Each verb connects,
 * sends one request (ttyvm-control(7)), prints the outcome and returns
 * an exit status that scripts can rely on (CTL_EXIT_*, in every --help).
 * `stop` waits until the VM process has ended: for its control
 * connection to close and, for a VM started by `ttyvm start`, for the
 * lock on its pid file to go.
 *
 * The only file here that prints for the control socket; the protocol
 * is in ctl_proto.c and the socket work in ctl_client.c.
 */
#include "ui/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ui/cli_util.h"
#include "ui/ctl_client.h"
#include "ui/paths.h"
#include "ui/pidfile.h"
#include "ui/vmdef.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/util.h"

enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_ERROR = 1,       /* bad usage, or the VM answered an error */
	CTL_EXIT_NOT_RUNNING = 2, /* no control socket, or a stale one */
	CTL_EXIT_REFUSED = 3,     /* not in this state / not on this VM */
	CTL_EXIT_TIMEOUT = 4,     /* no answer, or no power-off, in time */
};

#define CTL_EXIT_TEXT \
	"Exit status: 0 done; 1 error; 2 the VM is not running; 3 refused in the\n" \
	"VM's current state (already paused, not paused, no ACPI power button);\n" \
	"4 timed out.\n"

#define CTL_VM_TEXT \
	"VM is a VM name or the path of a control socket (anything with a '/').\n"

#define CTL_DEFAULT_TIMEOUT 10 /* seconds */
#define CTL_STOP_TIMEOUT    60 /* seconds for a guest to power off */

enum ctl_verb_id { V_STATUS, V_PAUSE, V_RESUME, V_RESET, V_POWERDOWN, V_STOP };

struct ctl_verb {
	const char *name;
	const char *request;  /* the protocol command */
	const char *done;     /* printed after "VM: " on success */
	const char *text;     /* what the verb does, for --help */
};

static const struct ctl_verb ctl_verbs[] = {
	[V_STATUS] = { "status", "status", NULL,
		"Shows whether the VM is running or paused, its vCPUs, memory, uptime,\n"
		"resets and process id.  A VM that is not running shows as \"stopped\"\n"
		"(exit status 2).\n" },
	[V_PAUSE] = { "pause", "pause", "paused",
		"Stops every vCPU of the VM.  Memory, devices and connections stay as\n"
		"they are; resume continues where the VM stopped.\n" },
	[V_RESUME] = { "resume", "resume", "running",
		"Lets the vCPUs of a paused VM run again.\n" },
	[V_RESET] = { "reset", "reset", "reset",
		"Resets the VM as the reset button does: the guest restarts at once\n"
		"without shutting down.\n" },
	[V_POWERDOWN] = { "powerdown", "powerdown", "power button pressed",
		"Presses the VM's ACPI power button and returns; a guest that listens\n"
		"shuts down cleanly (ttyvm stop also waits for that).\n" },
	[V_STOP] = { "stop", NULL, NULL,
		"Shuts the VM down and waits until its process has ended.  Without\n"
		"--force it presses the ACPI power button (resuming a paused VM first)\n"
		"and waits for the guest to power off; with --force it pulls the plug\n"
		"at once: the guest gets no chance to save anything.\n" },
};

struct ctl_opts {
	bool json;
	bool force;
	int timeout_s;
	const char *vm;
};

static void ctl_usage(enum ctl_verb_id id, FILE *out)
{
	const struct ctl_verb *v = &ctl_verbs[id];

	fprintf(out, "usage: ttyvm %s%s [--json] [--timeout S] VM\n\n%s%s\n",
		v->name, id == V_STOP ? " [--force]" : "", v->text, CTL_VM_TEXT);
	if (id == V_STOP)
		fputs("  -f, --force      pull the plug instead of pressing the power button\n",
		      out);
	fputs("  -j, --json       print the result as one JSON object\n", out);
	if (id == V_STOP)
		fprintf(out, "  -t, --timeout S  give up after S seconds (default %d; %d with "
			     "--force)\n", CTL_STOP_TIMEOUT, CTL_DEFAULT_TIMEOUT);
	else
		fprintf(out, "  -t, --timeout S  give up after S seconds (default %d)\n",
			CTL_DEFAULT_TIMEOUT);
	fputs("  -h, --help       this help\n\n" CTL_EXIT_TEXT, out);
}

/* Returns 0, 1 on a usage error (reported), 2 for --help (printed). */
static int ctl_parse(enum ctl_verb_id id, int argc, char **argv, struct ctl_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = ctl_verbs[id].name;
	bool timeout_set = false;
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jft:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'f':
			if (id != V_STOP) {
				log_error("%s: --force is an option of stop only", name);
				return 1;
			}
			o->force = true;
			break;
		case 't':
			if (parse_uint(optarg, 1, 86400, &v)) {
				log_error("%s: --timeout %s: expected seconds from 1 to 86400",
					  name, optarg);
				return 1;
			}
			o->timeout_s = (int)v;
			timeout_set = true;
			break;
		case 'h':
			ctl_usage(id, stdout);
			return 2;
		case ':':
			log_error("%s: option %s needs a value", name, argv[optind - 1]);
			return 1;
		default:
			log_error("%s: unknown option %s (see ttyvm %s --help)", name,
				  argv[optind - 1], name);
			return 1;
		}
	}
	if (optind != argc - 1) {
		log_error(optind >= argc ? "%s: which VM? (ttyvm %s --help)"
					 : "%s: one VM at a time (ttyvm %s --help)", name, name);
		return 1;
	}
	o->vm = argv[optind];
	if (!timeout_set)
		o->timeout_s = id == V_STOP && !o->force ? CTL_STOP_TIMEOUT : CTL_DEFAULT_TIMEOUT;
	return 0;
}

static int64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ctl_left_ms(int64_t deadline)
{
	int64_t left = deadline - ctl_now_ms();
	return left > 0 ? (int)left : 0;
}

/* --- printing ----------------------------------------------------------------- */

static bool ctl_json_number(const char *s)
{
	size_t n = strspn(s, "0123456789");
	return n && n == strlen(s) && n < 19 && (s[0] != '0' || n == 1);
}

struct ctl_kv {
	const char *key, *value;
};

static void ctl_json_object(const struct ctl_kv *kv, size_t n)
{
	putchar('{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			putchar(',');
		json_string(stdout, kv[i].key);
		putchar(':');
		if (ctl_json_number(kv[i].value))
			fputs(kv[i].value, stdout);
		else
			json_string(stdout, kv[i].value);
	}
	puts("}");
}

static void ctl_json_reply(const struct ctl_reply *r)
{
	struct ctl_kv kv[CTL_FIELDS_MAX];

	for (unsigned int i = 0; i < r->nfields; i++)
		kv[i] = (struct ctl_kv){ r->fields[i].key, r->fields[i].value };
	ctl_json_object(kv, r->nfields);
}

/* A number from a reply, formatted by fmt; the text itself when it is no
 * number, "-" when missing. */
static void ctl_fmt_number(const char *text, void (*fmt)(uint64_t, char *, size_t),
			   char *buf, size_t len)
{
	uint64_t v;

	if (!text || parse_uint(text, 0, UINT64_MAX, &v))
		snprintf(buf, len, "%s", text ? text : "-");
	else
		fmt(v, buf, len);
}

static void ctl_row(const char *key, const char *value)
{
	printf("%-8s %s\n", key, value ? value : "-");
}

/* Fixed columns, "-" for what is unknown (r NULL: not running). */
static void ctl_print_status(const struct ctl_reply *r, const char *name, const char *sock)
{
	char mem[32], up[32];
	const char *get_name = r ? ctl_reply_get(r, "name") : NULL;

	ctl_fmt_number(r ? ctl_reply_get(r, "memory") : NULL, cli_fmt_size, mem, sizeof(mem));
	ctl_fmt_number(r ? ctl_reply_get(r, "uptime") : NULL, cli_fmt_uptime, up, sizeof(up));
	ctl_row("name", get_name ? get_name : name);
	ctl_row("state", r ? ctl_reply_get(r, "state") : "stopped");
	ctl_row("cpus", r ? ctl_reply_get(r, "cpus") : NULL);
	ctl_row("memory", mem);
	ctl_row("uptime", up);
	ctl_row("resets", r ? ctl_reply_get(r, "resets") : NULL);
	ctl_row("pid", r ? ctl_reply_get(r, "pid") : NULL);
	ctl_row("socket", sock);
}

static void ctl_json_status(const struct ctl_reply *r, const char *name, const char *sock)
{
	struct ctl_kv kv[CTL_FIELDS_MAX + 1];
	size_t n = 0;

	if (r) {
		for (unsigned int i = 0; i < r->nfields; i++)
			kv[n++] = (struct ctl_kv){ r->fields[i].key, r->fields[i].value };
	} else {
		if (name)
			kv[n++] = (struct ctl_kv){ "name", name };
		kv[n++] = (struct ctl_kv){ "state", "stopped" };
	}
	kv[n++] = (struct ctl_kv){ "socket", sock };
	ctl_json_object(kv, n);
}

/* --- doing it ------------------------------------------------------------------ */

/* After an error reply: the message, and the exit status it means. */
static int ctl_reply_failed(const char *verb, const char *vm, const struct ctl_reply *r)
{
	if (r->err == CTL_ERR_COUNT) /* a code from a newer VM process */
		log_error("%s %s: %s: %s", verb, vm, r->code, r->message);
	else
		log_error("%s %s: %s", verb, vm, r->message[0] ? r->message : r->code);
	if (r->err == CTL_ERR_STATE || r->err == CTL_ERR_NOT_SUPPORTED)
		return CTL_EXIT_REFUSED;
	return CTL_EXIT_ERROR;
}

/* A transport failure (connect or call): message and exit status. */
static int ctl_failed(const char *verb, const char *vm, int err)
{
	log_error("%s %s: %s", verb, vm, ctl_client_strerror(err));
	if (err == -ENOENT || err == -ECONNREFUSED)
		return CTL_EXIT_NOT_RUNNING;
	if (err == -ETIMEDOUT)
		return CTL_EXIT_TIMEOUT;
	return CTL_EXIT_ERROR;
}

/* Connecting failed; for a VM that is not there, say so the best way. */
static int ctl_not_reached(enum ctl_verb_id id, const struct ctl_opts *o, bool named,
			   const char *sock, int err)
{
	char def[4096];

	if (err != -ENOENT && err != -ECONNREFUSED)
		return ctl_failed(ctl_verbs[id].name, o->vm, err);
	if (named && paths_definition(o->vm, def, sizeof(def)) == 0 &&
	    access(def, F_OK) < 0 && errno == ENOENT) {
		log_error("%s: no VM named '%s' (no definition at %s)", ctl_verbs[id].name,
			  o->vm, def);
		return CTL_EXIT_ERROR;
	}
	if (id == V_STATUS) {
		if (o->json)
			ctl_json_status(NULL, named ? o->vm : NULL, sock);
		else
			ctl_print_status(NULL, named ? o->vm : NULL, sock);
		return CTL_EXIT_NOT_RUNNING;
	}
	return ctl_failed(ctl_verbs[id].name, o->vm, err);
}

/* For a VM started in the background: waits for its process to end. */
static int ctl_wait_process(const char *vm, bool named, int64_t deadline)
{
	char pidpath[4096];
	pid_t pid;

	if (!named || paths_runtime_file(vm, ".pid", pidpath, sizeof(pidpath)))
		return 0;
	while (pidfile_query(pidpath, &pid) == 1) {
		if (ctl_left_ms(deadline) == 0)
			return -ETIMEDOUT;
		usleep(20000);
	}
	return 0;
}

static int ctl_stop(const struct ctl_opts *o, struct ctl_client *c, bool named,
		    int64_t deadline)
{
	const char *req_stop[] = { "stop", NULL };
	const char *req_pd[] = { "powerdown", NULL };
	const char *req_status[] = { "status", NULL };
	const char *req_resume[] = { "resume", NULL };
	struct ctl_reply r;
	int e;

	if (o->force) {
		e = ctl_client_call(c, req_stop, &r, ctl_left_ms(deadline));
		if (e == 0 && !r.ok)
			return ctl_reply_failed("stop", o->vm, &r);
		if (e && e != -ECONNRESET) /* gone before it answered: fine */
			return ctl_failed("stop", o->vm, e);
	} else {
		e = ctl_client_call(c, req_status, &r, ctl_left_ms(deadline));
		const char *state = e == 0 && r.ok ? ctl_reply_get(&r, "state") : NULL;
		if (state && strcmp(state, "paused") == 0)
			e = ctl_client_call(c, req_resume, &r, ctl_left_ms(deadline));
		if (e == 0)
			e = ctl_client_call(c, req_pd, &r, ctl_left_ms(deadline));
		if (e)
			return ctl_failed("stop", o->vm, e);
		if (!r.ok) {
			int code = ctl_reply_failed("stop", o->vm, &r);
			if (r.err == CTL_ERR_NOT_SUPPORTED)
				log_info("ttyvm stop --force %s pulls the plug", o->vm);
			return code;
		}
	}
	e = ctl_client_wait_closed(c, ctl_left_ms(deadline));
	if (e == 0)
		e = ctl_wait_process(o->vm, named, deadline);
	if (e == -ETIMEDOUT) {
		if (o->force) {
			log_error("stop %s: the VM process did not end within %d s", o->vm,
				  o->timeout_s);
		} else {
			log_error("stop %s: the guest did not power off within %d s", o->vm,
				  o->timeout_s);
			log_info("it may ignore the power button; ttyvm stop --force %s pulls "
				 "the plug", o->vm);
		}
		return CTL_EXIT_TIMEOUT;
	}
	if (e)
		return ctl_failed("stop", o->vm, e);
	if (o->json)
		puts("{\"state\":\"stopped\"}");
	else
		printf("%s: %s\n", o->vm, o->force ? "stopped" : "powered off");
	return CTL_EXIT_OK;
}

static int ctl_verb_main(enum ctl_verb_id id, int argc, char **argv)
{
	const struct ctl_verb *v = &ctl_verbs[id];
	struct ctl_client *c;
	struct ctl_opts o;
	struct ctl_reply *r;
	char sock[4096];
	unsigned int version = 0;
	bool named;
	int e, code;

	e = ctl_parse(id, argc, argv, &o);
	if (e)
		return e == 2 ? CTL_EXIT_OK : CTL_EXIT_ERROR;
	if (cli_vm_socket(v->name, o.vm, sock, sizeof(sock), &named))
		return CTL_EXIT_ERROR;
	int64_t deadline = ctl_now_ms() + (int64_t)o.timeout_s * 1000;

	e = ctl_client_open(&c, sock, ctl_left_ms(deadline), &version);
	if (e == -EPROTONOSUPPORT) {
		log_error("%s %s: the VM speaks control protocol %u, this ttyvm %d (a VM "
			  "started by another ttyvm version?)", v->name, o.vm, version,
			  CTL_PROTO_VERSION);
		return CTL_EXIT_ERROR;
	}
	if (e)
		return ctl_not_reached(id, &o, named, sock, e);
	r = malloc(sizeof(*r));
	if (!r) {
		ctl_client_close(c);
		log_error("out of memory");
		return CTL_EXIT_ERROR;
	}
	if (id == V_STOP) {
		code = ctl_stop(&o, c, named, deadline);
		goto out;
	}
	const char *words[] = { v->request, NULL };
	e = ctl_client_call(c, words, r, ctl_left_ms(deadline));
	if (e) {
		code = ctl_failed(v->name, o.vm, e);
		goto out;
	}
	if (!r->ok) {
		code = ctl_reply_failed(v->name, o.vm, r);
		goto out;
	}
	code = CTL_EXIT_OK;
	if (id == V_STATUS && o.json)
		ctl_json_status(r, named ? o.vm : NULL, sock);
	else if (id == V_STATUS)
		ctl_print_status(r, named ? o.vm : NULL, sock);
	else if (o.json)
		ctl_json_reply(r);
	else
		printf("%s: %s\n", o.vm, v->done);
out:
	free(r);
	ctl_client_close(c);
	return code;
}

#define CTL_VERB(fn, id)                                          \
	int cli_##fn(int argc, char **argv)                      \
	{                                                          \
		return ctl_verb_main(id, argc, argv);              \
	}                                                          \
	void cli_##fn##_usage(FILE *out)                         \
	{                                                          \
		ctl_usage(id, out);                                \
	}

CTL_VERB(status, V_STATUS)
CTL_VERB(pause, V_PAUSE)
CTL_VERB(resume, V_RESUME)
CTL_VERB(reset, V_RESET)
CTL_VERB(powerdown, V_POWERDOWN)
CTL_VERB(stop, V_STOP)
