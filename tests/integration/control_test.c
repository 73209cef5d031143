/*
 * control_test.c - the control socket on /dev/kvm through the real
 * binary: `ttyvm run --control`, the CLI verbs (status, pause, resume,
 * reset, powerdown, stop), a raw protocol conversation, the socket's
 * safety (mode, a second server, an endless line), and `ttyvm start`
 * with a definition (twice, after a crash).
 */
#include "../unit/unit.h"

#include <errno.h>
#include <fcntl.h>
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
#define CLI_TIMEOUT 60

/* A private directory for sockets and definitions. */
static char *make_dir(void)
{
	char *d = strdup("/tmp/ttyvm-ctl-XXXXXX");
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

/* Runs a ttyvm CLI verb; returns its exit status, stdout in out. */
static int cli(const char *env, char *out, size_t len, const char *const *argv)
{
	struct vm_proc p;

	harness_spawn_env(&p, argv, env);
	harness_wait_exit(&p, CLI_TIMEOUT);
	assert_false(p.timed_out);
	if (out)
		snprintf(out, len, "%s", p.out);
	if (getenv("TTYVM_TEST_VERBOSE") || p.status >= 128)
		fprintf(stderr, "ttyvm %s ... -> %d\n%s%s", argv[0], p.status, p.out, p.err);
	int st = p.status;
	harness_free(&p);
	return st;
}

static void spawn_vm(struct vm_proc *p, const char *sock, const char *test)
{
	char append[64];
	const char *argv[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
			       "--memory", "64M", "--append", append, "--control", sock, NULL };

	snprintf(append, sizeof(append), "tk.test=%s", test);
	harness_require_kvm();
	harness_spawn(p, argv);
}

/* Collects the VM's output for about a second. */
static void pump(struct vm_proc *p)
{
	harness_wait_for(p, "\x01(never printed)", 1);
}

/* The VM's socket is there (it appears once the devices are set up). */
static void wait_socket(struct vm_proc *p, const char *sock)
{
	for (int i = 0; i < BOOT_TIMEOUT; i++) {
		struct stat st;
		if (lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
			return;
		pump(p);
	}
	fail_msg("no control socket at %s\n--- stderr:\n%s", sock, p->err);
}

/* Waits until the guest has printed its boot line n times. */
static void wait_boots(struct vm_proc *p, unsigned int n)
{
	for (int i = 0; i < BOOT_TIMEOUT && harness_count_lines(p->out, "testkernel: boot=") < n;
	     i++)
		pump(p);
	assert_int_equal(harness_count_lines(p->out, "testkernel: boot="), n);
}

/* --- a raw conversation -------------------------------------------------------- */

static int raw_connect(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 30 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static const char *raw_line(int fd)
{
	static char buf[4097];
	size_t n = 0;

	while (n < sizeof(buf) - 1) {
		char c;
		if (read(fd, &c, 1) != 1)
			return n ? buf : NULL;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = '\0';
	return buf;
}

static const char *raw_call(int fd, const char *req)
{
	size_t n = strlen(req);
	assert_int_equal(send(fd, req, n, MSG_NOSIGNAL), (ssize_t)n);
	const char *l = raw_line(fd);
	assert_non_null(l);
	return l;
}

static bool raw_closed(int fd)
{
	char buf[4096];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return true;
		if (r < 0)
			return false;
	}
}

/* --- tests ----------------------------------------------------------------------- */

static void test_verbs_and_protocol(void **state)
{
	char *dir = make_dir(), sock[128], out[8192];
	struct vm_proc p;
	struct stat st;
	(void)state;

	snprintf(sock, sizeof(sock), "%s/vm.sock", dir);
	spawn_vm(&p, sock, "report");
	assert_true(harness_wait_for(&p, "testkernel: done", BOOT_TIMEOUT));

	/* the socket is private */
	assert_int_equal(lstat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	/* a raw conversation, as with socat */
	int fd = raw_connect(sock);
	assert_string_equal(raw_line(fd), "ttyvm-control 1");
	assert_true(strncmp(raw_call(fd, "version\n"), "ok protocol=1 ttyvm=", 20) == 0);
	const char *l = raw_call(fd, "status\r\n");
	assert_true(strncmp(l, "ok state=running name=vm cpus=1 memory=67108864 uptime=", 55) == 0);
	char pid[64];
	snprintf(pid, sizeof(pid), " resets=0 pid=%ld", (long)p.pid);
	assert_non_null(strstr(l, pid));
	assert_string_equal(raw_call(fd, "frob\n"),
			    "error unknown-command unknown command 'frob' (help lists them)");
	assert_string_equal(raw_call(fd, "pause please\n"),
			    "error bad-argument pause takes no arguments");
	assert_string_equal(raw_call(fd, "resume\n"), "error state the VM is not paused");
	assert_true(strncmp(raw_call(fd, "help\n"), "ok commands=version,status,", 27) == 0);
	assert_string_equal(raw_call(fd, "quit\n"), "ok");
	assert_true(raw_closed(fd));
	close(fd);

	/* the CLI verbs */
	const char *status[] = { "status", sock, NULL };
	assert_int_equal(cli(NULL, out, sizeof(out), status), 0);
	assert_non_null(strstr(out, "state    running\n"));
	assert_non_null(strstr(out, "memory   64 MiB\n"));
	const char *status_json[] = { "status", "--json", sock, NULL };
	assert_int_equal(cli(NULL, out, sizeof(out), status_json), 0);
	assert_true(strncmp(out, "{\"state\":\"running\",\"name\":\"vm\",\"cpus\":1,"
				 "\"memory\":67108864,", 55) == 0);

	const char *pause[] = { "pause", sock, NULL };
	assert_int_equal(cli(NULL, out, sizeof(out), pause), 0);
	assert_non_null(strstr(out, ": paused"));
	assert_int_equal(cli(NULL, out, sizeof(out), status), 0);
	assert_non_null(strstr(out, "state    paused\n"));
	/* pausing twice is refused with the state exit status */
	assert_int_equal(cli(NULL, NULL, 0, pause), 3);
	const char *resume[] = { "resume", sock, NULL };
	assert_int_equal(cli(NULL, out, sizeof(out), resume), 0);
	assert_int_equal(cli(NULL, out, sizeof(out), status), 0);
	assert_non_null(strstr(out, "state    running\n"));
	assert_int_equal(cli(NULL, NULL, 0, resume), 3);

	/* reset: the guest boots again and reports again */
	const char *reset[] = { "reset", sock, NULL };
	assert_int_equal(cli(NULL, out, sizeof(out), reset), 0);
	wait_boots(&p, 2);
	assert_int_equal(cli(NULL, out, sizeof(out), status), 0);
	assert_non_null(strstr(out, "resets   1\n"));
	/* a paused VM resets into running */
	assert_int_equal(cli(NULL, NULL, 0, pause), 0);
	assert_int_equal(cli(NULL, NULL, 0, reset), 0);
	wait_boots(&p, 3);
	assert_int_equal(cli(NULL, out, sizeof(out), status), 0);
	assert_non_null(strstr(out, "state    running\n"));

	/* the guest of this run ignores the power button: stop gives up */
	const char *stop_soon[] = { "stop", "--timeout", "2", sock, NULL };
	assert_int_equal(cli(NULL, NULL, 0, stop_soon), 4);

	/* stop --force pulls the plug: exit status 3, socket gone */
	const char *stop[] = { "stop", "--force", sock, NULL };
	assert_int_equal(cli(NULL, out, sizeof(out), stop), 0);
	assert_non_null(strstr(out, ": stopped"));
	harness_wait_exit(&p, 30);
	assert_int_equal(p.status, 3);
	assert_int_equal(lstat(sock, &st), -1);
	assert_int_equal(errno, ENOENT);

	/* and now it is not running */
	assert_int_equal(cli(NULL, out, sizeof(out), status), 2);
	assert_non_null(strstr(out, "state    stopped\n"));
	assert_int_equal(cli(NULL, NULL, 0, pause), 2);
	harness_free(&p);
	remove_dir(dir);
}

static void test_powerdown(void **state)
{
	char *dir = make_dir(), sock[128], out[4096];
	struct vm_proc p;
	struct stat st;
	(void)state;

	snprintf(sock, sizeof(sock), "%s/vm.sock", dir);
	/* powerdown presses the button and returns; the guest powers off */
	spawn_vm(&p, sock, "powerbutton");
	assert_true(harness_wait_for(&p, "powerbutton: waiting", BOOT_TIMEOUT));
	const char *pd[] = { "powerdown", sock, NULL };
	assert_int_equal(cli(NULL, out, sizeof(out), pd), 0);
	harness_wait_exit(&p, BOOT_TIMEOUT);
	assert_non_null(strstr(p.out, "powerbutton: pressed"));
	assert_int_equal(p.status, 0);
	assert_int_equal(lstat(sock, &st), -1);
	harness_free(&p);

	/* stop without --force does the same and waits for the end */
	spawn_vm(&p, sock, "powerbutton");
	assert_true(harness_wait_for(&p, "powerbutton: waiting", BOOT_TIMEOUT));
	const char *stop[] = { "stop", sock, NULL };
	assert_int_equal(cli(NULL, out, sizeof(out), stop), 0);
	assert_non_null(strstr(out, ": powered off"));
	harness_wait_exit(&p, BOOT_TIMEOUT);
	assert_int_equal(p.status, 0);
	harness_free(&p);
	remove_dir(dir);
}

static void test_socket_safety(void **state)
{
	char *dir = make_dir(), sock[128], file[128];
	struct vm_proc p, q;
	size_t n = 1 << 20, sent = 0;
	char *junk = malloc(n);
	(void)state;

	snprintf(sock, sizeof(sock), "%s/vm.sock", dir);
	spawn_vm(&p, sock, "report");
	wait_socket(&p, sock);

	/* a second VM on the same socket is refused; the first keeps it */
	const char *argv2[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
				"--memory", "64M", "--control", sock, NULL };
	harness_run(&q, argv2, BOOT_TIMEOUT);
	assert_int_equal(q.status, 1);
	assert_non_null(strstr(q.err, "another VM is serving it"));
	harness_free(&q);

	/* a path that is not a socket is never replaced */
	snprintf(file, sizeof(file), "%s/file", dir);
	int ffd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(ffd >= 0);
	close(ffd);
	const char *argv3[] = { "run", "--kernel", harness_guest("testkernel.bzImage"),
				"--memory", "64M", "--control", file, NULL };
	harness_run(&q, argv3, BOOT_TIMEOUT);
	assert_int_equal(q.status, 1);
	assert_non_null(strstr(q.err, "not a socket"));
	harness_free(&q);

	/* 1 MiB without a newline: the client is dropped, the VM runs on */
	assert_non_null(junk);
	memset(junk, 'A', n);
	int fd = raw_connect(sock);
	assert_string_equal(raw_line(fd), "ttyvm-control 1");
	while (sent < n) {
		ssize_t r = send(fd, junk + sent, n - sent, MSG_NOSIGNAL);
		if (r <= 0)
			break;
		sent += (size_t)r;
	}
	assert_true(sent < n);
	assert_true(raw_closed(fd));
	close(fd);
	free(junk);
	fd = raw_connect(sock);
	assert_string_equal(raw_line(fd), "ttyvm-control 1");
	assert_true(strncmp(raw_call(fd, "status\n"), "ok state=running ", 17) == 0);
	/* binary junk with a newline: an error reply, and the connection stays */
	assert_int_equal(send(fd, "\x00\xff\x1b\n", 4, MSG_NOSIGNAL), 4);
	assert_true(strncmp(raw_line(fd), "error bad-request ", 18) == 0);
	/* stop over the raw socket: ok, then the VM closes the connection */
	assert_string_equal(raw_call(fd, "stop\n"), "ok");
	assert_true(raw_closed(fd));
	close(fd);
	harness_wait_exit(&p, 30);
	assert_int_equal(p.status, 3);
	assert_int_equal(access(sock, F_OK), -1);
	harness_free(&p);
	remove_dir(dir);
}

static void write_definition(const char *home, const char *name, const char *test)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/config", home);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/config/vms", home);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/config/vms/%s.ini", home, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[vm]\nmemory = 64M\nkernel = %s\nappend = tk.test=%s\n",
		harness_guest("testkernel.bzImage"), test);
	fclose(f);
}

static bool log_has(const char *home, const char *name, const char *text)
{
	char path[512], buf[16384];
	snprintf(path, sizeof(path), "%s/run/%s.log", home, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
}

static void test_start_by_name(void **state)
{
	char *home = make_dir(), env[256], out[8192], path[512];
	struct stat st;
	(void)state;

	harness_require_kvm();
	snprintf(env, sizeof(env), "TTYVM_HOME=%s", home);
	write_definition(home, "tk", "report");

	const char *start[] = { "start", "tk", NULL };
	assert_int_equal(cli(env, out, sizeof(out), start), 0);
	assert_non_null(strstr(out, "tk: started (pid "));
	snprintf(path, sizeof(path), "%s/run/tk.sock", home);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* a second start is refused */
	assert_int_equal(cli(env, NULL, 0, start), 3);

	const char *status[] = { "status", "tk", NULL };
	assert_int_equal(cli(env, out, sizeof(out), status), 0);
	assert_non_null(strstr(out, "name     tk\nstate    running\n"));
	/* the serial console goes to the log */
	for (int i = 0; i < BOOT_TIMEOUT * 10 && !log_has(home, "tk", "testkernel: done"); i++)
		usleep(100000);
	assert_true(log_has(home, "tk", "testkernel: done"));

	/* a crash leaves a socket and a pid file: found stale, cleaned */
	char pidpath[512], pidtxt[32] = "";
	snprintf(pidpath, sizeof(pidpath), "%s/run/tk.pid", home);
	FILE *f = fopen(pidpath, "r");
	assert_non_null(f);
	assert_non_null(fgets(pidtxt, sizeof(pidtxt), f));
	fclose(f);
	pid_t pid = (pid_t)atol(pidtxt);
	assert_true(pid > 1);
	assert_int_equal(kill(pid, SIGKILL), 0);
	for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
		usleep(50000);
	assert_int_equal(lstat(path, &st), 0); /* left behind */
	assert_int_equal(cli(env, out, sizeof(out), status), 2);
	assert_non_null(strstr(out, "state    stopped\n"));
	assert_int_equal(cli(env, out, sizeof(out), start), 0);
	assert_int_equal(cli(env, out, sizeof(out), status), 0);

	/* stop --force by name waits until the process has ended */
	const char *stop[] = { "stop", "--force", "tk", NULL };
	assert_int_equal(cli(env, out, sizeof(out), stop), 0);
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(access(pidpath, F_OK), -1);
	assert_int_equal(cli(env, NULL, 0, status), 2);
	assert_true(log_has(home, "tk", "ended with exit status 3"));

	/* a VM that cannot start: start fails and shows the log */
	snprintf(path, sizeof(path), "%s/config/vms/big.ini", home);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[vm]\nmemory = 1T\nkernel = %s\n", harness_guest("testkernel.bzImage"));
	fclose(f);
	struct vm_proc p;
	const char *start_big[] = { "start", "big", NULL };
	harness_spawn_env(&p, start_big, env);
	harness_wait_exit(&p, CLI_TIMEOUT);
	assert_int_equal(p.status, 1);
	assert_non_null(strstr(p.err, "ended before it was ready"));
	assert_non_null(strstr(p.err, "  | "));
	harness_free(&p);

	/* no such VM */
	const char *start_none[] = { "start", "nope", NULL };
	assert_int_equal(cli(env, NULL, 0, start_none), 1);
	assert_int_equal(cli(env, NULL, 0, (const char *[]){ "status", "nope", NULL }), 1);
	remove_dir(home);
}

static void test_help_and_usage(void **state)
{
	char out[8192];
	const char *verbs[] = { "status", "pause", "resume", "reset", "powerdown", "stop",
				"start" };
	(void)state;

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		const char *help[] = { verbs[i], "--help", NULL };
		assert_int_equal(cli(NULL, out, sizeof(out), help), 0);
		assert_non_null(strstr(out, "usage: ttyvm "));
		assert_non_null(strstr(out, "Exit status:"));
		const char *none[] = { verbs[i], NULL };
		assert_int_equal(cli(NULL, NULL, 0, none), 1);
		const char *bad[] = { verbs[i], "--bogus", "x", NULL };
		assert_int_equal(cli(NULL, NULL, 0, bad), 1);
	}
	assert_int_equal(cli(NULL, NULL, 0, (const char *[]){ "pause", "--force", "x", NULL }), 1);
	assert_int_equal(cli(NULL, NULL, 0, (const char *[]){ "status", "bad name", NULL }), 1);
	assert_int_equal(cli(NULL, NULL, 0, (const char *[]){ "status", "a", "b", NULL }), 1);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_verbs_and_protocol),
	cmocka_unit_test(test_powerdown),
	cmocka_unit_test(test_socket_safety),
	cmocka_unit_test(test_start_by_name),
	cmocka_unit_test(test_help_and_usage),
};

UNIT_SUITE(control, tests);
