/*
 * cli_util.h - what the CLI verbs share: JSON output, human formats for
 * sizes and times, finding a VM's control socket, asking yes/no on a
 * terminal, progress lines.  For the CLI edge only: these print.
 */
#ifndef TTYVM_CLI_UTIL_H
#define TTYVM_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* --- JSON ------------------------------------------------------------------ */

/* s as a JSON string (quotes, escapes; bytes >= 0x80 pass as UTF-8). */
void json_string(FILE *out, const char *s);

/*
 * Writing one JSON value without a DOM: json_begin('{') ... json_end('}').
 * Each json_key() / array element puts the comma where one is due.
 */
struct json {
	FILE *out;
	unsigned int depth;
	bool first[16];
};

void json_init(struct json *j, FILE *out);
void json_begin(struct json *j, char open);    /* '{' or '[' */
void json_end(struct json *j, char close);     /* '}' or ']' */
void json_key(struct json *j, const char *key); /* "key": (in an object) */
void json_elem(struct json *j);                /* before an array element */
void json_str(struct json *j, const char *key, const char *v); /* NULL: null */
void json_u64(struct json *j, const char *key, uint64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
void json_double(struct json *j, const char *key, double v, int decimals);

/* --- formats ------------------------------------------------------------------ */

/* "2 GiB", "256 MiB", "3 KiB", "123 bytes"; "-" for 0. */
void cli_fmt_size(uint64_t bytes, char *buf, size_t len);
/* "01:02:03", "2d 01:02:03". */
void cli_fmt_uptime(uint64_t s, char *buf, size_t len);

/* --- VMs ------------------------------------------------------------------------ */

/*
 * The control socket of vm, a VM name or (anything with a '/') the path
 * of a socket.  *named tells which.  0, or 1 after an error message that
 * starts with verb.
 */
int cli_vm_socket(const char *verb, const char *vm, char *sock, size_t len, bool *named);

/* --- talking to the person ---------------------------------------------------------- */

/*
 * Asks question on the terminal ("... [y/N] ", or "[Y/n]" when yes is the
 * default) and reads one line: y or yes is true, n or no false, an empty
 * line the default.  false when stdin is not a terminal (cli_can_ask()).
 */
bool cli_ask(const char *question, bool default_yes);
/* true when stdin and stderr are terminals: a person can be asked. */
bool cli_can_ask(void);

/*
 * Progress of writing a file, on stderr when it is a terminal: one line
 * "  NAME: 45% of 20 GiB" rewritten in place, ended with a newline at
 * 100%.  ctx is a struct cli_progress (zeroed before the first call), so
 * a line is only rewritten when its percentage changes.  Fits
 * vmstore_progress_fn.
 */
struct cli_progress {
	const char *file;
	int pct;
	bool shown;
};
void cli_progress(void *ctx, const char *file, uint64_t done, uint64_t total);

/* Sets the options of a verb into getopt's start state (optind = 1, quiet). */
void cli_getopt_reset(void);

#endif
