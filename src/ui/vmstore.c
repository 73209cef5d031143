/*
 * vmstore.c - a user's VMs as a collection: listing the definitions with
 * the state of each, loading and saving them by name, presets, the host's
 * size for defaults, and single requests to a running VM.
 *
 * State comes from two witnesses, neither trusted alone: the pid file
 * (locked for as long as the VM process lives, pidfile.h) and the control
 * socket (answers `status` while the VM runs, ttyvm-control(7)).  Every
 * socket conversation has a deadline, so a stuck VM costs a listing at
 * most its time limit.  The exit file a background run leaves tells a
 * guest crash from a clean power-off once the process is gone.
 *
 * Not here: deleting, cloning and renaming (vmstore_ops.c), starting
 * (vmstore_start.c), the definition format (vmdef.c), the directories
 * (paths.c), the protocol (ctl_proto.c, ctl_client.c).  No globals,
 * nothing printed.
 */
#include "ui/vmstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>

#include "ui/ctl_client.h"
#include "ui/paths.h"
#include "ui/pidfile.h"
#include "ui/vmstore_priv.h"
#include "util/parse.h"
#include "util/util.h"
#include "vmm/block/img.h"

static const char *const vmstore_state_names[] = {
	[VMSTORE_STOPPED] = "stopped",
	[VMSTORE_STARTING] = "starting",
	[VMSTORE_RUNNING] = "running",
	[VMSTORE_PAUSED] = "paused",
	[VMSTORE_CRASHED] = "crashed",
	[VMSTORE_UNKNOWN] = "unknown",
};

const char *vmstore_state_name(enum vmstore_state s)
{
	return (unsigned int)s < ARRAY_SIZE(vmstore_state_names) ? vmstore_state_names[s]
								  : "unknown";
}

bool vmstore_state_active(enum vmstore_state s)
{
	return s == VMSTORE_STARTING || s == VMSTORE_RUNNING || s == VMSTORE_PAUSED ||
	       s == VMSTORE_UNKNOWN;
}

/* --- helpers shared with vmstore_ops.c and vmstore_start.c --------------------- */

int vmstore_fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

int64_t vmstore_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vmstore_left_ms(int64_t deadline)
{
	int64_t left = deadline - vmstore_now_ms();

	return left > 0 ? (int)MIN(left, (int64_t)0x7fffffff) : 0;
}

int vmstore_files(const char *name, struct vmstore_files *f)
{
	int r;

	if (!vmdef_name_valid(name))
		return -EINVAL;
	r = paths_definition(name, f->def, sizeof(f->def));
	if (!r)
		r = paths_vm_data_dir(name, f->data, sizeof(f->data));
	if (!r)
		r = paths_runtime_file(name, ".sock", f->sock, sizeof(f->sock));
	if (!r)
		r = paths_runtime_file(name, ".pid", f->pid, sizeof(f->pid));
	if (!r)
		r = paths_runtime_file(name, ".log", f->log, sizeof(f->log));
	if (!r)
		r = paths_runtime_file(name, ".exit", f->exit, sizeof(f->exit));
	return r;
}

struct vmstore_files *vmstore_files_new(const char *name, char *err, size_t errlen,
					int *rp)
{
	struct vmstore_files *f = malloc(sizeof(*f));
	int r;

	if (!f) {
		*rp = vmstore_fail(err, errlen, -ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	r = vmstore_files(name, f);
	if (r) {
		free(f);
		*rp = r == -EINVAL ? vmstore_fail(err, errlen, r, "'%s': " VMDEF_NAME_RULE, name)
				   : vmstore_fail(err, errlen, r, "%s: finding its files: %s",
						  name, strerror(-r));
		return NULL;
	}
	*rp = 0;
	return f;
}

bool vmstore_exists(const char *name)
{
	char def[VMSTORE_PATH_MAX];

	return vmdef_name_valid(name) && paths_definition(name, def, sizeof(def)) == 0 &&
	       access(def, F_OK) == 0;
}

int vmstore_read_exit(const char *path)
{
	char buf[16];
	uint64_t v;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return parse_uint(buf, 0, 255, &v) ? -1 : (int)v;
}

/* --- state --------------------------------------------------------------------- */

static void vmstore_take_status(struct vmstore_vm *vm, const struct ctl_reply *r)
{
	const char *s;
	uint64_t v;

	s = ctl_reply_get(r, "state");
	vm->state = s && strcmp(s, "paused") == 0 ? VMSTORE_PAUSED : VMSTORE_RUNNING;
	vm->status_known = true;
	if ((s = ctl_reply_get(r, "cpus")) && !parse_uint(s, 0, UINT32_MAX, &v))
		vm->cpus = (unsigned int)v;
	if ((s = ctl_reply_get(r, "memory")) && !parse_uint(s, 0, UINT64_MAX, &v))
		vm->memory = v;
	if ((s = ctl_reply_get(r, "uptime")) && !parse_uint(s, 0, UINT64_MAX, &v))
		vm->uptime_s = v;
	if ((s = ctl_reply_get(r, "resets")) && !parse_uint(s, 0, UINT32_MAX, &v))
		vm->resets = (unsigned int)v;
	if ((s = ctl_reply_get(r, "pid")) && !parse_uint(s, 1, 0x7fffffff, &v))
		vm->pid = (pid_t)v;
	if ((s = ctl_reply_get(r, "cputime")) && !parse_uint(s, 0, UINT64_MAX, &v)) {
		vm->cputime_ns = v;
		vm->cputime_known = true;
	}
}

/*
 * Asks the socket for status.  1 when it answered (vm filled), 0 when
 * nobody serves it (stale, *stale set) or nothing is there, -errno when
 * something is there that did not answer in time or properly.
 */
static int vmstore_ask_status(const char *sock, struct vmstore_vm *vm, int timeout_ms,
			      bool *stale)
{
	static const char *const words[] = { "status", NULL };
	int64_t deadline = vmstore_now_ms() + timeout_ms;
	struct ctl_client *c;
	struct ctl_reply *r;
	struct timespec ts;
	int e;

	*stale = false;
	e = ctl_client_open(&c, sock, timeout_ms, NULL);
	if (e == -ENOENT)
		return 0;
	if (e == -ECONNREFUSED) {
		*stale = true;
		return 0;
	}
	if (e)
		return e;
	r = malloc(sizeof(*r));
	e = r ? ctl_client_call(c, words, r, vmstore_left_ms(deadline)) : -ENOMEM;
	ctl_client_close(c);
	if (!e && !r->ok)
		e = -EPROTO;
	if (!e) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		vm->sampled_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
		vmstore_take_status(vm, r);
	}
	free(r);
	return e ? e : 1;
}

/* The state of the VM whose files are f; fills the run-time fields. */
static void vmstore_probe(const struct vmstore_files *f, struct vmstore_vm *vm,
			  int timeout_ms)
{
	pid_t pid = 0;
	bool stale_sock = false;
	int locked = pidfile_query(f->pid, &pid);
	bool stale_pid = locked == 0 && access(f->pid, F_OK) == 0;
	int asked = vmstore_ask_status(f->sock, vm, timeout_ms, &stale_sock);

	vm->last_exit = vmstore_read_exit(f->exit);
	if (asked == 1)
		return; /* running or paused */
	if (asked < 0) {
		/* something serves the socket but did not answer */
		vm->state = VMSTORE_UNKNOWN;
		vm->pid = locked == 1 ? pid : 0;
		return;
	}
	if (locked == 1) {
		vm->state = VMSTORE_STARTING; /* (or just ending) */
		vm->pid = pid;
	} else if (locked < 0) {
		vm->state = VMSTORE_UNKNOWN;
	} else if (stale_pid || stale_sock || vm->last_exit == VMSTORE_EXIT_GUEST_CRASH) {
		vm->state = VMSTORE_CRASHED;
	} else {
		vm->state = VMSTORE_STOPPED;
	}
}

static void vmstore_vm_init(struct vmstore_vm *vm, const char *name)
{
	memset(vm, 0, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	vm->last_exit = -1;
}

/* Fills vm for name with f (its files): definition, then state. */
static void vmstore_fill(const char *name, const struct vmstore_files *f,
			 struct vmstore_vm *vm, int timeout_ms)
{
	struct vm_config cfg;

	vmstore_vm_init(vm, name);
	vm->def_error = vmdef_load_flags(f->def, VMDEF_NO_FILE_CHECK, &cfg, vm->def_message,
					 sizeof(vm->def_message));
	if (!vm->def_error) {
		vm->cpus = cfg.cpus;
		vm->memory = cfg.memory;
		vmdef_free(&cfg);
	}
	vmstore_probe(f, vm, timeout_ms);
}

int vmstore_query(const char *name, struct vmstore_vm *vm, int timeout_ms)
{
	struct vmstore_files *f;
	int r;

	f = vmstore_files_new(name, NULL, 0, &r);
	if (!f)
		return r;
	vmstore_fill(name, f, vm, timeout_ms);
	if (vm->def_error == -ENOENT && !vmstore_state_active(vm->state))
		r = -ENOENT;
	free(f);
	return r;
}

static int vmstore_cmp_vm(const void *a, const void *b)
{
	return strcmp(((const struct vmstore_vm *)a)->name, ((const struct vmstore_vm *)b)->name);
}

int vmstore_list(struct vmstore_vm **vms, size_t *count, int timeout_ms)
{
	char dir[VMSTORE_PATH_MAX], name[VM_NAME_MAX];
	struct vmstore_vm *v = NULL;
	struct vmstore_files *f;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int r;

	*vms = NULL;
	*count = 0;
	r = paths_vms_dir(dir, sizeof(dir));
	if (r)
		return r;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	f = malloc(sizeof(*f));
	if (!f) {
		closedir(d);
		return -ENOMEM;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len < 5 || len - 4 >= sizeof(name) || strcmp(e->d_name + len - 4, ".ini"))
			continue;
		memcpy(name, e->d_name, len - 4);
		name[len - 4] = '\0';
		if (!vmdef_name_valid(name) || vmstore_files(name, f))
			continue; /* editor backups, temporary files: not VMs */
		if (n == cap) {
			struct vmstore_vm *nv = realloc(v, (cap ? cap * 2 : 8) * sizeof(*v));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = cap ? cap * 2 : 8;
		}
		vmstore_fill(name, f, &v[n++], timeout_ms);
	}
	closedir(d);
	free(f);
	if (r) {
		free(v);
		return r;
	}
	if (n)
		qsort(v, n, sizeof(*v), vmstore_cmp_vm);
	*vms = v;
	*count = n;
	return 0;
}

double vmstore_cpu_between(const struct vmstore_vm *before, const struct vmstore_vm *now)
{
	if (!before->cputime_known || !now->cputime_known || before->pid != now->pid ||
	    now->sampled_ns <= before->sampled_ns || now->cputime_ns < before->cputime_ns)
		return -1;
	return 100.0 * (double)(now->cputime_ns - before->cputime_ns) /
	       (double)(now->sampled_ns - before->sampled_ns);
}

double vmstore_cpu_average(const struct vmstore_vm *vm)
{
	if (!vm->cputime_known || !vm->status_known || vm->uptime_s == 0)
		return -1;
	return 100.0 * (double)vm->cputime_ns / ((double)vm->uptime_s * 1e9);
}

/* --- definitions ---------------------------------------------------------------- */

int vmstore_load(const char *name, struct vm_config *cfg, char *err, size_t errlen)
{
	char def[VMSTORE_PATH_MAX];
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if (!vmdef_name_valid(name))
		return vmstore_fail(err, errlen, -EINVAL, "'%s': " VMDEF_NAME_RULE, name);
	r = paths_definition(name, def, sizeof(def));
	if (r)
		return vmstore_fail(err, errlen, r, "%s: its definition: %s", name, strerror(-r));
	r = vmdef_load(def, cfg, err, errlen);
	if (r == -ENOENT)
		return vmstore_fail(err, errlen, r, "no VM named '%s' (no definition at %s)",
				    name, def);
	return r;
}

/* Creates CONFIG/vms (0755) for a definition to go in; 0 or -errno + err. */
static int vmstore_mkdir_vms(char *err, size_t errlen)
{
	char dir[VMSTORE_PATH_MAX];
	int r = paths_vms_dir(dir, sizeof(dir));

	if (!r)
		r = paths_mkdirs(dir, 0755);
	if (r)
		return vmstore_fail(err, errlen, r, "creating the definitions directory %s: %s",
				    dir, strerror(-r));
	return 0;
}

int vmstore_save(const struct vm_config *cfg, char *err, size_t errlen)
{
	char def[VMSTORE_PATH_MAX];
	int r;

	if (!vmdef_name_valid(cfg->name))
		return vmstore_fail(err, errlen, -EINVAL, "'%.*s': " VMDEF_NAME_RULE,
				    VM_NAME_MAX - 1, cfg->name);
	r = vmstore_mkdir_vms(err, errlen);
	if (r)
		return r;
	r = paths_definition(cfg->name, def, sizeof(def));
	if (r)
		return vmstore_fail(err, errlen, r, "%s: its definition: %s", cfg->name,
				    strerror(-r));
	return vmdef_save(def, cfg, err, errlen);
}

int vmstore_mkdir_data(const char *dir, char *err, size_t errlen)
{
	char parent[VMSTORE_PATH_MAX];
	const char *slash = strrchr(dir, '/');
	int r = 0;

	if (slash && slash != dir) {
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dir), dir);
		r = paths_mkdirs(parent, 0755);
	}
	if (!r && mkdir(dir, 0700) < 0 && errno != EEXIST)
		r = -errno;
	if (r)
		return vmstore_fail(err, errlen, r, "creating the data directory %s: %s", dir,
				    strerror(-r));
	return 0;
}

int vmstore_write_new_def(const char *def, const struct vm_config *cfg, char *err,
			  size_t errlen)
{
	int fd = open(def, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644), r;

	if (fd < 0) {
		r = -errno;
		if (r == -EEXIST)
			return vmstore_fail(err, errlen, r, "a VM named '%s' exists already (%s)",
					    cfg->name, def);
		return vmstore_fail(err, errlen, r, "%s: %s", def, strerror(-r));
	}
	close(fd);
	r = vmdef_save(def, cfg, err, errlen);
	if (r)
		unlink(def); /* the empty claim */
	return r;
}

int vmstore_create(const struct vm_config *cfg, char *err, size_t errlen)
{
	struct vmstore_files *f;
	int r;

	f = vmstore_files_new(cfg->name, err, errlen, &r);
	if (!f)
		return r;
	r = vmstore_mkdir_vms(err, errlen);
	if (!r && access(f->def, F_OK) == 0)
		r = vmstore_fail(err, errlen, -EEXIST, "a VM named '%s' exists already (%s)",
				 cfg->name, f->def);
	if (!r)
		r = vmstore_mkdir_data(f->data, err, errlen);
	if (!r)
		r = vmstore_write_new_def(f->def, cfg, err, errlen);
	free(f);
	return r;
}

/* --- disks ------------------------------------------------------------------------- */

struct vmstore_img_progress {
	vmstore_progress_fn fn;
	void *ctx;
	const char *path;
};

static void vmstore_img_progress(void *opaque, uint64_t done, uint64_t total)
{
	struct vmstore_img_progress *p = opaque;

	p->fn(p->ctx, p->path, done, total);
}

int vmstore_disk_create(const char *name, uint64_t size, enum disk_format fmt,
			vmstore_progress_fn progress, void *ctx, char **path, char *err,
			size_t errlen)
{
	char dir[VMSTORE_PATH_MAX], ierr[VMSTORE_ERR_MAX];
	const char *ext = fmt == DISK_FMT_QCOW2 ? "qcow2" : "img";
	char *p = NULL;
	int r;

	*path = NULL;
	if (fmt == DISK_FMT_AUTO)
		fmt = DISK_FMT_RAW;
	if (!vmdef_name_valid(name))
		return vmstore_fail(err, errlen, -EINVAL, "'%s': " VMDEF_NAME_RULE, name);
	if (size == 0)
		return vmstore_fail(err, errlen, -EINVAL, "%s: a disk of 0 bytes", name);
	r = paths_vm_data_dir(name, dir, sizeof(dir));
	if (r)
		return vmstore_fail(err, errlen, r, "%s: its data directory: %s", name,
				    strerror(-r));
	r = vmstore_mkdir_data(dir, err, errlen);
	if (r)
		return r;
	for (unsigned int i = 0; i < 1000; i++) {
		struct vmstore_img_progress pr = { progress, ctx, NULL };

		free(p);
		if (asprintf(&p, "%s/disk%u.%s", dir, i, ext) < 0)
			return vmstore_fail(err, errlen, -ENOMEM, "out of memory");
		pr.path = p;
		/* img_create() never replaces a file: -EEXIST means try the next */
		r = img_create(p, fmt, size, NULL, progress ? vmstore_img_progress : NULL, &pr,
			       ierr, sizeof(ierr));
		if (r == -EEXIST)
			continue;
		if (r) {
			vmstore_fail(err, errlen, r, "%s: creating a disk: %s", name, ierr);
			free(p);
			return r;
		}
		*path = p;
		return 0;
	}
	free(p);
	return vmstore_fail(err, errlen, -EEXIST, "%s: no free disk name in %s", name, dir);
}

/* --- presets ------------------------------------------------------------------------ */

/* The summary of a preset: its first line "# NAME - SUMMARY". */
static void vmstore_preset_summary(const char *path, struct vmstore_preset *p)
{
	char line[256];
	FILE *fp = fopen(path, "re");
	const char *dash;

	p->summary[0] = '\0';
	if (!fp)
		return;
	if (fgets(line, sizeof(line), fp) && line[0] == '#' && (dash = strstr(line, " - "))) {
		snprintf(p->summary, sizeof(p->summary), "%s", dash + 3);
		p->summary[strcspn(p->summary, "\r\n")] = '\0';
	}
	fclose(fp);
}

static int vmstore_cmp_preset(const void *a, const void *b)
{
	return strcmp(((const struct vmstore_preset *)a)->name,
		      ((const struct vmstore_preset *)b)->name);
}

int vmstore_presets(struct vmstore_preset **presets, size_t *count)
{
	char dir[VMSTORE_PATH_MAX], path[VMSTORE_PATH_MAX + 256];
	struct vmstore_preset *p = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int r = paths_presets_dir(dir, sizeof(dir));

	*presets = NULL;
	*count = 0;
	if (r)
		return r;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len < 5 || len - 4 >= VM_NAME_MAX || strcmp(e->d_name + len - 4, ".ini"))
			continue;
		if (n == cap) {
			struct vmstore_preset *np = realloc(p, (cap ? cap * 2 : 8) * sizeof(*p));
			if (!np) {
				r = -ENOMEM;
				break;
			}
			p = np;
			cap = cap ? cap * 2 : 8;
		}
		memcpy(p[n].name, e->d_name, len - 4);
		p[n].name[len - 4] = '\0';
		if (!vmdef_name_valid(p[n].name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		vmstore_preset_summary(path, &p[n]);
		n++;
	}
	closedir(d);
	if (r) {
		free(p);
		return r;
	}
	if (n)
		qsort(p, n, sizeof(*p), vmstore_cmp_preset);
	else {
		free(p);
		p = NULL;
	}
	*presets = p;
	*count = n;
	return 0;
}

int vmstore_preset_load(const char *name, struct vm_config *cfg, char *err, size_t errlen)
{
	char dir[VMSTORE_PATH_MAX], path[VMSTORE_PATH_MAX + VM_NAME_MAX + 8];
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if (!vmdef_name_valid(name))
		return vmstore_fail(err, errlen, -EINVAL, "preset '%s': no such preset", name);
	r = paths_presets_dir(dir, sizeof(dir));
	if (r)
		return vmstore_fail(err, errlen, r, "the presets directory: %s", strerror(-r));
	snprintf(path, sizeof(path), "%s/%s.ini", dir, name);
	r = vmdef_load_flags(path, VMDEF_TEMPLATE, cfg, err, errlen);
	if (r == -ENOENT)
		return vmstore_fail(err, errlen, r, "no preset named '%s' (in %s; ttyvm create "
				    "--help lists them)", name, dir);
	return r;
}

/* --- the host -------------------------------------------------------------------------- */

void vmstore_host(struct vmstore_host *h)
{
	struct sysinfo si;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(h, 0, sizeof(*h));
	h->cpus = n > 0 ? (unsigned int)n : 1;
	if (sysinfo(&si) == 0)
		h->memory = (uint64_t)si.totalram * si.mem_unit;
	h->max_cpus = MIN(h->cpus, VMDEF_MAX_CPUS);
	h->max_memory = ALIGN_DOWN(MIN(h->memory, VMDEF_MAX_MEMORY), MiB);
	if (h->max_memory < VMDEF_MIN_MEMORY)
		h->max_memory = VMDEF_MIN_MEMORY;
}

void vmstore_fit_host(struct vm_config *cfg, const struct vmstore_host *h)
{
	uint64_t half = ALIGN_DOWN(h->memory / 2, MiB);

	if (h->cpus && cfg->cpus > h->cpus)
		cfg->cpus = h->cpus;
	if (half && cfg->memory > half)
		cfg->memory = MAX(half, VMDEF_MIN_MEMORY);
}

/* --- requests ---------------------------------------------------------------------------- */

int vmstore_request(const char *name, const char *const *words, struct ctl_reply *r,
		    int timeout_ms)
{
	int64_t deadline = vmstore_now_ms() + timeout_ms;
	char sock[VMSTORE_PATH_MAX];
	struct ctl_client *c;
	int e;

	if (!vmdef_name_valid(name))
		return -EINVAL;
	e = paths_runtime_file(name, ".sock", sock, sizeof(sock));
	if (e)
		return e;
	e = ctl_client_open(&c, sock, timeout_ms, NULL);
	if (e)
		return e;
	e = ctl_client_call(c, words, r, vmstore_left_ms(deadline));
	ctl_client_close(c);
	return e;
}

int vmstore_wait_stopped(const char *name, int timeout_ms)
{
	int64_t deadline = vmstore_now_ms() + timeout_ms;
	struct vmstore_files *f;
	int r;

	f = vmstore_files_new(name, NULL, 0, &r);
	if (!f)
		return r;
	for (;;) {
		struct vmstore_vm vm;
		pid_t pid;

		if (pidfile_query(f->pid, &pid) != 1) {
			vmstore_vm_init(&vm, name);
			vmstore_probe(f, &vm, MAX(vmstore_left_ms(deadline), 1));
			if (!vmstore_state_active(vm.state))
				break;
		}
		if (vmstore_left_ms(deadline) == 0) {
			free(f);
			return -ETIMEDOUT;
		}
		usleep(20000);
	}
	free(f);
	return 0;
}
