/*
 * display_test.c - the VNC server with real clients: vncsnapshot against
 * SeaBIOS's screen; the test kernel's VBE pattern read back pixel for
 * pixel over RFB (rfb_client.c); keys typed over RFB echoed by the test
 * kernel as the set 1 bytes a PC guest reads; and an idle screen with a
 * viewer connected: no updates, next to no CPU.
 *
 * Every VM here but the one of test_vnc_vbe_pixels takes the first free
 * display (vnc=127.0.0.1) and the test reads the port off ttyvm's stderr,
 * so that two runs of the suite on one machine do not collide; the ones
 * that name a display (honoured, or refused while its port is taken)
 * choose it from the ports free at the time.  Xvfb, for the SDL window,
 * picks its own free X display too.
 */
#include "../unit/unit.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "rfb_client.h"

#define DISPLAY_TIMEOUT 120

/* The VM of the running test, killed by the teardown when a check fails. */
static pid_t running_vm, running_xvfb;

static int teardown_vm(void **state)
{
	(void)state;
	if (running_xvfb > 0) {
		kill(running_xvfb, SIGTERM);
		waitpid(running_xvfb, NULL, 0);
	}
	running_xvfb = 0;
	if (running_vm > 0)
		kill(running_vm, SIGKILL);
	running_vm = 0;
	return 0;
}

static void stop_vm(struct vm_proc *p)
{
	running_vm = 0;
	if (!p->exited)
		kill(p->pid, SIGKILL);
	harness_wait_exit(p, 30);
	harness_free(p);
}

static struct vm_proc start_kernel(const char *tests, const char *display)
{
	char append[128], disp[64];
	struct vm_proc p;

	snprintf(append, sizeof(append), "tk.test=%s", tests);
	snprintf(disp, sizeof(disp), "vnc=%s", display);
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64M", "--append", append, "--display", disp, NULL };
	harness_spawn(&p, argv);
	running_vm = p.pid;
	return p;
}

static void connect_or_fail(struct rfb *c, int port)
{
	if (rfb_connect(c, "127.0.0.1", port, 20000) != 0)
		fail_msg("RFB connect to port %d: %s", port, c->err);
	static const int32_t enc[] = { RFB_ENC_RAW, RFB_ENC_DESKTOP_SIZE };
	assert_int_equal(rfb_set_encodings(c, enc, 2), 0);
}

/* The VBE pattern the guest drew, every pixel, over RFB Raw; on the
 * display asked for (vnc=127.0.0.1:N, N free when chosen). */
static void test_vnc_vbe_pixels(void **state)
{
	char listen[32], want[64];
	struct vm_proc p;
	int n = -1;
	(void)state;

	harness_require_kvm();
	/* another run may take N between our look and ttyvm's bind: then
	 * ttyvm says so and exits, and another N is chosen */
	for (int tries = 0; tries < 5; tries++) {
		n = harness_free_vnc_display(NULL);
		snprintf(listen, sizeof(listen), "127.0.0.1:%d", n);
		snprintf(want, sizeof(want), "VNC server on 127.0.0.1:%d\n", 5900 + n);
		p = start_kernel("vbe", listen);
		if (harness_wait_err(&p, want, 30) || !strstr(p.err, "(in use?)"))
			break;
		stop_vm(&p);
	}
	if (!strstr(p.err, want))
		fail_msg("no \"%s\" on stderr for vnc=%s:\n%s", want, listen, p.err);
	if (!harness_wait_for(&p, "vbe: mode=640x480x32", DISPLAY_TIMEOUT))
		fail_msg("the guest did not draw; stdout:\n%s\nstderr:\n%s", p.out, p.err);
	struct rfb c;
	connect_or_fail(&c, 5900 + n);
	unsigned int bad = 0;
	for (int tries = 0; tries < 20; tries++) {
		assert_int_equal(rfb_request(&c, false), 0);
		int r = rfb_read_update(&c, 5000);
		if (r < 0)
			fail_msg("RFB: %s", c.err);
		if (c.w != 640 || c.h != 480)
			continue;
		bad = 0;
		for (unsigned int y = 0; y < 480; y++)
			for (unsigned int x = 0; x < 640; x++)
				bad += (c.pix[y * 640 + x] & 0xFFFFFF) != harness_vbe_pattern(x, y);
		if (!bad)
			break;
		usleep(200 * 1000);
	}
	if (c.w != 640 || c.h != 480 || bad)
		fail_msg("VNC screen %ux%u, %u pixels differ from the pattern", c.w, c.h, bad);
	printf("vnc: 640x480 pattern read back exactly, desktop \"%s\"\n", c.name);
	rfb_close(&c);
	stop_vm(&p);
}

/* A display asked for whose port is taken: ttyvm says which and exits 1,
 * at once (it does not fall back to another display nobody asked for). */
static void test_vnc_display_in_use(void **state)
{
	char disp[32], want[64];
	struct vm_proc p;
	int keep;
	(void)state;

	harness_require_kvm();
	int n = harness_free_vnc_display(&keep);
	snprintf(disp, sizeof(disp), "vnc=127.0.0.1:%d", n);
	snprintf(want, sizeof(want), "vnc 127.0.0.1:%d: cannot listen on port %d (in use?)", n,
		 5900 + n);
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64M", "--display", disp, NULL };
	harness_run(&p, argv, 60);
	close(keep);
	assert_int_equal(p.status, 1);
	if (!strstr(p.err, want) || strstr(p.err, "VNC server on"))
		fail_msg("wanted \"%s\" and no server; stderr:\n%s", want, p.err);
	assert_null(strstr(p.out, "testkernel"));
	harness_free(&p);
}

/* Lines "key: XX" after the "keys: ready" line, as bytes. */
static unsigned int key_bytes(const char *out, uint8_t *b, unsigned int max)
{
	const char *s = strstr(out, "keys: ready");
	unsigned int n = 0;

	while (s && (s = strstr(s, "\nkey: ")) && n < max) {
		b[n++] = (uint8_t)strtoul(s + 6, NULL, 16);
		s += 6;
	}
	return n;
}

/* Waits until the guest echoed at least n bytes. */
static unsigned int wait_keys(struct vm_proc *p, unsigned int n, uint8_t *b, unsigned int max)
{
	unsigned int got = 0;

	for (int i = 0; i < 200; i++) {
		got = key_bytes(p->out, b, max);
		if (got >= n)
			break;
		harness_wait_for(p, "\x01never", 1);  /* reads output for 1 s */
	}
	return got;
}

/* Keysyms over RFB reach the guest as set 1 scancodes, paced by its echo. */
static void test_vnc_keys(void **state)
{
	static const struct {
		uint32_t keysym;
		bool down;
		unsigned int nbytes;     /* bytes the event makes the guest see */
	} seq[] = {
		{ 'h', true, 1 }, { 'h', false, 1 }, { 'i', true, 1 }, { 'i', false, 1 },
		/* 'H' with no Shift held: the server adds Shift around it */
		{ 'H', true, 3 }, { 'H', false, 1 },
		/* Shift held by the viewer, '!' */
		{ 0xFFE1, true, 1 }, { '!', true, 1 }, { '!', false, 1 }, { 0xFFE1, false, 1 },
		{ 0xFF0D, true, 1 }, { 0xFF0D, false, 1 },           /* Return */
		{ 0xFF51, true, 2 }, { 0xFF51, false, 2 },           /* Left: E0 4B */
		{ 0xFF1B, true, 1 }, { 0xFF1B, false, 1 },           /* Escape */
	};
	static const uint8_t want[] = {
		0x23, 0xA3, 0x17, 0x97,
		0x2A, 0x23, 0xAA, 0xA3,
		0x2A, 0x02, 0x82, 0xAA,
		0x1C, 0x9C,
		0xE0, 0x4B, 0xE0, 0xCB,
		0x01, 0x81,
	};
	uint8_t got[64];
	unsigned int n = 0, expect = 0;
	(void)state;

	harness_require_kvm();
	struct vm_proc p = start_kernel("keys", "127.0.0.1");
	if (!harness_wait_for(&p, "keys: ready", DISPLAY_TIMEOUT))
		fail_msg("the guest did not start; stdout:\n%s\nstderr:\n%s", p.out, p.err);
	struct rfb c;
	connect_or_fail(&c, harness_vnc_port(&p, 10));
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		assert_int_equal(rfb_key(&c, seq[i].keysym, seq[i].down), 0);
		expect += seq[i].nbytes;
		n = wait_keys(&p, expect, got, sizeof(got));
		if (n < expect)
			fail_msg("after event %zu (keysym %#x %s) the guest saw %u bytes, want %u;"
				 " stdout:\n%s", i, seq[i].keysym, seq[i].down ? "down" : "up", n,
				 expect, p.out);
	}
	assert_true(harness_wait_for(&p, "keys: done", 30));
	n = key_bytes(p.out, got, sizeof(got));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(got, want, sizeof(want));
	rfb_close(&c);
	stop_vm(&p);
}

/* utime + stime of a process, in seconds. */
static double proc_cpu(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *s = strrchr(buf, ')');
	if (!s || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
			 &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* A static screen with a viewer connected: no updates, little CPU. */
static void test_vnc_idle(void **state)
{
	(void)state;
	harness_require_kvm();
	struct vm_proc p = start_kernel("vbe", "127.0.0.1");
	if (!harness_wait_for(&p, "testkernel: done", DISPLAY_TIMEOUT))
		fail_msg("the guest did not draw; stdout:\n%s", p.out);
	struct rfb c;
	connect_or_fail(&c, harness_vnc_port(&p, 10));
	/* the first, full picture */
	assert_int_equal(rfb_request(&c, false), 0);
	assert_int_equal(rfb_read_update(&c, 10000), 1);
	/* drain what comes while the screen settles (the first look) */
	assert_int_equal(rfb_request(&c, true), 0);
	while (rfb_read_update(&c, 1000) == 1)
		assert_int_equal(rfb_request(&c, true), 0);
	unsigned int before = c.updates;
	double cpu0 = proc_cpu(p.pid);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double el = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (el >= 10.0)
			break;
		int r = rfb_read_update(&c, (int)((10.0 - el) * 1000) + 1);
		if (r < 0)
			fail_msg("RFB: %s", c.err);
		if (r == 1)
			assert_int_equal(rfb_request(&c, true), 0);
	}
	double cpu = proc_cpu(p.pid) - cpu0;
	unsigned int updates = c.updates - before;
	printf("vnc idle: %u framebuffer updates and %.3f s of ttyvm CPU time in 10 s "
	       "(a viewer connected, a static 640x480x32 screen)\n", updates, cpu);
	assert_int_equal(updates, 0);
	assert_true(cpu >= 0 && cpu < 0.5);
	rfb_close(&c);
	stop_vm(&p);
}

/* vncsnapshot, a real viewer, against SeaBIOS's text screen. */
static void test_vncsnapshot_seabios(void **state)
{
	char shot[96], text[96], cmd[300];
	(void)state;

	harness_require_kvm();
	if (access("/usr/bin/vncsnapshot", X_OK) != 0)
		fail_msg("vncsnapshot is missing: install the Debian package vncsnapshot");
	snprintf(shot, sizeof(shot), "/tmp/ttyvm-vnc-%d.jpg", getpid());
	snprintf(text, sizeof(text), "/tmp/ttyvm-vnc-%d.txt", getpid());
	unlink(shot);
	unlink(text);
	const char *argv[] = { "run", "--memory", "64M", "--serial", "none", "--screen-text",
			       text, "--display", "vnc=127.0.0.1", NULL };
	struct vm_proc p;
	harness_spawn(&p, argv);
	running_vm = p.pid;
	if (!harness_wait_file(&p, text, "Booting from", DISPLAY_TIMEOUT))
		fail_msg("SeaBIOS did not come up; stderr:\n%s", p.err);
	int port = harness_vnc_port(&p, 10);
	/* vncsnapshot's HOST:DISPLAY, the display being port - 5900 */
	snprintf(cmd, sizeof(cmd), "timeout 60 vncsnapshot -quiet 127.0.0.1:%d %s "
		 ">/dev/null 2>&1", port - 5900, shot);
	int rc = system(cmd);
	struct stat st;
	if (rc != 0 || stat(shot, &st) != 0 || st.st_size < 1000)
		fail_msg("vncsnapshot failed (status %d): a blank or missing screen", rc);
	/* the JPEG's size is the text mode's: 80x25 cells of 9x16 */
	snprintf(cmd, sizeof(cmd), "identify -format %%wx%%h %s 2>/dev/null | grep -qx 720x400",
		 shot);
	if (system(cmd) != 0)
		fail_msg("vncsnapshot's picture is not 720x400");
	/* and the picture has the banner where the text screen has it: the
	 * first text row has lit pixels, the row under the last line none */
	struct rfb c;
	connect_or_fail(&c, port);
	assert_int_equal(rfb_request(&c, false), 0);
	assert_int_equal(rfb_read_update(&c, 10000), 1);
	unsigned int lit0 = 0, lit24 = 0;
	for (unsigned int y = 0; y < 16; y++)
		for (unsigned int x = 0; x < 720; x++) {
			lit0 += (c.pix[y * 720 + x] & 0xFFFFFF) != 0;
			lit24 += (c.pix[(y + 24 * 16) * 720 + x] & 0xFFFFFF) != 0;
		}
	printf("vncsnapshot: %s %lld bytes; row 0 has %u lit pixels, row 24 %u\n", shot,
	       (long long)st.st_size, lit0, lit24);
	assert_true(lit0 > 200);
	assert_int_equal(lit24, 0);
	rfb_close(&c);
	unlink(shot);
	unlink(text);
	stop_vm(&p);
}

/* GRUB's menu driven over VNC: 'e' opens the editor on the first entry. */
static void test_vnc_drives_grub(void **state)
{
	char text[96];
	(void)state;

	harness_require_kvm();
	snprintf(text, sizeof(text), "/tmp/ttyvm-grub-%d.txt", getpid());
	unlink(text);
	const char *argv[] = { "run", "--memory", "128M", "--serial", "none", "--cdrom",
			       harness_guest("grub.iso"), "--screen-text", text, "--display",
			       "vnc=127.0.0.1", NULL };
	struct vm_proc p;
	harness_spawn(&p, argv);
	running_vm = p.pid;
	if (!harness_wait_file(&p, text, "ttyvm CD-ROM test entry 7f3a", DISPLAY_TIMEOUT))
		fail_msg("no GRUB menu; stderr:\n%s", p.err);
	struct rfb c;
	connect_or_fail(&c, harness_vnc_port(&p, 10));
	assert_int_equal(rfb_request(&c, false), 0);
	assert_int_equal(rfb_read_update(&c, 10000), 1);
	/* GRUB may draw its menu before it polls the keyboard: press again
	 * until the editor shows (a later 'e' only types into it).  GRUB
	 * reads the 8042 itself (grub.cfg: at_keyboard), so the key does not
	 * wait for IRQ1, which the interpreted KVM here takes only now and
	 * then in SeaBIOS's sti;nop;cli window (through the BIOS alone this
	 * test needed up to 25 presses and failed under load). */
	bool editor = false;
	int presses = 0;
	while (presses < 40 && !editor) {
		presses++;
		assert_int_equal(rfb_key(&c, 'e', true), 0);
		usleep(100 * 1000);
		assert_int_equal(rfb_key(&c, 'e', false), 0);
		editor = harness_wait_file(&p, text, "echo \"ttyvm: entry chosen\"", 3);
	}
	fprintf(stderr, "display: GRUB's editor open after %d press(es) of 'e'\n", presses);
	if (!editor)
		fail_msg("GRUB's editor did not open after 'e' over VNC (40 tries, 120 s)");
	/* and the viewer was told: updates arrive for the new screen */
	assert_int_equal(rfb_request(&c, true), 0);
	assert_int_equal(rfb_read_update(&c, 10000), 1);
	rfb_close(&c);
	unlink(text);
	stop_vm(&p);
}

/* A password (from the environment) is asked for; two viewers at once. */
static void test_vnc_password_and_viewers(void **state)
{
	(void)state;
	harness_require_kvm();
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64M", "--append", "tk.test=vbe", "--display",
			       "vnc=127.0.0.1", NULL };
	struct vm_proc p;
	harness_spawn_env(&p, argv, "TTYVM_VNC_PASSWORD=sesame");
	running_vm = p.pid;
	if (!harness_wait_for(&p, "drawn", DISPLAY_TIMEOUT))
		fail_msg("the guest did not draw; stderr:\n%s", p.err);
	struct rfb c;
	assert_int_equal(rfb_connect(&c, "127.0.0.1", harness_vnc_port(&p, 10), 20000), -1);
	assert_string_equal(c.err, "server wants authentication");
	rfb_close(&c);
	stop_vm(&p);

	struct vm_proc q = start_kernel("vbe", "127.0.0.1");
	if (!harness_wait_for(&q, "drawn", DISPLAY_TIMEOUT))
		fail_msg("the guest did not draw; stderr:\n%s", q.err);
	int port = harness_vnc_port(&q, 10);
	struct rfb a, b;
	connect_or_fail(&a, port);
	connect_or_fail(&b, port);
	for (int i = 0; i < 2; i++) {
		struct rfb *v = i ? &b : &a;
		assert_int_equal(rfb_request(v, false), 0);
		assert_int_equal(rfb_read_update(v, 10000), 1);
		assert_int_equal(v->pix[3 * 640 + 5] & 0xFFFFFF, harness_vbe_pattern(5, 3));
	}
	rfb_close(&a);
	rfb_close(&b);
	stop_vm(&q);
}

/* Runs a shell command with DISPLAY set; its exit status. */
static int run_x(const char *disp, const char *cmd)
{
	char full[600];

	snprintf(full, sizeof(full), "DISPLAY=%s %s", disp, cmd);
	int r = system(full);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

/* Starts Xvfb on the first free X display (-displayfd: it says which once
 * it accepts connections) and puts ":N" in disp; the teardown stops it. */
static void start_xvfb(char *disp, size_t len)
{
	char fdarg[16], buf[16];
	size_t n = 0;
	int fds[2];

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid_t x = fork();
	assert_true(x >= 0);
	if (x == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		int w = dup(fds[1]);            /* without O_CLOEXEC */
		snprintf(fdarg, sizeof(fdarg), "%d", w);
		execl("/usr/bin/Xvfb", "Xvfb", "-displayfd", fdarg, "-screen", "0", "1024x768x24",
		      "-nolisten", "tcp", (char *)NULL);
		_exit(127);
	}
	running_xvfb = x;
	close(fds[1]);
	while (n < sizeof(buf) - 1 && !memchr(buf, '\n', n)) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		if (poll(&pfd, 1, 20000) != 1)
			break;
		ssize_t r = read(fds[0], buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fds[0]);
	buf[n] = '\0';
	if (!memchr(buf, '\n', n) || buf[0] < '0' || buf[0] > '9')
		fail_msg("Xvfb -displayfd named no display within 20 s (got \"%s\")", buf);
	snprintf(disp, len, ":%d", atoi(buf));
}

/* The SDL window under Xvfb: it appears, shows the guest's picture
 * pixel for pixel (ImageMagick's import of the window), and xdotool's
 * keys reach the guest. */
static void test_sdl_xvfb(void **state)
{
	char disp[16], env[32], cmd[400], raw[96], wid[32] = "";
	(void)state;

	harness_require_kvm();
	if (access("/usr/bin/Xvfb", X_OK) || access("/usr/bin/xdotool", X_OK) ||
	    access("/usr/bin/import", X_OK))
		fail_msg("needs Xvfb, xdotool and import: install xvfb, xdotool, imagemagick");
	start_xvfb(disp, sizeof(disp));
	snprintf(env, sizeof(env), "DISPLAY=%s", disp);
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64M", "--name", "sdltest", "--append",
			       "tk.test=vbe,keys", "--display", "sdl", NULL };
	struct vm_proc p;
	harness_spawn_env(&p, argv, env);
	running_vm = p.pid;
	if (!harness_wait_for(&p, "keys: ready", DISPLAY_TIMEOUT))
		fail_msg("the guest did not start; stdout:\n%s\nstderr:\n%s", p.out, p.err);
	/* the window, by its title */
	snprintf(cmd, sizeof(cmd), "DISPLAY=%s timeout 20 xdotool search --sync --name "
		 "'^sdltest - ttyvm' | head -1", disp);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	if (!fgets(wid, sizeof(wid), f))
		wid[0] = '\0';
	pclose(f);
	wid[strcspn(wid, "\n")] = '\0';
	if (!wid[0])
		fail_msg("no window titled \"sdltest - ttyvm\" on %s; stderr:\n%s", disp, p.err);
	/* its picture, as raw RGB: the guest's pattern (the window is the
	 * guest's size, so no scaling) */
	snprintf(raw, sizeof(raw), "/tmp/ttyvm-sdl-%d.rgb", getpid());
	unsigned int bad = ~0u;
	for (int tries = 0; tries < 20 && bad; tries++) {
		snprintf(cmd, sizeof(cmd), "import -window %s -depth 8 rgb:%s 2>/dev/null", wid,
			 raw);
		struct stat st;
		if (run_x(disp, cmd) != 0 || stat(raw, &st) != 0 || st.st_size != 640 * 480 * 3) {
			usleep(500 * 1000);
			continue;
		}
		FILE *rf = fopen(raw, "rb");
		assert_non_null(rf);
		uint8_t *px = malloc(640 * 480 * 3);
		assert_non_null(px);
		assert_int_equal(fread(px, 1, 640 * 480 * 3, rf), 640 * 480 * 3);
		fclose(rf);
		bad = 0;
		for (unsigned int y = 0; y < 480; y++)
			for (unsigned int xx = 0; xx < 640; xx++) {
				const uint8_t *q = px + 3 * (y * 640 + xx);
				uint32_t v = (uint32_t)q[0] << 16 | (uint32_t)q[1] << 8 | q[2];
				bad += v != harness_vbe_pattern(xx, y);
			}
		free(px);
		if (bad)
			usleep(500 * 1000);
	}
	unlink(raw);
	if (bad)
		fail_msg("the window's picture differs from the guest's pattern in %u pixels", bad);
	printf("sdl: window %s shows the 640x480 pattern exactly\n", wid);
	/* keys typed into the window reach the guest */
	snprintf(cmd, sizeof(cmd), "xdotool windowfocus --sync %s key --window %s a", wid, wid);
	assert_int_equal(run_x(disp, cmd), 0);
	uint8_t got[16];
	unsigned int n = wait_keys(&p, 2, got, sizeof(got));
	assert_int_equal(n, 2);
	assert_int_equal(got[0], 0x1E);
	assert_int_equal(got[1], 0x9E);
	snprintf(cmd, sizeof(cmd), "xdotool key --window %s Escape", wid);
	assert_int_equal(run_x(disp, cmd), 0);
	assert_true(harness_wait_for(&p, "keys: done", 30));
	stop_vm(&p);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_teardown(test_vnc_vbe_pixels, teardown_vm),
	cmocka_unit_test(test_vnc_display_in_use),
	cmocka_unit_test_teardown(test_vnc_keys, teardown_vm),
	cmocka_unit_test_teardown(test_vnc_idle, teardown_vm),
	cmocka_unit_test_teardown(test_vncsnapshot_seabios, teardown_vm),
	cmocka_unit_test_teardown(test_sdl_xvfb, teardown_vm),
	cmocka_unit_test_teardown(test_vnc_drives_grub, teardown_vm),
	cmocka_unit_test_teardown(test_vnc_password_and_viewers, teardown_vm),
};

UNIT_SUITE(display, tests);
