/*
 * vmstore_test.c - a user's VMs as a whole, on a temporary TTYVM_HOME:
 * listing with states (stopped, starting, running/paused from a fake
 * control socket, crashed from stale files or an exit status, unknown for
 * a socket that never answers), create, delete, clone (disks copied
 * sparse, external disks refused/shared/copied), rename, presets, disks,
 * the host, CPU use, log tails.  No /dev/kvm: nothing is started.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "ui/pidfile.h"
#include "ui/vmstore.h"
#include "util/util.h"

struct home {
	char dir[64];
	char kernel[128];
	char *saved;
};

static void rm_rf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void home_init(struct home *h)
{
	const char *old = getenv("TTYVM_HOME");
	FILE *f;

	h->saved = old ? strdup(old) : NULL;
	snprintf(h->dir, sizeof(h->dir), "/tmp/ttyvm-store-XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	setenv("TTYVM_HOME", h->dir, 1);
	snprintf(h->kernel, sizeof(h->kernel), "%s/bzImage", h->dir);
	f = fopen(h->kernel, "w");
	assert_non_null(f);
	fputs("kernel", f);
	fclose(f);
}

static void home_done(struct home *h)
{
	rm_rf(h->dir);
	if (h->saved)
		setenv("TTYVM_HOME", h->saved, 1);
	else
		unsetenv("TTYVM_HOME");
	free(h->saved);
}

/* h's directory + "/" + sub + name */
static void path_of(const struct home *h, char *buf, size_t len, const char *sub,
		    const char *name)
{
	snprintf(buf, len, "%s/%s%s", h->dir, sub, name);
}

/* A new VM name with h's kernel. */
static void make_vm(const struct home *h, const char *name, unsigned int cpus)
{
	struct vm_config cfg;
	char err[VMSTORE_ERR_MAX];

	vmdef_defaults(&cfg);
	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	cfg.kernel = strdup(h->kernel);
	cfg.cpus = cpus;
	if (vmstore_create(&cfg, err, sizeof(err)))
		fail_msg("create %s: %s", name, err);
	vmdef_free(&cfg);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const struct vmstore_vm *find(const struct vmstore_vm *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	fail_msg("%s not listed", name);
	return NULL;
}

/* --- a fake VM on a control socket ------------------------------------------ */

struct fake_sock {
	int fd;
	bool greet;              /* false: accept and say nothing */
	const char *status;      /* the reply to status */
	pthread_t thread;
};

static void *fake_serve(void *arg)
{
	struct fake_sock *fs = arg;

	for (;;) {
		int c = accept(fs->fd, NULL, NULL);
		char buf[256];
		if (c < 0)
			return NULL;
		if (fs->greet) {
			ssize_t w = write(c, "ttyvm-control 1\n", 16);
			ssize_t n = read(c, buf, sizeof(buf));
			if (w > 0 && n > 0 && strncmp(buf, "status\n", 7) == 0) {
				w = write(c, fs->status, strlen(fs->status));
				(void)w;
			}
			close(c);
		} else {
			/* hold it open, silent, until the client gives up */
			ssize_t n = read(c, buf, sizeof(buf));
			(void)n;
			close(c);
		}
	}
}

static void fake_start(struct fake_sock *fs, const char *path, bool greet,
		       const char *status)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	fs->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fs->fd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fs->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fs->fd, 4), 0);
	fs->greet = greet;
	fs->status = status;
	assert_int_equal(pthread_create(&fs->thread, NULL, fake_serve, fs), 0);
}

static void fake_stop(struct fake_sock *fs, const char *path)
{
	shutdown(fs->fd, SHUT_RDWR);
	pthread_join(fs->thread, NULL);
	close(fs->fd);
	unlink(path);
}

/* A socket file nobody listens on: what a crashed VM leaves. */
static void stale_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

/* --- tests --------------------------------------------------------------------- */

static void test_list_states(void **state)
{
	struct home h;
	struct vmstore_vm *v, one;
	struct vmstore_files f;
	struct fake_sock fs;
	char path[256];
	size_t n;
	int lock;
	pid_t stale;
	(void)state;

	home_init(&h);
	/* nothing defined yet: an empty list, not an error */
	assert_int_equal(vmstore_list(&v, &n, 200), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_int_equal(vmstore_query("nope", &one, 200), -ENOENT);
	assert_int_equal(vmstore_query("bad/name", &one, 200), -EINVAL);

	make_vm(&h, "web", 2);
	make_vm(&h, "db", 1);
	make_vm(&h, "apps", 4);
	make_vm(&h, "gone", 1);
	make_vm(&h, "guest-crash", 1);
	make_vm(&h, "hung", 1);
	/* a broken definition is listed, with why */
	path_of(&h, path, sizeof(path), "config/vms/", "broken.ini");
	write_file(path, "[vm]\ncpus = many\n");
	/* files that are not VM definitions are not listed */
	path_of(&h, path, sizeof(path), "config/vms/", ".web.ini.XyZ12.ini");
	write_file(path, "[vm]\n");
	path_of(&h, path, sizeof(path), "config/vms/", "notes.txt");
	write_file(path, "hello\n");
	path_of(&h, path, sizeof(path), "config/vms/", "a b.ini");
	write_file(path, "[vm]\n");

	/* web runs (paused), as its socket says */
	assert_int_equal(vmstore_files("web", &f), 0);
	fake_start(&fs, f.sock, true, "ok state=paused name=web cpus=3 memory=1048576 "
		   "uptime=10 resets=2 pid=4242 cputime=5000000000\n");
	/* db is starting: its pid file is locked, no socket yet */
	assert_int_equal(vmstore_files("db", &f), 0);
	assert_int_equal(pidfile_lock(f.pid, &lock, NULL, &stale), 0);
	assert_int_equal(pidfile_write(lock, getpid()), 0);
	/* gone crashed: a pid file nobody holds and a stale socket */
	assert_int_equal(vmstore_files("gone", &f), 0);
	write_file(f.pid, "999999\n");
	stale_socket(f.sock);
	/* guest-crash ended with exit status 2 */
	assert_int_equal(vmstore_files("guest-crash", &f), 0);
	write_file(f.exit, "2\n");
	/* hung: its socket accepts but never greets */
	struct fake_sock hung;
	assert_int_equal(vmstore_files("hung", &f), 0);
	fake_start(&hung, f.sock, false, NULL);
	/* apps ended well */
	assert_int_equal(vmstore_files("apps", &f), 0);
	write_file(f.exit, "0\n");

	assert_int_equal(vmstore_list(&v, &n, 300), 0);
	assert_int_equal(n, 7);
	/* sorted by name */
	assert_string_equal(v[0].name, "apps");
	assert_string_equal(v[1].name, "broken");
	assert_string_equal(v[6].name, "web");

	const struct vmstore_vm *w = find(v, n, "web");
	assert_int_equal(w->state, VMSTORE_PAUSED);
	assert_true(w->status_known);
	assert_int_equal(w->cpus, 3); /* the running instance's, not the definition's */
	assert_int_equal(w->memory, 1048576);
	assert_int_equal(w->pid, 4242);
	assert_int_equal(w->uptime_s, 10);
	assert_int_equal(w->resets, 2);
	assert_true(w->cputime_known);
	assert_int_equal(w->cputime_ns, 5000000000ULL);
	assert_true(vmstore_cpu_average(w) > 49.9 && vmstore_cpu_average(w) < 50.1);

	const struct vmstore_vm *d = find(v, n, "db");
	assert_int_equal(d->state, VMSTORE_STARTING);
	assert_int_equal(d->pid, getpid());
	assert_int_equal(d->cpus, 1);
	assert_false(d->status_known);
	assert_true(vmstore_cpu_average(d) < 0);

	assert_int_equal(find(v, n, "gone")->state, VMSTORE_CRASHED);
	assert_int_equal(find(v, n, "guest-crash")->state, VMSTORE_CRASHED);
	assert_int_equal(find(v, n, "guest-crash")->last_exit, 2);
	assert_int_equal(find(v, n, "hung")->state, VMSTORE_UNKNOWN);
	const struct vmstore_vm *a = find(v, n, "apps");
	assert_int_equal(a->state, VMSTORE_STOPPED);
	assert_int_equal(a->last_exit, 0);
	assert_int_equal(a->cpus, 4);
	assert_int_equal(a->memory, 256 * MiB);
	assert_int_equal(a->def_error, 0);
	const struct vmstore_vm *b = find(v, n, "broken");
	assert_int_equal(b->def_error, -EINVAL);
	assert_non_null(strstr(b->def_message, "broken.ini:2: [vm] cpus = many: not a whole "
				"number"));
	assert_int_equal(b->state, VMSTORE_STOPPED);
	free(v);

	/* one VM alone, the same way */
	assert_int_equal(vmstore_query("web", &one, 300), 0);
	assert_int_equal(one.state, VMSTORE_PAUSED);
	assert_true(vmstore_state_active(one.state));
	assert_false(vmstore_state_active(VMSTORE_CRASHED));
	assert_string_equal(vmstore_state_name(VMSTORE_CRASHED), "crashed");
	assert_string_equal(vmstore_state_name((enum vmstore_state)99), "unknown");

	vmstore_files("web", &f);
	fake_stop(&fs, f.sock);
	vmstore_files("hung", &f);
	fake_stop(&hung, f.sock);
	assert_int_equal(vmstore_query("web", &one, 300), 0);
	assert_int_equal(one.state, VMSTORE_STOPPED);
	assert_int_equal(one.cpus, 2);
	vmstore_files("db", &f);
	pidfile_remove(f.pid, lock);
	home_done(&h);
}

static void test_create_save_load(void **state)
{
	struct home h;
	struct vm_config cfg;
	char err[VMSTORE_ERR_MAX], path[256];
	struct stat st;
	(void)state;

	home_init(&h);
	make_vm(&h, "a", 2);
	assert_true(vmstore_exists("a"));
	assert_false(vmstore_exists("b"));
	assert_false(vmstore_exists("../a"));
	path_of(&h, path, sizeof(path), "data/", "a");
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);

	/* a second create of the name is refused, the first stays */
	vmdef_defaults(&cfg);
	snprintf(cfg.name, sizeof(cfg.name), "a");
	cfg.kernel = strdup(h.kernel);
	cfg.cpus = 7;
	assert_int_equal(vmstore_create(&cfg, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "a VM named 'a' exists already"));
	/* a create that fails validation leaves no definition behind */
	snprintf(cfg.name, sizeof(cfg.name), "c");
	cfg.memory = 1;
	assert_int_equal(vmstore_create(&cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[vm] memory: out of range"));
	assert_false(vmstore_exists("c"));
	vmdef_free(&cfg);

	assert_int_equal(vmstore_load("a", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.cpus, 2);
	cfg.cpus = 3;
	assert_int_equal(vmstore_save(&cfg, err, sizeof(err)), 0);
	vmdef_free(&cfg);
	assert_int_equal(vmstore_load("a", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.cpus, 3);
	vmdef_free(&cfg);
	assert_int_equal(vmstore_load("zz", &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no VM named 'zz'"));
	assert_int_equal(vmstore_load("-x", &cfg, err, sizeof(err)), -EINVAL);
	home_done(&h);
}

static void test_delete(void **state)
{
	struct home h;
	struct vmstore_files f;
	char err[VMSTORE_ERR_MAX], *disk;
	int lock;
	pid_t stale;
	(void)state;

	home_init(&h);
	make_vm(&h, "a", 1);
	assert_int_equal(vmstore_disk_create("a", MiB, DISK_FMT_RAW, NULL, NULL, &disk, err,
					     sizeof(err)), 0);
	assert_int_equal(vmstore_files("a", &f), 0);
	write_file(f.log, "old log\n");
	write_file(f.exit, "0\n");

	/* refused while it runs */
	assert_int_equal(pidfile_lock(f.pid, &lock, NULL, &stale), 0);
	assert_int_equal(pidfile_write(lock, getpid()), 0);
	assert_int_equal(vmstore_delete("a", 0, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "VM a is running (pid "));
	assert_true(vmstore_exists("a"));
	pidfile_remove(f.pid, lock);

	/* the definition and run files go; the disks stay unless asked */
	assert_int_equal(vmstore_delete("a", 0, err, sizeof(err)), 0);
	assert_false(vmstore_exists("a"));
	assert_int_equal(access(f.log, F_OK), -1);
	assert_int_equal(access(f.exit, F_OK), -1);
	assert_int_equal(access(f.pid, F_OK), -1);
	assert_int_equal(access(disk, F_OK), 0);
	assert_int_equal(vmstore_delete("a", 0, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no VM named 'a'"));

	/* with VMSTORE_DELETE_DATA the data directory goes, not files elsewhere */
	make_vm(&h, "b", 1);
	struct vm_config cfg;
	assert_int_equal(vmstore_load("b", &cfg, err, sizeof(err)), 0);
	cfg.disks[0].path = strdup(disk); /* a's old disk: outside b's directory */
	cfg.ndisks = 1;
	assert_int_equal(vmstore_save(&cfg, err, sizeof(err)), 0);
	vmdef_free(&cfg);
	char *bdisk;
	assert_int_equal(vmstore_disk_create("b", MiB, DISK_FMT_QCOW2, NULL, NULL, &bdisk, err,
					     sizeof(err)), 0);
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/data/b/snapshots", h.dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/data/b/snapshots/one", h.dir);
	write_file(sub, "x");
	assert_int_equal(vmstore_files("b", &f), 0);
	assert_int_equal(vmstore_delete("b", VMSTORE_DELETE_DATA, err, sizeof(err)), 0);
	assert_int_equal(access(f.data, F_OK), -1);
	assert_int_equal(access(disk, F_OK), 0);
	free(disk);
	free(bdisk);
	home_done(&h);
}

static bool same_content(const char *a, const char *b)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
	return system(cmd) == 0;
}

static void progress_count(void *ctx, const char *file, uint64_t done, uint64_t total)
{
	unsigned int *calls = ctx;
	assert_non_null(file);
	assert_true(done <= total);
	(*calls)++;
}

static void test_clone(void **state)
{
	struct home h;
	struct vm_config cfg;
	struct vmstore_files f;
	char err[VMSTORE_ERR_MAX], *disk, ext[256], ro[256], iso[256];
	unsigned int calls = 0;
	struct stat st;
	int lock, fd;
	pid_t stale;
	(void)state;

	home_init(&h);
	make_vm(&h, "src", 2);
	/* a sparse 64 MiB disk with data at 1 MiB */
	assert_int_equal(vmstore_disk_create("src", 64 * MiB, DISK_FMT_RAW, NULL, NULL, &disk,
					     err, sizeof(err)), 0);
	assert_non_null(strstr(disk, "/data/src/disk0.img"));
	fd = open(disk, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "hello disk", 10, MiB), 10);
	close(fd);
	snprintf(ext, sizeof(ext), "%s/external.img", h.dir);
	write_file(ext, "external");
	snprintf(ro, sizeof(ro), "%s/readonly.img", h.dir);
	write_file(ro, "readonly");
	snprintf(iso, sizeof(iso), "%s/install.iso", h.dir);
	write_file(iso, "iso");

	assert_int_equal(vmstore_load("src", &cfg, err, sizeof(err)), 0);
	cfg.disks[0].path = disk;
	cfg.disks[1].path = strdup(ro);
	cfg.disks[1].readonly = true;
	cfg.ndisks = 2;
	cfg.cdrom = strdup(iso);
	assert_int_equal(vmstore_save(&cfg, err, sizeof(err)), 0);

	/* plain clone: the disk copied, sparse; read-only files shared */
	if (vmstore_clone("src", "dst", 0, progress_count, &calls, err, sizeof(err)))
		fail_msg("clone: %s", err);
	assert_true(calls >= 1);
	struct vm_config c2;
	assert_int_equal(vmstore_load("dst", &c2, err, sizeof(err)), 0);
	assert_string_equal(c2.name, "dst");
	assert_int_equal(c2.cpus, 2);
	assert_int_equal(c2.ndisks, 2);
	assert_non_null(strstr(c2.disks[0].path, "/data/dst/disk0.img"));
	assert_true(same_content(disk, c2.disks[0].path));
	assert_int_equal(stat(c2.disks[0].path, &st), 0);
	assert_int_equal(st.st_size, 64 * MiB);
	assert_true(st.st_blocks < 16384); /* still sparse: under 8 MiB */
	assert_string_equal(c2.disks[1].path, ro);
	assert_string_equal(c2.cdrom, iso);
	vmdef_free(&c2);

	/* dst exists now; the same name twice, bad names */
	assert_int_equal(vmstore_clone("src", "dst", 0, NULL, NULL, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "a VM named 'dst' exists already"));
	assert_int_equal(vmstore_clone("src", "src", 0, NULL, NULL, err, sizeof(err)), -EEXIST);
	assert_int_equal(vmstore_clone("src", "a/b", 0, NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(vmstore_clone("none", "new", 0, NULL, NULL, err, sizeof(err)), -ENOENT);
	assert_false(vmstore_exists("new"));

	/* a writable disk outside the data directory: refused, shared, copied */
	cfg.disks[2].path = strdup(ext);
	cfg.ndisks = 3;
	assert_int_equal(vmstore_save(&cfg, err, sizeof(err)), 0);
	assert_int_equal(vmstore_clone("src", "c1", 0, NULL, NULL, err, sizeof(err)), -EXDEV);
	assert_non_null(strstr(err, "external.img is outside src's data directory"));
	assert_false(vmstore_exists("c1"));
	assert_int_equal(vmstore_files("c1", &f), 0);
	assert_int_equal(access(f.data, F_OK), -1); /* undone */
	assert_int_equal(vmstore_clone("src", "c1", VMSTORE_CLONE_SHARE_EXTERNAL, NULL, NULL,
				       err, sizeof(err)), 0);
	assert_int_equal(vmstore_load("c1", &c2, err, sizeof(err)), 0);
	assert_string_equal(c2.disks[2].path, ext);
	vmdef_free(&c2);
	assert_int_equal(vmstore_clone("src", "c2", VMSTORE_CLONE_COPY_EXTERNAL, NULL, NULL,
				       err, sizeof(err)), 0);
	assert_int_equal(vmstore_load("c2", &c2, err, sizeof(err)), 0);
	assert_non_null(strstr(c2.disks[2].path, "/data/c2/external.img"));
	assert_true(same_content(ext, c2.disks[2].path));
	assert_string_equal(c2.disks[1].path, ro); /* read-only: still shared */
	vmdef_free(&c2);

	/* refused while the source runs */
	assert_int_equal(vmstore_files("src", &f), 0);
	assert_int_equal(pidfile_lock(f.pid, &lock, NULL, &stale), 0);
	assert_int_equal(vmstore_clone("src", "c3", VMSTORE_CLONE_SHARE_EXTERNAL, NULL, NULL,
				       err, sizeof(err)), -EBUSY);
	assert_false(vmstore_exists("c3"));
	pidfile_remove(f.pid, lock);

	/* a data directory left by a deleted VM blocks the name */
	assert_int_equal(vmstore_delete("c1", 0, err, sizeof(err)), 0);
	assert_int_equal(vmstore_clone("src", "c1", VMSTORE_CLONE_SHARE_EXTERNAL, NULL, NULL,
				       err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "is left from a VM named 'c1'"));
	vmdef_free(&cfg);
	home_done(&h);
}

static void test_rename(void **state)
{
	struct home h;
	struct vm_config cfg;
	struct vmstore_files fo, fn;
	char err[VMSTORE_ERR_MAX], *disk, ext[256];
	int lock;
	pid_t stale;
	(void)state;

	home_init(&h);
	make_vm(&h, "old", 3);
	make_vm(&h, "taken", 1);
	assert_int_equal(vmstore_disk_create("old", MiB, DISK_FMT_RAW, NULL, NULL, &disk, err,
					     sizeof(err)), 0);
	snprintf(ext, sizeof(ext), "%s/external.img", h.dir);
	write_file(ext, "external");
	assert_int_equal(vmstore_load("old", &cfg, err, sizeof(err)), 0);
	cfg.disks[0].path = disk;
	cfg.disks[1].path = strdup(ext);
	cfg.ndisks = 2;
	assert_int_equal(vmstore_save(&cfg, err, sizeof(err)), 0);
	vmdef_free(&cfg);
	assert_int_equal(vmstore_files("old", &fo), 0);
	assert_int_equal(vmstore_files("new", &fn), 0);
	write_file(fo.log, "history\n");

	/* refused: running, taken, the same, bad */
	assert_int_equal(pidfile_lock(fo.pid, &lock, NULL, &stale), 0);
	assert_int_equal(vmstore_rename("old", "new", err, sizeof(err)), -EBUSY);
	pidfile_remove(fo.pid, lock);
	assert_int_equal(vmstore_rename("old", "taken", err, sizeof(err)), -EEXIST);
	assert_int_equal(vmstore_rename("old", "old", err, sizeof(err)), -EEXIST);
	assert_int_equal(vmstore_rename("old", ".x", err, sizeof(err)), -EINVAL);
	assert_int_equal(vmstore_rename("none", "x", err, sizeof(err)), -ENOENT);
	assert_true(vmstore_exists("old"));

	assert_int_equal(vmstore_rename("old", "new", err, sizeof(err)), 0);
	assert_false(vmstore_exists("old"));
	assert_true(vmstore_exists("new"));
	assert_int_equal(access(fo.data, F_OK), -1);
	assert_int_equal(access(fn.data, F_OK), 0);
	assert_int_equal(access(fn.log, F_OK), 0);
	assert_int_equal(vmstore_load("new", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.name, "new");
	assert_int_equal(cfg.cpus, 3);
	assert_non_null(strstr(cfg.disks[0].path, "/data/new/disk0.img"));
	assert_int_equal(access(cfg.disks[0].path, R_OK), 0);
	assert_string_equal(cfg.disks[1].path, ext); /* not its own: unchanged */
	vmdef_free(&cfg);

	/* a VM without a data directory renames too */
	assert_int_equal(vmstore_files("taken", &fo), 0);
	assert_int_equal(rmdir(fo.data), 0);
	assert_int_equal(vmstore_rename("taken", "free", err, sizeof(err)), 0);
	assert_true(vmstore_exists("free"));
	home_done(&h);
}

static void test_presets_host_disks(void **state)
{
	struct vmstore_preset *p;
	struct vmstore_host host;
	struct vm_config cfg;
	struct home h;
	char err[VMSTORE_ERR_MAX], *d0, *d1, *q;
	size_t n;
	(void)state;

	home_init(&h);
	if (!getenv("TTYVM_PRESETS_DIR")) {
		char dir[300];
		const char *src = getenv("TTYVM_SRCDIR");
		snprintf(dir, sizeof(dir), "%s/data/presets", src && *src ? src : ".");
		setenv("TTYVM_PRESETS_DIR", dir, 1);
	}
	assert_int_equal(vmstore_presets(&p, &n), 0);
	assert_true(n >= 3);
	bool iso = false;
	for (size_t i = 0; i < n; i++) {
		assert_true(p[i].summary[0] != '\0');
		if (i)
			assert_true(strcmp(p[i - 1].name, p[i].name) < 0);
		if (strcmp(p[i].name, "install-iso") == 0) {
			iso = true;
			assert_non_null(strstr(p[i].summary, "ISO image"));
		}
	}
	assert_true(iso);
	free(p);
	assert_int_equal(vmstore_preset_load("install-iso", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.boot, BOOT_ORDER_CD);
	assert_string_equal(cfg.name, "install-iso");
	vmdef_free(&cfg);
	assert_int_equal(vmstore_preset_load("nope", &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no preset named 'nope'"));

	vmstore_host(&host);
	assert_true(host.cpus >= 1);
	assert_true(host.memory >= 64 * MiB);
	assert_true(host.max_cpus >= 1 && host.max_cpus <= VMDEF_MAX_CPUS);
	assert_int_equal(host.max_memory % MiB, 0);
	struct vmstore_host small = { .cpus = 1, .memory = 1 * GiB };
	vmdef_defaults(&cfg);
	cfg.cpus = 4;
	cfg.memory = 2 * GiB;
	vmstore_fit_host(&cfg, &small);
	assert_int_equal(cfg.cpus, 1);
	assert_int_equal(cfg.memory, 512 * MiB);
	cfg.memory = 128 * MiB;
	vmstore_fit_host(&cfg, &small);
	assert_int_equal(cfg.memory, 128 * MiB);

	/* disks: numbered, never replacing a file */
	assert_int_equal(vmstore_disk_create("vm1", 10 * GiB, DISK_FMT_AUTO, NULL, NULL, &d0,
					     err, sizeof(err)), 0);
	assert_int_equal(vmstore_disk_create("vm1", 1000, DISK_FMT_RAW, NULL, NULL, &d1, err,
					     sizeof(err)), 0);
	assert_int_equal(vmstore_disk_create("vm1", GiB, DISK_FMT_QCOW2, NULL, NULL, &q, err,
					     sizeof(err)), 0);
	assert_non_null(strstr(d0, "/data/vm1/disk0.img"));
	assert_non_null(strstr(d1, "/data/vm1/disk1.img"));
	assert_non_null(strstr(q, "/data/vm1/disk0.qcow2"));
	struct stat st;
	assert_int_equal(stat(d0, &st), 0);
	assert_int_equal(st.st_size, 10 * GiB);
	assert_true(st.st_blocks < 64); /* sparse */
	assert_int_equal(stat(d1, &st), 0);
	assert_int_equal(st.st_size, 1024); /* rounded up to sectors */
	char magic[4] = "";
	FILE *f = fopen(q, "r");
	assert_non_null(f);
	assert_int_equal(fread(magic, 1, 4, f), 4);
	fclose(f);
	assert_memory_equal(magic, "QFI\xfb", 4);
	free(d0);
	assert_int_equal(vmstore_disk_create("vm1", 0, DISK_FMT_RAW, NULL, NULL, &d0, err,
					     sizeof(err)), -EINVAL);
	assert_null(d0);
	free(d1);
	free(q);
	home_done(&h);
}

static void test_cpu_and_log(void **state)
{
	struct vmstore_vm a = { .cputime_known = true, .pid = 7, .cputime_ns = 1000000000,
				.sampled_ns = 10000000000ULL };
	struct vmstore_vm b = a;
	char path[64] = "/tmp/ttyvm-log-XXXXXX", buf[256];
	(void)state;

	b.cputime_ns = 1500000000;
	b.sampled_ns = 11000000000ULL;
	assert_true(vmstore_cpu_between(&a, &b) > 49.9 && vmstore_cpu_between(&a, &b) < 50.1);
	b.pid = 8; /* another run */
	assert_true(vmstore_cpu_between(&a, &b) < 0);
	b.pid = 7;
	b.sampled_ns = a.sampled_ns;
	assert_true(vmstore_cpu_between(&a, &b) < 0);
	b.sampled_ns = 11000000000ULL;
	b.cputime_known = false;
	assert_true(vmstore_cpu_between(&a, &b) < 0);

	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *log = "old 1\nold 2\nnew 1\nnew 2\nnew 3\nlast, no newline";
	assert_int_equal(write(fd, log, strlen(log)), (ssize_t)strlen(log));
	close(fd);
	assert_int_equal(vmstore_log_tail(path, 12, 2, buf, sizeof(buf)), 23);
	assert_string_equal(buf, "new 3\nlast, no newline\n");
	assert_true(vmstore_log_tail(path, 12, 100, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "new 1\nnew 2\nnew 3\nlast, no newline\n");
	assert_int_equal(vmstore_log_tail(path, 10000, 5, buf, sizeof(buf)), 0);
	assert_int_equal(vmstore_log_tail(path, 0, 5, buf, 8), 7); /* cut to fit */
	unlink(path);
	assert_int_equal(vmstore_log_tail(path, 0, 5, buf, sizeof(buf)), -ENOENT);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_list_states),
	cmocka_unit_test(test_create_save_load),
	cmocka_unit_test(test_delete),
	cmocka_unit_test(test_clone),
	cmocka_unit_test(test_rename),
	cmocka_unit_test(test_presets_host_disks),
	cmocka_unit_test(test_cpu_and_log),
};

UNIT_SUITE(vmstore, tests);
