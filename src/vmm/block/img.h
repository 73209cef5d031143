/*
 * img.h - disk image files as a user handles them: create, inspect, copy.
 *
 * What `ttyvm disk create|info|convert`, `ttyvm create` and the VM
 * creation wizard call (clones use img_copy(), linked clones img_create()
 * with a backing file).  Every function reports a failure as -errno plus
 * one line in err naming the file; none prints.  None ever overwrites or
 * truncates an existing file: new files are created with O_EXCL and a
 * partial file is removed on error.
 *
 * Progress: when progress is not NULL it is called with done <= total
 * (bytes of virtual disk) as the work advances, at least once at the end
 * with done == total; opaque is passed through.  Calls come from the
 * calling thread.
 */
#ifndef TTYVM_BLOCK_IMG_H
#define TTYVM_BLOCK_IMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/config.h"

typedef void (*img_progress_fn)(void *opaque, uint64_t done, uint64_t total);

#define IMG_QCOW2_DEFAULT_CLUSTER (64 * 1024)

/*
 * Creates a new image at path: fmt DISK_FMT_RAW (a sparse file of size
 * bytes) or DISK_FMT_QCOW2 (version 3, 64 KiB clusters, 16-bit
 * refcounts, i.e. what `qemu-img create -f qcow2` makes); DISK_FMT_AUTO
 * means qcow2.  size is rounded up to a multiple of 512.  backing (qcow2
 * only, NULL for none) is stored as given and, like qemu-img, a relative
 * name is relative to the directory of path; it must exist and its format
 * is probed and recorded; size 0 with a backing file takes the backing
 * file's size.
 *
 * 0, or -errno: -EEXIST when path exists (the file is left untouched),
 * -EINVAL for a size of 0 (without backing), one too large for the
 * format or a backing file on a raw image, the backing file's open error
 * (-ENOENT ...), or the error of a write (the partial file is removed).
 */
int img_create(const char *path, enum disk_format fmt, uint64_t size, const char *backing,
	       img_progress_fn progress, void *opaque, char *err, size_t errlen);

/* All the knobs of img_create(); zero fields take the defaults above. */
struct img_create_opts {
	enum disk_format fmt;
	uint64_t size;
	const char *backing;
	enum disk_format backing_fmt;  /* AUTO: probe the backing file */
	uint32_t cluster_size;         /* qcow2: a power of two, 512 .. 2 MiB */
	unsigned int qcow2_version;    /* 2 (compat=0.10) or 3 (compat=1.1, default) */
	img_progress_fn progress;
	void *opaque;
};

/* img_create() with every option; same contract. */
int img_create_ex(const char *path, const struct img_create_opts *o, char *err,
		  size_t errlen);

/* What img_info() reports about an image (strings owned by the struct). */
struct img_info {
	enum disk_format format;       /* RAW or QCOW2 */
	uint64_t virtual_size;         /* bytes the guest sees */
	uint64_t file_size;            /* length of the image file */
	uint64_t actual_size;          /* bytes allocated on the host file system */
	char *backing;                 /* backing file as stored, NULL: none */
	char *backing_path;            /* ... resolved against the image's directory */
	enum disk_format backing_fmt;  /* as recorded in the image; AUTO: not recorded */
	/* qcow2 only (0 / false for raw) */
	unsigned int qcow2_version;    /* 2 or 3 */
	uint32_t cluster_size;
	unsigned int refcount_bits;
	unsigned int snapshots;        /* internal snapshots */
	bool dirty;                    /* incompatible bit 0 */
	bool corrupt;                  /* incompatible bit 1 */
	bool compressed_clusters_ok;   /* zlib (the only compression ttyvm reads) */
};

/*
 * Describes the image at path (fmt AUTO probes).  Opens it read-only and
 * without a lock (so it works on the disk of a running VM) and does not
 * open the backing file.  0 and *out (release with img_info_free()), or
 * -errno with err set as blk_open() does.
 */
int img_info(const char *path, enum disk_format fmt, struct img_info *out, char *err,
	     size_t errlen);
void img_info_free(struct img_info *info);

/*
 * Copies the disk content of src (fmt src_fmt, AUTO probes; its backing
 * chain flattened into the copy) into a new image dst of format dst_fmt
 * (AUTO: the source's format) of the same virtual size.  Sparse-aware:
 * holes, zero clusters and all-zero blocks of the source are left
 * unallocated in dst.  dst must not exist (-EEXIST, untouched); on any
 * error the partial dst is removed.  dst is flushed before success.
 */
int img_copy(const char *src, enum disk_format src_fmt, const char *dst,
	     enum disk_format dst_fmt, img_progress_fn progress, void *opaque, char *err,
	     size_t errlen);

#endif
