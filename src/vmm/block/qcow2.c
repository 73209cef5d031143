/*
 * qcow2.c - the qcow2 backend (interim: the image format is recognised
 * and refused until the reader/writer lands in the next commits).
 */
#include "vmm/block/qcow2.h"

#include <errno.h>

#include "util/errmsg.h"

int qcow2_open(struct blk **out, const char *path, unsigned int flags,
	       struct blk_chain *chain, char *err, size_t errlen)
{
	(void)out;
	(void)flags;
	(void)chain;
	return errmsg_set(err, errlen, -ENOTSUP, path, "qcow2 images are not read yet");
}
