/*
 * virtio_pci_test.c - the modern virtio PCI transport driven through its
 * BAR and config space as a driver would: capabilities, feature
 * negotiation, the status state machine and reset, queue configuration,
 * the notify path with INTx/ISR and with MSI-X, config changes,
 * NEEDS_RESET, the PCI config access window and snapshots.  A small test
 * device type stands behind the transport; the bus has a fake host.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "virtio_testutil.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"
#include "vmm/pci.h"
#include "vmm/snap.h"
#include "vmm/trap.h"
#include "vmm/virtio/virtio_pci.h"

#define RAM        (4 * MiB)
#define NQ         2
#define QMAX       64
#define DEV_TYPE   VIRTIO_ID_RNG
#define DEV_FEAT   (VIRTIO_BIT(3) | VIRTIO_BIT(40))
#define BUF_GPA    0x100000ULL

/* ---- the test device type ---------------------------------------------- */

struct tdev {
	struct virtio_pci *vp;
	unsigned int notifies[NQ];
	unsigned int resets, driver_oks;
	bool refuse_features;
	uint8_t cfg[8];
	uint8_t written[8];
	struct virtq_elem e;
};

/* Completes every chain with used length = its writable size. */
static void tdev_notify(void *opaque, unsigned int idx)
{
	struct tdev *t = opaque;
	struct virtq *vq = virtio_pci_queue(t->vp, idx);
	bool any = false;
	int r;

	t->notifies[idx]++;
	while ((r = virtq_pop(vq, &t->e)) != 0 && r != -EIO) {
		any = true;
		if (r > 0)
			virtq_push(vq, t->e.head, (uint32_t)t->e.in_len);
	}
	if (any)
		virtio_pci_queue_done(t->vp, idx);
}

static void tdev_config_read(void *opaque, unsigned int off, uint8_t *buf, unsigned int len)
{
	struct tdev *t = opaque;
	memcpy(buf, t->cfg + off, len);
}

static void tdev_config_write(void *opaque, unsigned int off, const uint8_t *buf,
			      unsigned int len)
{
	struct tdev *t = opaque;
	memcpy(t->written + off, buf, len);
}

static bool tdev_features_ok(void *opaque, uint64_t f)
{
	struct tdev *t = opaque;
	(void)f;
	return !t->refuse_features;
}

static void tdev_driver_ok(void *opaque)
{
	struct tdev *t = opaque;
	t->driver_oks++;
}

static void tdev_reset(void *opaque)
{
	struct tdev *t = opaque;
	t->resets++;
}

static const struct virtio_dev_ops tdev_ops = {
	.queue_notify = tdev_notify,
	.config_read = tdev_config_read,
	.config_write = tdev_config_write,
	.features_ok = tdev_features_ok,
	.driver_ok = tdev_driver_ok,
	.reset = tdev_reset,
};

/* ---- fixture: RAM, a bus with a recording host, the device ------------------ */

struct fx {
	struct vtest vt;          /* RAM, the bus and what its host was sent, the rings */
	struct tdev t;
	uint8_t devfn;
};

static int create_dev(struct fx *f, struct tdev *t)
{
	struct virtio_pci_params p = {
		.name = "virtio-test",
		.device_id = DEV_TYPE,
		.features = DEV_FEAT,
		.num_queues = NQ,
		.queue_size = QMAX,
		.config_len = sizeof(t->cfg),
		.ops = &tdev_ops,
		.opaque = t,
		.mem = &f->vt.gm,
	};
	for (unsigned int i = 0; i < sizeof(t->cfg); i++)
		t->cfg[i] = (uint8_t)(0xA0 + i);
	return virtio_pci_create(&p, &t->vp);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || vtest_init(&f->vt, RAM) < 0 || create_dev(f, &f->t) < 0)
		return -1;
	f->vt.vp = f->t.vp;
	if (pci_bus_add(f->vt.bus, virtio_pci_dev(f->t.vp), 3) < 0)
		return -1;
	f->devfn = virtio_pci_dev(f->t.vp)->devfn;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	virtio_pci_destroy(f->t.vp);
	vtest_done(&f->vt);
	free(f);
	return 0;
}

/* ---- a register-level driver ---------------------------------------------- */

/* The level of the device's INTA line, as the host saw it. */
static int intx_level(struct fx *f)
{
	return f->vt.host.gsi[PCI_GSI_BASE + pci_pirq(f->devfn >> 3, 1)];
}

static uint8_t status(struct fx *f)
{
	return (uint8_t)vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_STATUS, 1);
}

/* Configures and enables queue q with size n; returns queue_enable. */
static uint16_t setup_queue(struct fx *f, unsigned int q, uint16_t n)
{
	uint64_t base = VTEST_DESC(q);

	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_SIZE, 2, n);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)base);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_DESCHI, 4, base >> 32);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_AVAILLO, 8, VTEST_AVAIL(q));
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)VTEST_USED(q));
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	return (uint16_t)vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_ENABLE, 2);
}

/* The whole bring-up: VERSION_1 only, both queues of size 16, DRIVER_OK. */
static void bring_up(struct fx *f)
{
	assert_true(vtest_negotiate(&f->vt, VIRTIO_BIT(VIRTIO_F_VERSION_1)) &
		    VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(setup_queue(f, 0, 16), 1);
	assert_int_equal(setup_queue(f, 1, 16), 1);
	vtest_driver_ok(&f->vt);
	assert_true(status(f) & VIRTIO_STATUS_DRIVER_OK);
}

/* Puts a one-descriptor writable chain on queue q; does not notify. */
static void post_buffer(struct fx *f, unsigned int q, uint32_t len)
{
	vtest_desc(&f->vt.gm, VTEST_DESC(q), 0, BUF_GPA, len, VIRTQ_DESC_F_WRITE, 0);
	vtest_offer(&f->vt.q[q], 0);
}

static uint32_t cfg_rd(struct fx *f, unsigned int off, unsigned int size)
{
	return pci_bus_cfg_read(f->vt.bus, f->devfn, off, size);
}

static void cfg_wr(struct fx *f, unsigned int off, unsigned int size, uint32_t val)
{
	pci_bus_cfg_write(f->vt.bus, f->devfn, off, size, val);
}

/* Offset of the n-th (from 0) capability with id and, for vendor caps, cfg_type. */
static unsigned int find_cap(struct fx *f, uint8_t id, int type)
{
	unsigned int guard = 0;

	for (unsigned int c = cfg_rd(f, PCI_CAPABILITY_LIST, 1); c && guard < 48;
	     c = cfg_rd(f, c + 1, 1), guard++)
		if (cfg_rd(f, c, 1) == id && (type < 0 || cfg_rd(f, c + 3, 1) == (unsigned int)type))
			return c;
	return 0;
}

static void msix_enable(struct fx *f, bool on)
{
	unsigned int c = find_cap(f, PCI_CAP_ID_MSIX, -1);
	uint16_t ctl = (uint16_t)cfg_rd(f, c + 2, 2);

	assert_true(c != 0);
	ctl = on ? (uint16_t)(ctl | 0x8000) : (uint16_t)(ctl & ~0x8000);
	cfg_wr(f, c + 2, 2, ctl);
	assert_int_equal(pci_msix_enabled(virtio_pci_dev(f->t.vp)), on);
}

static void msix_program(struct fx *f, unsigned int v, uint64_t addr, uint32_t data)
{
	uint64_t e = VIRTIO_PCI_MSIX_TABLE_OFF + 16ULL * v;

	vtest_wr(&f->vt, e, 4, (uint32_t)addr);
	vtest_wr(&f->vt, e + 4, 4, addr >> 32);
	vtest_wr(&f->vt, e + 8, 4, data);
	vtest_wr(&f->vt, e + 12, 4, 0);   /* unmask */
}

/* ---- identity and capabilities ---------------------------------------------- */

static void test_identity(void **state)
{
	struct fx *f = *state;
	struct pci_dev *d = virtio_pci_dev(f->t.vp);

	assert_int_equal(cfg_rd(f, PCI_VENDOR_ID, 2), 0x1AF4);
	assert_int_equal(cfg_rd(f, PCI_DEVICE_ID, 2), 0x1040 + DEV_TYPE);
	assert_int_equal(cfg_rd(f, PCI_REVISION_ID, 1), 1);
	assert_int_equal(cfg_rd(f, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1AF4);
	assert_int_equal(cfg_rd(f, PCI_SUBSYSTEM_ID, 2), 0x1100);
	assert_int_equal(cfg_rd(f, PCI_INTERRUPT_PIN, 1), 1);
	assert_true(cfg_rd(f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	assert_int_equal(d->bar[VIRTIO_PCI_BAR].type, PCI_BAR_MEM64);
	assert_int_equal(d->bar[VIRTIO_PCI_BAR].size, VIRTIO_PCI_BAR_SIZE);
}

static void check_cap(struct fx *f, int type, uint32_t off, uint32_t len)
{
	unsigned int c = find_cap(f, PCI_CAP_ID_VNDR, type);

	assert_true(c != 0);
	assert_true(cfg_rd(f, c + 2, 1) >= 16);
	assert_int_equal(cfg_rd(f, c + 4, 1), VIRTIO_PCI_BAR);
	assert_int_equal(cfg_rd(f, c + 8, 4), off);
	assert_int_equal(cfg_rd(f, c + 12, 4), len);
}

static void test_capabilities(void **state)
{
	struct fx *f = *state;
	unsigned int c;

	check_cap(f, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_LEN);
	check_cap(f, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
		  NQ * VIRTIO_PCI_NOTIFY_MULT);
	check_cap(f, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1);
	check_cap(f, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVCFG_OFF, 8);
	c = find_cap(f, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_NOTIFY_CFG);
	assert_int_equal(cfg_rd(f, c + 2, 1), 20);
	assert_int_equal(cfg_rd(f, c + 16, 4), 4);   /* notify_off_multiplier */
	c = find_cap(f, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_PCI_CFG);
	assert_true(c != 0);
	assert_int_equal(cfg_rd(f, c + 2, 1), 20);
	/* MSI-X: one vector per queue plus config, table and PBA in BAR4 */
	c = find_cap(f, PCI_CAP_ID_MSIX, -1);
	assert_true(c != 0);
	assert_int_equal(cfg_rd(f, c + 2, 2) & 0x7FF, NQ);
	assert_int_equal(cfg_rd(f, c + 4, 4), VIRTIO_PCI_MSIX_TABLE_OFF | VIRTIO_PCI_BAR);
	assert_int_equal(cfg_rd(f, c + 8, 4), VIRTIO_PCI_MSIX_PBA_OFF | VIRTIO_PCI_BAR);
	/* each queue's notify_off is its index */
	for (unsigned int q = 0; q < NQ; q++) {
		vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_NOFF, 2), q);
	}
}

/* ---- features and status ---------------------------------------------------- */

static void test_feature_negotiation(void **state)
{
	struct fx *f = *state;
	uint64_t dev = vtest_offered(&f->vt);
	uint64_t want = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
			VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | DEV_FEAT;

	assert_int_equal(dev, want);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_DFSELECT, 4, 2);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_DF, 4), 0);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_DFSELECT, 4), 2);

	/* a subset of what was offered is accepted */
	assert_true(vtest_negotiate(&f->vt, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(3)) &
		    VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(virtio_pci_features(f->t.vp), VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(3));
	/* once FEATURES_OK is set, feature writes are ignored */
	vtest_set_features(&f->vt, want);
	assert_int_equal(virtio_pci_features(f->t.vp), VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(3));
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_GF, 4), VIRTIO_BIT(3));
}

static void test_features_refused(void **state)
{
	struct fx *f = *state;
	uint8_t st;

	/* an unknown bit */
	st = vtest_negotiate(&f->vt, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(7));
	assert_false(st & VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(st, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* DRIVER_OK without FEATURES_OK does not stick either */
	vtest_driver_ok(&f->vt);
	assert_false(status(f) & VIRTIO_STATUS_DRIVER_OK);
	/* a legacy driver: no VERSION_1 */
	st = vtest_negotiate(&f->vt, VIRTIO_BIT(3));
	assert_false(st & VIRTIO_STATUS_FEATURES_OK);
	/* an unknown bit in the high word */
	st = vtest_negotiate(&f->vt, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(63));
	assert_false(st & VIRTIO_STATUS_FEATURES_OK);
	/* the device type says no */
	f->t.refuse_features = true;
	st = vtest_negotiate(&f->vt, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	assert_false(st & VIRTIO_STATUS_FEATURES_OK);
	f->t.refuse_features = false;
	/* the driver may try again with fewer features (after a reset) */
	st = vtest_negotiate(&f->vt, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	assert_true(st & VIRTIO_STATUS_FEATURES_OK);
}

static void test_status_transitions(void **state)
{
	struct fx *f = *state;

	assert_int_equal(status(f), 0);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(status(f), VIRTIO_STATUS_ACKNOWLEDGE);
	/* bits are never cleared by anything but a reset */
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_DRIVER);
	assert_int_equal(status(f), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* NEEDS_RESET is the device's */
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_NEEDS_RESET);
	assert_false(status(f) & VIRTIO_STATUS_NEEDS_RESET);
	/* a 2- or 4-byte write to the status byte is not a status write */
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_STATUS, 2, 0);
	assert_int_equal(status(f), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vtest_set_features(&f->vt, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_STATUS, 1, status(f) | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(setup_queue(f, 0, 16), 1);
	vtest_driver_ok(&f->vt);
	assert_int_equal(f->t.driver_oks, 1);
	assert_int_equal(status(f), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	/* FAILED may be added */
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_STATUS, 1, status(f) | VIRTIO_STATUS_FAILED);
	assert_true(status(f) & VIRTIO_STATUS_FAILED);
}

static void test_reset_clears_everything(void **state)
{
	struct fx *f = *state;
	unsigned int resets;

	bring_up(f);
	resets = f->t.resets;
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_MSIX, 2, 0);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_MSIX, 2, 2);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	post_buffer(f, 0, 8);
	vtest_notify(&f->vt, 0);                       /* INTx raised, ISR set */
	assert_int_equal(intx_level(f), 1);

	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	assert_int_equal(f->t.resets, resets + 1);
	assert_int_equal(status(f), 0);
	assert_int_equal(intx_level(f), 0);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_ISR_OFF, 1), 0);
	assert_int_equal(virtio_pci_features(f->t.vp), 0);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_DFSELECT, 4), 0);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_SELECT, 2), 0);
	for (unsigned int q = 0; q < NQ; q++) {
		vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_SIZE, 2), QMAX);
		assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
		assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
		assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0);
		assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_AVAILLO, 8), 0);
		assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_USEDLO, 8), 0);
	}
	/* after the reset, a notify does nothing */
	post_buffer(f, 0, 8);
	vtest_notify(&f->vt, 0);
	assert_int_equal(f->t.notifies[0], 1);
	/* and the whole bring-up works again from the start */
	f->vt.q[0].avail_idx = f->vt.q[1].avail_idx = 0;
	memset(vtest_gpa(&f->vt, VTEST_DESC(0), 0x10000), 0, 0x10000);
	bring_up(f);
	post_buffer(f, 0, 8);
	vtest_notify(&f->vt, 0);
	assert_int_equal(vtest_used_idx(&f->vt.q[0]), 1);

	/* the PCI reset hook (system reset) does the same */
	virtio_pci_dev(f->t.vp)->reset(virtio_pci_dev(f->t.vp));
	assert_int_equal(status(f), 0);
}

/* ---- queues ------------------------------------------------------------------ */

static void test_queue_config(void **state)
{
	struct fx *f = *state;

	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_NUMQ, 2), NQ);
	/* a queue that does not exist reads size 0 and takes no writes */
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_SELECT, 2, NQ);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);

	vtest_negotiate(&f->vt, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_SIZE, 2), QMAX);
	/* not a power of two: refused, queue not enabled */
	assert_int_equal(setup_queue(f, 0, 24), 0);
	assert_int_equal(setup_queue(f, 0, 0), 0);
	assert_int_equal(setup_queue(f, 0, QMAX * 2), 0);
	/* 64-bit addresses, written in halves or whole */
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x12345000);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0xABCD);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0xABCD12345000ULL);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_DESCHI, 4), 0xABCD);
	/* rings outside RAM: refused */
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_SIZE, 2, 16);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	/* a smaller power of two: accepted */
	assert_int_equal(setup_queue(f, 0, 16), 1);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_SIZE, 2), 16);
	/* once enabled, size and addresses are fixed; writing 0 does not disable */
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_DESCLO, 8, 0x999000);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 0);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_SIZE, 2), 16);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_DESCLO, 8), VTEST_DESC(0));
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	/* the other queue is untouched */
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_SIZE, 2), QMAX);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
}

static void test_notify_intx(void **state)
{
	struct fx *f = *state;

	bring_up(f);
	post_buffer(f, 1, 32);
	vtest_notify(&f->vt, 1);
	assert_int_equal(f->t.notifies[1], 1);
	assert_int_equal(vtest_used_idx(&f->vt.q[1]), 1);
	/* MSI-X is off: ISR bit 0 and INTx, seen in PCI status bit 3 */
	assert_int_equal(f->vt.host.msis, 0);
	assert_int_equal(intx_level(f), 1);
	assert_true(cfg_rd(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	/* reading ISR returns and clears it, and lowers the line */
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_ISR_QUEUE);
	assert_int_equal(intx_level(f), 0);
	assert_false(cfg_rd(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_ISR_OFF, 1), 0);
	/* ISR ignores writes */
	vtest_wr(&f->vt, VIRTIO_PCI_ISR_OFF, 1, 0xFF);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_ISR_OFF, 1), 0);
	/* no interrupt when the driver suppresses it */
	put_le16(vtest_gpa(&f->vt, VTEST_AVAIL(1), 2), VIRTQ_AVAIL_F_NO_INTERRUPT);
	post_buffer(f, 1, 32);
	vtest_notify(&f->vt, 1);
	assert_int_equal(vtest_used_idx(&f->vt.q[1]), 2);
	assert_int_equal(intx_level(f), 0);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_ISR_OFF, 1), 0);
}

static void test_notify_hostile(void **state)
{
	struct fx *f = *state;

	bring_up(f);
	post_buffer(f, 0, 8);
	/* queues that do not exist, misaligned notify addresses, odd sizes */
	vtest_wr(&f->vt, VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_MULT * NQ, 2, NQ);
	vtest_wr(&f->vt, VIRTIO_PCI_NOTIFY_OFF + 0x800, 2, 0);
	vtest_wr(&f->vt, VIRTIO_PCI_NOTIFY_OFF + 2, 2, 0);
	vtest_wr(&f->vt, VIRTIO_PCI_NOTIFY_OFF, 3, 0);
	vtest_wr(&f->vt, VIRTIO_PCI_BAR_SIZE, 2, 0);
	vtest_wr(&f->vt, UINT64_MAX, 8, 0);
	assert_int_equal(f->t.notifies[0] + f->t.notifies[1], 0);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_NOTIFY_OFF, 2), 0);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_BAR_SIZE + 8, 4), 0);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_COMMON_OFF + 0x400, 4), 0);
	/* a 4-byte notify write counts (the value is not looked at) */
	vtest_wr(&f->vt, VIRTIO_PCI_NOTIFY_OFF, 4, 0x12340000);
	assert_int_equal(f->t.notifies[0], 1);
	assert_int_equal(vtest_used_idx(&f->vt.q[0]), 1);
}

static void test_notify_before_driver_ok(void **state)
{
	struct fx *f = *state;

	vtest_negotiate(&f->vt, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	assert_int_equal(setup_queue(f, 0, 16), 1);
	post_buffer(f, 0, 8);
	vtest_notify(&f->vt, 0);
	assert_int_equal(f->t.notifies[0], 0);    /* 3.1.1: not before DRIVER_OK */
	assert_int_equal(vtest_used_idx(&f->vt.q[0]), 0);
	vtest_driver_ok(&f->vt);                              /* pending buffers are served now */
	assert_int_equal(f->t.notifies[0], 1);
	assert_int_equal(vtest_used_idx(&f->vt.q[0]), 1);
}

static void test_msix(void **state)
{
	struct fx *f = *state;

	bring_up(f);
	msix_enable(f, true);
	msix_program(f, 0, 0xFEE00000, 0x40);
	msix_program(f, 2, 0xFEE01000, 0x42);
	/* vector registers read back what they map, NO_VECTOR if out of range */
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_MSIX, 2, 0);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_MSIX, 2), 0);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_MSIX, 2, NQ + 1);      /* only NQ + 1 vectors */
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_MSIX, 2, 2);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_Q_MSIX, 2), 2);
	/* table reads go to the MSI-X helper */
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_MSIX_TABLE_OFF + 32 + 8, 4), 0x42);

	post_buffer(f, 1, 16);
	vtest_notify(&f->vt, 1);
	assert_int_equal(f->vt.host.msis, 1);
	assert_int_equal(f->vt.host.msi_addr, 0xFEE01000);
	assert_int_equal(f->vt.host.msi_data, 0x42);
	assert_int_equal(intx_level(f), 0);               /* no INTx with MSI-X */
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_ISR_OFF, 1), 0);

	/* queue 0 has NO_VECTOR: used, but no interrupt at all */
	post_buffer(f, 0, 16);
	vtest_notify(&f->vt, 0);
	assert_int_equal(vtest_used_idx(&f->vt.q[0]), 1);
	assert_int_equal(f->vt.host.msis, 1);
	assert_int_equal(intx_level(f), 0);

	/* a config change goes to the config vector */
	uint8_t gen = (uint8_t)vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_CFGGEN, 1);
	virtio_pci_lock(f->t.vp);
	virtio_pci_config_changed(f->t.vp);
	virtio_pci_unlock(f->t.vp);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_CFGGEN, 1), (uint8_t)(gen + 1));
	assert_int_equal(f->vt.host.msis, 2);
	assert_int_equal(f->vt.host.msi_data, 0x40);

	/* MSI-X off again: back to INTx and ISR */
	msix_enable(f, false);
	post_buffer(f, 1, 16);
	vtest_notify(&f->vt, 1);
	assert_int_equal(f->vt.host.msis, 2);
	assert_int_equal(intx_level(f), 1);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_ISR_QUEUE);
}

static void test_config_change_intx(void **state)
{
	struct fx *f = *state;

	bring_up(f);
	virtio_pci_lock(f->t.vp);
	virtio_pci_config_changed(f->t.vp);
	virtio_pci_unlock(f->t.vp);
	assert_int_equal(intx_level(f), 1);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_ISR_CONFIG);
	assert_int_equal(intx_level(f), 0);
}

static void test_needs_reset(void **state)
{
	struct fx *f = *state;
	uint8_t *avail;

	bring_up(f);
	/* the driver claims 17 buffers in a ring of 16 */
	avail = vtest_gpa(&f->vt, VTEST_AVAIL(0), 4);
	put_le16(avail + 2, 17);
	vtest_notify(&f->vt, 0);
	assert_true(status(f) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(vtest_used_idx(&f->vt.q[0]), 0);
	/* the driver hears of it through a config interrupt */
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_ISR_CONFIG);
	/* nothing is processed until the reset */
	put_le16(avail + 2, 1);
	vtest_notify(&f->vt, 0);
	vtest_notify(&f->vt, 1);
	assert_int_equal(f->t.notifies[0], 1);
	assert_int_equal(f->t.notifies[1], 0);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	assert_int_equal(status(f), 0);
}

/* ---- device config, config window -------------------------------------------- */

static void test_device_config(void **state)
{
	struct fx *f = *state;

	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_DEVCFG_OFF, 1), 0xA0);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_DEVCFG_OFF + 2, 2), 0xA3A2);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_DEVCFG_OFF + 4, 4), 0xA7A6A5A4);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_DEVCFG_OFF, 8), 0xA7A6A5A4A3A2A1A0ULL);
	/* past the end: zeros, and a read across the end is cut */
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_DEVCFG_OFF + 8, 4), 0);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_DEVCFG_OFF + 6, 4), 0xA7A6);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_DEVCFG_OFF + 0xFFF, 1), 0);
	vtest_wr(&f->vt, VIRTIO_PCI_DEVCFG_OFF + 6, 4, 0x11223344);
	assert_int_equal(f->t.written[6], 0x44);
	assert_int_equal(f->t.written[7], 0x33);
	vtest_wr(&f->vt, VIRTIO_PCI_DEVCFG_OFF + 8, 4, 0x55);   /* beyond: dropped */
}

static void test_pci_cfg_window(void **state)
{
	struct fx *f = *state;
	unsigned int c = find_cap(f, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_PCI_CFG);

	assert_true(c != 0);
	/* read num_queues through config cycles, as SeaBIOS does */
	cfg_wr(f, c + 4, 1, VIRTIO_PCI_BAR);
	cfg_wr(f, c + 8, 4, VIRTIO_PCI_COMMON_NUMQ);
	cfg_wr(f, c + 12, 4, 2);
	assert_int_equal(cfg_rd(f, c + 16, 2), NQ);
	/* write the status byte */
	cfg_wr(f, c + 8, 4, VIRTIO_PCI_COMMON_STATUS);
	cfg_wr(f, c + 12, 4, 1);
	cfg_wr(f, c + 16, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(status(f), VIRTIO_STATUS_ACKNOWLEDGE);
	/* device config */
	cfg_wr(f, c + 8, 4, VIRTIO_PCI_DEVCFG_OFF + 4);
	cfg_wr(f, c + 12, 4, 4);
	assert_int_equal(cfg_rd(f, c + 16, 4), 0xA7A6A5A4);
	/* nonsense windows do nothing: wrong BAR, bad length, misaligned, MSI-X */
	cfg_wr(f, c + 16, 4, 0);
	cfg_wr(f, c + 4, 1, 0);
	cfg_wr(f, c + 8, 4, VIRTIO_PCI_COMMON_STATUS);
	cfg_wr(f, c + 12, 4, 1);
	cfg_wr(f, c + 16, 1, 0);
	assert_int_equal(status(f), VIRTIO_STATUS_ACKNOWLEDGE);
	cfg_wr(f, c + 4, 1, VIRTIO_PCI_BAR);
	cfg_wr(f, c + 12, 4, 3);
	cfg_wr(f, c + 16, 1, 0);
	cfg_wr(f, c + 8, 4, VIRTIO_PCI_COMMON_STATUS + 1);
	cfg_wr(f, c + 12, 4, 2);
	cfg_wr(f, c + 16, 2, 0);
	cfg_wr(f, c + 8, 4, 0xFFFFFFF0);
	cfg_wr(f, c + 12, 4, 4);
	cfg_wr(f, c + 16, 4, 0);
	cfg_wr(f, c + 8, 4, VIRTIO_PCI_MSIX_TABLE_OFF);
	cfg_wr(f, c + 16, 4, 0x1234);
	assert_int_equal(vtest_rd(&f->vt, VIRTIO_PCI_MSIX_TABLE_OFF, 4), 0);
	assert_int_equal(status(f), VIRTIO_STATUS_ACKNOWLEDGE);
}

/* ---- snapshot ------------------------------------------------------------------ */

static void test_snapshot_roundtrip(void **state)
{
	struct fx *f = *state;
	struct tdev t2;
	struct snap s, l;
	struct virtio_pci *old = f->t.vp;
	struct pci_bus *bus2;
	uint8_t before[VIRTIO_PCI_COMMON_LEN];

	memset(&t2, 0, sizeof(t2));
	assert_true(vtest_negotiate(&f->vt, VIRTIO_BIT(VIRTIO_F_VERSION_1) |
				    VIRTIO_BIT(VIRTIO_F_EVENT_IDX)) & VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(setup_queue(f, 0, 16), 1);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_MSIX, 2, 0);
	vtest_driver_ok(&f->vt);
	post_buffer(f, 0, 8);
	vtest_notify(&f->vt, 0);
	post_buffer(f, 0, 8);   /* one buffer left pending over the snapshot */
	vtest_cc_wr(&f->vt, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	for (unsigned int i = 0; i < sizeof(before); i++)
		before[i] = (uint8_t)vtest_cc_rd(&f->vt, i, 1);

	snap_init_save(&s);
	assert_int_equal(virtio_pci_snapshot(old, &s), 0);

	/* a fresh instance of the same device type, on a bus of its own */
	assert_int_equal(create_dev(f, &t2), 0);
	bus2 = pf_bus(&f->vt.host, false);
	assert_non_null(bus2);
	assert_int_equal(pci_bus_add(bus2, virtio_pci_dev(t2.vp), 5), 0);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(virtio_pci_snapshot(t2.vp, &l), 0);
	assert_int_equal(l.pos, l.len);
	f->vt.vp = t2.vp;
	for (unsigned int i = 0; i < sizeof(before); i++)
		assert_int_equal(vtest_cc_rd(&f->vt, i, 1), before[i]);
	assert_int_equal(virtio_pci_features(t2.vp),
			 VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	/* the pending buffer is served by the new instance */
	vtest_notify(&f->vt, 0);
	assert_int_equal(t2.notifies[0], 1);
	assert_int_equal(vtest_used_idx(&f->vt.q[0]), 2);
	f->vt.vp = old;
	pci_bus_destroy(bus2);
	virtio_pci_destroy(t2.vp);
	snap_free(&s);
}

static void test_snapshot_wrong_device(void **state)
{
	struct fx *f = *state;
	struct pci_bus *bus2;
	struct tdev t2;
	struct snap s, l;
	struct virtio_pci_params p = {
		.name = "virtio-other", .device_id = DEV_TYPE, .features = 0,
		.num_queues = 1, .queue_size = QMAX, .config_len = 8,
		.ops = &tdev_ops, .opaque = &t2, .mem = &f->vt.gm,
	};

	memset(&t2, 0, sizeof(t2));
	snap_init_save(&s);
	assert_int_equal(virtio_pci_snapshot(f->t.vp, &s), 0);
	assert_int_equal(virtio_pci_create(&p, &t2.vp), 0);
	bus2 = pf_bus(&f->vt.host, false);
	assert_non_null(bus2);
	assert_int_equal(pci_bus_add(bus2, virtio_pci_dev(t2.vp), 5), 0);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(virtio_pci_snapshot(t2.vp, &l), -EINVAL);
	pci_bus_destroy(bus2);
	virtio_pci_destroy(t2.vp);
	snap_free(&s);
}

static void test_create_rejects_bad_params(void **state)
{
	struct fx *f = *state;
	struct virtio_pci *vp;
	struct virtio_pci_params p = {
		.name = "x", .device_id = 1, .num_queues = 1, .queue_size = 100,
		.ops = &tdev_ops, .mem = &f->vt.gm,
	};

	assert_int_equal(virtio_pci_create(&p, &vp), -EINVAL);   /* size not 2^n */
	assert_null(vp);
	p.queue_size = 64;
	p.num_queues = 0;
	assert_int_equal(virtio_pci_create(&p, &vp), -EINVAL);
	p.num_queues = VIRTIO_PCI_MAX_QUEUES + 1;
	assert_int_equal(virtio_pci_create(&p, &vp), -EINVAL);
	p.num_queues = 1;
	p.config_len = VIRTIO_PCI_DEVCFG_MAX + 1;
	assert_int_equal(virtio_pci_create(&p, &vp), -EINVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
static const struct CMUnitTest tests[] = {
	T(test_identity),
	T(test_capabilities),
	T(test_feature_negotiation),
	T(test_features_refused),
	T(test_status_transitions),
	T(test_reset_clears_everything),
	T(test_queue_config),
	T(test_notify_intx),
	T(test_notify_hostile),
	T(test_notify_before_driver_ok),
	T(test_msix),
	T(test_config_change_intx),
	T(test_needs_reset),
	T(test_device_config),
	T(test_pci_cfg_window),
	T(test_snapshot_roundtrip),
	T(test_snapshot_wrong_device),
	T(test_create_rejects_bad_params),
};
#undef T

UNIT_SUITE(virtio_pci, tests);
