/*
 * input_test.c - keyboard and pointer input on /dev/kvm through the real
 * binary and its control socket:
 *   - the test kernel's virtio-input driver (tk.test=virtioinput) reads
 *     the tablet's and the keyboard's configuration space, then reports
 *     the events it gets from `pointer` and `ttyvm sendkey`;
 *   - `ttyvm screenshot` of SeaBIOS's text screen, at its resolution;
 *   - the test kernel's polling PS/2 driver (tk.test=kbdecho) echoes the
 *     lines that `ttyvm type` and `ttyvm sendkey` give it, byte for byte.
 */
#include "../unit/unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "harness.h"

#define BOOT_TIMEOUT 120
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
	char *dir = make_dir(), sock[100];
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

/*
 * Keys to the PS/2 keyboard (no virtio keyboard: the default), read by
 * the test kernel's polling i8042 driver, which echoes each line.  (GRUB
 * under SeaBIOS would be the natural guest, but on these development
 * machines the instruction emulator never takes an interrupt in
 * SeaBIOS's "sti; nop; cli" window, so no firmware gets IRQ 1 here; QEMU
 * on the same /dev/kvm loses the keys the same way.)
 */
static void test_keys_to_ps2(void **state)
{
	char *dir = make_dir(), sock[100];
	struct vm_proc p;
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64M", "--append", "tk.test=kbdecho",
			       "--control", sock, NULL };
	(void)state;

	snprintf(sock, sizeof(sock), "%s/vm.sock", dir);
	harness_require_kvm();
	harness_spawn(&p, argv);
	if (!harness_wait_for(&p, "kbdecho: ready", BOOT_TIMEOUT))
		fail_msg("no 'ready'\n--- out:\n%s--- err:\n%s", p.out, p.err);
	wait_socket(&p, sock);

	/* nothing goes when a key or a character is wrong */
	const char *bad[] = { "sendkey", sock, "h", "ctrl-frob", NULL };
	assert_int_equal(cli(bad), 1);
	const char *bad_text[] = { "type", sock, "caf\xc3\xa9\n", NULL };
	assert_int_equal(cli(bad_text), 1);

	/* every character of a line with shifted runs, exactly */
	const char *text = "Hello, World! 42_x~\"{ok} [a|b] <c>\n";
	const char *type[] = { "type", sock, text, NULL };
	assert_int_equal(cli(type), 0);
	/* combinations and plain keys, one argument after another */
	const char *keys[] = { "sendkey", sock, "shift-h", "i", "ret", NULL };
	assert_int_equal(cli(keys), 0);
	if (!harness_wait_for(&p, "kbdecho: done", 60))
		fail_msg("no 'done'\n--- out:\n%s--- err:\n%s", p.out, p.err);
	assert_true(has_line(p.out, "kbdecho: line=Hello, World! 42_x~\"{ok} [a|b] <c>\n"));
	/* Shift pressed around H, released before e (set 1, translated) */
	assert_true(has_line(p.out, "kbdecho: bytes=2a 23 a3 aa 12 92 "));
	assert_true(has_line(p.out, "kbdecho: line=Hi\n"));
	assert_false(has_line(p.out, "kbdecho: FAIL"));

	const char *stop[] = { "stop", "--force", sock, NULL };
	assert_int_equal(cli(stop), 0);
	harness_wait_exit(&p, 30);
	remove_dir(dir);
	harness_free(&p);
}

/* The PNG's size from its IHDR; false when the file is no PNG. */
static bool png_size(const char *path, unsigned int *w, unsigned int *h)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char b[24];
	FILE *f = fopen(path, "rb");
	bool ok = f && fread(b, 1, sizeof(b), f) == sizeof(b) && memcmp(b, sig, 8) == 0 &&
		  memcmp(b + 12, "IHDR", 4) == 0;

	if (f)
		fclose(f);
	if (ok) {
		*w = (unsigned int)b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19];
		*h = (unsigned int)b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23];
	}
	return ok;
}

/* `ttyvm screenshot` of SeaBIOS's text screen: 80x25 cells of 9x16. */
static void test_screenshot_text_mode(void **state)
{
	char *dir = make_dir(), sock[100], png[128];
	struct vm_proc p;
	unsigned int w = 0, h = 0;
	const char *argv[] = { "run", "--memory", "64M", "--control", sock, NULL };
	(void)state;

	snprintf(sock, sizeof(sock), "%s/vm.sock", dir);
	snprintf(png, sizeof(png), "%s/text.png", dir);
	harness_require_kvm();
	harness_spawn(&p, argv);
	wait_socket(&p, sock);
	const char *wait[] = { "expect", "--screen", "--timeout", "180", sock,
			       "SeaBIOS (version", NULL };
	assert_int_equal(cli(wait), 0);
	const char *shot[] = { "screenshot", sock, png, NULL };
	assert_int_equal(cli(shot), 0);
	assert_true(png_size(png, &w, &h));
	assert_int_equal(w, 720);
	assert_int_equal(h, 400);

	const char *stop[] = { "stop", "--force", sock, NULL };
	assert_int_equal(cli(stop), 0);
	harness_wait_exit(&p, 30);
	remove_dir(dir);
	harness_free(&p);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_screenshot_text_mode),
	cmocka_unit_test(test_virtio_input_guest),
	cmocka_unit_test(test_keys_to_ps2),
};

UNIT_SUITE(input, tests);
