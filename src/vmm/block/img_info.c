/*
 * img_info.c - what an image is (img.h img_info()): format, virtual and
 * file sizes, space used, backing file, and the qcow2 header's facts.
 *
 * The image is opened read-only, without a lock (so `ttyvm disk info`
 * works on the disk of a running VM) and without its backing file (a
 * missing backing file is worth showing, not an error).  Everything
 * comes from blk_open()'s checked header; nothing here parses the file.
 */
#include "vmm/block/img.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/errmsg.h"
#include "vmm/block/blk_priv.h"
#include "vmm/block/qcow2.h"

int img_info(const char *path, enum disk_format fmt, struct img_info *out, char *err,
	     size_t errlen)
{
	struct blk *b;
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = blk_open_chain(&b, path, fmt, BLK_O_RDONLY | BLK_O_NOLOCK | BLK_O_NOBACKING, NULL,
			    err, errlen);
	if (rc < 0)
		return rc;
	out->format = blk_format(b);
	out->virtual_size = blk_size(b);
	if (stat(path, &st) == 0) {
		out->file_size = (uint64_t)st.st_size;
		out->actual_size = (uint64_t)st.st_blocks * 512;
	}
	out->backing_fmt = DISK_FMT_AUTO;
	if (out->format == DISK_FMT_QCOW2) {
		const struct qcow2_header *h = &qcow2_of(b)->h;

		out->qcow2_version = h->version;
		out->cluster_size = 1u << h->cluster_bits;
		out->refcount_bits = 1u << h->refcount_order;
		out->snapshots = h->nb_snapshots;
		out->dirty = h->incompat & QCOW2_INCOMPAT_DIRTY;
		out->corrupt = h->incompat & QCOW2_INCOMPAT_CORRUPT;
		out->compressed_clusters_ok = h->compression_type == 0;
		if (h->backing[0]) {
			out->backing = strdup(h->backing);
			out->backing_path = qcow2_backing_path(path, h->backing);
			if (h->backing_fmt[0])
				disk_format_parse(h->backing_fmt, &out->backing_fmt);
			if (!out->backing || !out->backing_path) {
				blk_close(b);
				img_info_free(out);
				return errmsg_set(err, errlen, -ENOMEM, path, "out of memory");
			}
		}
	}
	blk_close(b);
	return 0;
}

void img_info_free(struct img_info *info)
{
	free(info->backing);
	free(info->backing_path);
	info->backing = info->backing_path = NULL;
}
