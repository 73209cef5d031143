/*
 * cli_start.c - `ttyvm start NAME`: run a defined VM as a background
 * process and return once it answers on its control socket.
 *
 * Process model: start loads and checks the definition, takes the lock
 * on RUNTIME/NAME.pid (pidfile.h: the lock is held by the VM process for
 * its whole life, so a second start is refused and a pid file without a
 * lock is known stale), cleans what a crashed VM left behind, then
 * daemonises the usual way - fork, setsid, fork again - so the VM process
 * has no terminal and is nobody's child.  That process writes its pid,
 * sends its output to RUNTIME/NAME.log (appended, one header line per
 * start) and runs the machine exactly as `ttyvm run` would, with the
 * control socket at RUNTIME/NAME.sock.  Meanwhile start polls that
 * socket until `status` answers; a pipe whose write end only the VM
 * process keeps open tells start at once if it died instead, and then
 * the log's last lines say why.
 *
 * Not here: the control protocol (ctl_*), paths (paths.c), definitions
 * (vmdef.c), the machine (vmm_run).
 */
#include "ui/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ui/ctl_client.h"
#include "ui/paths.h"
#include "ui/pidfile.h"
#include "ui/vmdef.h"
#include "util/log.h"
#include "util/parse.h"
#include "vmm/vmm.h"

enum {
	START_EXIT_OK = 0,
	START_EXIT_ERROR = 1,
	START_EXIT_RUNNING = 3,
	START_EXIT_TIMEOUT = 4,
};

#define START_DEFAULT_TIMEOUT 30 /* seconds */
#define START_LOG_LINES 15       /* shown when the VM fails to start */

struct start_files {
	char def[4096], sock[4096], pid[4096], log[4096];
};

void cli_start_usage(FILE *out)
{
	fprintf(out,
		"usage: ttyvm start [--timeout S] NAME\n"
		"\n"
		"Starts the VM defined in NAME.ini (see ttyvm.ini(5)) as a background\n"
		"process and returns once it answers on its control socket, RUNTIME/NAME.sock.\n"
		"Its messages, and its serial console when the definition says stdio, go\n"
		"to RUNTIME/NAME.log; RUNTIME/NAME.pid holds its process id.  RUNTIME is\n"
		"$XDG_RUNTIME_DIR/ttyvm (or $TTYVM_HOME/run).  A running VM is not started\n"
		"twice; files left by a VM that crashed are cleaned up.\n"
		"\n"
		"  -t, --timeout S  wait at most S seconds for the VM to answer (default %d)\n"
		"  -h, --help       this help\n"
		"\n"
		"Exit status: 0 started; 1 error (the log's last lines are shown); 3 the VM\n"
		"is already running; 4 it did not answer in time (it may still be starting).\n",
		START_DEFAULT_TIMEOUT);
}

static int start_parse(int argc, char **argv, int *timeout_s, const char **name)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	*timeout_s = START_DEFAULT_TIMEOUT;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_uint(optarg, 1, 86400, &v)) {
				log_error("start: --timeout %s: expected seconds from 1 to 86400",
					  optarg);
				return 1;
			}
			*timeout_s = (int)v;
			break;
		case 'h':
			cli_start_usage(stdout);
			return 2;
		case ':':
			log_error("start: option %s needs a value", argv[optind - 1]);
			return 1;
		default:
			log_error("start: unknown option %s (see ttyvm start --help)",
				  argv[optind - 1]);
			return 1;
		}
	}
	if (optind != argc - 1) {
		log_error(optind >= argc ? "start: which VM? (ttyvm start --help)"
					 : "start: one VM at a time (ttyvm start --help)");
		return 1;
	}
	*name = argv[optind];
	if (!vmdef_name_valid(*name)) {
		log_error("start: '%s': " VMDEF_NAME_RULE, *name);
		return 1;
	}
	return 0;
}

static int start_paths(const char *name, struct start_files *f)
{
	int r = paths_definition(name, f->def, sizeof(f->def));

	if (!r)
		r = paths_runtime_file(name, ".sock", f->sock, sizeof(f->sock));
	if (!r)
		r = paths_runtime_file(name, ".pid", f->pid, sizeof(f->pid));
	if (!r)
		r = paths_runtime_file(name, ".log", f->log, sizeof(f->log));
	if (r)
		log_error("start %s: finding its files: %s", name, strerror(-r));
	return r;
}

/*
 * What is at the socket path, the pid file being ours: nothing, or a
 * stale socket (removed) -> 0; something that answers -> 3; else 1.
 */
static int start_clean_socket(const char *name, const char *sock)
{
	struct ctl_client *c;
	struct stat st;
	int r;

	if (lstat(sock, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		log_error("start %s: %s: %s", name, sock, strerror(errno));
		return START_EXIT_ERROR;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_error("start %s: %s is in the way and is not a socket; remove it",
			  name, sock);
		return START_EXIT_ERROR;
	}
	r = ctl_client_open(&c, sock, 2000, NULL);
	if (r == -ECONNREFUSED) {
		if (unlink(sock) < 0 && errno != ENOENT) {
			log_error("start %s: removing the stale socket %s: %s", name, sock,
				  strerror(errno));
			return START_EXIT_ERROR;
		}
		log_info("%s: removed the stale control socket of a VM that did not exit "
			 "cleanly", name);
		return 0;
	}
	if (r == 0 || r == -EBUSY || r == -ETIMEDOUT || r == -EPROTONOSUPPORT) {
		ctl_client_close(c);
		log_error("start %s: a VM is already serving %s (started by hand with "
			  "`ttyvm run --control`?)", name, sock);
		return START_EXIT_RUNNING;
	}
	log_error("start %s: %s: %s", name, sock, ctl_client_strerror(r));
	return START_EXIT_ERROR;
}

/* Prints the last lines of the log written since offset. */
static void start_log_tail(const char *path, off_t offset)
{
	char buf[16384];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	off_t end = lseek(fd, 0, SEEK_END);
	if (end - offset > (off_t)sizeof(buf) - 1)
		offset = end - (off_t)sizeof(buf) + 1;
	ssize_t n = end > offset ? pread(fd, buf, (size_t)(end - offset), offset) : 0;
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* back up START_LOG_LINES line starts from the end */
	char *p = buf + n;
	if (p > buf && p[-1] == '\n')
		p--;
	for (int lines = 0; p > buf; p--)
		if (p[-1] == '\n' && ++lines == START_LOG_LINES)
			break;
	fprintf(stderr, "--- last lines of %s:\n", path);
	for (char *line = p; *line;) {
		char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		fprintf(stderr, "  | %.*s\n", (int)len, line);
		line += len + (eol ? 1 : 0);
	}
}

/* The VM process: never returns. */
static void start_daemon(struct vm_config *cfg, const char *name, struct start_files *f,
			 int pidfd, int logfd)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	time_t now = time(NULL);
	char when[64];

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(logfd, STDOUT_FILENO) < 0 ||
	    dup2(logfd, STDERR_FILENO) < 0)
		_exit(START_EXIT_ERROR);
	close(null);
	close(logfd);
	umask(077);
	if (chdir("/") < 0)
		_exit(START_EXIT_ERROR);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&now));
	log_info("--- %s: starting VM %s (pid %ld)", when, name, (long)getpid());
	int r = pidfile_write(pidfd, getpid());
	if (r) {
		log_error("writing %s: %s", f->pid, strerror(-r));
		_exit(START_EXIT_ERROR);
	}
	cfg->control_socket = f->sock;
	int code = vmm_run(cfg);
	cfg->control_socket = NULL;
	vmdef_free(cfg);
	log_info("VM %s ended with exit status %d", name, code);
	pidfile_remove(f->pid, pidfd);
	exit(code);
}

/*
 * Forks twice; the grandchild runs start_daemon().  Returns the pipe end
 * that reaches end-of-file when the VM process is gone (its pid is read
 * from it first into *pid), or -1 after an error message.
 */
static int start_spawn(struct vm_config *cfg, const char *name, struct start_files *f,
		       int pidfd, int logfd, pid_t *pid)
{
	int p[2];
	pid_t child;

	if (pipe2(p, O_CLOEXEC) < 0) {
		log_error("start %s: pipe: %s", name, strerror(errno));
		return -1;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		log_error("start %s: fork: %s", name, strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (child == 0) {
		close(p[0]);
		if (setsid() < 0)
			_exit(START_EXIT_ERROR);
		pid_t d = fork();
		if (d == 0)
			start_daemon(cfg, name, f, pidfd, logfd); /* keeps p[1] open */
		if (d > 0 && write(p[1], &d, sizeof(d)) != (ssize_t)sizeof(d))
			_exit(START_EXIT_ERROR);
		_exit(d > 0 ? 0 : START_EXIT_ERROR);
	}
	close(p[1]);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	if (read(p[0], pid, sizeof(*pid)) != (ssize_t)sizeof(*pid)) {
		log_error("start %s: could not create the VM process", name);
		close(p[0]);
		return -1;
	}
	return p[0];
}

/* Waits until the VM answers status (0), dies (1) or time runs out (4). */
static int start_wait_ready(const char *name, const char *sock, int alive, int timeout_s)
{
	struct timespec t0, t;
	const char *req[] = { "status", NULL };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct ctl_client *c;
		struct pollfd pfd = { .fd = alive, .events = POLLIN };

		if (ctl_client_open(&c, sock, 1000, NULL) == 0) {
			struct ctl_reply *r = malloc(sizeof(*r));
			int e = r ? ctl_client_call(c, req, r, 5000) : -ENOMEM;
			bool ok = e == 0 && r->ok;
			free(r);
			ctl_client_close(c);
			if (ok)
				return START_EXIT_OK;
		}
		/* readable means end-of-file: the VM process is gone */
		if (poll(&pfd, 1, 50) > 0)
			return START_EXIT_ERROR;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= timeout_s) {
			log_error("start %s: the VM did not answer on %s within %d s; it may "
				  "still be starting (ttyvm status %s)", name, sock, timeout_s, name);
			return START_EXIT_TIMEOUT;
		}
	}
}

int cli_start(int argc, char **argv)
{
	struct start_files *f = calloc(1, sizeof(*f));
	struct vm_config cfg;
	char err[VMDEF_ERR_MAX];
	const char *name;
	pid_t holder = 0, stale = 0, pid = 0;
	int timeout_s, pidfd = -1, logfd = -1, alive = -1, r;
	int code = START_EXIT_ERROR;

	memset(&cfg, 0, sizeof(cfg));
	if (!f) {
		log_error("out of memory");
		return START_EXIT_ERROR;
	}
	r = start_parse(argc, argv, &timeout_s, &name);
	if (r) {
		free(f);
		return r == 2 ? START_EXIT_OK : START_EXIT_ERROR;
	}
	if (start_paths(name, f))
		goto out;
	r = vmdef_load(f->def, &cfg, err, sizeof(err));
	if (r == -ENOENT) {
		log_error("start: no VM named '%s' (no definition at %s)", name, f->def);
		goto out;
	}
	if (r) {
		log_error("start %s: %s", name, err);
		goto out;
	}

	r = pidfile_lock(f->pid, &pidfd, &holder, &stale);
	if (r == -EBUSY) {
		if (holder)
			log_error("start: VM %s is already running (pid %ld); see ttyvm status %s",
				  name, (long)holder, name);
		else
			log_error("start: VM %s is already running or starting", name);
		code = START_EXIT_RUNNING;
		goto out;
	}
	if (r) {
		log_error("start %s: %s: %s", name, f->pid, strerror(-r));
		goto out;
	}
	if (stale)
		log_info("%s: cleaning up after pid %ld, which did not exit cleanly", name,
			 (long)stale);
	r = start_clean_socket(name, f->sock);
	if (r) {
		code = r;
		goto out;
	}
	logfd = open(f->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (logfd < 0) {
		log_error("start %s: %s: %s", name, f->log, strerror(errno));
		goto out;
	}
	off_t log_start = lseek(logfd, 0, SEEK_END);
	alive = start_spawn(&cfg, name, f, pidfd, logfd, &pid);
	close(logfd);
	close(pidfd); /* the VM process holds the lock now */
	pidfd = -1;
	if (alive < 0)
		goto out;
	code = start_wait_ready(name, f->sock, alive, timeout_s);
	if (code == START_EXIT_OK) {
		printf("%s: started (pid %ld)\n", name, (long)pid);
	} else if (code == START_EXIT_ERROR) {
		log_error("start %s: the VM process ended before it was ready", name);
		start_log_tail(f->log, log_start < 0 ? 0 : log_start);
	}
out:
	if (alive >= 0)
		close(alive);
	if (pidfd >= 0)
		pidfile_remove(f->pid, pidfd);
	vmdef_free(&cfg);
	free(f);
	return code;
}
