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

#include "display/keymap.h"
#include "ui/cli_util.h"
#include "ui/ctl_client.h"
#include "vmm/ctl_keys.h"
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

void cli_sendkey_usage(FILE *out)
{
	fprintf(out, "usage: ttyvm sendkey [--timeout S] VM KEYS...\n"
		"       ttyvm sendkey --list\n"
		"\n"
		"Presses and releases keys on VM's keyboard, as QEMU's sendkey does: each\n"
		"argument is one key or a combination of keys joined by '-', pressed in\n"
		"order and released in reverse (ctrl-alt-delete, shift-tab, ret, f2, esc).\n"
		"Several arguments are sent one after another.  Returns once the guest has\n"
		"had every key (they go out %d ms apart, so firmware keeps up).\n"
		IN_VM_TEXT
		"\n"
		"  -l, --list       list the key names\n"
		"  -t, --timeout S  give up after S seconds beyond the typing time (default %d)\n"
		"  -h, --help       this help\n\n" IN_EXIT_TEXT, CTL_KEYS_DELAY_MS,
		IN_DEFAULT_TIMEOUT);
}

void cli_type_usage(FILE *out)
{
	fprintf(out, "usage: ttyvm type [--timeout S] VM TEXT\n"
		"\n"
		"Types TEXT on VM's keyboard as a US keyboard would, with Shift where a\n"
		"character needs it.  TEXT is ASCII; a newline is Return, a tab Tab.  Keys go\n"
		"out %d ms apart (SeaBIOS and GRUB keep few keys; sent at once, some would\n"
		"be lost), and type returns once the guest has had them all.\n"
		IN_VM_TEXT
		"\n"
		"  -t, --timeout S  give up after S seconds beyond the typing time (default %d)\n"
		"  -h, --help       this help\n\n" IN_EXIT_TEXT, CTL_KEYS_DELAY_MS,
		IN_DEFAULT_TIMEOUT);
}

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
	while ((c = getopt_long(argc, argv, "+:jlt:h", opts, NULL)) != -1) {
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
		min_rest = max_rest = 0;
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
	*code = IN_EXIT_OK;
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

/* --- sendkey, type ------------------------------------------------------------- */

/* The key names, in columns. */
static void in_list_keys(void)
{
	size_t n = keymap_count(), col = 0;

	for (size_t i = 0; i < n; i++) {
		const struct keymap_key *k = keymap_at(i);
		if (!k->name)
			continue;
		printf("%-14s", k->name);
		if (++col % 5 == 0)
			putchar('\n');
	}
	if (col % 5)
		putchar('\n');
}

/* Sends one keyboard request (its events counted for the time limit). */
static int in_keys_call(struct ctl_client *c, const char *verb, const char *vm,
			const char *const *words, size_t events, int timeout_s,
			struct ctl_reply *r)
{
	/* the reply comes when the keys are out: allow for the typing */
	uint64_t ms = (uint64_t)timeout_s * 1000 + events * (CTL_KEYS_DELAY_MS + 5) +
		      CTL_KEYS_HOLD_MS * 8;
	return in_call(c, verb, vm, words, r, ms > INT32_MAX ? INT32_MAX : (int)ms);
}

int cli_sendkey(int argc, char **argv)
{
	struct ctl_key_event ev[2 * CTL_KEYS_COMBO_MAX];
	struct in_opts o;
	struct ctl_reply *r;
	struct ctl_client *c;
	char bad[40];
	int code;

	code = in_parse("sendkey", cli_sendkey_usage, true, argc, argv, &o, 2, -1);
	if (code)
		return code == 2 ? IN_EXIT_OK : IN_EXIT_ERROR;
	if (o.list) {
		in_list_keys();
		return IN_EXIT_OK;
	}
	const char *vm = argv[o.first];
	/* every name checked before the VM is asked anything */
	for (int i = o.first + 1; i < argc; i++) {
		if (ctl_keys_combo(argv[i], ev, bad, sizeof(bad)) < 0) {
			log_error("sendkey: %s: no key '%s' (or a key twice, or more than %d "
				  "keys); ttyvm sendkey --list shows the names", argv[i], bad,
				  CTL_KEYS_COMBO_MAX);
			return IN_EXIT_ERROR;
		}
	}
	r = malloc(sizeof(*r));
	if (!r) {
		log_error("out of memory");
		return IN_EXIT_ERROR;
	}
	c = in_open("sendkey", vm, o.timeout_s * 1000, &code);
	/* up to CTL_ARGS_MAX combinations a request */
	for (int i = o.first + 1; c && code == IN_EXIT_OK && i < argc; i += CTL_ARGS_MAX) {
		const char *words[CTL_ARGS_MAX + 2] = { "sendkey" };
		size_t events = 0;
		int k = 0;
		for (; k < CTL_ARGS_MAX && i + k < argc; k++) {
			words[k + 1] = argv[i + k];
			events += (size_t)ctl_keys_combo(argv[i + k], ev, bad, sizeof(bad));
		}
		words[k + 1] = NULL;
		code = in_keys_call(c, "sendkey", vm, words, events, o.timeout_s, r);
	}
	if (c)
		ctl_client_close(c);
	free(r);
	return code;
}

/* Bytes of text per `type` request: quoted (4 bytes for the worst byte)
 * they fit a request line. */
#define IN_TYPE_CHUNK 960

int cli_type(int argc, char **argv)
{
	struct in_opts o;
	struct ctl_reply *r;
	struct ctl_client *c;
	struct ctl_key_event *ev;
	size_t bad_at = 0;
	int code, n;

	code = in_parse("type", cli_type_usage, true, argc, argv, &o, 2, 2);
	if (code)
		return code == 2 ? IN_EXIT_OK : IN_EXIT_ERROR;
	const char *vm = argv[o.first], *text = argv[o.first + 1];
	size_t len = strlen(text);
	if (!len) {
		log_error("type: TEXT is empty");
		return IN_EXIT_ERROR;
	}
	ev = malloc((4 * len + 2) * sizeof(*ev));
	r = malloc(sizeof(*r));
	if (!ev || !r) {
		log_error("out of memory");
		free(ev);
		free(r);
		return IN_EXIT_ERROR;
	}
	n = ctl_keys_text(text, ev, 4 * len + 2, &bad_at);
	free(ev);
	if (n < 0) {
		unsigned char ch = (unsigned char)text[bad_at];
		if (ch >= 0x20 && ch < 0x7f)
			log_error("type: no key types '%c' (character %zu)", ch, bad_at + 1);
		else
			log_error("type: no key types byte 0x%02x (character %zu); TEXT is "
				  "printable ASCII, newlines and tabs", ch, bad_at + 1);
		free(r);
		return IN_EXIT_ERROR;
	}
	c = in_open("type", vm, o.timeout_s * 1000, &code);
	for (size_t off = 0; c && code == IN_EXIT_OK && off < len; off += IN_TYPE_CHUNK) {
		char chunk[IN_TYPE_CHUNK + 1];
		size_t k = len - off < IN_TYPE_CHUNK ? len - off : IN_TYPE_CHUNK;
		memcpy(chunk, text + off, k);
		chunk[k] = '\0';
		const char *words[] = { "type", chunk, NULL };
		code = in_keys_call(c, "type", vm, words, 4 * k + 2, o.timeout_s, r);
	}
	if (c)
		ctl_client_close(c);
	free(r);
	return code;
}
