/*
 * vmstore_start.c - starting a defined VM as a background process and
 * waiting until it answers on its control socket (vmstore_start()).
 *
 * Process model: the caller (`ttyvm start`, the TUI) loads and checks the
 * definition, takes the lock on RUNTIME/NAME.pid (pidfile.h: the lock is
 * held by the VM process for its whole life, so a second start is
 * refused and a pid file without a lock is known stale), cleans what a
 * crashed run left behind, then daemonises the usual way - fork, setsid,
 * fork again - so the VM process has no terminal and is nobody's child.
 * That process drops what it inherited from the caller (descriptors,
 * signal handlers, the signal mask), writes its pid, sends its output to
 * RUNTIME/NAME.log (appended, one header line per start) and runs the
 * machine exactly as `ttyvm run` would, with the control socket at
 * RUNTIME/NAME.sock.  When the machine ends it writes the exit status to
 * RUNTIME/NAME.exit, removes the pid file and leaves with _exit(), so no
 * code of the caller's (atexit handlers, stdio buffers) runs twice.
 * Meanwhile the caller polls the socket until `status` answers; a pipe
 * whose write end only the VM process keeps open tells the caller at once
 * if it died instead, and then the log's last lines say why.
 *
 * Not here: option parsing and messages (cli_start.c), the machine
 * (vmm_run), the protocol (ctl_*).
 */
#include "ui/vmstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ui/ctl_client.h"
#include "ui/pidfile.h"
#include "ui/vmstore_priv.h"
#include "util/log.h"
#include "vmm/vmm.h"

/* Closes every descriptor but 0-2 and keep (the VM process's own). */
static void vmstore_close_inherited(int keep1, int keep2)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self;

	if (!d)
		return;
	self = dirfd(d);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (fd > 2 && fd != self && fd != keep1 && fd != keep2)
			close(fd);
	}
	closedir(d);
}

static void vmstore_reset_signals(void)
{
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL); /* fails harmlessly for KILL, STOP, RT internals */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void vmstore_write_exit(const char *path, int code)
{
	char buf[16];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int n = snprintf(buf, sizeof(buf), "%d\n", code);

	if (fd < 0)
		return;
	if (write(fd, buf, (size_t)n) != n)
		log_warn("writing %s failed", path);
	close(fd);
}

/* The VM process: never returns. */
static void vmstore_daemon(struct vm_config *cfg, const char *name, struct vmstore_files *f,
			   int pidfd, int logfd, int alive)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	time_t now = time(NULL);
	char when[64];

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(logfd, STDOUT_FILENO) < 0 ||
	    dup2(logfd, STDERR_FILENO) < 0)
		_exit(VMM_EXIT_ERROR);
	vmstore_close_inherited(pidfd, alive);
	vmstore_reset_signals();
	umask(077);
	if (chdir("/") < 0)
		_exit(VMM_EXIT_ERROR);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&now));
	log_info("--- %s: starting VM %s (pid %ld)", when, name, (long)getpid());
	int r = pidfile_write(pidfd, getpid());
	if (r) {
		log_error("writing %s: %s", f->pid, strerror(-r));
		_exit(VMM_EXIT_ERROR);
	}
	cfg->control_socket = f->sock;
	int code = vmm_run(cfg);
	cfg->control_socket = NULL;
	vmdef_free(cfg);
	log_info("VM %s ended with exit status %d", name, code);
	vmstore_write_exit(f->exit, code);
	pidfile_remove(f->pid, pidfd);
	fflush(NULL);
	_exit(code);
}

/*
 * Forks twice; the grandchild runs vmstore_daemon().  Returns the pipe
 * end that reaches end-of-file when the VM process is gone (its pid is
 * read from it first into *pid), or -errno.
 */
static int vmstore_spawn(struct vm_config *cfg, const char *name, struct vmstore_files *f,
			 int pidfd, int logfd, pid_t *pid)
{
	int p[2], r;
	pid_t child;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	child = fork();
	if (child < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (child == 0) {
		close(p[0]);
		if (setsid() < 0)
			_exit(VMM_EXIT_ERROR);
		pid_t d = fork();
		if (d == 0)
			vmstore_daemon(cfg, name, f, pidfd, logfd, p[1]); /* keeps p[1] */
		if (d > 0 && write(p[1], &d, sizeof(d)) != (ssize_t)sizeof(d))
			_exit(VMM_EXIT_ERROR);
		_exit(d > 0 ? 0 : VMM_EXIT_ERROR);
	}
	close(p[1]);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	if (read(p[0], pid, sizeof(*pid)) != (ssize_t)sizeof(*pid)) {
		close(p[0]);
		return -ECHILD;
	}
	return p[0];
}

/* Waits until the VM answers status (0), dies (-ECHILD) or time runs out. */
static int vmstore_wait_ready(const char *sock, int alive, int timeout_ms)
{
	static const char *const req[] = { "status", NULL };
	int64_t deadline = vmstore_now_ms() + timeout_ms;
	struct ctl_reply *r = malloc(sizeof(*r));

	if (!r)
		return -ENOMEM;
	for (;;) {
		struct ctl_client *c;
		struct pollfd pfd = { .fd = alive, .events = POLLIN };

		if (ctl_client_open(&c, sock, 1000, NULL) == 0) {
			int e = ctl_client_call(c, req, r, 5000);
			ctl_client_close(c);
			if (e == 0 && r->ok) {
				free(r);
				return 0;
			}
		}
		/* readable means end-of-file: the VM process is gone */
		if (poll(&pfd, 1, 50) > 0) {
			free(r);
			return -ECHILD;
		}
		if (vmstore_left_ms(deadline) == 0) {
			free(r);
			return -ETIMEDOUT;
		}
	}
}

/*
 * What is at the socket path, the pid file being ours: nothing, or a
 * stale socket (removed, *stale set) -> 0; something that answers ->
 * -EALREADY; else -errno.
 */
static int vmstore_clean_socket(const char *name, const char *sock, bool *stale, char *err,
				size_t errlen)
{
	struct ctl_client *c;
	struct stat st;
	int r;

	if (lstat(sock, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return vmstore_fail(err, errlen, -errno, "start %s: %s: %s", name, sock,
				    strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return vmstore_fail(err, errlen, -EEXIST, "start %s: %s is in the way and is "
				    "not a socket; remove it", name, sock);
	r = ctl_client_open(&c, sock, 2000, NULL);
	if (r == -ECONNREFUSED) {
		if (unlink(sock) < 0 && errno != ENOENT)
			return vmstore_fail(err, errlen, -errno, "start %s: removing the stale "
					    "socket %s: %s", name, sock, strerror(errno));
		*stale = true;
		return 0;
	}
	if (r == 0 || r == -EBUSY || r == -ETIMEDOUT || r == -EPROTONOSUPPORT) {
		ctl_client_close(c);
		return vmstore_fail(err, errlen, -EALREADY, "start %s: a VM is already serving "
				    "%s (started by hand with `ttyvm run --control`?)", name,
				    sock);
	}
	return vmstore_fail(err, errlen, r, "start %s: %s: %s", name, sock,
			    ctl_client_strerror(r));
}

/* A firmware VM gets the default BIOS when its definition names none. */
static int vmstore_boot_defaults(const char *name, struct vm_config *cfg, char *err,
				 size_t errlen)
{
	if (cfg->kernel || cfg->flat)
		return 0;
	if (!cfg->firmware && !(cfg->firmware = strdup(VMDEF_DEFAULT_FIRMWARE)))
		return vmstore_fail(err, errlen, -ENOMEM, "out of memory");
	if (access(cfg->firmware, R_OK) < 0)
		return vmstore_fail(err, errlen, -errno, "start %s: firmware %s: %s%s", name,
				    cfg->firmware, strerror(errno),
				    strcmp(cfg->firmware, VMDEF_DEFAULT_FIRMWARE) == 0
					    ? " (install the Debian package seabios)" : "");
	return 0;
}

int vmstore_start(const char *name, int timeout_ms, struct vmstore_started *out,
		  char *err, size_t errlen)
{
	struct vmstore_started local;
	struct vmstore_files *f;
	struct vm_config cfg;
	pid_t holder = 0, stale = 0;
	int pidfd = -1, logfd = -1, alive = -1, r;

	if (!out)
		out = &local;
	memset(out, 0, sizeof(*out));
	memset(&cfg, 0, sizeof(cfg));
	f = vmstore_files_new(name, err, errlen, &r);
	if (!f)
		return r;
	snprintf(out->log, sizeof(out->log), "%s", f->log);
	r = vmdef_load(f->def, &cfg, err, errlen);
	if (r == -ENOENT)
		vmstore_fail(err, errlen, r, "start: no VM named '%s' (no definition at %s)",
			     name, f->def);
	if (!r)
		r = vmstore_boot_defaults(name, &cfg, err, errlen);
	if (r)
		goto out;

	r = pidfile_lock(f->pid, &pidfd, &holder, &stale);
	if (r == -EBUSY) {
		pidfd = -1;
		if (holder)
			r = vmstore_fail(err, errlen, -EALREADY, "start: VM %s is already running "
					 "(pid %ld)", name, (long)holder);
		else
			r = vmstore_fail(err, errlen, -EALREADY, "start: VM %s is already "
					 "running or starting", name);
		goto out;
	}
	if (r) {
		pidfd = -1;
		vmstore_fail(err, errlen, r, "start %s: %s: %s", name, f->pid, strerror(-r));
		goto out;
	}
	out->stale_pid = stale;
	r = vmstore_clean_socket(name, f->sock, &out->stale_socket, err, errlen);
	if (r)
		goto out;
	unlink(f->exit); /* the last run's: this one writes its own */
	logfd = open(f->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (logfd < 0) {
		r = vmstore_fail(err, errlen, -errno, "start %s: %s: %s", name, f->log,
				 strerror(errno));
		goto out;
	}
	out->log_offset = lseek(logfd, 0, SEEK_END);
	if (out->log_offset < 0)
		out->log_offset = 0;
	alive = vmstore_spawn(&cfg, name, f, pidfd, logfd, &out->pid);
	close(logfd);
	close(pidfd); /* the VM process holds the lock now */
	pidfd = -1;
	if (alive < 0) {
		r = vmstore_fail(err, errlen, alive, "start %s: could not create the VM process: "
				 "%s", name, strerror(-alive));
		alive = -1;
		goto out;
	}
	r = vmstore_wait_ready(f->sock, alive, timeout_ms);
	if (r == -ECHILD && vmstore_read_exit(f->exit) == VMM_EXIT_POWEROFF) {
		out->ended = true; /* ran to a power-off before we could ask it */
		r = 0;
	}
	if (r == -ECHILD)
		vmstore_fail(err, errlen, r, "start %s: the VM process ended before it was "
			     "ready", name);
	else if (r == -ETIMEDOUT)
		vmstore_fail(err, errlen, r, "start %s: the VM did not answer on %s within "
			     "%d s; it may still be starting", name, f->sock,
			     (timeout_ms + 999) / 1000);
	else if (r)
		vmstore_fail(err, errlen, r, "start %s: %s", name, strerror(-r));
out:
	if (alive >= 0)
		close(alive);
	if (pidfd >= 0)
		pidfile_remove(f->pid, pidfd);
	vmdef_free(&cfg);
	free(f);
	return r;
}

int vmstore_log_tail(const char *path, off_t offset, unsigned int max_lines, char *buf,
		     size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;
	ssize_t n;

	if (len == 0)
		return -EINVAL;
	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		close(fd);
		return -errno;
	}
	if (offset < 0 || offset > end)
		offset = end;
	if (end - offset > (off_t)len - 1)
		offset = end - (off_t)len + 1;
	n = end > offset ? pread(fd, buf, (size_t)(end - offset), offset) : 0;
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	/* back up max_lines line starts from the end */
	char *p = buf + n;
	if (p > buf && p[-1] == '\n')
		p--;
	for (unsigned int lines = 0; p > buf; p--)
		if (p[-1] == '\n' && ++lines == max_lines)
			break;
	size_t keep = strlen(p);
	memmove(buf, p, keep + 1);
	if (keep && buf[keep - 1] != '\n' && keep + 1 < len) {
		buf[keep++] = '\n';
		buf[keep] = '\0';
	}
	return (int)keep;
}
