/*
 * harness.c - spawning ttyvm for integration tests; see harness.h.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *harness_guest(const char *name)
{
	static char path[4096];
	const char *dir = getenv("TTYVM_GUESTS");

	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "tests/guests", name);
	return path;
}

void harness_require_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return;
	}
	fprintf(stderr,
		"\n##########################################################\n"
		"## KVM TEST NOT RUN: cannot open /dev/kvm (%s)\n"
		"## These tests need /dev/kvm; they fail rather than skip.\n"
		"##########################################################\n\n",
		strerror(errno));
	fail_msg("/dev/kvm unavailable: %s", strerror(errno));
}

static const char *ttyvm_bin(void)
{
	const char *b = getenv("TTYVM_BIN");
	return b && *b ? b : "./ttyvm";
}

void harness_spawn_env(struct vm_proc *p, const char *const *argv, const char *env)
{
	int out[2], err[2];
	size_t n = 0;

	memset(p, 0, sizeof(*p));
	while (argv[n])
		n++;
	const char **full = calloc(n + 2, sizeof(*full));
	assert_non_null(full);
	full[0] = ttyvm_bin();
	memcpy(full + 1, argv, n * sizeof(*argv));

	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	p->seconds = now_s();
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (env)
			putenv((char *)env);
		execv(full[0], (char *const *)full);
		fprintf(stderr, "exec %s: %s\n", full[0], strerror(errno));
		_exit(127);
	}
	free(full);
	close(out[1]);
	close(err[1]);
	p->out_fd = out[0];
	p->err_fd = err[0];
	p->out = calloc(1, 1);
	p->err = calloc(1, 1);
	fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
}

void harness_spawn(struct vm_proc *p, const char *const *argv)
{
	harness_spawn_env(p, argv, NULL);
}

static void drain(int *fd, char **buf, size_t *len)
{
	char tmp[4096];

	for (;;) {
		ssize_t n = read(*fd, tmp, sizeof(tmp));
		if (n > 0) {
			char *nb = realloc(*buf, *len + (size_t)n + 1);
			assert_non_null(nb);
			memcpy(nb + *len, tmp, (size_t)n);
			*len += (size_t)n;
			nb[*len] = '\0';
			*buf = nb;
			continue;
		}
		if (n == 0) {
			close(*fd);
			*fd = -1;
		}
		return;
	}
}

/* Polls output for up to ms; returns false when both pipes are closed. */
static bool pump(struct vm_proc *p, int ms)
{
	struct pollfd fds[2] = { { p->out_fd, POLLIN, 0 }, { p->err_fd, POLLIN, 0 } };

	if (p->out_fd < 0 && p->err_fd < 0)
		return false;
	poll(fds, 2, ms);
	if (p->out_fd >= 0)
		drain(&p->out_fd, &p->out, &p->out_len);
	if (p->err_fd >= 0)
		drain(&p->err_fd, &p->err, &p->err_len);
	return p->out_fd >= 0 || p->err_fd >= 0;
}

/* Pumps until *buf (p->out or p->err) holds text, the time is up or the
 * pipes closed. */
static bool wait_in(struct vm_proc *p, char *const *buf, const char *text, int timeout_s)
{
	double end = now_s() + timeout_s;

	while (!strstr(*buf, text)) {
		if (now_s() > end)
			return false;
		if (!pump(p, 100))
			return strstr(*buf, text) != NULL;
	}
	return true;
}

bool harness_wait_for(struct vm_proc *p, const char *text, int timeout_s)
{
	return wait_in(p, &p->out, text, timeout_s);
}

bool harness_wait_err(struct vm_proc *p, const char *text, int timeout_s)
{
	return wait_in(p, &p->err, text, timeout_s);
}

int harness_vnc_port(struct vm_proc *p, int timeout_s)
{
	static const char tag[] = "VNC server on ";
	int port = 0;

	if (!harness_wait_err(p, tag, timeout_s))
		fail_msg("no \"%s...\" on stderr within %d s; stdout:\n%s\nstderr:\n%s", tag,
			 timeout_s, p->out, p->err);
	/* the line is whole once it is there: ttyvm's log writes each line with
	 * one write(2) */
	const char *at = strstr(p->err, tag) + strlen(tag);
	const char *eol = strchr(at, '\n');
	const char *colon = NULL;
	for (const char *c = at; eol ? c < eol : *c; c++)
		if (*c == ':')
			colon = c;       /* the last one: [IPv6]:PORT too */
	if (!colon || sscanf(colon + 1, "%d", &port) != 1 || port < 1 || port > 65535)
		fail_msg("no port in the VNC address on stderr:\n%s", p->err);
	return port;
}

/* A TCP socket listening on 127.0.0.1:port (0: any), or -1. */
static int listen_loopback(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0)
		return -1;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(s, 1) != 0) {
		close(s);
		return -1;
	}
	return s;
}

uint32_t harness_vbe_pattern(unsigned int x, unsigned int y)
{
	return (x & 255) << 16 | (y & 255) << 8 | ((x ^ y) & 255);
}

uint16_t harness_free_port(int *keep)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int s = listen_loopback(0);

	assert_true(s >= 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	if (keep)
		*keep = s;
	else
		close(s);
	return ntohs(sa.sin_port);
}

int harness_free_vnc_display(int *keep)
{
	for (int d = 99; d >= 0; d--) {
		int s = listen_loopback((uint16_t)(5900 + d));
		if (s < 0)
			continue;
		if (keep)
			*keep = s;
		else
			close(s);
		return d;
	}
	fail_msg("no free VNC display: ports 5900-5999 on 127.0.0.1 are all taken");
	return -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			assert_non_null(nb);
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

bool harness_wait_file(struct vm_proc *p, const char *path, const char *text, int timeout_s)
{
	double end = now_s() + timeout_s;
	char *content = NULL;

	for (;;) {
		free(content);
		content = slurp(path);
		if (content && strstr(content, text)) {
			free(content);
			return true;
		}
		if (now_s() > end || !pump(p, 250))
			break;
	}
	fprintf(stderr, "--- '%s' not found in %s; last content:\n%s\n--- stdout:\n%s\n"
			"--- stderr:\n%s\n", text, path, content ? content : "(no file)",
		p->out, p->err);
	free(content);
	return false;
}

void harness_wait_exit(struct vm_proc *p, int timeout_s)
{
	double start = p->seconds, end = now_s() + timeout_s;
	int st;

	while (pump(p, 100)) {
		if (now_s() > end) {
			p->timed_out = true;
			kill(p->pid, SIGKILL);
			end += 3600; /* keep draining until the pipes close */
		}
	}
	while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
		;
	p->exited = true;
	p->seconds = now_s() - start;
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (p->timed_out || p->status >= 128 || getenv("TTYVM_TEST_VERBOSE")) {
		fprintf(stderr, "--- ttyvm status %d%s after %.1fs\n--- stdout:\n%s\n--- stderr:\n%s\n",
			p->status, p->timed_out ? " (KILLED: time limit)" : "",
			p->seconds, p->out, p->err);
	}
}

void harness_run(struct vm_proc *p, const char *const *argv, int timeout_s)
{
	harness_spawn(p, argv);
	harness_wait_exit(p, timeout_s);
}

double harness_elapsed(const struct vm_proc *p)
{
	return p->exited ? p->seconds : now_s() - p->seconds;
}

void harness_free(struct vm_proc *p)
{
	if (!p->exited && p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	free(p->out);
	free(p->err);
	memset(p, 0, sizeof(*p));
}

unsigned int harness_count_lines(const char *text, const char *prefix)
{
	unsigned int n = 0;
	size_t pl = strlen(prefix);

	for (const char *l = text; l && *l;) {
		if (strncmp(l, prefix, pl) == 0)
			n++;
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return n;
}

const char *harness_line(const char *text, const char *prefix, char *buf, size_t len)
{
	size_t pl = strlen(prefix);

	for (const char *l = text; l && *l;) {
		const char *eol = strchr(l, '\n');
		size_t ll = eol ? (size_t)(eol - l) : strlen(l);
		if (ll >= pl && strncmp(l, prefix, pl) == 0) {
			if (ll && l[ll - 1] == '\r')
				ll--;
			if (ll >= len)
				ll = len - 1;
			memcpy(buf, l, ll);
			buf[ll] = '\0';
			return buf;
		}
		l = eol ? eol + 1 : NULL;
	}
	return NULL;
}

char *harness_temp_file(size_t len, unsigned int seed, unsigned int *fnv1a)
{
	char *path = strdup("/tmp/ttyvm-test-XXXXXX");
	uint32_t h = 2166136261u, x = seed * 2654435761u + 1;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	uint8_t *buf = malloc(len ? len : 1);
	assert_non_null(buf);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
		h = (h ^ buf[i]) * 16777619u;
	}
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
	if (fnv1a)
		*fnv1a = h;
	return path;
}

char *harness_temp_text(const char *content)
{
	char *path = strdup("/tmp/ttyvm-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	size_t n = strlen(content);
	assert_int_equal(write(fd, content, n), (ssize_t)n);
	close(fd);
	return path;
}
