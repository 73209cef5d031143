/*
 * img_create.c - new disk images (img.h): a sparse raw file, or an empty
 * qcow2 (QEMU docs/interop/qcow2.txt) with optional backing file.
 *
 * A new qcow2 is laid out as qemu-img lays it out: the header cluster,
 * the refcount table, the refcount blocks that count the metadata
 * clusters, then the L1 table (all zero: nothing allocated), each cluster
 * with refcount 1, so `qemu-img check` finds it consistent.  Version 3
 * (compat=1.1) by default with 16-bit refcounts and no feature bits;
 * version 2 (compat=0.10) on request.  The backing file must exist: its
 * format is probed and recorded in the backing format extension, and its
 * size is the default virtual size.
 *
 * Safety: the file is created with O_EXCL, so an existing file is never
 * touched; after that any failure removes what was written.  Success
 * means the file and its directory entry are on stable storage.
 */
#include "vmm/block/img.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errmsg.h"
#include "util/util.h"
#include "vmm/block/blk.h"
#include "vmm/block/qcow2.h"

/* Where a new qcow2's metadata goes, in clusters. */
struct qcow2_layout {
	uint64_t rt_clusters, rb_clusters, l1_clusters, total;
};

static void qcow2_layout_for(uint64_t l1_entries, unsigned int cluster_bits,
			     unsigned int refcount_order, struct qcow2_layout *l)
{
	uint64_t cs = 1ULL << cluster_bits;
	uint64_t rb_entries = cs * 8 >> refcount_order;

	l->l1_clusters = ALIGN_UP(l1_entries * 8, cs) / cs;
	l->rt_clusters = 1;
	l->rb_clusters = 1;
	/* grow until the refcount blocks count everything, themselves included */
	for (;;) {
		uint64_t total = 1 + l->rt_clusters + l->rb_clusters + l->l1_clusters;
		uint64_t rb = (total + rb_entries - 1) / rb_entries;
		uint64_t rt = ALIGN_UP(rb * 8, cs) / cs;
		if (rb == l->rb_clusters && rt == l->rt_clusters) {
			l->total = total;
			return;
		}
		l->rb_clusters = MAX(rb, l->rb_clusters);
		l->rt_clusters = MAX(rt, l->rt_clusters);
	}
}

/* Writes the metadata of an empty qcow2 into fd (a new, empty file). */
static int qcow2_create_write(int fd, const struct qcow2_header *h_in, uint64_t l1_entries)
{
	struct qcow2_header h = *h_in;
	struct qcow2_layout l;
	uint64_t cs = 1ULL << h.cluster_bits;
	uint64_t rb_entries = cs * 8 >> h.refcount_order;
	uint8_t *buf;
	int rc;

	qcow2_layout_for(l1_entries, h.cluster_bits, h.refcount_order, &l);
	h.rt_offset = cs;
	h.rt_clusters = (uint32_t)l.rt_clusters;
	h.l1_offset = (1 + l.rt_clusters + l.rb_clusters) * cs;
	h.l1_size = (uint32_t)l1_entries;
	buf = calloc(1, cs);
	if (!buf)
		return -ENOMEM;
	rc = qcow2_header_build(&h, buf, cs);
	if (rc == 0)
		rc = blk_fd_pwrite(fd, buf, cs, 0);
	/* the refcount table: one entry per refcount block */
	for (uint64_t c = 0; rc == 0 && c < l.rt_clusters; c++) {
		memset(buf, 0, cs);
		for (uint64_t i = 0; i < cs / 8; i++) {
			uint64_t blk = c * (cs / 8) + i;
			if (blk < l.rb_clusters)
				qcow2_put_be64(buf + i * 8, (1 + l.rt_clusters + blk) * cs);
		}
		rc = blk_fd_pwrite(fd, buf, cs, (1 + c) * cs);
	}
	/* the refcount blocks: refcount 1 for every metadata cluster */
	for (uint64_t b = 0; rc == 0 && b < l.rb_clusters; b++) {
		memset(buf, 0, cs);
		for (uint64_t i = 0; i < rb_entries; i++)
			if (b * rb_entries + i < l.total)
				qcow2_rc_set(buf, i, h.refcount_order, 1);
		rc = blk_fd_pwrite(fd, buf, cs, (1 + l.rt_clusters + b) * cs);
	}
	free(buf);
	/* the L1 table is all zeros: extend the file over it */
	if (rc == 0 && ftruncate(fd, (off_t)(l.total * cs)) < 0)
		rc = -errno;
	return rc;
}

/* The options checked and completed: size, backing format. */
static int img_create_prepare(const char *path, struct img_create_opts *o,
			      struct qcow2_header *h, char *err, size_t errlen)
{
	if (o->fmt == DISK_FMT_AUTO)
		o->fmt = DISK_FMT_QCOW2;
	if (o->backing && o->fmt != DISK_FMT_QCOW2)
		return errmsg_set(err, errlen, -EINVAL, path,
				  "a raw image cannot have a backing file (use qcow2)");
	if (o->backing) {
		char *bpath = qcow2_backing_path(path, o->backing);
		struct blk *b;
		int rc;

		if (!bpath)
			return errmsg_set(err, errlen, -ENOMEM, path, "out of memory");
		if (strlen(o->backing) > QCOW2_MAX_BACKING_NAME) {
			free(bpath);
			return errmsg_set(err, errlen, -ENAMETOOLONG, path,
					  "backing file name longer than %d bytes",
					  QCOW2_MAX_BACKING_NAME);
		}
		rc = blk_open(&b, bpath, o->backing_fmt, BLK_O_RDONLY | BLK_O_NOLOCK, err, errlen);
		if (rc < 0) {
			char inner[512];
			snprintf(inner, sizeof(inner), "%s", err ? err : "");
			errmsg_set(err, errlen, rc, path, "backing file %s: %s", o->backing,
				   inner[0] ? inner : strerror(-rc));
			free(bpath);
			return rc;
		}
		free(bpath);
		if (!o->size)
			o->size = blk_size(b);
		snprintf(h->backing, sizeof(h->backing), "%s", o->backing);
		snprintf(h->backing_fmt, sizeof(h->backing_fmt), "%s",
			 disk_format_name(blk_format(b)));
		blk_close(b);
	}
	if (o->size == 0)
		return errmsg_set(err, errlen, -EINVAL, path, "the size must be more than 0 bytes");
	if (o->size > (uint64_t)INT64_MAX - BLK_SECTOR)
		return errmsg_set(err, errlen, -EINVAL, path, "size too large");
	o->size = ALIGN_UP(o->size, BLK_SECTOR);
	if (o->fmt != DISK_FMT_QCOW2)
		return 0;
	if (!o->cluster_size)
		o->cluster_size = IMG_QCOW2_DEFAULT_CLUSTER;
	if (!o->qcow2_version)
		o->qcow2_version = 3;
	if (o->cluster_size & (o->cluster_size - 1) || o->cluster_size < 512 ||
	    o->cluster_size > (1u << QCOW2_MAX_CLUSTER_BITS))
		return errmsg_set(err, errlen, -EINVAL, path,
				  "cluster size %u is not a power of two from 512 to 2M",
				  o->cluster_size);
	if (o->qcow2_version != 2 && o->qcow2_version != 3)
		return errmsg_set(err, errlen, -EINVAL, path,
				  "qcow2 version %u: expected 2 (compat=0.10) or 3 (compat=1.1)",
				  o->qcow2_version);
	h->version = o->qcow2_version;
	h->cluster_bits = (uint32_t)__builtin_ctz(o->cluster_size);
	h->size = o->size;
	h->refcount_order = 4;
	if (qcow2_l1_entries_for(o->size, h->cluster_bits) * 8 > QCOW2_MAX_L1_BYTES)
		return errmsg_set(err, errlen, -EINVAL, path,
				  "%llu bytes is too large for %u-byte clusters (use larger "
				  "clusters)", (unsigned long long)o->size, o->cluster_size);
	return 0;
}

/* Makes the new directory entry durable too (best effort). */
static void img_sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash == path ? 1 : slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int img_create_ex(const char *path, const struct img_create_opts *opts, char *err,
		  size_t errlen)
{
	struct img_create_opts o = *opts;
	struct qcow2_header h;
	int fd, rc;

	if (err && errlen)
		err[0] = '\0';
	memset(&h, 0, sizeof(h));
	if (!path || !*path)
		return errmsg_set(err, errlen, -EINVAL, NULL, "no image file given");
	/* refuse early, before opening any backing file */
	if (access(path, F_OK) == 0)
		return errmsg_set(err, errlen, -EEXIST, path,
				  "already exists (refusing to overwrite it)");
	rc = img_create_prepare(path, &o, &h, err, errlen);
	if (rc < 0)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0)
		return errmsg_set(err, errlen, -errno, path, "%s%s", strerror(errno),
				  errno == EEXIST ? " (refusing to overwrite it)" : "");
	if (o.fmt == DISK_FMT_QCOW2)
		rc = qcow2_create_write(fd, &h, qcow2_l1_entries_for(o.size, h.cluster_bits));
	else if (ftruncate(fd, (off_t)o.size) < 0)
		rc = -errno;
	if (rc == 0)
		rc = blk_fd_sync(fd);
	close(fd);
	if (rc < 0) {
		unlink(path);
		return errmsg_set(err, errlen, rc, path, "writing the new image: %s",
				  strerror(-rc));
	}
	img_sync_dir(path);
	if (o.progress)
		o.progress(o.opaque, o.size, o.size);
	return 0;
}

int img_create(const char *path, enum disk_format fmt, uint64_t size, const char *backing,
	       img_progress_fn progress, void *opaque, char *err, size_t errlen)
{
	struct img_create_opts o = {
		.fmt = fmt, .size = size, .backing = backing,
		.progress = progress, .opaque = opaque,
	};
	return img_create_ex(path, &o, err, errlen);
}
