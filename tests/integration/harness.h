/*
 * harness.h - running the real ttyvm binary from a cmocka test.
 *
 * A test spawns `ttyvm ARGS...` with stdin on /dev/null, collects stdout
 * (the guest's serial console) and stderr separately, can wait for a line
 * to appear, send a signal, and reap the process with a time limit (a
 * process over its limit is killed and the test fails, it never hangs).
 */
#ifndef TTYVM_HARNESS_H
#define TTYVM_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct vm_proc {
	pid_t pid;
	int out_fd, err_fd;
	char *out, *err;         /* NUL-terminated, growing */
	size_t out_len, err_len;
	int status;              /* exit code, or 128+signal */
	bool exited;
	bool timed_out;
	double seconds;          /* wall time until exit */
};

/* Path to a file under the build's tests/guests (TTYVM_GUESTS). */
const char *harness_guest(const char *name);

/*
 * Fails the current test unless /dev/kvm can be opened, printing a loud
 * banner: KVM tests are never skipped silently.
 */
void harness_require_kvm(void);

/* Starts ttyvm with argv (NULL-terminated, without the program name). */
void harness_spawn(struct vm_proc *p, const char *const *argv);
/* Extra environment for the next spawn ("NAME=value"), or NULL. */
void harness_spawn_env(struct vm_proc *p, const char *const *argv, const char *env);

/* Reads output until text appears on stdout (true) or timeout/exit (false). */
bool harness_wait_for(struct vm_proc *p, const char *text, int timeout_s);
/* The same for stderr (ttyvm's own messages). */
bool harness_wait_err(struct vm_proc *p, const char *text, int timeout_s);
/*
 * Waits until the file at path contains text (the --screen-text dump) while
 * draining the process's output.  true when found; false on timeout or
 * when the process exited.  On false, the file's last content is printed.
 */
bool harness_wait_file(struct vm_proc *p, const char *path, const char *text, int timeout_s);

/* Reads all output until the process exits; kills it after timeout_s. */
void harness_wait_exit(struct vm_proc *p, int timeout_s);
/* spawn + wait_exit. */
void harness_run(struct vm_proc *p, const char *const *argv, int timeout_s);
void harness_free(struct vm_proc *p);
/* Seconds since the process was spawned (while it runs). */
double harness_elapsed(const struct vm_proc *p);

/* Number of stdout lines that start with prefix. */
unsigned int harness_count_lines(const char *text, const char *prefix);
/* The first stdout line starting with prefix (a static copy), or NULL. */
const char *harness_line(const char *text, const char *prefix, char *buf, size_t len);

/*
 * The TCP port of the VNC server the VM announced on stderr ("NAME: VNC
 * server on HOST:PORT"), waiting up to timeout_s for the line; fails the
 * test, with the output, when none comes.  For VMs started with
 * --display vnc=127.0.0.1 (the first free display), so that two test runs
 * on one machine never fight over a port.
 */
int harness_vnc_port(struct vm_proc *p, int timeout_s);
/*
 * A free TCP port on 127.0.0.1: bound, listening, and closed again, or
 * left open in *keep (the caller closes it) when keep is not NULL.
 */
uint16_t harness_free_port(int *keep);
/* The colour (0xRRGGBB) the test kernel's vbe mode paints at x, y
 * (tests/guests/display.c). */
uint32_t harness_vbe_pattern(unsigned int x, unsigned int y);
/*
 * A VNC display N (0-99) whose port 5900 + N on 127.0.0.1 is free now,
 * searched from :99 down (ttyvm's own choice goes up from :0, so the two
 * rarely meet); its socket left listening in *keep when keep is not NULL.
 * For the tests of an explicit vnc=HOST:N.  Fails the test when all are
 * taken.
 */
int harness_free_vnc_display(int *keep);

/* Writes len deterministic pseudo-random bytes to a new temp file. */
char *harness_temp_file(size_t len, unsigned int seed, unsigned int *fnv1a);
char *harness_temp_text(const char *content);

#endif
