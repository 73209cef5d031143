/*
 * ctl_proto.c - the control protocol's grammar (ttyvm-control(7)):
 * requests, replies, the greeting and the quoting rule, as pure
 * functions over caller buffers.
 *
 * A line is words separated by blanks (space, tab).  A word is either
 * bare - bytes other than blanks, control bytes (0x00-0x1F, 0x7F), '"'
 * and '\' - or a double-quoted string in which '"', '\', and control
 * bytes are escaped as \" \\ \n \r \t \xHH (\x00 is refused, so a word
 * is always a C string).  Bytes 0x80-0xFF pass unchanged (UTF-8).  A
 * quote can only start a word and must end it.  Requests are "COMMAND
 * ARG..."; replies are "ok key=value..." or "error CODE message"; the
 * same lexer reads request words and reply values, and the same quoting
 * writes them, so what one side writes the other reads back exactly.
 *
 * Not here: sockets, buffering, time-outs (ctl_server.c, ctl_client.c),
 * and what a command does (the server).  No state, no allocation, no I/O:
 * the file can be fed any bytes and never reads past the given length.
 */
#include "ui/ctl_proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

static const struct ctl_cmd_info ctl_cmds[CTL_CMD_COUNT] = {
	[CTL_CMD_VERSION] = { "version", 0, 0, "",
		"protocol and program version: ok protocol=N ttyvm=VERSION" },
	[CTL_CMD_STATUS] = { "status", 0, 0, "",
		"what the VM is and does: ok state=running|paused name=NAME cpus=N "
		"memory=BYTES uptime=SECONDS resets=N pid=PID" },
	[CTL_CMD_PAUSE] = { "pause", 0, 0, "",
		"park every vCPU; devices keep their state: ok state=paused" },
	[CTL_CMD_RESUME] = { "resume", 0, 0, "",
		"let the vCPUs run again: ok state=running" },
	[CTL_CMD_POWERDOWN] = { "powerdown", 0, 0, "",
		"press the ACPI power button; the guest decides what to do" },
	[CTL_CMD_RESET] = { "reset", 0, 0, "",
		"hardware reset, as the reset button" },
	[CTL_CMD_STOP] = { "stop", 0, 0, "",
		"pull the plug: the VM process ends at once (exit status 3)" },
	[CTL_CMD_QUIT] = { "quit", 0, 0, "",
		"close this connection; the VM runs on" },
	[CTL_CMD_HELP] = { "help", 0, 1, "[COMMAND]",
		"list the commands, or describe one" },
	[CTL_CMD_CONSOLE] = { "console", 0, 2, "[rw|ro] [POS]",
		"attach to the serial console: ok mode=rw|ro pos=N, then raw bytes both "
		"ways (output from position POS on, default the end) until the client "
		"closes; one rw client at a time" },
	[CTL_CMD_SERIAL_READ] = { "serial-read", 0, 1, "[POS]",
		"recent serial output from position POS (default: the oldest kept): ok "
		"pos=P next=N end=E lost=L data=BYTES" },
	[CTL_CMD_SCREEN_TEXT] = { "screen-text", 0, 1, "[OFFSET]",
		"the text screen: without OFFSET a new snapshot, ok size=S offset=0 next=N "
		"text=...; with OFFSET the snapshot's bytes from there" },
	[CTL_CMD_SCREENSHOT] = { "screenshot", 1, 1, "PATH",
		"write the screen as a PNG at the guest's resolution to PATH (absolute; "
		"replaced atomically): ok path=PATH width=W height=H bytes=N" },
	[CTL_CMD_SENDKEY] = { "sendkey", 1, CTL_ARGS_MAX, "COMBO...",
		"press and release key combinations one after another (ctrl-alt-delete, "
		"ret, f2); answers once the guest has had them all: ok events=N" },
	[CTL_CMD_TYPE] = { "type", 1, 1, "TEXT",
		"type ASCII text on a US keyboard, Shift as needed; answers once the "
		"guest has had every key: ok events=N" },
	[CTL_CMD_POINTER] = { "pointer", 2, 3, "X Y [BUTTONS]",
		"move the pointer to pixel X,Y of the guest's screen with BUTTONS down "
		"(1 left, 2 right, 4 middle; default 0): ok absolute=1 when a tablet the "
		"guest drives took it, 0 when it went to the PS/2 mouse" },
};

static const char *const ctl_err_names[CTL_ERR_COUNT] = {
	[CTL_ERR_BAD_REQUEST] = "bad-request",
	[CTL_ERR_TOO_LONG] = "too-long",
	[CTL_ERR_UNKNOWN_COMMAND] = "unknown-command",
	[CTL_ERR_BAD_ARGUMENT] = "bad-argument",
	[CTL_ERR_STATE] = "state",
	[CTL_ERR_NOT_SUPPORTED] = "not-supported",
	[CTL_ERR_BUSY] = "busy",
	[CTL_ERR_INTERNAL] = "internal",
};

const struct ctl_cmd_info *ctl_cmd_info(enum ctl_cmd cmd)
{
	return (unsigned int)cmd < CTL_CMD_COUNT ? &ctl_cmds[cmd] : NULL;
}

int ctl_cmd_lookup(const char *name)
{
	for (int i = 0; i < CTL_CMD_COUNT; i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return i;
	return -1;
}

const char *ctl_err_name(enum ctl_err code)
{
	return (unsigned int)code < CTL_ERR_COUNT ? ctl_err_names[code] : "internal";
}

enum ctl_err ctl_err_lookup(const char *name)
{
	for (int i = 0; i < CTL_ERR_COUNT; i++)
		if (strcmp(ctl_err_names[i], name) == 0)
			return (enum ctl_err)i;
	return CTL_ERR_COUNT;
}

/* --- the lexer --------------------------------------------------------------- */

static bool ctl_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static bool ctl_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static bool ctl_bare(unsigned char c)
{
	return !ctl_control(c) && c != ' ' && c != '"' && c != '\\';
}

static int ctl_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Where a lexing error happened and why, for the error message. */
struct ctl_lex_error {
	const char *why;
	size_t at;
	unsigned char byte;
};

static int ctl_lex_fail(struct ctl_lex_error *e, const char *why, size_t at,
			unsigned char byte)
{
	e->why = why;
	e->at = at;
	e->byte = byte;
	return -EINVAL;
}

/*
 * Reads the word starting at s[*pos] (not a blank, *pos < len) into out
 * (cap bytes, NUL-terminated) and moves *pos past it.  0 or -EINVAL.
 */
static int ctl_lex_word(const char *s, size_t len, size_t *pos, char *out, size_t cap,
			struct ctl_lex_error *e)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = *pos, o = 0;

	if (u[i] == '"') {
		size_t start = i++;
		for (;;) {
			unsigned char c;
			if (i >= len)
				return ctl_lex_fail(e, "unterminated quoted string", start, '"');
			c = u[i];
			if (c == '"') {
				i++;
				break;
			}
			if (c == '\\') {
				if (i + 1 >= len)
					return ctl_lex_fail(e, "unterminated quoted string", start, '"');
				switch (u[i + 1]) {
				case '"': c = '"'; break;
				case '\\': c = '\\'; break;
				case 'n': c = '\n'; break;
				case 'r': c = '\r'; break;
				case 't': c = '\t'; break;
				case 'x': {
					int hi = i + 2 < len ? ctl_hex(u[i + 2]) : -1;
					int lo = i + 3 < len ? ctl_hex(u[i + 3]) : -1;
					if (hi < 0 || lo < 0)
						return ctl_lex_fail(e, "\\x needs two hex digits", i, 'x');
					c = (unsigned char)(hi << 4 | lo);
					if (c == 0)
						return ctl_lex_fail(e, "\\x00 is not allowed", i, 0);
					i += 2;
					break;
				}
				default:
					return ctl_lex_fail(e, "unknown escape (allowed: \\\" \\\\ \\n "
							    "\\r \\t \\xHH)", i, u[i + 1]);
				}
				i += 2;
			} else if (ctl_control(c)) {
				return ctl_lex_fail(e, "control byte in a quoted string "
						    "(write it as \\xHH)", i, c);
			} else {
				i++;
			}
			if (o + 1 >= cap)
				return ctl_lex_fail(e, "word too long", *pos, 0);
			out[o++] = (char)c;
		}
		if (i < len && !ctl_blank(u[i]))
			return ctl_lex_fail(e, "a quoted string must end its word", i, u[i]);
	} else {
		while (i < len && !ctl_blank(u[i])) {
			unsigned char c = u[i];
			if (c == '"')
				return ctl_lex_fail(e, "a quote may only start a word", i, c);
			if (c == '\\')
				return ctl_lex_fail(e, "a backslash needs a quoted string", i, c);
			if (ctl_control(c))
				return ctl_lex_fail(e, "control byte", i, c);
			if (o + 1 >= cap)
				return ctl_lex_fail(e, "word too long", *pos, 0);
			out[o++] = (char)c;
			i++;
		}
	}
	out[o] = '\0';
	*pos = i;
	return 0;
}

static size_t ctl_skip_blanks(const char *s, size_t len, size_t i)
{
	while (i < len && ctl_blank((unsigned char)s[i]))
		i++;
	return i;
}

/* Drops one CR before the (already removed) LF. */
static size_t ctl_chomp(const char *line, size_t len)
{
	return len && line[len - 1] == '\r' ? len - 1 : len;
}

/* --- requests ------------------------------------------------------------ */

__attribute__((format(printf, 3, 4)))
static int ctl_parse_fail(struct ctl_parse_error *err, enum ctl_err code,
			  const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int ctl_request_parse(const char *line, size_t len, struct ctl_request *req,
		      struct ctl_parse_error *err)
{
	const char *words[CTL_ARGS_MAX + 1];
	unsigned int nwords = 0, extra = 0;
	struct ctl_lex_error le;
	size_t pos, used = 0;

	memset(req, 0, offsetof(struct ctl_request, store));
	req->store[0] = '\0';
	if (len >= CTL_REQUEST_MAX)
		return ctl_parse_fail(err, CTL_ERR_TOO_LONG, "request longer than %d bytes",
				      CTL_REQUEST_MAX - 1);
	len = ctl_chomp(line, len);
	pos = ctl_skip_blanks(line, len, 0);
	if (pos == len)
		return CTL_PARSE_EMPTY;
	while (pos < len) {
		char *out = req->store + used;
		if (ctl_lex_word(line, len, &pos, out, sizeof(req->store) - used, &le)) {
			if (le.byte >= 0x20 && le.byte < 0x7f)
				return ctl_parse_fail(err, CTL_ERR_BAD_REQUEST,
						      "%s at byte %zu ('%c')", le.why,
						      le.at + 1, le.byte);
			return ctl_parse_fail(err, CTL_ERR_BAD_REQUEST, "%s at byte %zu (0x%02x)",
					      le.why, le.at + 1, le.byte);
		}
		if (nwords < ARRAY_SIZE(words))
			words[nwords++] = out;
		else
			extra++;
		used += strlen(out) + 1;
		pos = ctl_skip_blanks(line, len, pos);
	}

	int cmd = ctl_cmd_lookup(words[0]);
	if (cmd < 0)
		return ctl_parse_fail(err, CTL_ERR_UNKNOWN_COMMAND,
				      "unknown command '%.40s' (help lists them)", words[0]);
	const struct ctl_cmd_info *ci = &ctl_cmds[cmd];
	unsigned int argc = nwords - 1 + extra;
	if (argc < ci->min_args || argc > ci->max_args) {
		if (ci->max_args == 0)
			return ctl_parse_fail(err, CTL_ERR_BAD_ARGUMENT,
					      "%s takes no arguments", ci->name);
		return ctl_parse_fail(err, CTL_ERR_BAD_ARGUMENT,
				      "usage: %s %s", ci->name, ci->args);
	}
	req->cmd = (enum ctl_cmd)cmd;
	req->argc = argc;
	for (unsigned int i = 0; i < argc; i++)
		req->argv[i] = words[i + 1];
	return 0;
}

/* --- replies --------------------------------------------------------------- */

static bool ctl_key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* "WORD" at the start of line, followed by a blank or the end. */
static bool ctl_starts_with_word(const char *line, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && memcmp(line, word, n) == 0 &&
	       (len == n || ctl_blank((unsigned char)line[n]));
}

static int ctl_reply_parse_fields(const char *line, size_t len, size_t pos,
				  struct ctl_reply *r)
{
	struct ctl_lex_error le;
	size_t used = 0;

	for (pos = ctl_skip_blanks(line, len, pos); pos < len;
	     pos = ctl_skip_blanks(line, len, pos)) {
		size_t k = pos;
		while (pos < len && ctl_key_char((unsigned char)line[pos]))
			pos++;
		if (pos == k || pos >= len || line[pos] != '=')
			return -EPROTO;
		if (r->nfields == CTL_FIELDS_MAX)
			return -EPROTO;
		size_t klen = pos - k;
		if (used + klen + 2 > sizeof(r->store))
			return -EPROTO;
		char *key = r->store + used;
		memcpy(key, line + k, klen);
		key[klen] = '\0';
		used += klen + 1;
		pos++; /* '=' */
		char *val = r->store + used;
		if (pos == len || ctl_blank((unsigned char)line[pos])) {
			*val = '\0';
		} else if (ctl_lex_word(line, len, &pos, val, sizeof(r->store) - used, &le)) {
			return -EPROTO;
		}
		used += strlen(val) + 1;
		if (ctl_reply_get(r, key))
			return -EPROTO;
		r->fields[r->nfields++] = (struct ctl_field){ key, val };
	}
	return 0;
}

int ctl_reply_parse(const char *line, size_t len, struct ctl_reply *r)
{
	memset(r, 0, offsetof(struct ctl_reply, store));
	r->store[0] = '\0';
	r->message = r->store;
	r->err = CTL_ERR_COUNT;
	if (len >= CTL_REPLY_MAX)
		return -EPROTO;
	len = ctl_chomp(line, len);
	if (ctl_starts_with_word(line, len, "ok")) {
		r->ok = true;
		int ret = ctl_reply_parse_fields(line, len, 2, r);
		if (ret)
			r->nfields = 0;
		return ret;
	}
	if (!ctl_starts_with_word(line, len, "error"))
		return -EPROTO;
	size_t pos = ctl_skip_blanks(line, len, 5), c = pos;
	while (pos < len && ctl_key_char((unsigned char)line[pos]))
		pos++;
	if (pos == c || pos - c >= sizeof(r->code) ||
	    (pos < len && !ctl_blank((unsigned char)line[pos])))
		return -EPROTO;
	memcpy(r->code, line + c, pos - c);
	r->code[pos - c] = '\0';
	r->err = ctl_err_lookup(r->code);
	pos = ctl_skip_blanks(line, len, pos);
	for (size_t i = pos; i < len; i++)
		if (ctl_control((unsigned char)line[i]))
			return -EPROTO;
	memcpy(r->store, line + pos, len - pos);
	r->store[len - pos] = '\0';
	return 0;
}

const char *ctl_reply_get(const struct ctl_reply *r, const char *key)
{
	for (unsigned int i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i].key, key) == 0)
			return r->fields[i].value;
	return NULL;
}

int ctl_greeting_parse(const char *line, size_t len, unsigned int *version)
{
	size_t n = strlen(CTL_GREETING_WORD), i;
	unsigned int v = 0;

	len = ctl_chomp(line, len);
	if (!ctl_starts_with_word(line, len, CTL_GREETING_WORD) || len == n)
		return -EPROTO;
	i = ctl_skip_blanks(line, len, n);
	size_t start = i;
	while (i < len && line[i] >= '0' && line[i] <= '9' && i - start < 6)
		v = v * 10 + (unsigned int)(line[i++] - '0');
	if (i == start || v == 0 || (i < len && !ctl_blank((unsigned char)line[i])))
		return -EPROTO;
	*version = v;
	return 0;
}

/* --- writing ----------------------------------------------------------------- */

int ctl_quote(const char *s, char *out, size_t cap)
{
	static const char hexd[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t o = 0;
	bool bare = *u != '\0';

	for (const unsigned char *p = u; *p && bare; p++)
		bare = ctl_bare(*p);
	if (bare) {
		size_t n = strlen(s);
		if (n + 1 > cap)
			goto nospace;
		memcpy(out, s, n + 1);
		return (int)n;
	}
	if (cap < 3)
		goto nospace;
	out[o++] = '"';
	for (const unsigned char *p = u; *p; p++) {
		char esc[4];
		size_t n = 0;
		switch (*p) {
		case '"': esc[n++] = '\\'; esc[n++] = '"'; break;
		case '\\': esc[n++] = '\\'; esc[n++] = '\\'; break;
		case '\n': esc[n++] = '\\'; esc[n++] = 'n'; break;
		case '\r': esc[n++] = '\\'; esc[n++] = 'r'; break;
		case '\t': esc[n++] = '\\'; esc[n++] = 't'; break;
		default:
			if (ctl_control(*p)) {
				esc[n++] = '\\';
				esc[n++] = 'x';
				esc[n++] = hexd[*p >> 4];
				esc[n++] = hexd[*p & 15];
			} else {
				esc[n++] = (char)*p;
			}
		}
		if (o + n + 2 > cap) /* closing quote and NUL */
			goto nospace;
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o++] = '"';
	out[o] = '\0';
	return (int)o;
nospace:
	if (cap)
		out[0] = '\0';
	return -ENOSPC;
}

void ctl_writer_init(struct ctl_writer *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
	if (cap)
		buf[0] = '\0';
}

/* Room for text, keeping two bytes for the final LF and NUL. */
static void ctl_append(struct ctl_writer *w, const char *s, size_t n)
{
	if (w->overflow)
		return;
	if (w->len + n + 2 > w->cap) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void ctl_append_quoted(struct ctl_writer *w, const char *s)
{
	if (w->overflow)
		return;
	/* the quoted word and its NUL, keeping one byte for the LF */
	int n = ctl_quote(s, w->buf + w->len, w->cap - w->len - 1);
	if (n < 0) {
		w->overflow = true;
		w->buf[w->len] = '\0';
		return;
	}
	w->len += (size_t)n;
}

void ctl_write_word(struct ctl_writer *w, const char *word)
{
	if (w->len)
		ctl_append(w, " ", 1);
	ctl_append_quoted(w, word);
}

void ctl_write_field(struct ctl_writer *w, const char *key, const char *value)
{
	ctl_append(w, " ", 1);
	ctl_append(w, key, strlen(key));
	ctl_append(w, "=", 1);
	ctl_append_quoted(w, value);
}

void ctl_write_field_u64(struct ctl_writer *w, const char *key, uint64_t value)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)value);
	ctl_write_field(w, key, num);
}

void ctl_write_verror(struct ctl_writer *w, enum ctl_err code, const char *fmt,
		      va_list ap)
{
	char msg[CTL_MESSAGE_MAX];
	const char *name = ctl_err_name(code);

	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (char *p = msg; *p; p++)
		if (ctl_control((unsigned char)*p))
			*p = '?';
	w->len = 0;
	w->overflow = false;
	ctl_append(w, "error ", 6);
	ctl_append(w, name, strlen(name));
	if (msg[0]) {
		ctl_append(w, " ", 1);
		ctl_append(w, msg, strlen(msg));
	}
}

void ctl_write_error(struct ctl_writer *w, enum ctl_err code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_write_verror(w, code, fmt, ap);
	va_end(ap);
}

size_t ctl_writer_end(struct ctl_writer *w)
{
	if (w->overflow)
		ctl_write_error(w, CTL_ERR_INTERNAL, "reply too long");
	if (w->overflow) /* cap below the documented minimum */
		w->len = 0;
	w->buf[w->len++] = '\n';
	w->buf[w->len] = '\0';
	return w->len;
}

size_t ctl_greeting_format(char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s %d\n", CTL_GREETING_WORD, CTL_PROTO_VERSION);

	return n < 0 ? 0 : MIN((size_t)n, cap ? cap - 1 : 0);
}
