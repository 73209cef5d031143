/*
 * vmstore_ops.c - operations on whole VMs at rest: delete, clone, rename
 * (vmstore.h), and the pid-file lock that keeps a VM from starting while
 * they change its files.
 *
 * Each operation first takes the VM's pid-file lock - the lock a running
 * VM process holds for its whole life - so a VM that runs is refused and
 * one that does not cannot be started meanwhile; a VM run by hand on its
 * socket (`ttyvm run --control`) is caught by asking the socket.  Then it
 * works in an order that leaves a consistent state at every step and
 * undoes its own steps on failure: a clone builds the new VM's data
 * directory before it writes the definition that makes the VM exist, a
 * rename writes the new definition, moves the data directory (one
 * rename(2)) and only then removes the old definition.
 *
 * Copies of disk images: a reflink (FICLONE) where the file system has
 * them, else only the data extents (SEEK_DATA/SEEK_HOLE), so a sparse
 * 20 GiB image with 1 GiB written copies 1 GiB and stays sparse; qcow2 and
 * raw are copied alike, byte for byte.  Converting formats is the storage
 * code's business (vmm/block/img.h).  Nothing here prints.
 */
#include "ui/vmstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "ui/ctl_client.h"
#include "ui/pidfile.h"
#include "ui/vmstore_priv.h"
#include "util/util.h"

#define VMSTORE_COPY_CHUNK (1u << 20)

/* --- the lock --------------------------------------------------------------- */

int vmstore_lock(const char *name, const struct vmstore_files *f, int *fd, char *err,
		 size_t errlen)
{
	struct ctl_client *c;
	pid_t holder = 0, stale = 0;
	int r = pidfile_lock(f->pid, fd, &holder, &stale);

	if (r == -EBUSY) {
		if (holder)
			return vmstore_fail(err, errlen, r, "VM %s is running (pid %ld); stop "
					    "it first", name, (long)holder);
		return vmstore_fail(err, errlen, r, "VM %s is starting or busy; try again",
				    name);
	}
	if (r)
		return vmstore_fail(err, errlen, r, "%s: %s", f->pid, strerror(-r));
	r = ctl_client_open(&c, f->sock, 2000, NULL);
	ctl_client_close(c);
	if (r == 0 || r == -EBUSY || r == -ETIMEDOUT || r == -EPROTONOSUPPORT) {
		pidfile_remove(f->pid, *fd);
		*fd = -1;
		return vmstore_fail(err, errlen, -EBUSY, "VM %s is running (a process serves "
				    "%s); stop it first", name, f->sock);
	}
	return 0;
}

void vmstore_unlock(const struct vmstore_files *f, int fd)
{
	if (fd >= 0)
		pidfile_remove(f->pid, fd);
}

void vmstore_clean_runtime(const struct vmstore_files *f)
{
	struct stat st;

	if (lstat(f->sock, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(f->sock); /* the lock is ours and nobody serves it */
	unlink(f->exit);
}

/* --- file trees -------------------------------------------------------------- */

/* Removes dirfd/name and, for a directory, all in it; never follows a
 * symbolic link.  0 or -errno. */
static int vmstore_remove_at(int at, const char *name)
{
	struct dirent *e;
	int fd, r = 0;
	DIR *d;

	if (unlinkat(at, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return errno == ENOENT ? 0 : -errno;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	while (!r && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			r = vmstore_remove_at(dirfd(d), e->d_name);
	closedir(d);
	if (!r && unlinkat(at, name, AT_REMOVEDIR) < 0)
		r = -errno;
	return r;
}

static int vmstore_remove_tree(const char *path)
{
	return vmstore_remove_at(AT_FDCWD, path);
}

static int vmstore_write_all(int fd, const char *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Copies the data extents of in (size bytes) to out. */
static int vmstore_copy_extents(int in, int out, off_t size, const char *path,
				vmstore_progress_fn progress, void *ctx)
{
	char *buf = malloc(VMSTORE_COPY_CHUNK);
	off_t pos = 0;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	while (pos < size && !r) {
		off_t data = lseek(in, pos, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO)
				break; /* only a hole is left */
			data = pos; /* no SEEK_DATA here: copy everything */
		}
		off_t hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			hole = size;
		for (pos = data; pos < hole && !r;) {
			size_t want = (size_t)MIN((off_t)VMSTORE_COPY_CHUNK, hole - pos);
			ssize_t n = pread(in, buf, want, pos);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				r = n < 0 ? -errno : -EIO;
				break;
			}
			r = vmstore_write_all(out, buf, (size_t)n, pos);
			pos += n;
			if (progress)
				progress(ctx, path, (uint64_t)pos, (uint64_t)size);
		}
	}
	free(buf);
	return r;
}

/*
 * Copies the regular file src to the new file dst (never replacing one),
 * keeping its permission bits, and syncs it.  On failure dst is gone.
 */
static int vmstore_copy_file(const char *src, const char *dst, vmstore_progress_fn progress,
			     void *ctx)
{
	struct stat st = { 0 };
	int in, out, r = 0;

	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return -errno;
	if (fstat(in, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	if (r) {
		close(in);
		return r;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0777);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	if (ioctl(out, FICLONE, in) < 0) {
		r = vmstore_copy_extents(in, out, st.st_size, src, progress, ctx);
		if (!r && ftruncate(out, st.st_size) < 0)
			r = -errno;
	}
	if (!r && fsync(out) < 0)
		r = -errno;
	if (close(out) < 0 && !r)
		r = -errno;
	close(in);
	if (r)
		unlink(dst);
	else if (progress)
		progress(ctx, src, (uint64_t)st.st_size, (uint64_t)st.st_size);
	return r;
}

/* Copies everything in directory src into the existing directory dst:
 * files, directories (0700) and symbolic links; *failed names the path
 * that failed (into a caller buffer). */
static int vmstore_copy_tree(const char *src, const char *dst, vmstore_progress_fn progress,
			     void *ctx, char *failed, size_t flen)
{
	char *s = NULL, *d = NULL;
	struct dirent *e;
	DIR *dir = opendir(src);
	int r = 0;

	if (!dir) {
		snprintf(failed, flen, "%s", src);
		return -errno;
	}
	while (!r && (e = readdir(dir))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		free(s);
		free(d);
		d = NULL;
		if (asprintf(&s, "%s/%s", src, e->d_name) < 0 ||
		    asprintf(&d, "%s/%s", dst, e->d_name) < 0) {
			s = NULL;
			r = -ENOMEM;
			break;
		}
		if (lstat(s, &st) < 0) {
			r = -errno;
		} else if (S_ISREG(st.st_mode)) {
			r = vmstore_copy_file(s, d, progress, ctx);
		} else if (S_ISDIR(st.st_mode)) {
			r = mkdir(d, 0700) < 0 ? -errno
					       : vmstore_copy_tree(s, d, progress, ctx, failed, flen);
			if (r)
				continue; /* failed names the deeper path */
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(s, target, sizeof(target) - 1);
			if (n < 0)
				r = -errno;
			else {
				target[n] = '\0';
				r = symlink(target, d) < 0 ? -errno : 0;
			}
		} /* sockets, FIFOs, devices: not a VM's data; skipped */
		if (r)
			snprintf(failed, flen, "%s", s);
	}
	closedir(dir);
	free(s);
	free(d);
	return r;
}

/* --- paths into a data directory ---------------------------------------------- */

/*
 * When path lies inside directory dir (both resolved through realpath
 * where they exist), the part after "dir/"; else NULL.
 */
static const char *vmstore_inside(const char *path, const char *real_dir, char *buf,
				  size_t len)
{
	char real[PATH_MAX];
	size_t n = strlen(real_dir);
	const char *p = realpath(path, real) ? real : path;

	if (!n || strncmp(p, real_dir, n) != 0 || p[n] != '/' || !p[n + 1])
		return NULL;
	snprintf(buf, len, "%s", p + n + 1);
	return buf;
}

/* Points *field into new_dir when it is inside real_old (0 or -ENOMEM);
 * *moved tells whether it was. */
static int vmstore_repoint(char **field, const char *real_old, const char *new_dir,
			   bool *moved)
{
	char rest[PATH_MAX];
	char *p;

	*moved = false;
	if (!*field || !vmstore_inside(*field, real_old, rest, sizeof(rest)))
		return 0;
	if (asprintf(&p, "%s/%s", new_dir, rest) < 0)
		return -ENOMEM;
	free(*field);
	*field = p;
	*moved = true;
	return 0;
}

/* Every path of cfg that points into the data directory old, into new. */
static int vmstore_repoint_all(struct vm_config *cfg, const char *real_old, const char *new_dir)
{
	char **fields[] = { &cfg->kernel, &cfg->initrd, &cfg->flat, &cfg->firmware,
			    &cfg->cdrom, &cfg->serial.path };
	bool moved;
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fields) && !r; i++)
		r = vmstore_repoint(fields[i], real_old, new_dir, &moved);
	for (unsigned int i = 0; i < cfg->ndisks && !r; i++)
		r = vmstore_repoint(&cfg->disks[i].path, real_old, new_dir, &moved);
	return r;
}

/* realpath of a data directory, "" when it does not exist. */
static void vmstore_real_dir(const char *dir, char *buf)
{
	if (!realpath(dir, buf))
		buf[0] = '\0';
}

/* --- delete ----------------------------------------------------------------------- */

int vmstore_delete(const char *name, unsigned int flags, char *err, size_t errlen)
{
	struct vmstore_files *f;
	int fd = -1, r;

	f = vmstore_files_new(name, err, errlen, &r);
	if (!f)
		return r;
	r = vmstore_lock(name, f, &fd, err, errlen);
	if (r)
		goto out;
	if (unlink(f->def) < 0) {
		r = -errno;
		if (r == -ENOENT)
			vmstore_fail(err, errlen, r, "no VM named '%s' (no definition at %s)",
				     name, f->def);
		else
			vmstore_fail(err, errlen, r, "removing %s: %s", f->def, strerror(-r));
		goto out;
	}
	vmstore_clean_runtime(f);
	unlink(f->log);
	if (flags & VMSTORE_DELETE_DATA) {
		r = vmstore_remove_tree(f->data);
		if (r)
			vmstore_fail(err, errlen, r, "%s is deleted, but removing its data "
				     "directory %s failed: %s", name, f->data, strerror(-r));
	}
out:
	vmstore_unlock(f, fd);
	free(f);
	return r;
}

/* --- clone -------------------------------------------------------------------------- */

/* dst must be free: no definition and no data directory. */
static int vmstore_check_free(const char *name, const struct vmstore_files *f, char *err,
			      size_t errlen)
{
	if (access(f->def, F_OK) == 0)
		return vmstore_fail(err, errlen, -EEXIST, "a VM named '%s' exists already (%s)",
				    name, f->def);
	if (access(f->data, F_OK) == 0)
		return vmstore_fail(err, errlen, -EEXIST, "%s is left from a VM named '%s' that "
				    "was deleted without its disks; remove it or pick another "
				    "name", f->data, name);
	return 0;
}

/* A name for an external disk copied into dir: its base name, made unique. */
static char *vmstore_copy_name(const char *dir, const char *path)
{
	const char *base = strrchr(path, '/');
	char *p = NULL;

	base = base ? base + 1 : path;
	for (unsigned int i = 0; i < 100; i++) {
		if ((i ? asprintf(&p, "%s/%u-%s", dir, i, base)
		       : asprintf(&p, "%s/%s", dir, base)) < 0)
			return NULL;
		if (access(p, F_OK) < 0 && errno == ENOENT)
			return p;
		free(p);
	}
	return NULL;
}

/*
 * Disks outside src's data directory: read-only ones are shared; writable
 * ones refused, shared or copied as flags say.  Copies go to dst_data.
 */
static int vmstore_clone_external(struct vm_config *cfg, const char *src,
				  const char *real_src, const char *dst_data, unsigned int flags,
				  vmstore_progress_fn progress, void *ctx, char *err,
				  size_t errlen)
{
	char rest[PATH_MAX];

	for (unsigned int i = 0; i < cfg->ndisks; i++) {
		struct disk_config *d = &cfg->disks[i];
		char *copy;
		int r;

		if (!d->path || d->readonly ||
		    vmstore_inside(d->path, real_src, rest, sizeof(rest)))
			continue;
		if (flags & VMSTORE_CLONE_SHARE_EXTERNAL)
			continue;
		if (!(flags & VMSTORE_CLONE_COPY_EXTERNAL))
			return vmstore_fail(err, errlen, -EXDEV, "disk %s is outside %s's data "
					    "directory and writable: share it (both VMs write "
					    "it; never run them at once) or copy it", d->path,
					    src);
		copy = vmstore_copy_name(dst_data, d->path);
		if (!copy)
			return vmstore_fail(err, errlen, -ENOMEM, "out of memory");
		r = vmstore_copy_file(d->path, copy, progress, ctx);
		if (r) {
			vmstore_fail(err, errlen, r, "copying %s to %s: %s", d->path, copy,
				     strerror(-r));
			free(copy);
			return r;
		}
		free(d->path);
		d->path = copy;
	}
	return 0;
}

/*
 * What clone and rename start with: the files of both names, both
 * pid-file locks, the new name free, and the old definition loaded with
 * its data directory resolved.  Undone by vmstore_pair_end().
 */
struct vmstore_pair {
	struct vmstore_files *from, *to;
	int lock_from, lock_to;
	struct vm_config cfg;
	char real_from[PATH_MAX];    /* "" when it has no data directory */
};

static int vmstore_pair_begin(struct vmstore_pair *p, const char *what, const char *from,
			      const char *to, char *err, size_t errlen)
{
	int r;

	memset(p, 0, sizeof(*p));
	p->lock_from = p->lock_to = -1;
	p->from = vmstore_files_new(from, err, errlen, &r);
	if (p->from)
		p->to = vmstore_files_new(to, err, errlen, &r);
	if (!p->to)
		return r;
	if (strcmp(from, to) == 0)
		return vmstore_fail(err, errlen, -EEXIST, "%s %s: the new name is the old one",
				    what, from);
	r = vmstore_lock(from, p->from, &p->lock_from, err, errlen);
	if (!r)
		r = vmstore_lock(to, p->to, &p->lock_to, err, errlen);
	if (!r)
		r = vmstore_check_free(to, p->to, err, errlen);
	if (r)
		return r;
	r = vmdef_load_flags(p->from->def, VMDEF_NO_FILE_CHECK, &p->cfg, err, errlen);
	if (r == -ENOENT)
		vmstore_fail(err, errlen, r, "no VM named '%s' (no definition at %s)", from,
			     p->from->def);
	if (r)
		return r;
	vmstore_real_dir(p->from->data, p->real_from);
	snprintf(p->cfg.name, sizeof(p->cfg.name), "%s", to);
	return 0;
}

static void vmstore_pair_end(struct vmstore_pair *p)
{
	if (p->to)
		vmstore_unlock(p->to, p->lock_to);
	if (p->from)
		vmstore_unlock(p->from, p->lock_from);
	vmdef_free(&p->cfg);
	free(p->from);
	free(p->to);
}

int vmstore_clone(const char *src, const char *dst, unsigned int flags,
		  vmstore_progress_fn progress, void *ctx, char *err, size_t errlen)
{
	struct vmstore_pair p;
	char failed[PATH_MAX] = "";
	bool made_data = false;
	int r;

	r = vmstore_pair_begin(&p, "clone", src, dst, err, errlen);
	if (r)
		goto out;
	r = vmstore_mkdir_data(p.to->data, err, errlen);
	if (r)
		goto out;
	made_data = true;
	if (p.real_from[0]) {
		r = vmstore_copy_tree(p.real_from, p.to->data, progress, ctx, failed,
				      sizeof(failed));
		if (r) {
			vmstore_fail(err, errlen, r, "copying %s: %s", failed, strerror(-r));
			goto out;
		}
	}
	/* disks elsewhere first, while every path still names src's files */
	r = vmstore_clone_external(&p.cfg, src, p.real_from, p.to->data, flags, progress, ctx,
				   err, errlen);
	if (r)
		goto out;
	if (p.real_from[0] && vmstore_repoint_all(&p.cfg, p.real_from, p.to->data)) {
		r = vmstore_fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	/* last: the definition that makes dst exist */
	r = vmstore_write_new_def(p.to->def, &p.cfg, err, errlen);
out:
	if (r && made_data)
		vmstore_remove_tree(p.to->data);
	vmstore_pair_end(&p);
	return r;
}

/* --- rename ---------------------------------------------------------------------------- */

int vmstore_rename(const char *old, const char *new_name, char *err, size_t errlen)
{
	struct vmstore_pair p;
	bool moved_data = false, made_def = false;
	int r;

	r = vmstore_pair_begin(&p, "rename", old, new_name, err, errlen);
	if (r)
		goto out;
	if (p.real_from[0] && vmstore_repoint_all(&p.cfg, p.real_from, p.to->data)) {
		r = vmstore_fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	/* 1: the new definition */
	r = vmstore_write_new_def(p.to->def, &p.cfg, err, errlen);
	if (r)
		goto out;
	made_def = true;
	/* 2: the data directory, in one step */
	if (p.real_from[0]) {
		if (vmstore_mkdir_data(p.to->data, err, errlen) == 0)
			rmdir(p.to->data); /* the parents are there; rename needs no target */
		if (rename(p.from->data, p.to->data) < 0) {
			r = vmstore_fail(err, errlen, -errno, "moving %s to %s: %s", p.from->data,
					 p.to->data, strerror(errno));
			goto out;
		}
		moved_data = true;
	}
	/* 3: the old definition goes: now the VM is new_name */
	if (unlink(p.from->def) < 0) {
		r = vmstore_fail(err, errlen, -errno, "removing %s: %s", p.from->def,
				 strerror(errno));
		goto out;
	}
	vmstore_clean_runtime(p.from);
	rename(p.from->log, p.to->log); /* its history, when there is one */
out:
	if (r && moved_data)
		rename(p.to->data, p.from->data);
	if (r && made_def)
		unlink(p.to->def);
	vmstore_pair_end(&p);
	return r;
}
