/*
 * cli_input.c - the verbs that look at and type into a running VM's
 * screen, through its control socket (ttyvm-control(7)):
 * `ttyvm screenshot VM FILE.png`, `ttyvm sendkey VM KEYS...` and
 * `ttyvm type VM TEXT`.
 *
 * screenshot: the VM process writes the PNG itself (it runs as this user,
 * and a picture does not travel well over a line protocol), atomically
 * (temporary file in the same directory, then rename), so FILE is
 * either the old file or the whole new one.  FILE is made absolute here:
 * a VM started in the background works in another directory.
 *
 * sendkey/type: the VM presses and releases the keys at a pace firmware
 * keeps up with and answers once the last one went out, so when the verb
 * returns the guest has had every key.  Key names are checked by the VM
 * (the one key table lives there); `sendkey --list` asks it for them.
 */
#include "ui/cli_manager.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/cli_util.h"
#include "ui/ctl_client.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/util.h"

enum {
	IN_EXIT_OK = 0,
	IN_EXIT_ERROR = 1,       /* bad usage, or the VM answered an error */
	IN_EXIT_NOT_RUNNING = 2, /* no control socket, or a stale one */
	IN_EXIT_REFUSED = 3,     /* this VM has no display / keyboard */
	IN_EXIT_TIMEOUT = 4,     /* no answer in time */
};

#define IN_EXIT_TEXT \
	"Exit status: 0 done; 1 error (bad usage, an unknown key, a file that cannot\n" \
	"be written); 2 the VM is not running; 3 the VM has no display; 4 timed out.\n"

#define IN_VM_TEXT \
	"VM is a VM name or the path of a control socket (anything with a '/').\n"

#define IN_DEFAULT_TIMEOUT 30 /* seconds */

void cli_screenshot_usage(FILE *out)
{
	fprintf(out, "usage: ttyvm screenshot [--json] [--timeout S] VM FILE.png\n"
		"\n"
		"Writes what VM shows on its screen (text or graphics) to FILE as a PNG, at\n"
		"the guest's resolution.  FILE is replaced atomically: a reader sees the old\n"
		"file or the whole new one, never half a picture.\n"
		IN_VM_TEXT
		"\n"
		"  -j, --json       print path, width, height and bytes as one JSON object\n"
		"  -t, --timeout S  give up after S seconds (default %d)\n"
		"  -h, --help       this help\n\n" IN_EXIT_TEXT, IN_DEFAULT_TIMEOUT);
}

struct in_opts {
	bool json;
	bool list;
	int timeout_s;
	unsigned int delay_ms;   /* 0: the VM's default */
	int first;               /* argv index of VM */
};

/*
 * The options of verb; min_rest words must follow (VM and more).
 * Returns 0, 1 on a usage error (reported), 2 for --help (printed).
 */
static int in_parse(const char *verb, void (*usage)(FILE *), bool keys, int argc,
		    char **argv, struct in_opts *o, int min_rest, int max_rest)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "list", no_argument, NULL, 'l' },
		{ "delay", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_s = IN_DEFAULT_TIMEOUT;
	cli_getopt_reset();
	/* '+': TEXT and key names may start with '-' after VM */
	while ((c = getopt_long(argc, argv, "+:jld:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (keys) {
				log_error("%s: --json is an option of screenshot only", verb);
				return 1;
			}
			o->json = true;
			break;
		case 'l':
			if (strcmp(verb, "sendkey") != 0) {
				log_error("%s: --list is an option of sendkey only", verb);
				return 1;
			}
			o->list = true;
			break;
		case 'd':
			if (!keys || parse_uint(optarg, 1, 1000, &v)) {
				log_error(keys ? "%s: --delay %s: expected milliseconds from 1 to 1000"
					       : "%s: --delay is an option of sendkey and type",
					  verb, optarg);
				return 1;
			}
			o->delay_ms = (unsigned int)v;
			break;
		case 't':
			if (parse_uint(optarg, 1, 86400, &v)) {
				log_error("%s: --timeout %s: expected seconds from 1 to 86400",
					  verb, optarg);
				return 1;
			}
			o->timeout_s = (int)v;
			break;
		case 'h':
			usage(stdout);
			return 2;
		case ':':
			log_error("%s: option %s needs a value", verb, argv[optind - 1]);
			return 1;
		default:
			log_error("%s: unknown option %s (see ttyvm %s --help)", verb,
				  argv[optind - 1], verb);
			return 1;
		}
	}
	int rest = argc - optind;
	if (o->list)
		min_rest = max_rest = rest > 0 ? 1 : 0;
	if (rest < min_rest || (max_rest >= 0 && rest > max_rest)) {
		log_error(rest < min_rest ? "%s: missing arguments (ttyvm %s --help)"
					  : "%s: too many arguments (ttyvm %s --help)", verb, verb);
		return 1;
	}
	o->first = optind;
	return 0;
}

/* Opens vm's control socket; on failure a message and *code. */
static struct ctl_client *in_open(const char *verb, const char *vm, int timeout_ms,
				  int *code)
{
	struct ctl_client *c;
	char sock[4096];
	bool named;
	int r;

	*code = IN_EXIT_ERROR;
	if (cli_vm_socket(verb, vm, sock, sizeof(sock), &named))
		return NULL;
	r = ctl_client_open(&c, sock, timeout_ms, NULL);
	if (r) {
		log_error("%s %s: %s", verb, vm, ctl_client_strerror(r));
		if (r == -ENOENT || r == -ECONNREFUSED)
			*code = IN_EXIT_NOT_RUNNING;
		else if (r == -ETIMEDOUT)
			*code = IN_EXIT_TIMEOUT;
		return NULL;
	}
	return c;
}

/* One request; 0 with an ok reply in r, else the message and exit status. */
static int in_call(struct ctl_client *c, const char *verb, const char *vm,
		   const char *const *words, struct ctl_reply *r, int timeout_ms)
{
	int e = ctl_client_call(c, words, r, timeout_ms);

	if (e) {
		log_error("%s %s: %s", verb, vm, ctl_client_strerror(e));
		return e == -ETIMEDOUT ? IN_EXIT_TIMEOUT
		       : e == -ECONNRESET ? IN_EXIT_NOT_RUNNING : IN_EXIT_ERROR;
	}
	if (r->ok)
		return IN_EXIT_OK;
	if (r->err == CTL_ERR_COUNT)
		log_error("%s %s: %s: %s", verb, vm, r->code, r->message);
	else
		log_error("%s %s: %s", verb, vm, r->message[0] ? r->message : r->code);
	return r->err == CTL_ERR_NOT_SUPPORTED || r->err == CTL_ERR_STATE ? IN_EXIT_REFUSED
									 : IN_EXIT_ERROR;
}

/* --- screenshot ---------------------------------------------------------------- */

/* file made absolute against the working directory, in a new string. */
static char *in_absolute(const char *file)
{
	char *cwd, *out;

	if (file[0] == '/')
		return strdup(file);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	out = malloc(strlen(cwd) + strlen(file) + 2);
	if (out)
		sprintf(out, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", file);
	free(cwd);
	return out;
}

int cli_screenshot(int argc, char **argv)
{
	struct in_opts o;
	struct ctl_reply *r;
	struct ctl_client *c;
	int code;

	code = in_parse("screenshot", cli_screenshot_usage, false, argc, argv, &o, 2, 2);
	if (code)
		return code == 2 ? IN_EXIT_OK : IN_EXIT_ERROR;
	const char *vm = argv[o.first], *file = argv[o.first + 1];
	if (!file[0]) {
		log_error("screenshot: FILE is empty");
		return IN_EXIT_ERROR;
	}
	char *path = in_absolute(file);
	r = malloc(sizeof(*r));
	if (!path || !r) {
		log_error("screenshot %s: %s", file, strerror(errno ? errno : ENOMEM));
		free(path);
		free(r);
		return IN_EXIT_ERROR;
	}
	c = in_open("screenshot", vm, o.timeout_s * 1000, &code);
	if (c) {
		const char *words[] = { "screenshot", path, NULL };
		code = in_call(c, "screenshot", vm, words, r, o.timeout_s * 1000);
		ctl_client_close(c);
	}
	if (code == IN_EXIT_OK) {
		const char *w = ctl_reply_get(r, "width"), *h = ctl_reply_get(r, "height");
		const char *b = ctl_reply_get(r, "bytes");
		if (o.json) {
			struct json j;
			json_init(&j, stdout);
			json_begin(&j, '{');
			json_str(&j, "path", path);
			json_u64(&j, "width", w ? strtoull(w, NULL, 10) : 0);
			json_u64(&j, "height", h ? strtoull(h, NULL, 10) : 0);
			json_u64(&j, "bytes", b ? strtoull(b, NULL, 10) : 0);
			json_end(&j, '}');
		} else
			printf("%s: %sx%s screenshot in %s\n", vm, w ? w : "?", h ? h : "?", file);
	}
	free(path);
	free(r);
	return code;
}
