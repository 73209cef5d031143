/*
 * input_test.c - keyboard and pointer input on /dev/kvm through the real
 * binary and its control socket:
 *   - the test kernel's virtio-input driver (tk.test=virtioinput) reads
 *     the tablet's and the keyboard's configuration space, then reports
 *     the events it gets from `pointer` and `ttyvm sendkey`;
 *   - GRUB from a CD-ROM under SeaBIOS (PS/2 keyboard): `ttyvm sendkey`
 *     moves the menu selection and opens its command line, `ttyvm type`
 *     types a command whose output is read off the text screen with
 *     `ttyvm expect --screen`.
 */
#include "../unit/unit.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "harness.h"

#define BOOT_TIMEOUT 120
#define FIRMWARE_TIMEOUT 180
#define CLI_TIMEOUT 120

static char *make_dir(void)
{
	char *d = strdup("/tmp/ttyvm-input-XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void remove_dir(char *d)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(d);
}

/* Runs a ttyvm verb and returns its exit status (its output on failure). */
static int cli(const char *const *argv)
{
	struct vm_proc p;

	harness_spawn(&p, argv);
	harness_wait_exit(&p, CLI_TIMEOUT);
	assert_false(p.timed_out);
	if (p.status || getenv("TTYVM_TEST_VERBOSE"))
		fprintf(stderr, "ttyvm %s %s ... -> %d\n%s%s", argv[0], argv[1] ? argv[1] : "",
			p.status, p.out, p.err);
	int st = p.status;
	harness_free(&p);
	return st;
}

static void wait_socket(struct vm_proc *p, const char *sock)
{
	for (int i = 0; i < BOOT_TIMEOUT * 2; i++) {
		struct stat st;
		if (lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
			return;
		harness_wait_for(p, "\x01(never printed)", 1);
	}
	fail_msg("no control socket at %s\n--- stderr:\n%s", sock, p->err);
}

/* One request on a new connection; the reply line (static). */
static const char *raw_request(const char *sock, const char *req)
{
	static char buf[4097];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 30 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t n = 0;
	int lines = 0;

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	/* the greeting, then the reply */
	while (lines < 2 && n < sizeof(buf) - 1) {
		char c;
		if (read(fd, &c, 1) != 1)
			break;
		if (c == '\n') {
			if (++lines == 1)
				n = 0;
			continue;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* A line of the guest's output that contains text. */
static bool has_line(const char *out, const char *text)
{
	return strstr(out, text) != NULL;
}

static void test_virtio_input_guest(void **state)
{
	char *dir = make_dir(), sock[128];
	struct vm_proc p;
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64M", "--append", "tk.test=virtioinput",
			       "--input", "tablet,keyboard", "--control", sock, NULL };
	(void)state;

	snprintf(sock, sizeof(sock), "%s/vm.sock", dir);
	harness_require_kvm();
	harness_spawn(&p, argv);
	if (!harness_wait_for(&p, "virtioinput: ready", BOOT_TIMEOUT))
		fail_msg("no 'ready'\n--- out:\n%s--- err:\n%s", p.out, p.err);
	/* the configuration space, as the guest read it */
	assert_true(has_line(p.out, "name=ttyvm virtio tablet devids=0006:0627:0003\n"));
	assert_true(has_line(p.out, "abs_x=0..32767 abs_y=0..32767\n"));
	assert_true(has_line(p.out, "name=ttyvm virtio keyboard devids=0006:0627:0001\n"));
	assert_true(has_line(p.out, " leds=7 rep=1\n"));
	char line[256];
	const char *k = harness_line(p.out, "virtioinput: pci=", line, sizeof(line));
	assert_non_null(k);
	const char *keys = strstr(p.out, " keys=");
	assert_non_null(keys);
	assert_true(atoi(keys + 6) >= 104);   /* a 105-key keyboard's keys, at least */
	assert_int_equal(harness_count_lines(p.out, "virtioinput: bad select size=0"), 2);

	/* the tablet takes the pointer: the middle of the 640x480 screen */
	wait_socket(&p, sock);
	assert_string_equal(raw_request(sock, "pointer 320 240 1\n"), "ok absolute=1");
	/* keys go to the virtio keyboard the guest drives */
	const char *sendkey[] = { "sendkey", sock, "shift-a", "esc", NULL };
	assert_int_equal(cli(sendkey), 0);
	if (!harness_wait_for(&p, "virtioinput: done", 60))
		fail_msg("no 'done'\n--- out:\n%s--- err:\n%s", p.out, p.err);

	const char *x = strstr(p.out, "type=3 code=0 value=");
	const char *y = strstr(p.out, "type=3 code=1 value=");
	assert_non_null(x);
	assert_non_null(y);
	int xv = atoi(x + 20), yv = atoi(y + 20);
	if (xv < 16000 || xv > 16800 || yv < 16000 || yv > 16800)
		fail_msg("the middle of the screen came as %d,%d", xv, yv);
	assert_true(has_line(p.out, "type=1 code=272 value=1\n"));   /* BTN_LEFT */
	/* shift-a: shift down, a down, a up, shift up; then Esc */
	const char *want[] = { "type=1 code=42 value=1\n", "type=1 code=30 value=1\n",
			       "type=1 code=30 value=0\n", "type=1 code=42 value=0\n",
			       "type=1 code=1 value=1\n", "type=1 code=1 value=0\n" };
	const char *at = p.out;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *f = strstr(at, want[i]);
		if (!f)
			fail_msg("no '%s' in order\n--- out:\n%s", want[i], p.out);
		at = f + 1;
	}
	assert_false(has_line(p.out, "virtioinput: FAIL"));

	const char *stop[] = { "stop", "--force", sock, NULL };
	assert_int_equal(cli(stop), 0);
	harness_wait_exit(&p, 30);
	remove_dir(dir);
	harness_free(&p);
}

/* Waits for text on the VM's text screen (ttyvm expect --screen). */
static int expect_screen(const char *sock, const char *text)
{
	const char *argv[] = { "expect", "--screen", "--timeout", "90", sock, text, NULL };
	return cli(argv);
}

static void test_grub_keys(void **state)
{
	char *dir = make_dir(), sock[128];
	struct vm_proc p;
	const char *argv[] = { "run", "--memory", "128M", "--cdrom", harness_guest("grub.iso"),
			       "--control", sock, NULL };
	(void)state;

	snprintf(sock, sizeof(sock), "%s/vm.sock", dir);
	harness_require_kvm();
	harness_spawn(&p, argv);
	wait_socket(&p, sock);
	const char *first = "*ttyvm CD-ROM test entry 7f3a";
	const char *argv_wait[] = { "expect", "--screen", "--timeout", "180", sock, first, NULL };
	assert_int_equal(cli(argv_wait), 0);

	/* the selection (GRUB's '*') moves down and back up */
	const char *down[] = { "sendkey", sock, "down", NULL };
	assert_int_equal(cli(down), 0);
	assert_int_equal(expect_screen(sock, "*ttyvm second entry"), 0);
	const char *up[] = { "sendkey", sock, "up", NULL };
	assert_int_equal(cli(up), 0);
	assert_int_equal(expect_screen(sock, first), 0);

	/* the command line, and a typed command with shifted characters; its
	 * output (not the echo of what was typed) has the variable's value */
	const char *c[] = { "sendkey", sock, "c", NULL };
	assert_int_equal(cli(c), 0);
	assert_int_equal(expect_screen(sock, "grub>"), 0);
	const char *t1[] = { "type", sock, "set v=Q7\n", NULL };
	assert_int_equal(cli(t1), 0);
	const char *t2[] = { "type", sock, "echo ${v}x_Y:OK+done\n", NULL };
	assert_int_equal(cli(t2), 0);
	assert_int_equal(expect_screen(sock, "\nQ7x_Y:OK+done"), 0);

	/* an unknown key is refused before anything is sent */
	const char *bad[] = { "sendkey", sock, "ctrl-frob", NULL };
	assert_int_equal(cli(bad), 1);

	kill(p.pid, SIGKILL);
	harness_wait_exit(&p, 10);
	remove_dir(dir);
	harness_free(&p);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_virtio_input_guest),
	cmocka_unit_test(test_grub_keys),
};

UNIT_SUITE(input, tests);
