/*
 * virtio_blk.c - the virtio block device, virtio 1.2 section 5.2, over a
 * disk image of the block layer (raw or qcow2, vmm/block/blk.h): one request queue, VIRTIO_BLK_T_IN, OUT, FLUSH, GET_ID,
 * DISCARD and WRITE_ZEROES, with the features SEG_MAX, BLK_SIZE, FLUSH,
 * DISCARD, WRITE_ZEROES, and RO for read-only disks.  Not implemented
 * (and not offered): multiqueue, CONFIG_WCE, TOPOLOGY, GEOMETRY, secure
 * erase, lifetime, zoned devices; other request types answer
 * VIRTIO_BLK_S_UNSUPP.
 *
 * Backend: a struct blk, read and written with blk_preadv/blk_pwritev
 * straight into guest memory.  Cache mode is writeback with honest
 * flush: a completed write may still sit in the host page cache, and
 * VIRTIO_BLK_T_FLUSH returns OK only after blk_flush() made it durable
 * (qcow2 metadata in its safe order, then fdatasync), which is what the
 * driver assumes when FLUSH is offered without CONFIG_WCE (5.2.5,
 * 5.2.6.2).  DISCARD is blk_discard() (advisory: a range the format
 * cannot drop still succeeds); WRITE_ZEROES is blk_write_zeroes(),
 * unmapping when the driver allows it.
 *
 * Framing: the driver may split or merge the header, data and status
 * byte across descriptors any way it likes (VERSION_1 implies any
 * layout), so a request is read as byte streams: the first 16 readable
 * bytes are the header, the last writable byte is the status, the rest is
 * data.  A request whose shape does not fit its type - a short header,
 * readable data on a read, writable data on a write, a length that is not
 * whole sectors, sectors past the end - ends with VIRTIO_BLK_S_IOERR and
 * touches nothing; one with no writable byte for the status cannot be
 * answered and is returned unprocessed (used length 0).  The status byte
 * is written last, after the data.
 *
 * Threads: everything runs under the transport's lock, on the vCPU that
 * notified (synchronous I/O; virtio_pci.h says where an I/O thread would
 * go).
 */
#include "vmm/virtio/virtio_blk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "util/log.h"
#include "util/util.h"
#include "vmm/block/blk.h"
#include "vmm/device.h"
#include "vmm/machine.h"
#include "vmm/pci.h"
#include "vmm/virtio/virtio_pci.h"

#define PCI_CLASS_STORAGE_SCSI 0x010000   /* what virtio-blk has always used */

struct virtio_blk {
	struct virtio_pci *vp;
	struct blk *disk;
	bool ro;
	uint64_t capacity;                   /* sectors */
	uint32_t discard_align;              /* sectors */
	char serial[VIRTIO_BLK_ID_BYTES];    /* NUL-padded, not terminated */
	struct virtq_elem elem;              /* the request being served */
	struct iovec data[VIRTQ_MAX_SEGS];   /* its data part */
};

/* ---- backend ------------------------------------------------------------- */

/* One discard or write-zeroes segment, already checked. */
static int blk_zero_range(struct virtio_blk *b, uint32_t type, uint64_t sector,
			  uint32_t count, uint32_t flags)
{
	uint64_t off = sector * VIRTIO_BLK_SECTOR;
	uint64_t len = (uint64_t)count * VIRTIO_BLK_SECTOR;

	if (!count)
		return 0;
	if (type == VIRTIO_BLK_T_DISCARD)
		return blk_discard(b->disk, off, len);
	return blk_write_zeroes(b->disk, off, len, flags & VIRTIO_BLK_WZ_F_UNMAP);
}

/* ---- requests -------------------------------------------------------------- */

/* true when [sector, sector + bytes/512) lies inside the disk */
static bool blk_in_range(const struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
	return range_within(sector, bytes / VIRTIO_BLK_SECTOR, b->capacity);
}

static uint8_t blk_rw_req(struct virtio_blk *b, struct virtq_elem *e, bool write,
			  uint64_t sector)
{
	const struct iovec *in = e->iov + e->out_num;
	uint64_t len;
	int cnt, rc;

	if (write) {
		if (e->in_len != 1)   /* writable data on a write */
			return VIRTIO_BLK_S_IOERR;
		if (b->ro)
			return VIRTIO_BLK_S_IOERR;
		len = e->out_len - VIRTIO_BLK_HDR_SIZE;
	} else {
		if (e->out_len != VIRTIO_BLK_HDR_SIZE)   /* readable data on a read */
			return VIRTIO_BLK_S_IOERR;
		len = e->in_len - 1;
	}
	if (len % VIRTIO_BLK_SECTOR || !blk_in_range(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (!len)
		return VIRTIO_BLK_S_OK;
	if (write)
		cnt = virtq_iov_slice(e->iov, e->out_num, VIRTIO_BLK_HDR_SIZE, len,
				      b->data, VIRTQ_MAX_SEGS);
	else
		cnt = virtq_iov_slice(in, e->in_num, 0, len, b->data, VIRTQ_MAX_SEGS);
	if (cnt < 0)
		return VIRTIO_BLK_S_IOERR;
	rc = write ? blk_pwritev(b->disk, b->data, cnt, sector * VIRTIO_BLK_SECTOR)
		   : blk_preadv(b->disk, b->data, cnt, sector * VIRTIO_BLK_SECTOR);
	return rc < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/*
 * DISCARD and WRITE_ZEROES: every segment is checked before any is
 * carried out, so a bad request changes nothing.
 */
static uint8_t blk_zero_req(struct virtio_blk *b, struct virtq_elem *e, uint32_t type)
{
	uint64_t bytes = e->out_len - VIRTIO_BLK_HDR_SIZE;
	unsigned int nseg;
	uint8_t seg[VIRTIO_BLK_SEG_SIZE];

	if (b->ro || e->in_len != 1)
		return VIRTIO_BLK_S_IOERR;
	if (!bytes || bytes % VIRTIO_BLK_SEG_SIZE ||
	    bytes / VIRTIO_BLK_SEG_SIZE > VIRTIO_BLK_MAX_DISCARD_SEGS)
		return VIRTIO_BLK_S_IOERR;
	nseg = (unsigned int)(bytes / VIRTIO_BLK_SEG_SIZE);
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < nseg; i++) {
			virtq_iov_to_buf(e->iov, e->out_num,
					 VIRTIO_BLK_HDR_SIZE + i * VIRTIO_BLK_SEG_SIZE,
					 seg, sizeof(seg));
			uint64_t sector = get_le64(seg);
			uint32_t count = get_le32(seg + 8);
			uint32_t flags = get_le32(seg + 12);

			if (pass == 0) {
				if (flags & ~(uint32_t)VIRTIO_BLK_WZ_F_UNMAP)
					return VIRTIO_BLK_S_UNSUPP;
				if (type == VIRTIO_BLK_T_DISCARD && (flags & VIRTIO_BLK_WZ_F_UNMAP))
					return VIRTIO_BLK_S_UNSUPP;
				if (count > VIRTIO_BLK_MAX_DISCARD_SECTORS ||
				    !range_within(sector, count, b->capacity))
					return VIRTIO_BLK_S_IOERR;
			} else if (blk_zero_range(b, type, sector, count, flags) < 0) {
				return VIRTIO_BLK_S_IOERR;
			}
		}
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_get_id(struct virtio_blk *b, struct virtq_elem *e)
{
	const struct iovec *in = e->iov + e->out_num;
	uint64_t len = e->in_len - 1;
	uint8_t id[VIRTIO_BLK_ID_BYTES];

	if (!len)
		return VIRTIO_BLK_S_IOERR;
	memcpy(id, b->serial, sizeof(id));
	/* the whole data area: the ID, NUL-padded */
	for (uint64_t off = 0; off < len; off += sizeof(id)) {
		size_t k = (size_t)MIN(len - off, sizeof(id));
		virtq_iov_from_buf(in, e->in_num, off, id, k);
		memset(id, 0, sizeof(id));
	}
	return VIRTIO_BLK_S_OK;
}

/*
 * Serves one request; returns the used length to report (the bytes
 * written from the start of the writable part), or -1 when the request
 * has no status byte and can only be returned unprocessed.
 */
static int64_t blk_request(struct virtio_blk *b, struct virtq_elem *e)
{
	const struct iovec *in = e->iov + e->out_num;
	uint8_t hdr[VIRTIO_BLK_HDR_SIZE];
	uint8_t status;
	uint32_t type;
	uint64_t sector;
	bool wrote_all = false;

	if (e->in_len == 0)
		return -1;
	if (e->out_len < VIRTIO_BLK_HDR_SIZE) {
		status = VIRTIO_BLK_S_IOERR;
		goto done;
	}
	virtq_iov_to_buf(e->iov, e->out_num, 0, hdr, sizeof(hdr));
	type = get_le32(hdr);
	sector = get_le64(hdr + 8);
	switch (type) {
	case VIRTIO_BLK_T_IN:
		status = blk_rw_req(b, e, false, sector);
		wrote_all = status == VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_OUT:
		status = blk_rw_req(b, e, true, sector);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = blk_flush(b->disk) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		status = blk_get_id(b, e);
		wrote_all = status == VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = blk_zero_req(b, e, type);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
done:
	/* last: the status byte, once the data is in place */
	virtq_iov_from_buf(in, e->in_num, e->in_len - 1, &status, 1);
	if (wrote_all || e->in_len == 1)
		return (int64_t)MIN(e->in_len, UINT32_MAX);
	return 0;
}

static void blk_queue_notify(void *opaque, unsigned int idx)
{
	struct virtio_blk *b = opaque;
	struct virtq *vq = virtio_pci_queue(b->vp, idx);
	bool pushed = false;
	int r;

	while ((r = virtq_pop(vq, &b->elem)) != 0) {
		if (r == -EIO)
			break;          /* ring corrupt: the transport asks for a reset */
		pushed = true;
		if (r < 0)
			continue;       /* malformed chain, already returned */
		int64_t used = blk_request(b, &b->elem);
		virtq_push(vq, b->elem.head, used < 0 ? 0 : (uint32_t)used);
		if (used < 0)
			vq->dropped++;
	}
	if (pushed)
		virtio_pci_queue_done(b->vp, idx);
}

static void blk_config_read(void *opaque, unsigned int off, uint8_t *buf,
			    unsigned int len)
{
	struct virtio_blk *b = opaque;
	uint8_t cfg[VIRTIO_BLK_CFG_LEN];

	memset(cfg, 0, sizeof(cfg));
	put_le64(cfg + VIRTIO_BLK_CFG_CAPACITY, b->capacity);
	put_le32(cfg + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
	put_le32(cfg + VIRTIO_BLK_CFG_BLK_SIZE, VIRTIO_BLK_SECTOR);
	cfg[VIRTIO_BLK_CFG_WRITEBACK] = 1;
	put_le16(cfg + VIRTIO_BLK_CFG_NUM_QUEUES, 1);
	if (!b->ro) {
		put_le32(cfg + VIRTIO_BLK_CFG_MAX_DISCARD, VIRTIO_BLK_MAX_DISCARD_SECTORS);
		put_le32(cfg + VIRTIO_BLK_CFG_MAX_DISCARD_SEG, VIRTIO_BLK_MAX_DISCARD_SEGS);
		put_le32(cfg + VIRTIO_BLK_CFG_DISCARD_ALIGN, b->discard_align);
		put_le32(cfg + VIRTIO_BLK_CFG_MAX_WZ, VIRTIO_BLK_MAX_DISCARD_SECTORS);
		put_le32(cfg + VIRTIO_BLK_CFG_MAX_WZ_SEG, VIRTIO_BLK_MAX_DISCARD_SEGS);
		cfg[VIRTIO_BLK_CFG_WZ_MAY_UNMAP] = 1;
	}
	if (off < sizeof(cfg))
		memcpy(buf, cfg + off, MIN((size_t)len, sizeof(cfg) - off));
}

static int blk_snapshot_dev(void *opaque, struct snap *s)
{
	struct virtio_blk *b = opaque;
	uint32_t version = 1;
	uint64_t cap = b->capacity;

	/* no request is ever in flight between vCPU exits: only check the disk */
	snap_section(s, "virtio-blk", &version);
	snap_u64(s, &cap);
	if (snap_loading(s) && !snap_error(s) && cap != b->capacity)
		snap_fail(s, -EINVAL);
	return snap_error(s);
}

static const struct virtio_dev_ops blk_ops = {
	.queue_notify = blk_queue_notify,
	.config_read = blk_config_read,
	.snapshot = blk_snapshot_dev,
};

/* ---- creation ----------------------------------------------------------- */

static int blk_open_image(struct virtio_blk *b, const struct virtio_blk_params *p)
{
	char local[256];
	char *err = p->err ? p->err : local;
	size_t errlen = p->err ? p->errlen : sizeof(local);
	int rc = blk_open(&b->disk, p->path, p->format, b->ro ? BLK_O_RDONLY : 0, err, errlen);

	if (rc < 0)
		return rc;
	b->capacity = blk_size(b->disk) / VIRTIO_BLK_SECTOR;
	if (!b->capacity)
		return errmsg_set(err, errlen, -EINVAL, p->path,
				  "smaller than one 512-byte sector");
	/* qcow2 drops whole clusters, raw whole file system blocks: 4 KiB is a
	 * fair hint for both; smaller discards still succeed (advisory) */
	b->discard_align = 8;
	return 0;
}

int virtio_blk_create(const struct virtio_blk_params *p, struct virtio_blk **out)
{
	struct virtio_pci_params vpp = {
		.name = "virtio-blk",
		.device_id = VIRTIO_ID_BLOCK,
		.class_code = PCI_CLASS_STORAGE_SCSI,
		.num_queues = 1,
		.queue_size = VIRTIO_BLK_QUEUE_SIZE,
		.config_len = VIRTIO_BLK_CFG_LEN,
		.ops = &blk_ops,
		.mem = p->mem,
	};
	struct virtio_blk *b;
	int rc;

	*out = NULL;
	if (!p->path || !p->mem)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ro = p->readonly;
	if (p->serial)
		memcpy(b->serial, p->serial, strnlen(p->serial, sizeof(b->serial)));
	rc = blk_open_image(b, p);
	if (rc < 0)
		goto fail;
	vpp.features = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
		       VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	if (b->ro)
		vpp.features |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	else
		vpp.features |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |
				VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	vpp.opaque = b;
	rc = virtio_pci_create(&vpp, &b->vp);
	if (rc < 0)
		goto fail;
	*out = b;
	return 0;
fail:
	blk_close(b->disk);
	free(b);
	return rc;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	virtio_pci_destroy(b->vp);
	blk_close(b->disk);
	free(b);
}

struct virtio_pci *virtio_blk_transport(struct virtio_blk *b)
{
	return b->vp;
}

uint64_t virtio_blk_capacity(const struct virtio_blk *b)
{
	return b->capacity;
}

int virtio_blk_snapshot(struct virtio_blk *b, struct snap *s)
{
	return virtio_pci_snapshot(b->vp, s);
}

/* ---- machine glue ----------------------------------------------------------- */

/* The GET_ID string: the image's file name, in characters udev keeps. */
static void blk_serial_from_path(const char *path, char *out, size_t outlen)
{
	const char *base = strrchr(path, '/');
	size_t n = 0;

	base = base ? base + 1 : path;
	for (; *base && n + 1 < outlen; base++) {
		char c = *base;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
		out[n++] = ok ? c : '_';
	}
	out[n] = '\0';
}

static void blk_dev_teardown(void *dev)
{
	virtio_blk_destroy(dev);
}

static void blk_dev_reset(void *dev)
{
	struct virtio_blk *b = dev;
	virtio_pci_reset(b->vp);
}

static int blk_dev_snapshot(void *dev, struct snap *s)
{
	return virtio_blk_snapshot(dev, s);
}

static const struct device_desc virtio_blk_desc;

/*
 * One PCI function per `--disk ...,if=virtio`, in the order given, each
 * in the first free slot.  Errors are the -errno of the failing step
 * (open of the image, the PCI bus); the caller reports them.
 */
static int virtio_blk_setup(struct machine *m)
{
	const struct vm_config *cfg = machine_config(m);

	for (unsigned int i = 0; i < cfg->ndisks; i++) {
		const struct disk_config *d = &cfg->disks[i];
		char serial[VIRTIO_BLK_ID_BYTES + 1], err[512] = "";
		struct virtio_blk_params p = {
			.path = d->path,
			.format = d->format,
			.readonly = d->readonly,
			.serial = serial,
			.mem = machine_mem(m),
			.err = err,
			.errlen = sizeof(err),
		};
		struct pci_bus *bus = machine_pci_bus(m);
		struct virtio_blk *b;
		int rc;

		if (d->iface != DISK_IF_VIRTIO)
			continue;
		if (!bus)
			return -ENODEV;
		blk_serial_from_path(d->path, serial, sizeof(serial));
		rc = virtio_blk_create(&p, &b);
		if (rc < 0) {
			log_error("virtio-blk disk: %s", err[0] ? err : strerror(-rc));
			return rc;
		}
		/* attached first: from here on the machine's teardown frees it */
		rc = machine_attach(m, &virtio_blk_desc, b);
		if (rc < 0) {
			virtio_blk_destroy(b);
			return rc;
		}
		rc = pci_bus_add(bus, virtio_pci_dev(b->vp), -1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const struct device_desc virtio_blk_desc = {
	.name = "virtio-blk",
	.order = DEVICE_ORDER_DEV,
	.setup = virtio_blk_setup,
	.teardown = blk_dev_teardown,
	.reset = blk_dev_reset,
	.snapshot = blk_dev_snapshot,
};
DEVICE_DEFINE(virtio_blk_desc);
