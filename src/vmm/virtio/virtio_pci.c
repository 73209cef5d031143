/*
 * virtio_pci.c - the virtio PCI transport, modern interface only (virtio
 * 1.2, section 4.1): a non-transitional device (ID 0x1040 + type,
 * revision 1) that requires VIRTIO_F_VERSION_1, with the common
 * configuration (4.1.4.3), notification (4.1.4.4, notify_off_multiplier
 * 4), ISR (4.1.4.5), device configuration (4.1.4.6) and PCI configuration
 * access (4.1.4.9) capabilities, all pointing into one 64-bit memory BAR
 * that also carries the MSI-X table and PBA.  Device status and reset
 * follow 2.1 and 3.1, feature negotiation 2.2 and 3.1.1, queue
 * configuration 4.1.5.1.3, interrupts 4.1.5.3 and 4.1.5.4.
 *
 * Left to others: the ring format (virtqueue.c), what requests mean (one
 * file per device type), config space semantics (bus, pci.c), MSI-X table
 * and message delivery (pci_msix_*).  No legacy (0.9.5) interface, no
 * packed rings, no VIRTIO_F_NOTIFICATION_DATA or RING_RESET.
 *
 * Choices where the spec leaves room:
 * - Device status only gains bits until a write of 0 resets it; drivers
 *   do read-modify-write, and a driver may not clear bits (2.1.1).
 *   NEEDS_RESET belongs to the device.  FEATURES_OK is dropped from a
 *   write when the driver accepted bits that were not offered, left out
 *   VERSION_1 or the device type refuses the set; DRIVER_OK is dropped
 *   while FEATURES_OK is not set.
 * - queue_size, queue addresses and the driver's feature bits are
 *   writable only until the queue is enabled / FEATURES_OK is set.  A
 *   queue whose size is not a power of two (or 0, or above the maximum),
 *   whose rings are misaligned or outside guest RAM is not enabled:
 *   queue_enable keeps reading 0.
 * - MSI-X vector registers read back VIRTIO_MSI_NO_VECTOR when the driver
 *   names a vector the device does not have (4.1.5.1.2.1).
 * - The BAR is not prefetchable (reading ISR clears it), so firmware
 *   places it below 4 GiB where a 32-bit BIOS can reach it directly.
 */
#include "vmm/virtio/virtio_pci.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define PCI_CLASS_OTHER 0xFF0000

struct vp_queue {
	struct virtq vq;
	uint16_t vector;
};

struct virtio_pci {
	struct pci_dev pci;            /* first: the bus sees only this */
	pthread_mutex_t lock;
	struct virtio_pci_params p;
	unsigned int nvec;
	uint8_t pcicfg_cap;            /* offset of the PCI_CFG capability, 0 none */

	uint64_t device_features;
	uint64_t driver_features;
	uint32_t dfselect, gfselect;
	uint8_t status;
	uint8_t generation;
	uint16_t config_vector;
	uint16_t queue_select;
	uint8_t isr;
	int intx;                      /* level we last drove */

	struct vp_queue *q;
};

/* ---- interrupts -------------------------------------------------------- */

static void vp_set_intx(struct virtio_pci *vp, int level)
{
	if (level != vp->intx) {
		vp->intx = level;
		pci_intx(&vp->pci, level);
	}
}

/* One event for the driver: its MSI-X vector, or the ISR bit and INTx. */
static void vp_irq(struct virtio_pci *vp, uint16_t vector, uint8_t isr_bit)
{
	if (pci_msix_enabled(&vp->pci)) {
		vp_set_intx(vp, 0);
		if (vector != VIRTIO_MSI_NO_VECTOR)
			pci_msix_notify(&vp->pci, vector);
		return;
	}
	vp->isr |= isr_bit;
	vp_set_intx(vp, 1);
}

void virtio_pci_queue_done(struct virtio_pci *vp, unsigned int idx)
{
	struct vp_queue *q;

	if (idx >= vp->p.num_queues)
		return;
	q = &vp->q[idx];
	if (virtq_needs_interrupt(&q->vq))
		vp_irq(vp, q->vector, VIRTIO_ISR_QUEUE);
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	vp->generation++;
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		vp_irq(vp, vp->config_vector, VIRTIO_ISR_CONFIG);
}

void virtio_pci_needs_reset(struct virtio_pci *vp)
{
	if (vp->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		vp_irq(vp, vp->config_vector, VIRTIO_ISR_CONFIG);
}

/* ---- state machine ------------------------------------------------------ */

bool virtio_pci_queue_ready(struct virtio_pci *vp, unsigned int idx)
{
	return idx < vp->p.num_queues &&
	       (vp->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(vp->status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)) &&
	       vp->q[idx].vq.enabled && !vp->q[idx].vq.broken;
}

/* Lets the device type work on queue idx; a corrupt ring needs a reset. */
static void vp_kick(struct virtio_pci *vp, unsigned int idx)
{
	if (!virtio_pci_queue_ready(vp, idx))
		return;
	vp->p.ops->queue_notify(vp->p.opaque, idx);
	if (vp->q[idx].vq.broken)
		virtio_pci_needs_reset(vp);
}

static void vp_reset_locked(struct virtio_pci *vp)
{
	vp->status = 0;
	vp->driver_features = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->config_vector = VIRTIO_MSI_NO_VECTOR;
	vp->queue_select = 0;
	vp->isr = 0;
	vp_set_intx(vp, 0);
	for (unsigned int i = 0; i < vp->p.num_queues; i++) {
		virtq_reset(&vp->q[i].vq);
		vp->q[i].vector = VIRTIO_MSI_NO_VECTOR;
	}
	if (vp->p.ops->reset)
		vp->p.ops->reset(vp->p.opaque);
}

void virtio_pci_reset(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	vp_reset_locked(vp);
	pthread_mutex_unlock(&vp->lock);
}

static void vp_apply_ring_features(struct virtio_pci *vp, struct virtq *vq)
{
	virtq_set_features(vq, vp->driver_features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
			   vp->driver_features & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
}

static bool vp_features_acceptable(struct virtio_pci *vp)
{
	uint64_t f = vp->driver_features;

	if (f & ~vp->device_features)
		return false;
	if (!(f & VIRTIO_BIT(VIRTIO_F_VERSION_1)))
		return false;
	return !vp->p.ops->features_ok || vp->p.ops->features_ok(vp->p.opaque, f);
}

static void vp_status_write(struct virtio_pci *vp, uint8_t val)
{
	uint8_t old = vp->status, st;

	if (val == 0) {
		vp_reset_locked(vp);
		return;
	}
	st = (uint8_t)(old | (val & ~VIRTIO_STATUS_NEEDS_RESET));
	if ((st & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
		if (vp_features_acceptable(vp)) {
			for (unsigned int i = 0; i < vp->p.num_queues; i++)
				vp_apply_ring_features(vp, &vp->q[i].vq);
		} else {
			st &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
		}
	}
	if (!(st & VIRTIO_STATUS_FEATURES_OK))
		st &= (uint8_t)~VIRTIO_STATUS_DRIVER_OK;
	vp->status = st;
	if ((st & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
		if (vp->p.ops->driver_ok)
			vp->p.ops->driver_ok(vp->p.opaque);
		/* buffers made available before DRIVER_OK (3.1.1 step 8) */
		for (unsigned int i = 0; i < vp->p.num_queues; i++)
			if (virtq_has_work(&vp->q[i].vq))
				vp_kick(vp, i);
	}
}

/* ---- common configuration ---------------------------------------------- */

static struct vp_queue *vp_selected(struct virtio_pci *vp)
{
	return vp->queue_select < vp->p.num_queues ? &vp->q[vp->queue_select] : NULL;
}

static uint16_t vp_vector(const struct virtio_pci *vp, uint64_t v)
{
	return v < vp->nvec ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

/* The structure as the driver would see it now; reads take bytes from it. */
static void vp_common_image(struct virtio_pci *vp, uint8_t *img)
{
	struct vp_queue *q = vp_selected(vp);

	memset(img, 0, VIRTIO_PCI_COMMON_LEN);
	put_le32(img + VIRTIO_PCI_COMMON_DFSELECT, vp->dfselect);
	if (vp->dfselect < 2)
		put_le32(img + VIRTIO_PCI_COMMON_DF,
			 (uint32_t)(vp->device_features >> (32 * vp->dfselect)));
	put_le32(img + VIRTIO_PCI_COMMON_GFSELECT, vp->gfselect);
	if (vp->gfselect < 2)
		put_le32(img + VIRTIO_PCI_COMMON_GF,
			 (uint32_t)(vp->driver_features >> (32 * vp->gfselect)));
	put_le16(img + VIRTIO_PCI_COMMON_MSIX, vp->config_vector);
	put_le16(img + VIRTIO_PCI_COMMON_NUMQ, (uint16_t)vp->p.num_queues);
	img[VIRTIO_PCI_COMMON_STATUS] = vp->status;
	img[VIRTIO_PCI_COMMON_CFGGEN] = vp->generation;
	put_le16(img + VIRTIO_PCI_COMMON_Q_SELECT, vp->queue_select);
	if (!q) {
		/* queue_size 0: no such queue (4.1.4.3) */
		put_le16(img + VIRTIO_PCI_COMMON_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
		return;
	}
	put_le16(img + VIRTIO_PCI_COMMON_Q_SIZE, q->vq.size);
	put_le16(img + VIRTIO_PCI_COMMON_Q_MSIX, q->vector);
	put_le16(img + VIRTIO_PCI_COMMON_Q_ENABLE, q->vq.enabled);
	put_le16(img + VIRTIO_PCI_COMMON_Q_NOFF, vp->queue_select);
	put_le64(img + VIRTIO_PCI_COMMON_Q_DESCLO, q->vq.desc_gpa);
	put_le64(img + VIRTIO_PCI_COMMON_Q_AVAILLO, q->vq.avail_gpa);
	put_le64(img + VIRTIO_PCI_COMMON_Q_USEDLO, q->vq.used_gpa);
}

static uint64_t vp_common_read(struct virtio_pci *vp, uint64_t off, unsigned int size)
{
	uint8_t img[VIRTIO_PCI_COMMON_LEN];
	uint64_t v = 0;

	vp_common_image(vp, img);
	for (unsigned int i = 0; i < size; i++)
		if (off + i < VIRTIO_PCI_COMMON_LEN)
			v |= (uint64_t)img[off + i] << (8 * i);
	return v;
}

/* Writes one half (or, size 8, all) of a 64-bit queue address. */
static void vp_set_addr(uint64_t *addr, uint64_t off_in_field, unsigned int size,
			uint64_t val)
{
	if (size == 8 && off_in_field == 0)
		*addr = val;
	else if (size == 4 && off_in_field == 0)
		*addr = (*addr & 0xFFFFFFFF00000000ULL) | (uint32_t)val;
	else if (size == 4 && off_in_field == 4)
		*addr = (*addr & 0xFFFFFFFFULL) | ((uint64_t)(uint32_t)val << 32);
}

static void vp_queue_enable(struct virtio_pci *vp, struct vp_queue *q, uint64_t val)
{
	/* Writing 0 is not allowed to the driver (4.1.4.3.2): ignored. */
	if (val != 1 || q->vq.enabled)
		return;
	vp_apply_ring_features(vp, &q->vq);
	(void)virtq_enable(&q->vq);   /* refused: queue_enable stays 0 */
}

static void vp_common_write(struct virtio_pci *vp, uint64_t off, unsigned int size,
			    uint64_t val)
{
	struct vp_queue *q = vp_selected(vp);
	bool q_open = q && !q->vq.enabled;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		if (size == 4)
			vp->dfselect = (uint32_t)val;
		return;
	case VIRTIO_PCI_COMMON_GFSELECT:
		if (size == 4)
			vp->gfselect = (uint32_t)val;
		return;
	case VIRTIO_PCI_COMMON_GF:
		if (size == 4 && vp->gfselect < 2 &&
		    !(vp->status & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned int sh = 32 * vp->gfselect;
			vp->driver_features &= ~(0xFFFFFFFFULL << sh);
			vp->driver_features |= (uint64_t)(uint32_t)val << sh;
		}
		return;
	case VIRTIO_PCI_COMMON_MSIX:
		if (size == 2)
			vp->config_vector = vp_vector(vp, val);
		return;
	case VIRTIO_PCI_COMMON_STATUS:
		if (size == 1)
			vp_status_write(vp, (uint8_t)val);
		return;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		if (size == 2)
			vp->queue_select = (uint16_t)val;
		return;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (size == 2 && q_open)
			q->vq.size = (uint16_t)val;
		return;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (size == 2 && q)
			q->vector = vp_vector(vp, val);
		return;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (size == 2 && q)
			vp_queue_enable(vp, q, val);
		return;
	}
	if (!q_open)
		return;
	if (off >= VIRTIO_PCI_COMMON_Q_DESCLO && off < VIRTIO_PCI_COMMON_Q_AVAILLO)
		vp_set_addr(&q->vq.desc_gpa, off - VIRTIO_PCI_COMMON_Q_DESCLO, size, val);
	else if (off >= VIRTIO_PCI_COMMON_Q_AVAILLO && off < VIRTIO_PCI_COMMON_Q_USEDLO)
		vp_set_addr(&q->vq.avail_gpa, off - VIRTIO_PCI_COMMON_Q_AVAILLO, size, val);
	else if (off >= VIRTIO_PCI_COMMON_Q_USEDLO && off < VIRTIO_PCI_COMMON_LEN)
		vp_set_addr(&q->vq.used_gpa, off - VIRTIO_PCI_COMMON_Q_USEDLO, size, val);
}

/* ---- BAR dispatch -------------------------------------------------------- */

static uint64_t vp_devcfg_read(struct virtio_pci *vp, uint64_t off, unsigned int size)
{
	uint8_t buf[8] = { 0 };

	if (off >= vp->p.config_len)
		return 0;
	size = (unsigned int)MIN((uint64_t)size, vp->p.config_len - off);
	vp->p.ops->config_read(vp->p.opaque, (unsigned int)off, buf, size);
	return get_le64(buf);
}

static void vp_devcfg_write(struct virtio_pci *vp, uint64_t off, unsigned int size,
			    uint64_t val)
{
	uint8_t buf[8];

	if (off >= vp->p.config_len || !vp->p.ops->config_write)
		return;
	size = (unsigned int)MIN((uint64_t)size, vp->p.config_len - off);
	put_le64(buf, val);
	vp->p.ops->config_write(vp->p.opaque, (unsigned int)off, buf, size);
}

/* ack: a read of ISR acknowledges it (false for the config window's prefetch) */
static uint64_t vp_read_locked(struct virtio_pci *vp, uint64_t off, unsigned int size,
			       bool ack)
{
	if (off < VIRTIO_PCI_ISR_OFF)
		return vp_common_read(vp, off - VIRTIO_PCI_COMMON_OFF, size);
	if (off < VIRTIO_PCI_DEVCFG_OFF) {
		uint8_t v;

		if (off != VIRTIO_PCI_ISR_OFF)
			return 0;
		/* reading acknowledges: clears the byte and lowers INTx */
		v = vp->isr;
		if (ack) {
			vp->isr = 0;
			vp_set_intx(vp, 0);
		}
		return v;
	}
	if (off < VIRTIO_PCI_NOTIFY_OFF)
		return vp_devcfg_read(vp, off - VIRTIO_PCI_DEVCFG_OFF, size);
	return 0;   /* notify registers read as 0 */
}

static void vp_write_locked(struct virtio_pci *vp, uint64_t off, unsigned int size,
			    uint64_t val)
{
	if (off < VIRTIO_PCI_ISR_OFF) {
		vp_common_write(vp, off - VIRTIO_PCI_COMMON_OFF, size, val);
	} else if (off < VIRTIO_PCI_DEVCFG_OFF) {
		/* ISR is read-only */
	} else if (off < VIRTIO_PCI_NOTIFY_OFF) {
		vp_devcfg_write(vp, off - VIRTIO_PCI_DEVCFG_OFF, size, val);
	} else {
		uint64_t n = off - VIRTIO_PCI_NOTIFY_OFF;

		if (n % VIRTIO_PCI_NOTIFY_MULT == 0 &&
		    n / VIRTIO_PCI_NOTIFY_MULT < vp->p.num_queues)
			vp_kick(vp, (unsigned int)(n / VIRTIO_PCI_NOTIFY_MULT));
	}
}

static bool vp_access_ok(uint64_t off, unsigned int size)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) &&
	       off < VIRTIO_PCI_BAR_SIZE;
}

uint64_t virtio_pci_bar_read(struct virtio_pci *vp, uint64_t off, unsigned int size)
{
	uint64_t v;

	if (!vp_access_ok(off, size))
		return 0;
	if (off >= VIRTIO_PCI_MSIX_TABLE_OFF)
		return pci_msix_read(&vp->pci, off, size);
	pthread_mutex_lock(&vp->lock);
	v = vp_read_locked(vp, off, size, true);
	pthread_mutex_unlock(&vp->lock);
	return v;
}

void virtio_pci_bar_write(struct virtio_pci *vp, uint64_t off, unsigned int size,
			  uint64_t val)
{
	if (!vp_access_ok(off, size))
		return;
	if (off >= VIRTIO_PCI_MSIX_TABLE_OFF) {
		pci_msix_write(&vp->pci, off, size, val);
		return;
	}
	pthread_mutex_lock(&vp->lock);
	vp_write_locked(vp, off, size, val);
	pthread_mutex_unlock(&vp->lock);
}

static uint64_t vp_trap_read(void *opaque, uint64_t off, unsigned int size)
{
	return virtio_pci_bar_read(opaque, off, size);
}

static void vp_trap_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	virtio_pci_bar_write(opaque, off, size, val);
}

static const struct trap_ops vp_bar_ops = {
	.read = vp_trap_read,
	.write = vp_trap_write,
};

/* ---- PCI configuration access window (4.1.4.9) --------------------------- */

#define PCICFG_BAR    4
#define PCICFG_OFFSET 8
#define PCICFG_LENGTH 12
#define PCICFG_DATA   16
#define PCICFG_CAPLEN 20

/*
 * The window lets a driver that cannot reach the BAR (a 32-bit BIOS with
 * the BAR above 4 GiB) use config cycles.  The bus has no read hook, so a
 * read is performed when the driver sets up the window (writes bar,
 * offset or length; SeaBIOS rewrites them for every access) and its
 * result waits in pci_cfg_data; a write of pci_cfg_data is performed at
 * once.  Such a prefetch does not acknowledge ISR (it may happen for a
 * window the driver is only half-way setting up); the MSI-X table is not
 * reachable this way.
 */
static void vp_cfg_write(struct pci_dev *d, unsigned int off, unsigned int size,
			 uint32_t val)
{
	struct virtio_pci *vp = d->opaque;
	unsigned int c = vp->pcicfg_cap;
	uint32_t boff, blen;
	(void)val;

	if (!c || off + size <= c + PCICFG_BAR || off >= c + PCICFG_CAPLEN)
		return;
	boff = get_le32(d->cfg + c + PCICFG_OFFSET);
	blen = get_le32(d->cfg + c + PCICFG_LENGTH);
	if (d->cfg[c + PCICFG_BAR] != VIRTIO_PCI_BAR ||
	    (blen != 1 && blen != 2 && blen != 4) || boff % blen ||
	    boff >= VIRTIO_PCI_MSIX_TABLE_OFF)
		return;
	pthread_mutex_lock(&vp->lock);
	if (off + size > c + PCICFG_DATA) {
		uint32_t data = get_le32(d->cfg + c + PCICFG_DATA);
		vp_write_locked(vp, boff, blen, data & (uint32_t)((1ULL << (8 * blen)) - 1));
	} else {
		put_le32(d->cfg + c + PCICFG_DATA,
			 (uint32_t)vp_read_locked(vp, boff, blen, false));
	}
	pthread_mutex_unlock(&vp->lock);
}

static void vp_pci_reset(struct pci_dev *d)
{
	virtio_pci_reset(d->opaque);
}

/* ---- creation ------------------------------------------------------------ */

/* Adds a virtio vendor capability; returns its offset or -errno. */
static int vp_add_cap(struct virtio_pci *vp, uint8_t type, uint32_t off, uint32_t len,
		      uint8_t cap_len)
{
	int c = pci_add_cap(&vp->pci, PCI_CAP_ID_VNDR, cap_len);
	uint8_t *p;

	if (c < 0)
		return c;
	p = vp->pci.cfg + c;
	p[2] = cap_len;
	p[3] = type;
	p[4] = VIRTIO_PCI_BAR;
	p[5] = 0;   /* id */
	put_le32(p + 8, off);
	put_le32(p + 12, len);
	return c;
}

static int vp_setup_pci(struct virtio_pci *vp)
{
	const struct virtio_pci_params *p = &vp->p;
	int rc, c;

	pci_dev_init(&vp->pci, p->name, VIRTIO_PCI_VENDOR,
		     (uint16_t)(VIRTIO_PCI_DEVICE_BASE + p->device_id),
		     p->class_code, VIRTIO_PCI_REVISION, VIRTIO_PCI_VENDOR,
		     VIRTIO_PCI_SUBSYS_ID);
	vp->pci.opaque = vp;
	vp->pci.cfg_write = vp_cfg_write;
	vp->pci.reset = vp_pci_reset;
	pci_set_irq_pin(&vp->pci, 1);
	rc = pci_set_bar_trap(&vp->pci, VIRTIO_PCI_BAR, PCI_BAR_MEM64,
			      VIRTIO_PCI_BAR_SIZE, &vp_bar_ops, vp);
	if (rc < 0)
		return rc;
	rc = pci_msix_init(&vp->pci, vp->nvec, VIRTIO_PCI_BAR,
			   VIRTIO_PCI_MSIX_TABLE_OFF, VIRTIO_PCI_MSIX_PBA_OFF);
	if (rc < 0)
		return rc;

	c = vp_add_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
		       VIRTIO_PCI_COMMON_LEN, 16);
	if (c < 0)
		return c;
	c = vp_add_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
		       p->num_queues * VIRTIO_PCI_NOTIFY_MULT, 20);
	if (c < 0)
		return c;
	put_le32(vp->pci.cfg + c + 16, VIRTIO_PCI_NOTIFY_MULT);
	c = vp_add_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1, 16);
	if (c < 0)
		return c;
	if (p->config_len) {
		c = vp_add_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVCFG_OFF,
			       p->config_len, 16);
		if (c < 0)
			return c;
	}
	c = vp_add_cap(vp, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, PCICFG_CAPLEN);
	if (c < 0)
		return c;
	vp->pcicfg_cap = (uint8_t)c;
	/* bar, offset, length and data are the driver's to write */
	vp->pci.cfg[c + PCICFG_BAR] = 0;
	vp->pci.wmask[c + PCICFG_BAR] = 0xFF;
	memset(vp->pci.wmask + c + PCICFG_OFFSET, 0xFF, PCICFG_CAPLEN - PCICFG_OFFSET);
	return 0;
}

static bool vp_params_ok(const struct virtio_pci_params *p)
{
	return p->name && p->ops && p->ops->queue_notify && p->mem &&
	       p->num_queues >= 1 && p->num_queues <= VIRTIO_PCI_MAX_QUEUES &&
	       p->queue_size && !(p->queue_size & (p->queue_size - 1)) &&
	       p->queue_size <= VIRTQ_MAX_SIZE &&
	       p->config_len <= VIRTIO_PCI_DEVCFG_MAX &&
	       (!p->config_len || p->ops->config_read);
}

int virtio_pci_create(const struct virtio_pci_params *p, struct virtio_pci **out)
{
	struct virtio_pci *vp;
	int rc;

	*out = NULL;
	if (!vp_params_ok(p))
		return -EINVAL;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	vp->q = calloc(p->num_queues, sizeof(*vp->q));
	if (!vp->q) {
		free(vp);
		return -ENOMEM;
	}
	if (pthread_mutex_init(&vp->lock, NULL) != 0) {
		free(vp->q);
		free(vp);
		return -ENOMEM;
	}
	vp->p = *p;
	if (!vp->p.class_code)
		vp->p.class_code = PCI_CLASS_OTHER;
	vp->nvec = p->num_queues + 1;
	vp->device_features = p->features | VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			      VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
			      VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	for (unsigned int i = 0; i < p->num_queues; i++)
		virtq_init(&vp->q[i].vq, p->mem, p->queue_size);
	vp->status = 0;
	vp->config_vector = VIRTIO_MSI_NO_VECTOR;
	for (unsigned int i = 0; i < p->num_queues; i++)
		vp->q[i].vector = VIRTIO_MSI_NO_VECTOR;
	rc = vp_setup_pci(vp);
	if (rc < 0) {
		virtio_pci_destroy(vp);
		return rc;
	}
	*out = vp;
	return 0;
}

/*
 * Frees the transport.  The PCI function must no longer be reachable from
 * the bus.  pci.h has no call yet to unplug a function or release its
 * MSI-X state; until it does, that state stays with the bus.
 */
void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (!vp)
		return;
	pthread_mutex_destroy(&vp->lock);
	free(vp->q);
	free(vp);
}

struct pci_dev *virtio_pci_dev(struct virtio_pci *vp)
{
	return &vp->pci;
}

struct virtq *virtio_pci_queue(struct virtio_pci *vp, unsigned int idx)
{
	return idx < vp->p.num_queues ? &vp->q[idx].vq : NULL;
}

uint64_t virtio_pci_features(const struct virtio_pci *vp)
{
	return vp->driver_features;
}

uint8_t virtio_pci_status(const struct virtio_pci *vp)
{
	return vp->status;
}

void virtio_pci_lock(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
}

void virtio_pci_unlock(struct virtio_pci *vp)
{
	pthread_mutex_unlock(&vp->lock);
}

/* ---- snapshot ------------------------------------------------------------- */

/*
 * Layout (version 1): PCI config space (pci_dev_snapshot), then device
 * features (must match this instance), selects, driver features, status,
 * generation, config vector, queue select, ISR, queue count and per queue
 * its vector and virtq record, then the device type's own section.
 */
int virtio_pci_snapshot(struct virtio_pci *vp, struct snap *s)
{
	uint32_t version = 1, nq;
	uint64_t devf;
	int rc;

	rc = pci_dev_snapshot(&vp->pci, s);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&vp->lock);
	devf = vp->device_features;
	nq = vp->p.num_queues;
	snap_section(s, "virtio-pci", &version);
	snap_u64(s, &devf);
	snap_u32(s, &nq);
	if (snap_loading(s) && !snap_error(s) &&
	    (devf != vp->device_features || nq != vp->p.num_queues))
		snap_fail(s, -EINVAL);
	snap_u32(s, &vp->dfselect);
	snap_u32(s, &vp->gfselect);
	snap_u64(s, &vp->driver_features);
	snap_u8(s, &vp->status);
	snap_u8(s, &vp->generation);
	snap_u16(s, &vp->config_vector);
	snap_u16(s, &vp->queue_select);
	snap_u8(s, &vp->isr);
	for (unsigned int i = 0; i < vp->p.num_queues && !snap_error(s); i++) {
		snap_u16(s, &vp->q[i].vector);
		virtq_snapshot(&vp->q[i].vq, s);
	}
	if (vp->p.ops->snapshot && !snap_error(s))
		vp->p.ops->snapshot(vp->p.opaque, s);
	if (snap_loading(s) && !snap_error(s) &&
	    (vp->driver_features & ~vp->device_features))
		snap_fail(s, -EINVAL);
	if (snap_loading(s)) {
		if (snap_error(s)) {
			/* half-loaded state is not a device: start over clean */
			vp_reset_locked(vp);
		} else {
			vp->config_vector = vp_vector(vp, vp->config_vector);
			for (unsigned int i = 0; i < vp->p.num_queues; i++)
				vp->q[i].vector = vp_vector(vp, vp->q[i].vector);
			vp->intx = -1;   /* drive the loaded level whatever it was */
			vp_set_intx(vp, vp->isr && !pci_msix_enabled(&vp->pci));
		}
	}
	pthread_mutex_unlock(&vp->lock);
	return snap_error(s);
}
