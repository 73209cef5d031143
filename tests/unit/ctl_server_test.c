/*
 * ctl_server_test.c - the control socket server over real sockets, with
 * a fake machine: the event loop runs on a thread of its own, the test
 * is the client.  No /dev/kvm.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "ctl_testutil.h"
#include "display/png.h"
#include "ui/ctl_proto.h"
#include "vmm/ctl_server.h"
#include "util/util.h"
#include "vmm/evloop.h"

/* --- tests ------------------------------------------------------------------- */

static void test_socket_file(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	(void)state;

	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	/* no temporary name is left beside it */
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", f->path, (long)getpid());
	assert_int_equal(access(tmp, F_OK), -1);

	ctl_server_destroy(f->srv);
	f->srv = NULL;
	assert_int_equal(lstat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_requests(void **state)
{
	struct fixture *f = *state;
	struct ctl_reply r;
	const char *l;

	start_loop(f);
	int fd = topen(f);

	l = call(fd, "version\n");
	assert_int_equal(ctl_reply_parse(l, strlen(l), &r), 0);
	assert_true(r.ok);
	assert_string_equal(ctl_reply_get(&r, "protocol"), "1");
	assert_non_null(ctl_reply_get(&r, "ttyvm"));

	l = call(fd, "status\n");
	assert_int_equal(ctl_reply_parse(l, strlen(l), &r), 0);
	assert_true(r.ok);
	assert_string_equal(ctl_reply_get(&r, "state"), "running");
	assert_string_equal(ctl_reply_get(&r, "name"), "web-1");
	assert_string_equal(ctl_reply_get(&r, "cpus"), "2");
	assert_string_equal(ctl_reply_get(&r, "memory"), "67108864");
	assert_string_equal(ctl_reply_get(&r, "uptime"), "0");
	assert_string_equal(ctl_reply_get(&r, "resets"), "0");
	char pid[32];
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	assert_string_equal(ctl_reply_get(&r, "pid"), pid);
	/* the process's CPU time, in ns: this test has used some */
	const char *cpu = ctl_reply_get(&r, "cputime");
	assert_non_null(cpu);
	assert_true(strspn(cpu, "0123456789") == strlen(cpu) && strtoull(cpu, NULL, 10) > 0);

	assert_string_equal(call(fd, "pause\n"), "ok state=paused");
	assert_string_equal(call(fd, "pause\n"), "error state the VM is already paused");
	l = call(fd, "status\n");
	assert_non_null(strstr(l, " state=paused "));
	assert_string_equal(call(fd, "resume\n"), "ok state=running");
	assert_string_equal(call(fd, "resume\n"), "error state the VM is not paused");
	assert_int_equal(f->vm.pauses, 1);
	assert_int_equal(f->vm.resumes, 1);

	assert_string_equal(call(fd, "powerdown\n"), "ok");
	assert_int_equal(f->vm.powerdowns, 1);
	assert_string_equal(call(fd, "reset\n"), "ok");
	assert_int_equal(f->vm.resets, 1);
	assert_non_null(strstr(call(fd, "status\n"), " resets=1 "));

	l = call(fd, "help\n");
	assert_string_equal(l, "ok commands=version,status,pause,resume,powerdown,reset,"
			       "stop,quit,help,console,serial-read,screen-text,screenshot,sendkey,type,pointer");
	l = call(fd, "help pause\n");
	assert_int_equal(ctl_reply_parse(l, strlen(l), &r), 0);
	assert_string_equal(ctl_reply_get(&r, "command"), "pause");
	assert_string_equal(ctl_reply_get(&r, "args"), "");
	assert_non_null(strstr(ctl_reply_get(&r, "summary"), "vCPU"));
	assert_string_equal(call(fd, "help frob\n"),
			    "error bad-argument no command 'frob' (help lists them)");

	/* errors keep the connection */
	assert_string_equal(call(fd, "frob\n"),
			    "error unknown-command unknown command 'frob' (help lists them)");
	assert_string_equal(call(fd, "pause 1\n"), "error bad-argument pause takes no arguments");
	tsend(fd, "status\0x\n", 9);
	l = tline(fd);
	assert_non_null(strstr(l, "error bad-request control byte at byte 7"));
	tsend(fd, "\xff\xfe\x01\x02\n", 5);
	assert_true(strncmp(tline(fd), "error bad-request ", 18) == 0);
	/* CR LF is fine */
	assert_string_equal(call(fd, "resume\r\n"), "error state the VM is not paused");

	/* several requests in one write: replies in order */
	tsend(fd, "pause\nstatus\nresume\n", 20);
	assert_string_equal(tline(fd), "ok state=paused");
	assert_non_null(strstr(tline(fd), "state=paused"));
	assert_string_equal(tline(fd), "ok state=running");

	assert_string_equal(call(fd, "stop\n"), "ok");
	assert_int_equal(f->vm.stops, 1);
	assert_string_equal(call(fd, "quit\n"), "ok");
	assert_true(closed_by_server(fd));
	close(fd);
}

static void test_blank_lines(void **state)
{
	struct fixture *f = *state;

	start_loop(f);
	int fd = topen(f);
	/* no reply for blank lines: the first reply is that of version */
	tsend(fd, "\n  \r\n\t\nversion\r\n", 16);
	assert_true(strncmp(tline(fd), "ok protocol=1 ", 14) == 0);
	close(fd);
}

static void test_no_acpi(void **state)
{
	struct fixture *f = *state;

	f->cfg.acpi = false;
	start_loop(f);
	int fd = topen(f);
	const char *l = call(fd, "powerdown\n");
	assert_true(strncmp(l, "error not-supported ", 20) == 0);
	assert_int_equal(f->vm.powerdowns, 0);
	close(fd);
}

static void test_half_close(void **state)
{
	struct fixture *f = *state;

	start_loop(f);
	int fd = topen(f);
	/* as `echo status | socat - UNIX-CONNECT:...` does */
	tsend(fd, "status\nversion", 14);
	shutdown(fd, SHUT_WR);
	assert_true(strncmp(tline(fd), "ok state=running ", 17) == 0);
	/* the unterminated last line is not a request */
	assert_true(closed_by_server(fd));
	close(fd);
}

static void test_endless_line(void **state)
{
	struct fixture *f = *state;
	size_t n = 1 << 20, sent = 0;
	char *junk = malloc(n);

	assert_non_null(junk);
	memset(junk, 'x', n);
	start_loop(f);
	int fd = topen(f);
	/* 1 MiB without a newline: the server answers and hangs up */
	while (sent < n) {
		ssize_t r = send(fd, junk + sent, n - sent, MSG_NOSIGNAL);
		if (r <= 0)
			break;
		sent += (size_t)r;
	}
	assert_true(sent < n);
	const char *l = tline(fd);
	if (l) /* the reply may be lost to the reset the unread junk causes */
		assert_string_equal(l, "error too-long request longer than 4095 bytes; closing");
	assert_true(closed_by_server(fd));
	close(fd);
	/* the server goes on */
	fd = topen(f);
	assert_string_equal(call(fd, "resume\n"), "error state the VM is not paused");
	close(fd);
	/* exactly the limit: 4095 bytes and LF is a line */
	fd = topen(f);
	memset(junk, ' ', CTL_REQUEST_MAX);
	memcpy(junk + CTL_REQUEST_MAX - 7, "status\n", 7);
	tsend(fd, junk, CTL_REQUEST_MAX);
	assert_true(strncmp(tline(fd), "ok state=running", 16) == 0);
	close(fd);
	free(junk);
}

static void test_client_that_never_reads(void **state)
{
	struct fixture *f = *state;
	char req[4096];
	size_t total = 0;

	ctl_server_set_stall_ms(f->srv, 300);
	start_loop(f);
	int fd = topen(f);
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	for (size_t i = 0; i + 7 <= sizeof(req); i += 7)
		memcpy(req + i, "status\n", 7);
	/* write requests and never read: the replies pile up in the socket,
	 * then the server stops reading, then drops the client */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		ssize_t r = send(fd, req, sizeof(req) - sizeof(req) % 7, MSG_NOSIGNAL);
		if (r > 0) {
			total += (size_t)r;
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { fd, POLLOUT, 0 };
			poll(&p, 1, 100);
		} else {
			break; /* EPIPE/ECONNRESET: dropped */
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec > 10)
			fail_msg("a client that never reads was not dropped");
		/* the server side is closed when a read sees EOF after the
		 * buffered replies: check without reading everything */
		struct pollfd p = { fd, POLLRDHUP, 0 };
		if (poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP)))
			break;
	}
	assert_true(total > 0);
	close(fd);
	/* others are still served */
	fd = topen(f);
	assert_string_equal(call(fd, "resume\n"), "error state the VM is not paused");
	close(fd);
}

struct flood {
	int fd;
	unsigned int count;
	bool half_close;     /* shutdown(SHUT_WR) after the last request */
};

static void *flood_writer(void *arg)
{
	struct flood *fl = arg;
	for (unsigned int i = 0; i < fl->count; i++)
		if (send(fl->fd, "status\n", 7, MSG_NOSIGNAL) != 7)
			break;
	if (fl->half_close)
		shutdown(fl->fd, SHUT_WR);
	return NULL;
}

/* A client that pipelines far more than the buffers hold and reads
 * slowly gets every reply, in order: backpressure, not loss. */
static void test_pipelined_flood(void **state)
{
	struct fixture *f = *state;
	struct flood fl = { .count = 10000 }; /* ~900 KB of replies */
	pthread_t t;

	start_loop(f);
	fl.fd = topen(f);
	assert_int_equal(pthread_create(&t, NULL, flood_writer, &fl), 0);
	usleep(200000); /* let the buffers fill up first */
	for (unsigned int i = 0; i < fl.count; i++) {
		const char *l = tline(fl.fd);
		if (!l || strncmp(l, "ok state=running ", 17) != 0)
			fail_msg("reply %u: %s", i, l ? l : "(connection closed)");
	}
	pthread_join(t, NULL);
	assert_string_equal(call(fl.fd, "quit\n"), "ok");
	close(fl.fd);
}

/* A client that pipelines more than the buffers hold and then closes its
 * sending side still gets every reply before the end-of-file. */
static void test_flood_then_half_close(void **state)
{
	struct fixture *f = *state;
	struct flood fl = { .count = 10000, .half_close = true };
	pthread_t t;
	unsigned int got = 0;

	start_loop(f);
	fl.fd = topen(f);
	assert_int_equal(pthread_create(&t, NULL, flood_writer, &fl), 0);
	usleep(200000);
	for (;;) {
		const char *l = tline(fl.fd);
		if (!l)
			break;
		assert_true(strncmp(l, "ok state=running ", 17) == 0);
		got++;
	}
	pthread_join(t, NULL);
	assert_int_equal(got, fl.count);
	close(fl.fd);
}

static void test_busy(void **state)
{
	struct fixture *f = *state;
	int fds[CTL_SERVER_MAX_CLIENTS];

	start_loop(f);
	for (int i = 0; i < CTL_SERVER_MAX_CLIENTS; i++)
		fds[i] = topen(f);
	int extra = tconnect(f->path);
	assert_string_equal(tline(extra), "error busy too many control connections (at most 16)");
	assert_true(closed_by_server(extra));
	close(extra);
	/* one leaves, one more is welcome */
	assert_string_equal(call(fds[0], "quit\n"), "ok");
	assert_true(closed_by_server(fds[0]));
	close(fds[0]);
	fds[0] = topen(f);
	for (int i = 0; i < CTL_SERVER_MAX_CLIENTS; i++)
		close(fds[i]);
}

static void test_existing_paths(void **state)
{
	struct fixture *f = *state;
	struct ctl_server *s2 = NULL;
	char err[256], path[100];
	struct stat st;
	int r;

	/* a live server: refused, and the socket is untouched */
	r = ctl_server_create(&s2, f->el, f->path, &f->cfg, &fake_ops, &f->vm, err,
			      sizeof(err));
	assert_int_equal(r, -EADDRINUSE);
	assert_null(s2);
	assert_non_null(strstr(err, "another VM is serving it"));
	assert_int_equal(lstat(f->path, &st), 0);

	/* a regular file: refused and kept */
	snprintf(path, sizeof(path), "%s/file.sock", f->dir);
	int fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	r = ctl_server_create(&s2, f->el, path, &f->cfg, &fake_ops, &f->vm, err, sizeof(err));
	assert_int_equal(r, -EEXIST);
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* a stale socket (its server died without removing it): replaced */
	snprintf(path, sizeof(path), "%s/stale.sock", f->dir);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(lstat(path, &st), 0);
	ino_t stale = st.st_ino;
	r = ctl_server_create(&s2, f->el, path, &f->cfg, &fake_ops, &f->vm, err, sizeof(err));
	if (r)
		fail_msg("stale socket not replaced: %s", err);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(st.st_ino != stale);
	assert_int_equal(st.st_mode & 0777, 0600);
	start_loop(f);
	fd = tconnect(path);
	assert_string_equal(tline(fd), "ttyvm-control 1");
	close(fd);
	stop_loop(f);
	/* someone replaced our socket: destroy leaves theirs alone */
	assert_int_equal(unlink(path), 0);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	ctl_server_destroy(s2);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* a path too long for sun_path */
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	r = ctl_server_create(&s2, f->el, longp, &f->cfg, &fake_ops, &f->vm, err, sizeof(err));
	assert_int_equal(r, -ENAMETOOLONG);
	assert_non_null(strstr(err, "too long"));
	/* a directory that does not exist */
	r = ctl_server_create(&s2, f->el, "/nonexistent-ttyvm/x.sock", &f->cfg, &fake_ops,
			      &f->vm, err, sizeof(err));
	assert_int_equal(r, -ENOENT);
}

static void test_umask_does_not_matter(void **state)
{
	struct fixture *f = *state;
	struct ctl_server *s2;
	char err[256], path[160];
	struct stat st;

	snprintf(path, sizeof(path), "%s/open.sock", f->dir);
	mode_t old = umask(0);
	int r = ctl_server_create(&s2, f->el, path, &f->cfg, &fake_ops, &f->vm, err,
				  sizeof(err));
	umask(old);
	assert_int_equal(r, 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	ctl_server_destroy(s2);
}

/* screenshot PATH: an absolute path only; the file is complete PNG with
 * the size the reply names; errors name the path and keep nothing. */
static void test_screenshot(void **state)
{
	struct fixture *f = *state;
	struct ctl_reply r;
	char path[160], req[256];
	uint32_t *px;
	unsigned int w, h;
	const char *l;

	f->vm.screen = "hello\n";
	start_loop(f);
	int fd = topen(f);

	snprintf(path, sizeof(path), "%s/shot.png", f->dir);
	snprintf(req, sizeof(req), "screenshot %s\n", path);
	l = call(fd, req);
	assert_int_equal(ctl_reply_parse(l, strlen(l), &r), 0);
	assert_true(r.ok);
	assert_string_equal(ctl_reply_get(&r, "path"), path);
	assert_string_equal(ctl_reply_get(&r, "width"), "4");
	assert_string_equal(ctl_reply_get(&r, "height"), "3");
	assert_true(strtoull(ctl_reply_get(&r, "bytes"), NULL, 10) > 50);
	assert_int_equal(png_file_load(path, &px, &w, &h), 0);
	assert_int_equal(w, 4);
	assert_int_equal(h, 3);
	assert_int_equal(px[1], 0x00FF00);
	free(px);

	/* quoted paths with blanks work; relative ones are refused */
	snprintf(req, sizeof(req), "screenshot \"%s/a b.png\"\n", f->dir);
	assert_true(strncmp(call(fd, req), "ok path=", 8) == 0);
	snprintf(path, sizeof(path), "%s/a b.png", f->dir);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	assert_string_equal(call(fd, "screenshot shot.png\n"),
			    "error bad-argument screenshot shot.png: the path must be absolute "
			    "(the VM process has its own working directory)");
	assert_string_equal(call(fd, "screenshot\n"), "error bad-argument usage: screenshot PATH");
	snprintf(req, sizeof(req), "screenshot %s/no/such/dir.png\n", f->dir);
	l = call(fd, req);
	assert_non_null(strstr(l, "error bad-argument cannot write "));
	assert_non_null(strstr(l, "/no/such/dir.png: No such file or directory"));
	assert_int_equal(f->vm.screenshots, 3);

	/* a VM without a display */
	f->vm.screen = NULL;
	snprintf(req, sizeof(req), "screenshot %s/x.png\n", f->dir);
	assert_string_equal(call(fd, req), "error not-supported this VM has no display");
	snprintf(path, sizeof(path), "%s/x.png", f->dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/shot.png", f->dir);
	unlink(path);
	close(fd);
}

/* The keys the fake machine got, as "29+ 56+ 111- ..." (+ down, - up). */
static const char *keys_sent(struct fixture *f)
{
	static char buf[4096];
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < f->vm.nkeys && i < FAKE_KEYS_MAX && n < sizeof(buf) - 16; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%u%c", i ? " " : "",
				      f->vm.keys[i].code, f->vm.keys[i].down ? '+' : '-');
	return buf;
}

/* sendkey: combinations pressed in order, released in reverse, one
 * request after another; the reply comes once the keys are out. */
static void test_sendkey(void **state)
{
	struct fixture *f = *state;
	const char *l;

	start_loop(f);
	int fd = topen(f);

	assert_string_equal(call(fd, "sendkey ctrl-alt-delete\n"), "ok events=6");
	assert_string_equal(keys_sent(f), "29+ 56+ 111+ 111- 56- 29-");
	f->vm.nkeys = 0;
	assert_string_equal(call(fd, "sendkey ret F2 -\n"), "ok events=6");
	assert_string_equal(keys_sent(f), "28+ 28- 60+ 60- 12+ 12-");
	f->vm.nkeys = 0;

	/* nothing goes when one name is wrong */
	l = call(fd, "sendkey a ctrl-frob\n");
	assert_non_null(strstr(l, "error bad-argument sendkey ctrl-frob: no key 'frob'"));
	assert_non_null(strstr(l, "ttyvm sendkey --list"));
	assert_non_null(strstr(call(fd, "sendkey a-a\n"), "no key 'a'"));
	assert_non_null(strstr(call(fd, "sendkey ctrl-\n"), "error bad-argument"));
	assert_non_null(strstr(call(fd, "sendkey --\n"), "error bad-argument"));
	assert_non_null(strstr(call(fd, "sendkey a-b-c-d-e-f-g-h-i\n"), "error bad-argument"));
	assert_non_null(strstr(call(fd, "sendkey \"\"\n"), "error bad-argument"));
	assert_string_equal(call(fd, "sendkey\n"), "error bad-argument usage: sendkey COMBO...");
	assert_int_equal(f->vm.nkeys, 0);

	/* the next request waits for the keys of the one before */
	tsend(fd, "sendkey a b c\nstatus\n", 21);
	assert_string_equal(tline(fd), "ok events=6");
	l = tline(fd);
	assert_true(strncmp(l, "ok state=running", 16) == 0);
	assert_int_equal(f->vm.nkeys, 6);
	f->vm.nkeys = 0;

	/* not while paused */
	assert_string_equal(call(fd, "pause\n"), "ok state=paused");
	assert_string_equal(call(fd, "sendkey a\n"),
			    "error state the VM is paused; resume it first");
	assert_string_equal(call(fd, "type a\n"),
			    "error state the VM is paused; resume it first");
	assert_string_equal(call(fd, "resume\n"), "ok state=running");
	assert_int_equal(f->vm.nkeys, 0);
	close(fd);

	/* socat's way: the request, then end-of-file; the reply still comes */
	fd = topen(f);
	tsend(fd, "sendkey esc\n", 12);
	shutdown(fd, SHUT_WR);
	assert_string_equal(tline(fd), "ok events=2");
	assert_true(closed_by_server(fd));
	close(fd);
	assert_string_equal(keys_sent(f), "1+ 1-");
}

/* type: ASCII with Shift held around the characters that need it. */
static void test_type(void **state)
{
	struct fixture *f = *state;
	const char *l;

	start_loop(f);
	int fd = topen(f);

	assert_string_equal(call(fd, "type \"Hi!\\n\"\n"), "ok events=12");
	/* H: shift h; i: unshifted; !: shift 1; Return without Shift */
	assert_string_equal(keys_sent(f),
			    "42+ 35+ 35- 42- 23+ 23- 42+ 2+ 2- 42- 28+ 28-");
	f->vm.nkeys = 0;
	/* a run of capitals keeps Shift down; it is released at the end */
	assert_string_equal(call(fd, "type AB\n"), "ok events=6");
	assert_string_equal(keys_sent(f), "42+ 30+ 30- 48+ 48- 42-");
	f->vm.nkeys = 0;

	l = call(fd, "type \"a\xc3\xa9\"\n");
	assert_string_equal(l, "error bad-argument type: no key types byte 0xc3 (character 2); "
			       "type takes printable ASCII, \\n and \\t");
	assert_string_equal(call(fd, "type \"\"\n"), "error bad-argument type: the text is empty");
	assert_int_equal(f->vm.nkeys, 0);
	close(fd);

	/* a client that leaves while its text is typed: the rest still goes */
	fd = topen(f);
	tsend(fd, "type abcdefghij\n", 16);
	close(fd);
	for (int i = 0; i < 500 && __atomic_load_n(&f->vm.nkeys, __ATOMIC_SEQ_CST) < 20; i++)
		usleep(10000);
	assert_int_equal(__atomic_load_n(&f->vm.nkeys, __ATOMIC_SEQ_CST), 20);
	fd = topen(f);
	assert_true(strncmp(call(fd, "status\n"), "ok ", 3) == 0);
	close(fd);
}

static void test_pointer(void **state)
{
	struct fixture *f = *state;

	start_loop(f);
	int fd = topen(f);

	assert_string_equal(call(fd, "pointer 10 20\n"), "ok absolute=0");
	assert_int_equal(f->vm.pointer_x, 10);
	assert_int_equal(f->vm.pointer_y, 20);
	assert_int_equal(f->vm.pointer_buttons, 0);
	f->vm.tablet = true;
	assert_string_equal(call(fd, "pointer 639 479 5\n"), "ok absolute=1");
	assert_int_equal(f->vm.pointer_buttons, 5);
	assert_string_equal(call(fd, "pointer 640 0\n"),
			    "error bad-argument pointer 640 0: outside the screen");
	const char *bad[] = { "pointer 1 2 8\n", "pointer -1 2\n", "pointer x 2\n",
			      "pointer 1 99999999999999999999\n" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_non_null(strstr(call(fd, bad[i]), "error bad-argument usage: pointer"));
	assert_string_equal(call(fd, "pointer 1\n"),
			    "error bad-argument usage: pointer X Y [BUTTONS]");
	close(fd);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_socket_file),
	T(test_requests),
	T(test_blank_lines),
	T(test_no_acpi),
	T(test_half_close),
	T(test_endless_line),
	T(test_client_that_never_reads),
	T(test_pipelined_flood),
	T(test_flood_then_half_close),
	T(test_busy),
	T(test_existing_paths),
	T(test_umask_does_not_matter),
	T(test_screenshot),
	T(test_sendkey),
	T(test_type),
	T(test_pointer),
};

UNIT_SUITE(ctl_server, tests);
