/*
 * ctl_proto.h - the control socket's line protocol (ttyvm-control(7)),
 * as pure functions: parsing requests and replies, writing them, and the
 * one quoting rule both directions share.  No I/O, no allocation, no
 * state; every function works on the caller's buffers and never reads
 * past the length it is given, so it is safe to feed with anything.
 *
 * The server (vmm/ctl_server.c) parses requests and writes replies; the
 * client (ui/ctl_client.c) writes requests and parses replies.
 */
#ifndef TTYVM_CTL_PROTO_H
#define TTYVM_CTL_PROTO_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bumped only for an incompatible change; new commands, reply fields and
 * error codes keep the version (clients ignore what they do not know). */
#define CTL_PROTO_VERSION 1
#define CTL_GREETING_WORD "ttyvm-control"

#define CTL_REQUEST_MAX 4096 /* a request line, LF included */
#define CTL_REPLY_MAX   4096 /* a reply line, LF included */
#define CTL_ARGS_MAX    8    /* words after the command */
#define CTL_FIELDS_MAX  32   /* key=value fields in an ok reply */
#define CTL_MESSAGE_MAX 256  /* text of an error reply */

enum ctl_cmd {
	CTL_CMD_VERSION,
	CTL_CMD_STATUS,
	CTL_CMD_PAUSE,
	CTL_CMD_RESUME,
	CTL_CMD_POWERDOWN,
	CTL_CMD_RESET,
	CTL_CMD_STOP,
	CTL_CMD_QUIT,
	CTL_CMD_HELP,
	/* the serial console and the text screen (ctl_console.c) */
	CTL_CMD_CONSOLE,
	CTL_CMD_SERIAL_READ,
	CTL_CMD_SCREEN_TEXT,
	/* the screen and the keyboard */
	CTL_CMD_SCREENSHOT,
	CTL_CMD_SENDKEY,
	CTL_CMD_TYPE,
	CTL_CMD_POINTER,
	CTL_CMD_COUNT
};

/* serial-read and screen-text return at most this many bytes per reply:
 * quoted (4 bytes for the worst byte), they fit in CTL_REPLY_MAX. */
#define CTL_DATA_MAX 960

struct ctl_cmd_info {
	const char *name;
	unsigned int min_args, max_args;
	const char *args;      /* usage of the arguments, "" when none */
	const char *summary;   /* one line for `help COMMAND` */
};

/* The description of cmd, or NULL for a value out of range. */
const struct ctl_cmd_info *ctl_cmd_info(enum ctl_cmd cmd);
/* The command called name, or -1. */
int ctl_cmd_lookup(const char *name);

/* Error codes: stable words, the first word after "error". */
enum ctl_err {
	CTL_ERR_BAD_REQUEST,     /* not a well-formed line (control byte, quoting) */
	CTL_ERR_TOO_LONG,        /* line over CTL_REQUEST_MAX: connection closed */
	CTL_ERR_UNKNOWN_COMMAND, /* no such command */
	CTL_ERR_BAD_ARGUMENT,    /* wrong number of arguments or a bad value */
	CTL_ERR_STATE,           /* not possible in the VM's current state */
	CTL_ERR_NOT_SUPPORTED,   /* this VM lacks what the command needs */
	CTL_ERR_BUSY,            /* too many connections: connection closed */
	CTL_ERR_INTERNAL,        /* the VM process failed to carry it out */
	CTL_ERR_COUNT            /* in a parsed reply: a code this client
				  * does not know (from a newer server) */
};

/* The word of code ("bad-request", ...); "internal" for out-of-range. */
const char *ctl_err_name(enum ctl_err code);
/* The code called name, or CTL_ERR_COUNT. */
enum ctl_err ctl_err_lookup(const char *name);

/* --- requests ------------------------------------------------------------ */

struct ctl_request {
	enum ctl_cmd cmd;
	unsigned int argc;                 /* words after the command */
	const char *argv[CTL_ARGS_MAX];    /* unquoted, point into store */
	char store[CTL_REQUEST_MAX + 1];
};

struct ctl_parse_error {
	enum ctl_err code;
	char message[CTL_MESSAGE_MAX];
};

#define CTL_PARSE_EMPTY 1

/*
 * Parses one request line of len bytes, without its LF (a CR before it
 * is dropped here).  The line may hold any bytes, NUL included.
 * Returns 0 with req filled, CTL_PARSE_EMPTY for a line of blanks only
 * (not a request: no reply is due), or -EINVAL with err filled: the
 * reply to send is "error CODE MESSAGE".  Checks the command and the
 * number of its arguments; what an argument means is the server's job.
 */
int ctl_request_parse(const char *line, size_t len, struct ctl_request *req,
		      struct ctl_parse_error *err);

/* --- replies --------------------------------------------------------------- */

struct ctl_field {
	const char *key, *value;
};

struct ctl_reply {
	bool ok;
	/* error replies */
	enum ctl_err err;              /* CTL_ERR_COUNT: unknown code */
	char code[32];                 /* the code word as sent */
	const char *message;           /* "" when none; points into store */
	/* ok replies */
	unsigned int nfields;
	struct ctl_field fields[CTL_FIELDS_MAX];
	char store[CTL_REPLY_MAX + 1];
};

/*
 * Parses one reply line (without its LF; a CR before it is dropped).
 * Returns 0 or -EPROTO when the line is not a well-formed reply (bad
 * quoting, a key that is not [a-z0-9_-]+, a key twice, too many fields).
 */
int ctl_reply_parse(const char *line, size_t len, struct ctl_reply *r);

/* The value of field key in an ok reply, or NULL. */
const char *ctl_reply_get(const struct ctl_reply *r, const char *key);

/*
 * The greeting the server sends first: "ttyvm-control VERSION", maybe
 * followed by more words in later versions.  Returns 0 with *version set,
 * or -EPROTO when the line is something else.
 */
int ctl_greeting_parse(const char *line, size_t len, unsigned int *version);

/* --- writing lines ---------------------------------------------------------- */

/*
 * Builds one line in a caller's buffer of cap bytes (cap >= 64).  Words
 * are separated by one space and quoted when they need it; a line that
 * does not fit is not cut short: ctl_writer_end() turns it into
 * "error internal reply too long".
 */
struct ctl_writer {
	char *buf;
	size_t cap, len;
	bool overflow;
};

void ctl_writer_init(struct ctl_writer *w, char *buf, size_t cap);
/* Appends a word, quoted when needed (also the command of a request). */
void ctl_write_word(struct ctl_writer *w, const char *word);
/* Appends " key=value", the value quoted when needed. */
void ctl_write_field(struct ctl_writer *w, const char *key, const char *value);
void ctl_write_field_u64(struct ctl_writer *w, const char *key, uint64_t value);
/* Replaces whatever was written by "error CODE MESSAGE"; control bytes in
 * the message become '?' and it is cut at CTL_MESSAGE_MAX. */
void ctl_write_error(struct ctl_writer *w, enum ctl_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ctl_write_verror(struct ctl_writer *w, enum ctl_err code, const char *fmt,
		      va_list ap) __attribute__((format(printf, 3, 0)));
/* Ends the line with LF and returns its length (the buffer also holds a
 * NUL after it). */
size_t ctl_writer_end(struct ctl_writer *w);

/* Writes "ttyvm-control VERSION\n"; returns its length. */
size_t ctl_greeting_format(char *buf, size_t cap);

/*
 * The quoting rule on its own: writes s as one word (bare or quoted) into
 * out, NUL-terminated.  Returns the length, or -ENOSPC when cap is too
 * small (out is then "").  The longest result is 4*strlen(s)+3 bytes.
 */
int ctl_quote(const char *s, char *out, size_t cap);

#endif
