/*
 * ctl_console_test.c - the serial console of the control socket: the
 * output ring (positions, overwriting, NUL bytes), `serial-read` paging,
 * `console` connections (streaming, one writer, readers, a starting
 * position, input sent with the request, a guest that takes input slowly,
 * the end of the VM), `screen-text` paging, and malformed arguments.
 * A fake machine and a fake serial input; no /dev/kvm.
 */
#include "unit.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "ctl_testutil.h"
#include "ui/ctl_proto.h"
#include "util/util.h"
#include "vmm/ctl_console.h"
#include "vmm/ctl_server.h"
#include "vmm/evloop.h"

/* What the guest's serial port received (filled on the loop thread). */
struct fake_input {
	pthread_mutex_t lock;
	char buf[8192];
	size_t len;
	size_t room;             /* bytes it takes per call; 0: all */
};

static size_t fake_deliver(void *opaque, const uint8_t *b, size_t len)
{
	struct fake_input *in = opaque;

	pthread_mutex_lock(&in->lock);
	if (in->room && len > in->room)
		len = in->room;
	if (len > sizeof(in->buf) - in->len)
		len = sizeof(in->buf) - in->len;
	memcpy(in->buf + in->len, b, len);
	in->len += len;
	pthread_mutex_unlock(&in->lock);
	return len;
}

/* Waits up to 5 s for the input to hold want. */
static void wait_input(struct fake_input *in, const char *want)
{
	for (int i = 0; i < 500; i++) {
		pthread_mutex_lock(&in->lock);
		bool ok = in->len == strlen(want) && memcmp(in->buf, want, in->len) == 0;
		pthread_mutex_unlock(&in->lock);
		if (ok)
			return;
		usleep(10000);
	}
	pthread_mutex_lock(&in->lock);
	in->buf[MIN(in->len, sizeof(in->buf) - 1)] = '\0';
	fail_msg("guest input \"%s\", wanted \"%s\"", in->buf, want);
}

/* Reads exactly n raw bytes. */
static void read_raw(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			fail_msg("console: %zu of %zu bytes, then %s", got, n,
				 r == 0 ? "end of file" : strerror(errno));
		got += (size_t)r;
	}
}

static void expect_raw(int fd, const char *want)
{
	char buf[256];

	assert_true(strlen(want) < sizeof(buf));
	read_raw(fd, buf, strlen(want));
	buf[strlen(want)] = '\0';
	assert_string_equal(buf, want);
}

/* Nothing arrives within ms. */
static void expect_quiet(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, ms), 0);
}

static void out(struct ctl_console *cc, const char *s)
{
	ctl_console_output(cc, (const uint8_t *)s, strlen(s));
}

/* A fixture with a hub and fake input, loop running. */
struct con {
	struct fixture *f;
	struct ctl_console *cc;
	struct fake_input in;
};

static void con_start(struct con *c, void **state)
{
	struct ctl_console_input fi = { fake_deliver, &c->in };

	memset(c, 0, sizeof(*c));
	c->f = *state;
	pthread_mutex_init(&c->in.lock, NULL);
	assert_int_equal(ctl_console_create(&c->cc, c->f->el), 0);
	ctl_console_set_input(c->cc, &fi);
	ctl_server_set_console(c->f->srv, c->cc);
	start_loop(c->f);
}

static void con_done(struct con *c)
{
	stop_loop(c->f);
	ctl_server_set_console(c->f->srv, NULL);
	ctl_console_destroy(c->cc);
	pthread_mutex_destroy(&c->in.lock);
}

/* --- tests ----------------------------------------------------------------- */

static void test_ring(void **state)
{
	struct fixture *f = *state;
	struct ctl_console *cc;
	uint8_t buf[CTL_CONSOLE_RING];
	uint64_t first, end, start;
	char *big = malloc(3 * CTL_CONSOLE_RING);

	assert_non_null(big);
	assert_int_equal(ctl_console_create(&cc, f->el), 0);
	assert_int_equal(ctl_console_read(cc, 0, buf, 10, &first, &end), 0);
	assert_int_equal(first, 0);
	assert_int_equal(end, 0);
	out(cc, "hello");
	assert_int_equal(ctl_console_read(cc, 1, buf, 10, &first, &end), 4);
	assert_memory_equal(buf, "ello", 4);
	assert_int_equal(first, 1);
	assert_int_equal(end, 5);
	/* past the end: nothing, at the end */
	assert_int_equal(ctl_console_read(cc, 99, buf, 10, &first, &end), 0);
	assert_int_equal(first, 5);

	/* more than the ring: the oldest go, positions go on */
	for (size_t i = 0; i < 3 * CTL_CONSOLE_RING; i++)
		big[i] = (char)('a' + i % 26);
	ctl_console_output(cc, (uint8_t *)big, CTL_CONSOLE_RING / 2);
	ctl_console_output(cc, (uint8_t *)big + CTL_CONSOLE_RING / 2, CTL_CONSOLE_RING);
	ctl_console_range(cc, &start, &end);
	assert_int_equal(end, 5 + CTL_CONSOLE_RING / 2 + CTL_CONSOLE_RING);
	assert_int_equal(start, end - CTL_CONSOLE_RING);
	assert_int_equal(ctl_console_read(cc, 0, buf, sizeof(buf), &first, &end),
			 CTL_CONSOLE_RING);
	assert_int_equal(first, start);
	assert_memory_equal(buf, big + (start - 5), CTL_CONSOLE_RING); /* wrapped, in order */
	/* one write bigger than the ring keeps its newest bytes */
	ctl_console_output(cc, (uint8_t *)big, 3 * CTL_CONSOLE_RING);
	assert_int_equal(ctl_console_read(cc, 0, buf, sizeof(buf), &first, &end),
			 CTL_CONSOLE_RING);
	assert_memory_equal(buf, big + 2 * CTL_CONSOLE_RING, CTL_CONSOLE_RING);
	ctl_console_destroy(cc);
	free(big);
}

static void test_absent(void **state)
{
	struct fixture *f = *state;

	start_loop(f);
	int fd = topen(f);
	assert_string_equal(call(fd, "serial-read\n"),
			    "error not-supported this VM has no serial console");
	assert_string_equal(call(fd, "console\n"),
			    "error not-supported this VM has no serial console");
	assert_string_equal(call(fd, "screen-text\n"), "error not-supported this VM has no display");
	/* the connection is still in line mode */
	assert_non_null(strstr(call(fd, "status\n"), "ok state=running"));
	close(fd);
}

static void test_serial_read(void **state)
{
	struct con c;
	struct ctl_reply r;
	const char *l;
	char *all = malloc(CTL_CONSOLE_RING + 1), *big = malloc(70000);
	size_t got = 0;

	con_start(&c, state);
	int fd = topen(c.f);
	assert_string_equal(call(fd, "serial-read\n"),
			    "ok pos=0 next=0 end=0 lost=0 data=\"\"");
	out(c.cc, "hello\r\nworld \"x\"\x1b[0m");
	assert_string_equal(call(fd, "serial-read\n"),
			    "ok pos=0 next=20 end=20 lost=0 data=\"hello\\r\\nworld \\\"x\\\"\\x1b[0m\"");
	assert_string_equal(call(fd, "serial-read 7\n"),
			    "ok pos=7 next=20 end=20 lost=0 data=\"world \\\"x\\\"\\x1b[0m\"");
	assert_string_equal(call(fd, "serial-read 20\n"),
			    "ok pos=20 next=20 end=20 lost=0 data=\"\"");
	assert_string_equal(call(fd, "serial-read 999\n"),
			    "ok pos=20 next=20 end=20 lost=0 data=\"\"");
	/* NUL bytes are left out; the positions still count them */
	ctl_console_output(c.cc, (const uint8_t *)"a\0\0b", 4);
	assert_string_equal(call(fd, "serial-read 20\n"),
			    "ok pos=20 next=21 end=24 lost=0 data=a");
	assert_string_equal(call(fd, "serial-read 21\n"),
			    "ok pos=21 next=24 end=24 lost=0 data=b");

	/* 70000 bytes: the oldest are lost; paging through gets the rest */
	assert_non_null(all);
	assert_non_null(big);
	for (size_t i = 0; i < 70000; i++)
		big[i] = (char)(i % 95 + 0x20);
	ctl_console_output(c.cc, (uint8_t *)big, 70000);
	uint64_t end = 24 + 70000, pos = 0;
	l = call(fd, "serial-read 0\n");
	assert_int_equal(ctl_reply_parse(l, strlen(l), &r), 0);
	assert_int_equal(strtoull(ctl_reply_get(&r, "pos"), NULL, 10), end - CTL_CONSOLE_RING);
	assert_int_equal(strtoull(ctl_reply_get(&r, "lost"), NULL, 10), end - CTL_CONSOLE_RING);
	assert_int_equal(strlen(ctl_reply_get(&r, "data")), CTL_DATA_MAX);
	pos = end - CTL_CONSOLE_RING;
	while (pos < end) {
		char req[64];
		snprintf(req, sizeof(req), "serial-read %llu\n", (unsigned long long)pos);
		l = call(fd, req);
		assert_int_equal(ctl_reply_parse(l, strlen(l), &r), 0);
		assert_true(r.ok);
		assert_string_equal(ctl_reply_get(&r, "lost"), "0");
		const char *d = ctl_reply_get(&r, "data");
		memcpy(all + got, d, strlen(d));
		got += strlen(d);
		pos = strtoull(ctl_reply_get(&r, "next"), NULL, 10);
	}
	assert_int_equal(got, CTL_CONSOLE_RING);
	assert_memory_equal(all, big + 70000 - CTL_CONSOLE_RING, CTL_CONSOLE_RING);

	assert_string_equal(call(fd, "serial-read -1\n"),
			    "error bad-argument serial-read -1: expected a byte position");
	assert_string_equal(call(fd, "serial-read x\n"),
			    "error bad-argument serial-read x: expected a byte position");
	close(fd);
	free(all);
	free(big);
	con_done(&c);
}

static void test_console(void **state)
{
	struct con c;
	char buf[64];

	con_start(&c, state);
	out(c.cc, "old ");
	int w = topen(c.f);
	assert_string_equal(call(w, "console\n"), "ok mode=rw pos=4");
	/* raw from now on: output as it comes, input to the guest */
	out(c.cc, "boot\r\n");
	expect_raw(w, "boot\r\n");
	tsend(w, "root\n\"x\\", 8);
	wait_input(&c.in, "root\n\"x\\");

	/* one writer; readers as many as fit */
	int w2 = topen(c.f);
	assert_string_equal(call(w2, "console rw\n"),
			    "error state another client has the console's input; console ro "
			    "watches without typing");
	int r1 = topen(c.f);
	assert_string_equal(call(r1, "console ro 0\n"), "ok mode=ro pos=0"); /* the backlog */
	expect_raw(r1, "old boot\r\n");
	tsend(r1, "ignored", 7);
	out(c.cc, "login: ");
	expect_raw(w, "login: ");
	expect_raw(r1, "login: ");
	wait_input(&c.in, "root\n\"x\\"); /* a reader's input is dropped */
	assert_string_equal(call(w2, "console 1 2\n"), "error bad-argument usage: console [rw|ro] [POS]");
	assert_string_equal(call(w2, "console ro ro\n"),
			    "error bad-argument usage: console [rw|ro] [POS]");
	assert_string_equal(call(w2, "console 3 ro\n"), "ok mode=ro pos=3");
	expect_raw(w2, " boot\r\nlogin: ");

	/* the writer leaves: the next one may type, starting with what it
	 * sent along with its request */
	close(w);
	int w3 = topen(c.f);
	const char *l = NULL;
	for (int i = 0; i < 100; i++) {
		tsend(w3, "console\nEARLY", 13);
		l = tline(w3);
		if (strncmp(l, "ok", 2) == 0)
			break;
		usleep(10000); /* the server has not seen the close yet */
	}
	assert_string_equal(l, "ok mode=rw pos=17");
	wait_input(&c.in, "root\n\"x\\EARLY");

	/* a guest that takes 3 bytes at a time gets all, in order */
	pthread_mutex_lock(&c.in.lock);
	c.in.room = 3;
	c.in.len = 0;
	pthread_mutex_unlock(&c.in.lock);
	tsend(w3, "0123456789", 10);
	for (int i = 0; i < 10; i++) {
		usleep(20000);
		ctl_console_input_ready(c.cc); /* the UART drained: room again */
	}
	wait_input(&c.in, "0123456789");

	/* a half-closed client keeps receiving output */
	shutdown(w3, SHUT_WR);
	out(c.cc, "bye");
	expect_raw(w3, "bye");
	expect_quiet(w3, 100);
	assert_int_equal(ctl_console_clients(c.cc), 3);

	/* the VM ends: every console sees end-of-file */
	stop_loop(c.f);
	ctl_server_set_console(c.f->srv, NULL);
	ctl_console_destroy(c.cc);
	c.cc = NULL;
	assert_int_equal(read(r1, buf, sizeof(buf)), 3); /* "bye", then the end */
	assert_int_equal(read(r1, buf, sizeof(buf)), 0);
	assert_int_equal(read(w3, buf, sizeof(buf)), 0);
	close(r1);
	close(w2);
	close(w3);
	pthread_mutex_destroy(&c.in.lock);
}

static void test_screen_text(void **state)
{
	struct fixture *f = *state;
	struct ctl_reply r;
	char *screen = malloc(4000), *back = calloc(1, 4001);
	size_t n = 0;
	const char *l;

	assert_non_null(screen);
	assert_non_null(back);
	/* 25 rows of 40 box-drawing characters (3 bytes each in UTF-8) */
	for (int row = 0; row < 25; row++) {
		for (int col = 0; col < 40; col++, n += 3)
			memcpy(screen + n, "\xe2\x94\x80", 3);
		screen[n++] = '\n';
	}
	screen[n] = '\0';
	f->vm.screen = screen;
	start_loop(f);
	int fd = topen(f);
	assert_string_equal(call(fd, "screen-text 0\n"),
			    "error state no screen snapshot on this connection; screen-text "
			    "without an offset takes one");
	l = call(fd, "screen-text\n");
	assert_int_equal(ctl_reply_parse(l, strlen(l), &r), 0);
	assert_int_equal(strtoull(ctl_reply_get(&r, "size"), NULL, 10), n);
	assert_string_equal(ctl_reply_get(&r, "offset"), "0");
	size_t got = 0, next = strtoull(ctl_reply_get(&r, "next"), NULL, 10);
	assert_int_equal(next, CTL_DATA_MAX);
	memcpy(back, ctl_reply_get(&r, "text"), next);
	got = next;
	while (got < n) {
		char req[48];
		snprintf(req, sizeof(req), "screen-text %zu\n", got);
		l = call(fd, req);
		assert_int_equal(ctl_reply_parse(l, strlen(l), &r), 0);
		const char *t = ctl_reply_get(&r, "text");
		memcpy(back + got, t, strlen(t));
		got += strlen(t);
		assert_int_equal(strtoull(ctl_reply_get(&r, "next"), NULL, 10), got);
	}
	assert_string_equal(back, screen);
	char req[48];
	snprintf(req, sizeof(req), "screen-text %zu\n", n + 1);
	assert_non_null(strstr(call(fd, req), "error bad-argument offset"));
	assert_string_equal(call(fd, "screen-text ab\n"),
			    "error bad-argument screen-text ab: expected a byte offset");
	close(fd);
	stop_loop(f);
	f->vm.screen = NULL;
	free(screen);
	free(back);
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Junk after the console commands: an answer every time, and the server
 * stays up (console with junk never turns the connection raw). */
static void test_malformed_arguments(void **state)
{
	static const char *const cmds[] = { "console", "serial-read", "screen-text" };
	static const char alphabet[] = "0123456789-+x roRW\"\\";
	struct con c;
	uint32_t seed = 12345;

	con_start(&c, state);
	out(c.cc, "some output");
	int fd = topen(c.f);
	for (int i = 0; i < 2000; i++) {
		char line[64];
		const char *cmd = cmds[xorshift(&seed) % ARRAY_SIZE(cmds)];
		size_t n = (size_t)snprintf(line, sizeof(line), "%s %s", cmd,
					    strcmp(cmd, "console") == 0 ? "x" : "");
		size_t len = xorshift(&seed) % 24;
		for (size_t k = 0; k < len; k++)
			line[n++] = alphabet[xorshift(&seed) % (sizeof(alphabet) - 1)];
		line[n++] = '\n';
		tsend(fd, line, n);
		const char *l = tline(fd);
		assert_non_null(l);
		assert_true(strncmp(l, "ok ", 3) == 0 || strncmp(l, "error ", 6) == 0);
		if (strcmp(cmd, "console") == 0)
			assert_true(strncmp(l, "error ", 6) == 0);
	}
	assert_non_null(strstr(call(fd, "status\n"), "ok state=running"));
	assert_int_equal(ctl_console_clients(c.cc), 0);
	close(fd);
	con_done(&c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_ring),
	T(test_absent),
	T(test_serial_read),
	T(test_console),
	T(test_screen_text),
	T(test_malformed_arguments),
};

UNIT_SUITE(ctl_console, tests);
