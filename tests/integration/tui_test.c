/*
 * tui_test.c - the TUI as a person uses it, under tmux: the test starts
 * its own tmux server on a private socket with an 80x24 window, runs
 * `ttyvm` (no arguments) in it with TTYVM_HOME in a temporary directory,
 * types with send-keys and reads the screen with capture-pane.
 *
 * One walk-through: the empty list and its hint, the help screen, the
 * wizard (a bad name refused as it is typed, the test kernel as the Linux
 * kernel, 64M), the new VM running in the list, its serial output in the
 * console view, pause and resume in the state column, the ACPI power
 * button (the guest powers off), a forced stop (confirmed), a VM whose
 * socket never answers (shown "unknown" while the list stays alive),
 * resizing, NO_COLOR (no colour at all on screen, attributes instead),
 * and that killing the TUI leaves a VM running.  Each wait has a time
 * limit; on a timeout the screen is printed.
 */
#include "../unit/unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "harness.h"

#define WAIT_S     30   /* for the screen to show something */
#define VM_WAIT_S  120  /* for a VM to boot far enough, under the emulator */

struct tui_env {
	char dir[64];
	char sock[128];      /* tmux's */
	char home_env[128];  /* TTYVM_HOME=... */
	int hung_fd;         /* a control socket that never answers */
	char screen[16384];
};

#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Runs tmux -S SOCK args...; returns its exit status, stdout in out. */
static int tmux(struct tui_env *e, char *out, size_t len, const char *const *args)
{
	const char *argv[32] = { "tmux", "-S", e->sock, "-f", "/dev/null" };
	size_t n = 5;
	int p[2], status;

	for (size_t i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		/* the pipe only when output is wanted: a server that tmux
		 * starts would keep it open for good */
		dup2(out ? p[1] : null, 1);
		dup2(null, 2);
		close(p[0]);
		close(p[1]);
		execvp("tmux", (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	size_t got = 0;
	for (;;) {
		char tmp[4096];
		ssize_t r = read(p[0], tmp, sizeof(tmp));
		if (r <= 0)
			break;
		if (out && got + 1 < len) {
			size_t c = MIN((size_t)r, len - 1 - got);
			memcpy(out + got, tmp, c);
			got += c;
		}
	}
	if (out)
		out[got] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

#define TMUX(e, ...) tmux(e, NULL, 0, (const char *const[]){ __VA_ARGS__, NULL })

static const char *capture(struct tui_env *e, bool escapes)
{
	const char *a[] = { "capture-pane", "-p", "-t", "t", escapes ? "-e" : NULL, NULL };
	tmux(e, e->screen, sizeof(e->screen), a);
	return e->screen;
}

static void keys(struct tui_env *e, const char *k)
{
	assert_int_equal(TMUX(e, "send-keys", "-t", "t", k), 0);
}

static void type(struct tui_env *e, const char *text)
{
	assert_int_equal(TMUX(e, "send-keys", "-t", "t", "-l", text), 0);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The screen's line that starts with prefix (after blanks and a box's
 * left edge), or NULL. */
static const char *line_of(const char *screen, const char *prefix, char *buf, size_t len)
{
	for (const char *l = screen; *l;) {
		const char *eol = strchr(l, '\n');
		size_t n = eol ? (size_t)(eol - l) : strlen(l);
		const char *s = l;
		for (;;) {
			if (s < l + n && *s == ' ')
				s++;
			else if (s + 3 <= l + n && strncmp(s, "\xe2\x94\x82", 3) == 0)
				s += 3; /* U+2502, the box's edge */
			else
				break;
		}
		if (strncmp(s, prefix, strlen(prefix)) == 0) {
			snprintf(buf, len, "%.*s", (int)n, l);
			return buf;
		}
		l += n + (eol ? 1 : 0);
	}
	return NULL;
}

/* Waits until the screen shows text (and, with row, until the line that
 * starts with row shows text). */
static void wait_for(struct tui_env *e, const char *row, const char *text, int timeout_s)
{
	double t0 = now_s();
	char line[512];

	for (;;) {
		const char *s = capture(e, false);
		if (!row && strstr(s, text))
			return;
		if (row && line_of(s, row, line, sizeof(line)) && strstr(line, text))
			return;
		if (now_s() - t0 > timeout_s)
			break;
		usleep(200 * 1000);
	}
	fprintf(stderr, "--- screen while waiting for '%s'%s%s:\n%s---\n", text,
		row ? " on the line of " : "", row ? row : "", e->screen);
	fail_msg("the TUI did not show '%s' within %d s", text, timeout_s);
}

/* Starts the TUI in a new tmux server (80x24), with extra env words. */
static void start_tui(struct tui_env *e, const char *extra_env)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "env %s TTYVM_PRESETS_DIR='%s' %s '%s'; echo \"TUI EXIT $?\"; sleep 600",
		 e->home_env, getenv("TTYVM_PRESETS_DIR"), extra_env ? extra_env : "",
		 getenv("TTYVM_BIN"));
	assert_int_equal(TMUX(e, "new-session", "-d", "-s", "t", "-x", "80", "-y", "24", cmd), 0);
}

static void stop_tmux(struct tui_env *e)
{
	TMUX(e, "kill-server");
}

/* ttyvm VERB ARGS with our TTYVM_HOME; returns the exit status. */
static int cli(struct tui_env *e, const char *const *argv)
{
	struct vm_proc p;

	harness_spawn_env(&p, argv, e->home_env);
	harness_wait_exit(&p, 60);
	int st = p.status;
	if (getenv("TTYVM_TEST_VERBOSE"))
		fprintf(stderr, "ttyvm %s -> %d\n%s%s", argv[0], st, p.out, p.err);
	harness_free(&p);
	return st;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A VM "hung" whose control socket accepts connections and never says a
 * word: what a VM stuck in its main loop looks like from outside. */
static void make_hung_vm(struct tui_env *e)
{
	char path[256], def[512];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(path, sizeof(path), "%s/config/vms/hung.ini", e->dir);
	snprintf(def, sizeof(def), "[vm]\nkernel = %s\nmemory = 16M\n",
		 harness_guest("testkernel.bzImage"));
	write_text(path, def);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/run/hung.sock", e->dir);
	e->hung_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(e->hung_fd >= 0);
	assert_int_equal(bind(e->hung_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(e->hung_fd, 16), 0);
}

static int setup(void **state)
{
	struct tui_env *e = calloc(1, sizeof(*e));
	char p[256];

	harness_require_kvm();
	if (!getenv("TTYVM_PRESETS_DIR") || !getenv("TTYVM_BIN"))
		fail_msg("TTYVM_BIN and TTYVM_PRESETS_DIR must be set (make check sets them)");
	if (system("tmux -V >/dev/null 2>&1") != 0)
		fail_msg("tmux is needed for the TUI tests: apt-get install tmux");
	snprintf(e->dir, sizeof(e->dir), "/tmp/ttyvm-tui-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->sock, sizeof(e->sock), "%s/tmux.sock", e->dir);
	snprintf(e->home_env, sizeof(e->home_env), "TTYVM_HOME=%s", e->dir);
	e->hung_fd = -1;
	const char *dirs[] = { "config", "config/vms", "run", "data" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", e->dir, dirs[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct tui_env *e = *state;
	char cmd[256];

	stop_tmux(e);
	/* a VM the test left running (after a failure) goes too */
	const char *stop[] = { "stop", "--force", "tk1", NULL };
	cli(e, stop);
	if (e->hung_fd >= 0)
		close(e->hung_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		return -1;
	free(e);
	return 0;
}

static bool sgr_colour(int v)
{
	return (v >= 30 && v <= 38) || (v >= 40 && v <= 48) || (v >= 90 && v <= 97) ||
	       (v >= 100 && v <= 107);
}

static bool sgr_reverse(int v)
{
	return v == 7;
}

/* true when an SGR sequence of the screen (captured with escapes) has a
 * parameter for which pred is true. */
static bool sgr_any(const char *s, bool (*pred)(int))
{
	for (const char *p = s; (p = strstr(p, "\033[")); ) {
		p += 2;
		/* an SGR sequence: numbers separated by ';', ending in 'm' */
		const char *end = p + strspn(p, "0123456789;");
		if (*end != 'm')
			continue;
		for (const char *q = p; q < end;) {
			if (pred(atoi(q)))
				return true;
			q += strspn(q, "0123456789");
			if (*q == ';')
				q++;
		}
	}
	return false;
}

static bool has_colour(const char *s)
{
	return sgr_any(s, sgr_colour);
}

static void create_with_wizard(struct tui_env *e)
{
	keys(e, "n");
	wait_for(e, NULL, "step 1 of", WAIT_S);
	type(e, "tk 1"); /* refused as it is typed */
	wait_for(e, NULL, "letters, digits", WAIT_S);
	keys(e, "C-u");
	type(e, "tk1");
	wait_for(e, "Name", "tk1", WAIT_S);
	keys(e, "Enter");
	wait_for(e, NULL, "what to boot", WAIT_S);
	wait_for(e, NULL, "> Linux kernel", WAIT_S);
	keys(e, "Escape"); /* back a step: the name is still there */
	wait_for(e, "Name", "tk1", WAIT_S);
	keys(e, "Enter");
	wait_for(e, NULL, "what to boot", WAIT_S);
	keys(e, "Enter");
	wait_for(e, NULL, "Command line", WAIT_S);
	type(e, "/no/such/kernel");
	wait_for(e, NULL, "no such file", WAIT_S);
	keys(e, "C-u");
	type(e, harness_guest("testkernel.bzImage"));
	keys(e, "Tab");
	keys(e, "Tab");
	keys(e, "C-u");
	/* the power button mode keeps it running (up to 60 s) until P */
	type(e, "console=ttyS0 tk.test=timer,powerbutton");
	keys(e, "Enter");
	wait_for(e, NULL, "memory and vCPUs", WAIT_S);
	keys(e, "C-u");
	type(e, "99T");
	wait_for(e, NULL, "at most", WAIT_S);
	keys(e, "C-u");
	type(e, "64M");
	wait_for(e, NULL, "ok: 64 MiB", WAIT_S);
	keys(e, "Enter");
	keys(e, "Enter");
	wait_for(e, NULL, "> No disk", WAIT_S);
	keys(e, "Enter");
	wait_for(e, NULL, "network", WAIT_S);
	keys(e, "Down");
	keys(e, "Down");
	keys(e, "Enter"); /* none: no forwards step */
	wait_for(e, NULL, "display", WAIT_S);
	keys(e, "Enter");
	wait_for(e, NULL, "summary", WAIT_S);
	wait_for(e, NULL, "Memory:    64M", WAIT_S);
	wait_for(e, NULL, "> Create and start", WAIT_S);
	keys(e, "Enter");
	wait_for(e, NULL, "tk1: created and started", VM_WAIT_S);
}

static void test_tui_walkthrough(void **state)
{
	struct tui_env *e = *state;
	char path[256];

	make_hung_vm(e);
	start_tui(e, NULL);
	wait_for(e, NULL, "?Help", WAIT_S);
	wait_for(e, "hung", "unknown", WAIT_S);
	assert_true(has_colour(capture(e, true)));

	/* help, and back */
	keys(e, "?");
	wait_for(e, NULL, "Keys on the VM list", WAIT_S);
	keys(e, "NPage");
	wait_for(e, NULL, "pull the plug", WAIT_S);
	keys(e, "q");
	wait_for(e, NULL, "?Help", WAIT_S);

	/* the stuck VM does not stop the list from answering */
	keys(e, "/");
	type(e, "hung");
	keys(e, "Enter");
	wait_for(e, NULL, "filter:hung", WAIT_S);
	keys(e, "/");
	keys(e, "C-u");
	keys(e, "Enter");

	create_with_wizard(e);
	wait_for(e, "tk1", "running", VM_WAIT_S);
	snprintf(path, sizeof(path), "%s/config/vms/tk1.ini", e->dir);
	assert_int_equal(access(path, R_OK), 0);

	/* its serial output in the console view, and back */
	keys(e, "c");
	wait_for(e, NULL, "Ctrl-] returns", WAIT_S);
	wait_for(e, NULL, "testkernel: boot=bzimage", VM_WAIT_S);
	wait_for(e, NULL, "powerbutton: waiting", VM_WAIT_S);
	keys(e, "C-]");
	wait_for(e, NULL, "?Help", WAIT_S);

	/* pause and resume: the state column follows */
	keys(e, "p");
	wait_for(e, "tk1", "paused", WAIT_S);
	keys(e, "p");
	wait_for(e, "tk1", "running", WAIT_S);

	/* the power button: the guest powers itself off */
	keys(e, "P");
	wait_for(e, "tk1", "stopped", VM_WAIT_S);
	wait_for(e, NULL, "last run: powered off", WAIT_S);

	/* start it again, then pull the plug (asked first) */
	keys(e, "s");
	wait_for(e, "tk1", "running", VM_WAIT_S);
	keys(e, "F");
	wait_for(e, NULL, "Pull the plug on tk1?", WAIT_S);
	keys(e, "Escape"); /* no: it keeps running */
	wait_for(e, NULL, "?Help", WAIT_S);
	wait_for(e, "tk1", "running", WAIT_S);
	keys(e, "F");
	wait_for(e, NULL, "Pull the plug on tk1?", WAIT_S);
	keys(e, "y");
	wait_for(e, "tk1", "stopped", VM_WAIT_S);

	/* resize: the layout follows the window */
	assert_int_equal(TMUX(e, "resize-window", "-t", "t", "-x", "100", "-y", "30"), 0);
	wait_for(e, NULL, "?Help", WAIT_S);
	{
		char line[512];
		const char *s = capture(e, false);
		unsigned int lines = 0;
		for (const char *p = s; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 30);
		/* the title's right part ends at column 100 */
		assert_non_null(line_of(s, "ttyvm", line, sizeof(line)));
		assert_int_equal(strlen(line), 99);
	}
	assert_int_equal(TMUX(e, "resize-window", "-t", "t", "-x", "50", "-y", "12"), 0);
	wait_for(e, NULL, "?Help", WAIT_S);
	assert_int_equal(TMUX(e, "resize-window", "-t", "t", "-x", "80", "-y", "24"), 0);
	wait_for(e, "tk1", "stopped", WAIT_S);

	/* quit: the TUI ends with 0 */
	keys(e, "q");
	wait_for(e, NULL, "TUI EXIT 0", WAIT_S);
	stop_tmux(e);
}

static void test_tui_no_color_and_vm_outlives_tui(void **state)
{
	struct tui_env *e = *state;
	char def[512], path[256];
	const char *status[] = { "status", "tk1", NULL };

	snprintf(path, sizeof(path), "%s/config/vms/tk1.ini", e->dir);
	snprintf(def, sizeof(def), "[vm]\nkernel = %s\nmemory = 32M\nappend = tk.test=report\n",
		 harness_guest("testkernel.bzImage"));
	write_text(path, def);

	/* the editor: a script that changes the memory, as a person would */
	start_tui(e, "NO_COLOR=1 EDITOR='sed -i s/^memory.*/memory=48M/'");
	wait_for(e, "tk1", "stopped", WAIT_S);
	const char *s = capture(e, true);
	assert_false(has_colour(s));
	assert_true(sgr_any(s, sgr_reverse)); /* title, header, selection: reverse video */

	/* e: the definition is edited, checked and saved; the list shows it */
	keys(e, "e");
	wait_for(e, NULL, "definition saved", WAIT_S);
	wait_for(e, "tk1", "48M", WAIT_S);

	/* l: a clone under a name checked as it is typed */
	keys(e, "l");
	wait_for(e, NULL, "tk1-clone", WAIT_S);
	keys(e, "C-u");
	type(e, "tk1");
	wait_for(e, NULL, "a VM called tk1 exists", WAIT_S);
	keys(e, "C-u");
	type(e, "tk2");
	keys(e, "Enter");
	wait_for(e, NULL, "tk1: cloned as tk2", WAIT_S);
	wait_for(e, "tk2", "stopped", WAIT_S);
	wait_for(e, "tk2", "48M", WAIT_S);

	/* D: deleted after asking, once with Esc (nothing happens) */
	keys(e, "D");
	wait_for(e, NULL, "Delete the VM tk2?", WAIT_S);
	keys(e, "Escape");
	wait_for(e, "tk2", "stopped", WAIT_S);
	keys(e, "D");
	wait_for(e, NULL, "Delete the VM tk2?", WAIT_S);
	keys(e, "a");
	wait_for(e, NULL, "tk2: deleted with its disks", WAIT_S);
	snprintf(path, sizeof(path), "%s/config/vms/tk2.ini", e->dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/config/vms/tk1.ini", e->dir);
	assert_int_equal(access(path, F_OK), 0);
	keys(e, "g");
	wait_for(e, NULL, "─ tk1 ─", WAIT_S);

	/* the wizard again, with a new qcow2 disk, created but not started */
	keys(e, "n");
	wait_for(e, NULL, "step 1 of", WAIT_S);
	type(e, "tk3");
	keys(e, "Enter");
	wait_for(e, NULL, "> Linux kernel", WAIT_S);
	keys(e, "Enter");
	wait_for(e, NULL, "Command line", WAIT_S);
	type(e, harness_guest("testkernel.bzImage"));
	keys(e, "F2"); /* F2: the whole page at once */
	wait_for(e, NULL, "memory and vCPUs", WAIT_S);
	keys(e, "F2");
	wait_for(e, NULL, "> No disk", WAIT_S);
	keys(e, "Down");
	keys(e, "Enter");
	wait_for(e, NULL, "new disk", WAIT_S);
	keys(e, "C-u");
	type(e, "1");
	wait_for(e, NULL, "ok: 1024 MiB", WAIT_S);
	keys(e, "Enter");
	wait_for(e, NULL, "> NAT", WAIT_S);
	keys(e, "Enter");
	wait_for(e, NULL, "port forwards", WAIT_S);
	keys(e, "Enter");
	wait_for(e, NULL, "display", WAIT_S);
	keys(e, "Enter");
	wait_for(e, NULL, "new qcow2 image of 1 GiB", WAIT_S);
	keys(e, "Down");
	keys(e, "Enter");
	wait_for(e, NULL, "tk3: created (s starts it)", VM_WAIT_S);
	wait_for(e, "tk3", "stopped", WAIT_S);
	{
		char magic[4] = "";
		snprintf(path, sizeof(path), "%s/data/tk3/disk0.qcow2", e->dir);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		assert_int_equal(fread(magic, 1, 4, f), 4);
		fclose(f);
		assert_memory_equal(magic, "QFI\xfb", 4);
	}
	wait_for(e, NULL, "disk0.qcow2", WAIT_S); /* the details pane lists it */
	keys(e, "g");

	keys(e, "s");
	wait_for(e, "tk1", "running", VM_WAIT_S);
	assert_false(has_colour(capture(e, true)));
	/* killing the TUI (its terminal goes away) leaves the VM running */
	stop_tmux(e);
	assert_int_equal(cli(e, status), 0);

	/* a new TUI finds it running and stops it */
	start_tui(e, NULL);
	wait_for(e, "tk1", "running", WAIT_S);
	keys(e, "F");
	wait_for(e, NULL, "Pull the plug", WAIT_S);
	keys(e, "y");
	wait_for(e, "tk1", "stopped", VM_WAIT_S);
	assert_int_equal(cli(e, status), 2);
	keys(e, "F10");
	wait_for(e, NULL, "TUI EXIT 0", WAIT_S);
}

static void test_tui_needs_terminal(void **state)
{
	struct tui_env *e = *state;
	struct vm_proc p;
	const char *none[] = { NULL };

	/* no terminal (the harness gives /dev/null and pipes): a clear error */
	harness_spawn_env(&p, none, e->home_env);
	harness_wait_exit(&p, 30);
	assert_int_equal(p.status, 1);
	assert_non_null(strstr(p.err, "needs a terminal"));
	assert_non_null(strstr(p.err, "verbs"));
	harness_free(&p);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_tui_walkthrough),
	T(test_tui_no_color_and_vm_outlives_tui),
	T(test_tui_needs_terminal),
};

UNIT_SUITE(tui, tests);
