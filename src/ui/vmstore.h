/*
 * vmstore.h - a user's VMs as a whole: which are defined, what state each
 * is in, and the operations on whole VMs - create, save, delete, clone,
 * rename, start in the background.  The library under the CLI verbs
 * (ui/cli_*.c) and the TUI.
 *
 * A VM called NAME is made of (paths.h has the directories):
 *   CONFIG/vms/NAME.ini   its definition (vmdef.h, ttyvm.ini(5))
 *   DATA/NAME/            its data directory: disks created for it, and
 *                         whatever else belongs to it alone (mode 0700)
 *   RUNTIME/NAME.pid      while it runs in the background: its pid,
 *                         write-locked by the VM process (pidfile.h)
 *   RUNTIME/NAME.sock     its control socket (ttyvm-control(7))
 *   RUNTIME/NAME.log      its messages and, for serial mode stdio, its
 *                         serial console (appended, one header per start)
 *   RUNTIME/NAME.exit     the exit status of its last background run
 *
 * Conventions, for every function here:
 *   - Returns 0 or a negative errno; where an err buffer is taken, a
 *     failure also leaves one line there (no newline) that names the VM
 *     and the failed step, ready to show.  err may be NULL; VMSTORE_ERR_MAX
 *     is always big enough.  Nothing here prints, exits or keeps global
 *     state, so every function may be called from any thread; only
 *     vmstore_start() forks (see there).
 *   - A name is checked with vmdef_name_valid(): a bad one is -EINVAL.
 *   - Talking to a running VM is bounded by the timeout given (in ms):
 *     a VM that is stuck makes a call slow, never hang.
 *   - Operations that change a VM's files (delete, clone, rename) hold
 *     the VM's pid-file lock while they work, so nobody can start it in
 *     the middle, and they refuse a VM that runs (-EBUSY).
 */
#ifndef TTYVM_VMSTORE_H
#define TTYVM_VMSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ui/ctl_proto.h"
#include "ui/vmdef.h"
#include "vmm/config.h"

#define VMSTORE_ERR_MAX   (VMDEF_ERR_MAX + 256)
#define VMSTORE_PATH_MAX  4096
#define VMSTORE_TIMEOUT_MS 1000  /* a good per-VM time limit for a state query */

/* --- state ------------------------------------------------------------------ */

enum vmstore_state {
	VMSTORE_STOPPED,   /* not running (its last run ended normally, or none) */
	VMSTORE_STARTING,  /* its process holds the pid file; no socket yet */
	VMSTORE_RUNNING,   /* answers on its socket, vCPUs running */
	VMSTORE_PAUSED,    /* answers on its socket, vCPUs parked */
	VMSTORE_CRASHED,   /* not running, and its last run did not end well:
			    * the process died leaving its pid file or socket
			    * behind, or the guest crashed (exit status 2) */
	VMSTORE_UNKNOWN,   /* its process lives, but the socket did not answer
			    * within the time limit (busy, or stuck) */
};

/* "stopped", "starting", "running", "paused", "crashed", "unknown". */
const char *vmstore_state_name(enum vmstore_state s);

/* true for the states in which a process of the VM exists: STARTING,
 * RUNNING, PAUSED, UNKNOWN (what delete/clone/rename refuse). */
bool vmstore_state_active(enum vmstore_state s);

/*
 * One VM as the list and the details pane show it.  Numbers that are not
 * known are 0 (print them as "-"); the *_known flags say which are.
 */
struct vmstore_vm {
	char name[VM_NAME_MAX];
	enum vmstore_state state;
	/* the definition: def_error is 0 when it loads, else -errno and
	 * def_message says why (the VM is still listed, so it can be fixed) */
	int def_error;
	char def_message[VMDEF_ERR_MAX];
	/* cpus and memory: the running instance's (status) while it runs,
	 * else the definition's */
	unsigned int cpus;
	uint64_t memory;            /* bytes */
	/* while the VM answers on its socket (RUNNING, PAUSED) */
	bool status_known;
	pid_t pid;
	uint64_t uptime_s;
	unsigned int resets;
	bool cputime_known;         /* the VM reports cputime= */
	uint64_t cputime_ns;        /* user + system CPU time of the VM process */
	uint64_t sampled_ns;        /* CLOCK_MONOTONIC when status was read */
	/* how the last background run ended: its exit status (ttyvm run's:
	 * 0 powered off, 1 error, 2 guest crashed, 3 stopped), -1 unknown */
	int last_exit;
};

/*
 * Every defined VM (each NAME.ini in CONFIG/vms with a valid name), sorted
 * by name, with its state queried (at most timeout_ms per running VM, one
 * after the other).  *vms is a new array of *count entries the caller
 * frees with free(); none defined gives 0 with *count 0 and *vms NULL.
 * Returns 0 or -errno (the vms directory cannot be read).  A definition
 * that does not load is listed with def_error set, not skipped.
 */
int vmstore_list(struct vmstore_vm **vms, size_t *count, int timeout_ms);

/*
 * One VM, as vmstore_list() fills it.  Returns 0, -EINVAL for a bad name,
 * or -ENOENT when it has neither a definition nor a running process.
 */
int vmstore_query(const char *name, struct vmstore_vm *vm, int timeout_ms);

/*
 * CPU use in percent of one host CPU (100 = one CPU busy all the time; a
 * VM with several busy vCPUs goes above 100), or -1 when it cannot be
 * told.  _between: from two samples of the same run (before older than
 * now), what top(1) shows; the TUI refreshes with it.  _average: over the
 * whole run so far, what ps(1) shows; `ttyvm list` prints it.
 */
double vmstore_cpu_between(const struct vmstore_vm *before, const struct vmstore_vm *now);
double vmstore_cpu_average(const struct vmstore_vm *vm);

/* --- a VM's files -------------------------------------------------------------- */

struct vmstore_files {
	char def[VMSTORE_PATH_MAX];   /* CONFIG/vms/NAME.ini */
	char data[VMSTORE_PATH_MAX];  /* DATA/NAME */
	char sock[VMSTORE_PATH_MAX];  /* RUNTIME/NAME.sock */
	char pid[VMSTORE_PATH_MAX];   /* RUNTIME/NAME.pid */
	char log[VMSTORE_PATH_MAX];   /* RUNTIME/NAME.log */
	char exit[VMSTORE_PATH_MAX];  /* RUNTIME/NAME.exit */
};

/* Fills f for name (creating the runtime directory if it is missing, as
 * paths_runtime_dir() does).  0, -EINVAL (bad name) or -errno. */
int vmstore_files(const char *name, struct vmstore_files *f);

/* true when name has a definition file. */
bool vmstore_exists(const char *name);

/* --- definitions ------------------------------------------------------------------ */

/*
 * Loads name's definition into cfg (vmdef_load(): cfg overwritten, the
 * caller frees it with vmdef_free()).  -ENOENT when there is none; other
 * errors as vmdef_load, with err naming the file, line and key.
 */
int vmstore_load(const char *name, struct vm_config *cfg, char *err, size_t errlen);

/*
 * Writes cfg as the definition of the VM cfg->name, replacing what is
 * there (atomically: vmdef_save()), creating the directories if needed.
 * A running VM keeps running with what it started with; the change takes
 * effect at its next start.
 */
int vmstore_save(const struct vm_config *cfg, char *err, size_t errlen);

/*
 * A new VM: saves cfg as cfg->name's definition and creates its data
 * directory.  -EEXIST (nothing changed) when the name is taken.  Disks are
 * not created here: vmstore_disk_create() first, then put them in cfg.
 */
int vmstore_create(const struct vm_config *cfg, char *err, size_t errlen);

/* --- presets ------------------------------------------------------------------------- */

struct vmstore_preset {
	char name[VM_NAME_MAX];   /* "linux-direct" */
	char summary[160];        /* "boot a Linux kernel directly, ..." */
};

/*
 * The presets shipped in paths_presets_dir(), sorted by name; *presets is
 * a new array the caller frees with free().  0 or -errno.
 */
int vmstore_presets(struct vmstore_preset **presets, size_t *count);

/*
 * Loads preset name as a template (VMDEF_TEMPLATE: paths it leaves empty
 * are NULL in cfg, to be filled in; cfg->name is the preset's name, to be
 * replaced).  Free cfg with vmdef_free().  -ENOENT when there is no such
 * preset.
 */
int vmstore_preset_load(const char *name, struct vm_config *cfg, char *err, size_t errlen);

/* --- the host ------------------------------------------------------------------------- */

struct vmstore_host {
	unsigned int cpus;        /* online host CPUs */
	uint64_t memory;          /* host RAM, bytes */
	unsigned int max_cpus;    /* what a VM may have here: the host's CPUs,
				   * at most VMDEF_MAX_CPUS */
	uint64_t max_memory;      /* host RAM, rounded down to whole MiB */
};

/* Facts about this host for defaults and limits (never opens /dev/kvm). */
void vmstore_host(struct vmstore_host *h);

/*
 * Makes cfg's memory and cpus fit the host as defaults should (a preset's
 * 2 vCPUs on a 1-CPU host become 1; memory at most half the host's RAM,
 * at least VMDEF_MIN_MEMORY, in whole MiB).  For defaults only: what a
 * user asks for explicitly is theirs to decide.
 */
void vmstore_fit_host(struct vm_config *cfg, const struct vmstore_host *h);

/* --- disks ---------------------------------------------------------------------------------- */

/*
 * Progress of a long copy or creation: done of total bytes of file (the
 * file being written now, by its path).  Called from the calling thread,
 * at least once per file with done == total.
 */
typedef void (*vmstore_progress_fn)(void *ctx, const char *file, uint64_t done,
				    uint64_t total);

#define VMSTORE_DEFAULT_DISK_SIZE (20ULL << 30) /* a new disk, unless told otherwise */

/*
 * Creates a new empty disk image for VM name in its data directory
 * (created when missing): DATA/NAME/diskI.img for raw, diskI.qcow2 for
 * qcow2, I the first number free.  size is in bytes (rounded up to 512
 * bytes); fmt DISK_FMT_RAW (a sparse file: no space is used until the
 * guest writes) or DISK_FMT_QCOW2; DISK_FMT_AUTO means raw.  progress
 * (may be NULL) follows the writing.  0 with *path a new string (the
 * caller frees it; put it in a disk_config) or -errno with err; an
 * existing file is never touched.  Does not change the definition.
 */
int vmstore_disk_create(const char *name, uint64_t size, enum disk_format fmt,
			vmstore_progress_fn progress, void *ctx, char **path, char *err,
			size_t errlen);

/* --- delete, clone, rename ------------------------------------------------------------- */

#define VMSTORE_DELETE_DATA 0x1u /* also remove DATA/NAME: its disks and all */

/*
 * Deletes VM name: its definition and the files a run left (log, exit
 * status, stale socket and pid file).  With VMSTORE_DELETE_DATA also its
 * data directory with everything in it; never a file outside it (a disk
 * image of the user's, an ISO).  -EBUSY while the VM runs, -ENOENT when
 * there is no definition.
 */
int vmstore_delete(const char *name, unsigned int flags, char *err, size_t errlen);

#define VMSTORE_CLONE_SHARE_EXTERNAL 0x1u /* let both use writable disks
					   * outside src's data directory */
#define VMSTORE_CLONE_COPY_EXTERNAL  0x2u /* copy those into dst's */

/*
 * A new VM dst made from src: the same definition under the new name, and
 * a copy of every file in src's data directory (its disks: sparse files
 * stay sparse, a reflink is used where the file system can) in dst's, with
 * every path of the definition that pointed into src's data directory
 * pointed into dst's.  Files elsewhere are the user's: read-only ones
 * (an ISO, a read-only disk) are used by both; a writable disk outside
 * src's data directory is refused (-EXDEV, err names it) unless flags say
 * SHARE (both VMs write it: never run them at once) or COPY (copied into
 * dst's data directory like the rest).  progress (may be NULL) follows
 * the copies.  -EBUSY while src runs; -EEXIST when dst exists (also a
 * data directory left by a deleted VM); on any error dst is removed
 * again, src is never changed.
 */
int vmstore_clone(const char *src, const char *dst, unsigned int flags,
		  vmstore_progress_fn progress, void *ctx, char *err, size_t errlen);

/*
 * Renames VM old to new: its definition (with [vm] name and every path
 * into its data directory changed), its data directory and its log.
 * -EBUSY while it runs, -EEXIST when new is taken, -ENOENT when old does
 * not exist.  On failure everything is as before.
 */
int vmstore_rename(const char *old, const char *new_name, char *err, size_t errlen);

/* --- running ---------------------------------------------------------------------------- */

struct vmstore_started {
	pid_t pid;                      /* the VM process */
	pid_t stale_pid;                /* a crashed run cleaned up first, or 0 */
	bool stale_socket;              /* its socket was removed as stale */
	off_t log_offset;               /* where this start's lines begin in ... */
	char log[VMSTORE_PATH_MAX];     /* ... the VM's log file */
	bool ended;                     /* it ran, and powered off before the
					 * socket could be asked (exit status 0) */
};

/*
 * Starts VM name in the background, as `ttyvm start` does: loads and
 * checks the definition, takes its pid-file lock, cleans up after a
 * crashed run, then forks (fork, setsid, fork: the VM process has no
 * terminal and is nobody's child).  The VM process closes every
 * descriptor but its own, resets signal handling, sends stdout and stderr
 * to the log, runs the machine (vmm_run()) with the control socket and
 * ends with _exit() - never returning into the caller's code, whose
 * atexit handlers do not run.  Returns once the VM answers `status`, at
 * most timeout_ms later.  Call it from any thread, but not while another
 * thread of the caller holds a lock the VM process would need (stdio's
 * locks, for instance): only the calling thread is copied by fork().
 *
 * Returns 0 with *out filled (out may be NULL) - also when the guest
 * powered off so fast that the VM process ended (exit status 0) before it
 * answered: then out->ended is set - or:
 *   -ENOENT     no definition          -EINVAL  the definition is wrong
 *   -EALREADY   it runs already (err says its pid)
 *   -ECHILD     the VM process ended before it was ready, other than by
 *               a power-off (error, guest crash, stopped): err says so,
 *               and out->log from out->log_offset says why
 *               (vmstore_log_tail())
 *   -ETIMEDOUT  it did not answer in time (it may still be starting)
 *   other -errno for the step err names
 */
int vmstore_start(const char *name, int timeout_ms, struct vmstore_started *out,
		  char *err, size_t errlen);

/*
 * The last lines (at most max_lines) of the log at path written after
 * offset, into buf (NUL-terminated, lines ending in '\n').  Returns the
 * length, or -errno.
 */
int vmstore_log_tail(const char *path, off_t offset, unsigned int max_lines, char *buf,
		     size_t len);

/*
 * Sends one request to running VM name (words as ctl_client_call(): a
 * NULL-terminated list, words[0] the command) and reads its reply into r.
 * Returns 0 when a reply came (ok or error: r->ok), else the errors of
 * ctl_client_open()/ctl_client_call() (-ENOENT/-ECONNREFUSED: not
 * running); ctl_client_strerror() words them.  For pause, resume, reset,
 * powerdown, stop ("stop" pulls the plug) from the TUI.
 */
int vmstore_request(const char *name, const char *const *words, struct ctl_reply *r,
		    int timeout_ms);

/*
 * Waits until VM name's process has ended (its pid-file lock is gone and
 * its socket is gone or stale).  0, or -ETIMEDOUT.
 */
int vmstore_wait_stopped(const char *name, int timeout_ms);

#endif
