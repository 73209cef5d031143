/*
 * ctl_proto_test.c - the control protocol's grammar: every request, every
 * kind of malformed line, reply writing and parsing, the quoting round
 * trip, and a seeded fuzz loop over random and mutated lines.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ctl_proto.h"
#include "util/util.h"

static int parse(const char *line, struct ctl_request *req, struct ctl_parse_error *err)
{
	return ctl_request_parse(line, strlen(line), req, err);
}

/* The request must fail with code; returns the message. */
static const char *parse_fails(const char *line, size_t len, enum ctl_err code)
{
	static struct ctl_parse_error err;
	static struct ctl_request req;

	memset(&err, 0, sizeof(err));
	int r = ctl_request_parse(line, len, &req, &err);
	if (r != -EINVAL || err.code != code)
		fail_msg("'%.60s': got %d code %s (%s), wanted %s", line, r,
			 ctl_err_name(err.code), err.message, ctl_err_name(code));
	assert_true(err.message[0] != '\0');
	return err.message;
}

static void test_every_command(void **state)
{
	struct ctl_request req;
	struct ctl_parse_error err;
	(void)state;

	for (int i = 0; i < CTL_CMD_COUNT; i++) {
		const struct ctl_cmd_info *ci = ctl_cmd_info((enum ctl_cmd)i);
		assert_non_null(ci);
		assert_int_equal(ctl_cmd_lookup(ci->name), i);
		/* each with the fewest arguments it takes */
		char line[128];
		snprintf(line, sizeof(line), "%s%s", ci->name,
			 ci->min_args == 0 ? "" : ci->min_args == 1 ? " a" : " a b");
		assert_int_equal(parse(line, &req, &err), 0);
		assert_int_equal(req.cmd, i);
		assert_int_equal(req.argc, ci->min_args);
		assert_true(ci->summary[0] != '\0');
	}
	assert_null(ctl_cmd_info(CTL_CMD_COUNT));
	assert_int_equal(ctl_cmd_lookup("nope"), -1);

	/* the names the man page documents */
	const char *names[] = { "version", "status", "pause", "resume", "powerdown",
				"reset", "stop", "quit", "help", "console", "serial-read",
				"screen-text", "screenshot", "sendkey", "type", "pointer" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		assert_true(ctl_cmd_lookup(names[i]) >= 0);
	assert_int_equal(ARRAY_SIZE(names), CTL_CMD_COUNT);

	assert_int_equal(parse("help pause", &req, &err), 0);
	assert_int_equal(req.cmd, CTL_CMD_HELP);
	assert_int_equal(req.argc, 1);
	assert_string_equal(req.argv[0], "pause");
	/* any command word is an argument to help; the server judges it */
	assert_int_equal(parse("help \"no such\"", &req, &err), 0);
	assert_string_equal(req.argv[0], "no such");
}

static void test_blanks_and_line_ends(void **state)
{
	struct ctl_request req;
	struct ctl_parse_error err;
	(void)state;

	assert_int_equal(parse("  \t status \t ", &req, &err), 0);
	assert_int_equal(req.cmd, CTL_CMD_STATUS);
	/* CR LF from telnet-like clients: the CR is dropped */
	assert_int_equal(parse("status\r", &req, &err), 0);
	assert_int_equal(req.cmd, CTL_CMD_STATUS);
	assert_int_equal(parse("help\tpause\r", &req, &err), 0);
	assert_string_equal(req.argv[0], "pause");

	/* blank lines are no request: no reply is due */
	assert_int_equal(parse("", &req, &err), CTL_PARSE_EMPTY);
	assert_int_equal(parse("   ", &req, &err), CTL_PARSE_EMPTY);
	assert_int_equal(parse("\t \r", &req, &err), CTL_PARSE_EMPTY);
	assert_int_equal(parse("\r", &req, &err), CTL_PARSE_EMPTY);
	/* only one CR is a line end; a second one is a control byte */
	parse_fails("status\r\r", 8, CTL_ERR_BAD_REQUEST);
	parse_fails("sta\rtus", 7, CTL_ERR_BAD_REQUEST);
}

static void test_unknown_and_arguments(void **state)
{
	const char *m;
	(void)state;

	m = parse_fails("frobnicate", 10, CTL_ERR_UNKNOWN_COMMAND);
	assert_non_null(strstr(m, "frobnicate"));
	/* commands are lower case */
	parse_fails("STATUS", 6, CTL_ERR_UNKNOWN_COMMAND);
	parse_fails("Status", 6, CTL_ERR_UNKNOWN_COMMAND);
	/* a prefix is not a command */
	parse_fails("stat", 4, CTL_ERR_UNKNOWN_COMMAND);
	parse_fails("statusx", 7, CTL_ERR_UNKNOWN_COMMAND);
	/* a quoted command word is still looked up */
	parse_fails("\"stat us\"", 9, CTL_ERR_UNKNOWN_COMMAND);
	/* unknown wins over argument counts */
	parse_fails("nope a b c", 10, CTL_ERR_UNKNOWN_COMMAND);

	m = parse_fails("pause now", 9, CTL_ERR_BAD_ARGUMENT);
	assert_non_null(strstr(m, "pause takes no arguments"));
	parse_fails("status --json", 13, CTL_ERR_BAD_ARGUMENT);
	parse_fails("stop force", 10, CTL_ERR_BAD_ARGUMENT);
	parse_fails("quit \"\"", 7, CTL_ERR_BAD_ARGUMENT);
	m = parse_fails("help a b", 8, CTL_ERR_BAD_ARGUMENT);
	assert_non_null(strstr(m, "usage: help [COMMAND]"));

	/* the console commands' argument counts (values are the server's) */
	struct ctl_request req;
	struct ctl_parse_error err;
	assert_int_equal(parse("console ro 1234", &req, &err), 0);
	assert_int_equal(req.cmd, CTL_CMD_CONSOLE);
	assert_int_equal(req.argc, 2);
	assert_string_equal(req.argv[1], "1234");
	m = parse_fails("console rw 1 2", 14, CTL_ERR_BAD_ARGUMENT);
	assert_non_null(strstr(m, "usage: console [rw|ro] [POS]"));
	assert_int_equal(parse("serial-read 0", &req, &err), 0);
	assert_int_equal(req.cmd, CTL_CMD_SERIAL_READ);
	m = parse_fails("serial-read 1 2", 15, CTL_ERR_BAD_ARGUMENT);
	assert_non_null(strstr(m, "usage: serial-read [POS]"));
	assert_int_equal(parse("screen-text 960", &req, &err), 0);
	assert_int_equal(req.cmd, CTL_CMD_SCREEN_TEXT);
	parse_fails("screen-text 1 2", 15, CTL_ERR_BAD_ARGUMENT);
	parse_fails("serial_read", 11, CTL_ERR_UNKNOWN_COMMAND);

	/* more words than CTL_ARGS_MAX: still a clean bad-argument */
	char many[512] = "help";
	for (int i = 0; i < 40; i++)
		strcat(many, " x");
	parse_fails(many, strlen(many), CTL_ERR_BAD_ARGUMENT);
}

static void test_malformed_bytes(void **state)
{
	const char *m;
	(void)state;

	/* embedded NUL: the length counts, not the C string */
	m = parse_fails("status\0junk", 11, CTL_ERR_BAD_REQUEST);
	assert_non_null(strstr(m, "control byte"));
	assert_non_null(strstr(m, "byte 7"));
	parse_fails("\0", 1, CTL_ERR_BAD_REQUEST);
	parse_fails("status\x7f", 7, CTL_ERR_BAD_REQUEST);
	parse_fails("\x1b[Astatus", 9, CTL_ERR_BAD_REQUEST);
	parse_fails("status\n", 7, CTL_ERR_BAD_REQUEST); /* LF is the caller's */
	/* binary */
	char bin[64];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (char)(i * 37 + 1);
	parse_fails(bin, sizeof(bin), CTL_ERR_BAD_REQUEST);
	/* bytes >= 0x80 are allowed in words (UTF-8); no such command */
	parse_fails("st\xc3\xa4tus", 7, CTL_ERR_UNKNOWN_COMMAND);

	/* quoting mistakes */
	m = parse_fails("help \"pause", 11, CTL_ERR_BAD_REQUEST);
	assert_non_null(strstr(m, "unterminated"));
	parse_fails("help \"pause\\\"", 13, CTL_ERR_BAD_REQUEST);
	parse_fails("help \"a\\", 8, CTL_ERR_BAD_REQUEST);
	parse_fails("help pa\"use\"", 12, CTL_ERR_BAD_REQUEST);
	parse_fails("help \"pa\"use", 12, CTL_ERR_BAD_REQUEST);
	parse_fails("help pa\\use", 11, CTL_ERR_BAD_REQUEST);
	parse_fails("help \"a\\qb\"", 11, CTL_ERR_BAD_REQUEST);
	parse_fails("help \"\\x0\"", 10, CTL_ERR_BAD_REQUEST);
	parse_fails("help \"\\xg0\"", 11, CTL_ERR_BAD_REQUEST);
	m = parse_fails("help \"\\x00\"", 11, CTL_ERR_BAD_REQUEST);
	assert_non_null(strstr(m, "\\x00"));
	parse_fails("help \"a\tb\"", 10, CTL_ERR_BAD_REQUEST);
	parse_fails("help \"\\x", 8, CTL_ERR_BAD_REQUEST);
}

static void test_huge_lines(void **state)
{
	struct ctl_request req;
	struct ctl_parse_error err;
	size_t n = 1 << 20;
	char *big = malloc(n);
	(void)state;

	assert_non_null(big);
	memset(big, 'a', n);
	parse_fails(big, n, CTL_ERR_TOO_LONG);
	parse_fails(big, CTL_REQUEST_MAX, CTL_ERR_TOO_LONG);
	/* the longest allowed line parses (here: one unknown word) */
	parse_fails(big, CTL_REQUEST_MAX - 1, CTL_ERR_UNKNOWN_COMMAND);
	/* ... and a maximal line of valid words fills the store exactly */
	memcpy(big, "help ", 5);
	assert_int_equal(ctl_request_parse(big, CTL_REQUEST_MAX - 1, &req, &err), 0);
	assert_int_equal(strlen(req.argv[0]), CTL_REQUEST_MAX - 1 - 5);
	/* a maximal line with a CR still counts the CR */
	big[CTL_REQUEST_MAX - 2] = '\r';
	assert_int_equal(ctl_request_parse(big, CTL_REQUEST_MAX - 1, &req, &err), 0);
	/* the longest quoted word: escapes shrink, never grow */
	size_t len = 0;
	len += (size_t)sprintf(big, "help \"");
	while (len + 4 < CTL_REQUEST_MAX - 2)
		len += (size_t)sprintf(big + len, "\\x41");
	big[len++] = '"';
	assert_int_equal(ctl_request_parse(big, len, &req, &err), 0);
	assert_true(req.argv[0][0] == 'A');
	free(big);
}

static void test_reply_writing(void **state)
{
	char buf[CTL_REPLY_MAX];
	struct ctl_writer w;
	(void)state;

	ctl_writer_init(&w, buf, sizeof(buf));
	ctl_write_word(&w, "ok");
	ctl_write_field(&w, "state", "running");
	ctl_write_field(&w, "name", "web-1");
	ctl_write_field_u64(&w, "memory", 268435456);
	ctl_write_field(&w, "path", "/tmp/a b/\"c\"\\d");
	ctl_write_field(&w, "empty", "");
	ctl_write_field(&w, "ctl", "a\nb\tc\rd\x01" "e\x7f");
	ctl_write_field(&w, "utf8", "gr\xc3\xbc\xc3\x9f");
	ctl_write_field(&w, "eq", "a=b");
	size_t len = ctl_writer_end(&w);
	assert_int_equal(len, strlen(buf));
	assert_string_equal(buf, "ok state=running name=web-1 memory=268435456 "
				 "path=\"/tmp/a b/\\\"c\\\"\\\\d\" empty=\"\" "
				 "ctl=\"a\\nb\\tc\\rd\\x01e\\x7f\" utf8=gr\xc3\xbc\xc3\x9f eq=a=b\n");

	ctl_writer_init(&w, buf, sizeof(buf));
	ctl_write_word(&w, "ok");
	ctl_write_field(&w, "x", "1");
	ctl_write_error(&w, CTL_ERR_STATE, "the VM is %s", "already paused");
	ctl_writer_end(&w);
	assert_string_equal(buf, "error state the VM is already paused\n");

	/* control bytes never reach an error message */
	ctl_writer_init(&w, buf, sizeof(buf));
	ctl_write_error(&w, CTL_ERR_BAD_ARGUMENT, "bad\nline\r%s", "\x1b[2J");
	ctl_writer_end(&w);
	assert_string_equal(buf, "error bad-argument bad?line??[2J\n");
	ctl_writer_init(&w, buf, sizeof(buf));
	ctl_write_error(&w, CTL_ERR_BUSY, "%s", "");
	ctl_writer_end(&w);
	assert_string_equal(buf, "error busy\n");

	/* every code has its documented word */
	const char *codes[] = { "bad-request", "too-long", "unknown-command", "bad-argument",
				"state", "not-supported", "busy", "internal" };
	assert_int_equal(ARRAY_SIZE(codes), CTL_ERR_COUNT);
	for (int i = 0; i < CTL_ERR_COUNT; i++) {
		assert_string_equal(ctl_err_name((enum ctl_err)i), codes[i]);
		assert_int_equal(ctl_err_lookup(codes[i]), i);
	}
	assert_int_equal(ctl_err_lookup("nope"), CTL_ERR_COUNT);
	assert_string_equal(ctl_err_name(CTL_ERR_COUNT), "internal");

	/* a reply that does not fit is replaced, not cut */
	char small[64];
	ctl_writer_init(&w, small, sizeof(small));
	ctl_write_word(&w, "ok");
	ctl_write_field(&w, "a", "0123456789012345678901234567890123456789");
	ctl_write_field(&w, "b", "0123456789012345678901234567890123456789");
	ctl_writer_end(&w);
	assert_string_equal(small, "error internal reply too long\n");
	/* quoting that overflows, too */
	ctl_writer_init(&w, small, sizeof(small));
	ctl_write_word(&w, "ok");
	ctl_write_field(&w, "a", "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01");
	ctl_writer_end(&w);
	assert_string_equal(small, "error internal reply too long\n");
	/* exactly full */
	ctl_writer_init(&w, small, sizeof(small));
	char fill[64];
	memset(fill, 'z', sizeof(fill));
	fill[sizeof(small) - 2 - 3] = '\0';
	ctl_write_word(&w, "ok");
	ctl_write_word(&w, fill);
	assert_false(w.overflow);
	assert_int_equal(ctl_writer_end(&w), sizeof(small) - 1);

	char g[64];
	assert_int_equal(ctl_greeting_format(g, sizeof(g)), strlen("ttyvm-control 1\n"));
	assert_string_equal(g, "ttyvm-control 1\n");
}

static void test_reply_parsing(void **state)
{
	struct ctl_reply r;
	const char *ok = "ok state=running name=web-1 path=\"/a b/\\\"c\\\"\" empty=\"\" "
			 "bare= eq=a=b";
	(void)state;

	assert_int_equal(ctl_reply_parse(ok, strlen(ok), &r), 0);
	assert_true(r.ok);
	assert_int_equal(r.nfields, 6);
	assert_string_equal(ctl_reply_get(&r, "state"), "running");
	assert_string_equal(ctl_reply_get(&r, "name"), "web-1");
	assert_string_equal(ctl_reply_get(&r, "path"), "/a b/\"c\"");
	assert_string_equal(ctl_reply_get(&r, "empty"), "");
	assert_string_equal(ctl_reply_get(&r, "bare"), "");
	assert_string_equal(ctl_reply_get(&r, "eq"), "a=b");
	assert_null(ctl_reply_get(&r, "nope"));

	assert_int_equal(ctl_reply_parse("ok", 2, &r), 0);
	assert_true(r.ok);
	assert_int_equal(r.nfields, 0);
	assert_int_equal(ctl_reply_parse("ok  \r", 5, &r), 0);

	const char *e = "error state the VM is already paused\r";
	assert_int_equal(ctl_reply_parse(e, strlen(e), &r), 0);
	assert_false(r.ok);
	assert_int_equal(r.err, CTL_ERR_STATE);
	assert_string_equal(r.code, "state");
	assert_string_equal(r.message, "the VM is already paused");
	assert_int_equal(ctl_reply_parse("error busy", 10, &r), 0);
	assert_int_equal(r.err, CTL_ERR_BUSY);
	assert_string_equal(r.message, "");
	/* a code from a newer server */
	assert_int_equal(ctl_reply_parse("error no-disk x", 15, &r), 0);
	assert_int_equal(r.err, CTL_ERR_COUNT);
	assert_string_equal(r.code, "no-disk");

	const char *bad[] = {
		"", "okay", "OK", "ok x", "ok =1", "ok X=1", "ok a=1 a=2", "ok a=\"1",
		"ok a=1\"", "ok a=\\1", "ok a=b\x01", "error", "error ", "error Bad",
		"error state\x01", "error state msg\x01", "ttyvm-control 1", "ok a=\"\\x00\"",
		"error aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (ctl_reply_parse(bad[i], strlen(bad[i]), &r) != -EPROTO)
			fail_msg("reply '%s' accepted", bad[i]);
	assert_int_equal(ctl_reply_parse("ok\0a=1", 6, &r), -EPROTO);

	/* too many fields */
	char many[1024] = "ok";
	for (int i = 0; i < CTL_FIELDS_MAX; i++)
		sprintf(many + strlen(many), " k%d=%d", i, i);
	assert_int_equal(ctl_reply_parse(many, strlen(many), &r), 0);
	assert_int_equal(r.nfields, CTL_FIELDS_MAX);
	strcat(many, " one=more");
	assert_int_equal(ctl_reply_parse(many, strlen(many), &r), -EPROTO);

	char *huge = malloc(CTL_REPLY_MAX);
	assert_non_null(huge);
	memset(huge, 'a', CTL_REPLY_MAX);
	memcpy(huge, "ok a=", 5);
	assert_int_equal(ctl_reply_parse(huge, CTL_REPLY_MAX, &r), -EPROTO);
	assert_int_equal(ctl_reply_parse(huge, CTL_REPLY_MAX - 1, &r), 0);
	assert_int_equal(strlen(ctl_reply_get(&r, "a")), CTL_REPLY_MAX - 1 - 5);
	free(huge);
}

static void test_greeting(void **state)
{
	unsigned int v = 0;
	(void)state;

	assert_int_equal(ctl_greeting_parse("ttyvm-control 1", 15, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ctl_greeting_parse("ttyvm-control 1\r", 16, &v), 0);
	assert_int_equal(ctl_greeting_parse("ttyvm-control 12 extra words", 28, &v), 0);
	assert_int_equal(v, 12);
	const char *bad[] = { "", "ttyvm-control", "ttyvm-control ", "ttyvm-control x",
			      "ttyvm-control 0", "ttyvm-control 1x", "ttyvm-controls 1",
			      "ok", "SSH-2.0-OpenSSH", "ttyvm-control 9999999" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (ctl_greeting_parse(bad[i], strlen(bad[i]), &v) != -EPROTO)
			fail_msg("greeting '%s' accepted", bad[i]);
}

/* What is quoted reads back as the same bytes, as a request word and as a
 * reply value, for every byte value 1..255 in every position. */
static void test_quote_round_trip(void **state)
{
	char word[300], q[1300], line[1400];
	struct ctl_request req;
	struct ctl_parse_error err;
	struct ctl_reply r;
	(void)state;

	for (int b = 1; b < 256; b++) {
		/* the byte alone, inside a word, twice, after a blank, before a quote */
		const char *shapes[] = { "*", "a*b", "**", " *", "*\"" };
		for (size_t s = 0; s < ARRAY_SIZE(shapes); s++) {
			size_t n0 = 0;
			for (const char *c = shapes[s]; *c; c++)
				word[n0++] = *c == '*' ? (char)b : *c;
			word[n0] = '\0';
			int n = ctl_quote(word, q, sizeof(q));
			assert_true(n > 0);
			assert_int_equal((size_t)n, strlen(q));
			assert_true((size_t)n <= 4 * strlen(word) + 3);
			for (int i = 0; i < n; i++) /* a quoted word never has control bytes */
				assert_false((unsigned char)q[i] < 0x20 || q[i] == 0x7f);
			snprintf(line, sizeof(line), "help %s", q);
			if (ctl_request_parse(line, strlen(line), &req, &err) != 0)
				fail_msg("byte 0x%02x shape %zu: %s: %s", b, s, line, err.message);
			assert_string_equal(req.argv[0], word);
			snprintf(line, sizeof(line), "ok v=%s w=1", q);
			assert_int_equal(ctl_reply_parse(line, strlen(line), &r), 0);
			assert_string_equal(ctl_reply_get(&r, "v"), word);
			assert_string_equal(ctl_reply_get(&r, "w"), "1");
		}
	}
	/* the writer and the reader agree on whole replies */
	char buf[CTL_REPLY_MAX];
	struct ctl_writer w;
	ctl_writer_init(&w, buf, sizeof(buf));
	ctl_write_word(&w, "ok");
	ctl_write_field(&w, "a", "");
	ctl_write_field(&w, "b", "x y");
	ctl_write_field(&w, "c", "\\\"");
	size_t len = ctl_writer_end(&w);
	assert_int_equal(ctl_reply_parse(buf, len - 1, &r), 0);
	assert_string_equal(ctl_reply_get(&r, "a"), "");
	assert_string_equal(ctl_reply_get(&r, "b"), "x y");
	assert_string_equal(ctl_reply_get(&r, "c"), "\\\"");
	/* requests written by the client side parse on the server side */
	ctl_writer_init(&w, buf, sizeof(buf));
	ctl_write_word(&w, "help");
	ctl_write_word(&w, "a b\n");
	len = ctl_writer_end(&w);
	assert_int_equal(ctl_request_parse(buf, len - 1, &req, &err), 0);
	assert_string_equal(req.argv[0], "a b\n");

	/* quote into a too-small buffer */
	assert_int_equal(ctl_quote("abc", q, 3), -ENOSPC);
	assert_string_equal(q, "");
	assert_int_equal(ctl_quote("abc", q, 4), 3);
	assert_int_equal(ctl_quote("a b", q, 5), -ENOSPC);
	assert_int_equal(ctl_quote("a b", q, 6), 5);
	assert_int_equal(ctl_quote("", q, 2), -ENOSPC);
	assert_int_equal(ctl_quote("", q, 3), 2);
	assert_string_equal(q, "\"\"");
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Random lines and mutations of valid ones: the parsers must return one
 * of their documented results and leave NUL-terminated words (ASan
 * catches any read or write out of bounds).
 */
static void test_fuzz(void **state)
{
	static const char *seeds[] = {
		"status", "help \"a b\"", "help \"\\x41\\n\"", "ok a=1 b=\"x y\"",
		"error state msg", "ttyvm-control 1", "pause", "  quit\r",
		"console ro 12", "serial-read 4096", "screen-text 0",
		"ok pos=1 next=2 end=3 lost=0 data=\"a\\x1b[0m\\r\\n\"",
	};
	static const char alphabet[] = "ab \t\"\\=xn0\r\x01\x7f\x80\xff";
	struct ctl_request *req = malloc(sizeof(*req));
	struct ctl_reply *rep = malloc(sizeof(*rep));
	struct ctl_parse_error err;
	uint32_t seed = 0x9e3779b9;
	unsigned int accepted = 0;
	(void)state;

	assert_non_null(req);
	assert_non_null(rep);
	for (int iter = 0; iter < 200000; iter++) {
		size_t len;
		char *line;
		if (iter % 2) {
			const char *s = seeds[xorshift(&seed) % ARRAY_SIZE(seeds)];
			len = strlen(s);
			line = malloc(len + 8);
			assert_non_null(line);
			memcpy(line, s, len);
			unsigned int muts = 1 + xorshift(&seed) % 3;
			for (unsigned int m = 0; m < muts; m++) {
				uint32_t x = xorshift(&seed);
				size_t at = len ? x % len : 0;
				char c = alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
				if ((x >> 16) % 3 == 0 && len) {
					line[at] = c;          /* replace */
				} else if ((x >> 16) % 3 == 1 && len < strlen(s) + 7) {
					memmove(line + at + 1, line + at, len - at);
					line[at] = c;          /* insert */
					len++;
				} else if (len) {
					memmove(line + at, line + at + 1, len - at - 1);
					len--;                 /* delete */
				}
			}
		} else {
			len = xorshift(&seed) % 48;
			line = malloc(len ? len : 1);
			assert_non_null(line);
			for (size_t i = 0; i < len; i++) {
				uint32_t x = xorshift(&seed);
				line[i] = (x & 1) ? (char)(x >> 8)
						  : alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
			}
		}
		int r = ctl_request_parse(line, len, req, &err);
		assert_true(r == 0 || r == CTL_PARSE_EMPTY || r == -EINVAL);
		if (r == 0) {
			accepted++;
			assert_true(req->cmd < CTL_CMD_COUNT);
			assert_true(req->argc <= CTL_ARGS_MAX);
			for (unsigned int i = 0; i < req->argc; i++)
				assert_true(strlen(req->argv[i]) < len);
		} else if (r == -EINVAL) {
			assert_true(err.code < CTL_ERR_COUNT);
			assert_true(strlen(err.message) < sizeof(err.message));
		}
		r = ctl_reply_parse(line, len, rep);
		assert_true(r == 0 || r == -EPROTO);
		if (r == 0 && rep->ok)
			for (unsigned int i = 0; i < rep->nfields; i++)
				assert_true(strlen(rep->fields[i].value) < len);
		unsigned int v;
		r = ctl_greeting_parse(line, len, &v);
		assert_true(r == 0 || r == -EPROTO);
		free(line);
	}
	assert_true(accepted > 100); /* the mutations do reach valid requests */
	free(req);
	free(rep);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_every_command),
	cmocka_unit_test(test_blanks_and_line_ends),
	cmocka_unit_test(test_unknown_and_arguments),
	cmocka_unit_test(test_malformed_bytes),
	cmocka_unit_test(test_huge_lines),
	cmocka_unit_test(test_reply_writing),
	cmocka_unit_test(test_reply_parsing),
	cmocka_unit_test(test_greeting),
	cmocka_unit_test(test_quote_round_trip),
	cmocka_unit_test(test_fuzz),
};

UNIT_SUITE(ctl_proto, tests);
