/*
 * virtio_input_test.c - the virtio input tablet and keyboard driven
 * through the transport's registers and real rings in guest RAM: the
 * configuration space for every selector (and the ones it does not
 * have), events waiting for buffers and then delivered in order, whole
 * reports only when the queue overflows, hostile event buffers and
 * descriptor loops, LED status messages, reset and snapshot.
 */
#include "unit.h"

#include <errno.h>
#include <linux/input-event-codes.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util/util.h"
#include "virtio_testutil.h"
#include "vmm/guest_mem.h"
#include "vmm/pci.h"
#include "vmm/snap.h"
#include "vmm/virtio/virtio_input.h"
#include "vmm/virtio/virtio_pci.h"

#define RAM     (4 * MiB)
#define QSIZE   VTEST_QSIZE
#define BUF_GPA  0x100000ULL      /* event buffer i at BUF_GPA + 16 i */

struct fx {
	struct vtest vt;          /* RAM, bus, the event (0) and status (1) rings */
	struct virtio_input *vi;
};

static uint8_t *gpa(struct fx *f, uint64_t a, uint64_t len)
{
	return vtest_gpa(&f->vt, a, len);
}

static uint64_t cfg_rd(struct fx *f, unsigned int off, unsigned int size)
{
	return vtest_rd(&f->vt, VIRTIO_PCI_DEVCFG_OFF + off, size);
}

static void cfg_wr(struct fx *f, unsigned int off, unsigned int size, uint64_t v)
{
	vtest_wr(&f->vt, VIRTIO_PCI_DEVCFG_OFF + off, size, v);
}

/* select/subsel, then the size and (into u, 128 bytes) the union. */
static unsigned int cfg_query(struct fx *f, uint8_t sel, uint8_t sub, uint8_t *u)
{
	cfg_wr(f, VIRTIO_INPUT_CFG_SELECT, 1, sel);
	cfg_wr(f, VIRTIO_INPUT_CFG_SUBSEL, 1, sub);
	for (unsigned int i = 0; i < VIRTIO_INPUT_CFG_U_LEN; i++)
		u[i] = (uint8_t)cfg_rd(f, VIRTIO_INPUT_CFG_U + i, 1);
	return (unsigned int)cfg_rd(f, VIRTIO_INPUT_CFG_SIZE, 1);
}

/* Reset and bring-up with VERSION_1 only, both queues. */
static void driver_init(struct fx *f, bool driver_ok)
{
	vtest_start(&f->vt, VIRTIO_BIT(VIRTIO_F_VERSION_1), 2);
	if (driver_ok)
		vtest_driver_ok(&f->vt);
}

static void desc_at(struct fx *f, unsigned int q, unsigned int i, uint64_t addr,
		    uint32_t len, uint16_t flags, uint16_t next)
{
	vtest_desc(&f->vt.gm, f->vt.q[q].desc, i, addr, len, flags, next);
}

/* Makes descriptor head of queue q available (no notify). */
static void offer(struct fx *f, unsigned int q, uint16_t head)
{
	vtest_offer(&f->vt.q[q], head);
}

/* Offers n one-descriptor event buffers (descriptors first..first+n-1,
 * buffer i at BUF_GPA + 16 i, len bytes, device-writable) and notifies. */
static void offer_events(struct fx *f, unsigned int first, unsigned int n, uint32_t len)
{
	for (unsigned int i = first; i < first + n; i++) {
		memset(gpa(f, BUF_GPA + 16ULL * i, 16), 0xEE, 16);
		desc_at(f, 0, i, BUF_GPA + 16ULL * i, len, VIRTQ_DESC_F_WRITE, 0);
		offer(f, 0, (uint16_t)i);
	}
	vtest_notify(&f->vt, 0);
}

/* The next used entry of queue q: head and length; false when none. */
static bool next_used(struct fx *f, unsigned int q, uint32_t *head, uint32_t *len)
{
	return vtest_used_next(&f->vt.q[q], head, len);
}

/* The next event delivered on queue 0, checked against type/code/value. */
static void expect_event(struct fx *f, uint16_t type, uint16_t code, uint32_t value)
{
	uint32_t head, len;

	assert_true(next_used(f, 0, &head, &len));
	assert_int_equal(len, 8);
	uint8_t *b = gpa(f, BUF_GPA + 16ULL * head, 8);
	if (get_le16(b) != type || get_le16(b + 2) != code || get_le32(b + 4) != value)
		fail_msg("event %u: got %u/%u/%u, wanted %u/%u/%u", head, get_le16(b),
			 get_le16(b + 2), get_le32(b + 4), type, code, value);
}

static void expect_no_event(struct fx *f)
{
	uint32_t head, len;
	assert_false(next_used(f, 0, &head, &len));
}

static int setup_kind(void **state, enum virtio_input_kind kind)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || vtest_init(&f->vt, RAM) < 0)
		return -1;
	static const uint16_t keys[] = { KEY_A, KEY_LEFTSHIFT, KEY_ENTER, KEY_PAUSE, KEY_F12,
					 KEY_KPENTER, 0, 9999 };
	struct virtio_input_params p = {
		.kind = kind, .serial = "in-0", .mem = &f->vt.gm,
		.keys = keys, .nkeys = ARRAY_SIZE(keys),
	};
	if (virtio_input_create(&p, &f->vi) < 0)
		return -1;
	f->vt.vp = virtio_input_transport(f->vi);
	if (pci_bus_add(f->vt.bus, virtio_pci_dev(f->vt.vp), -1) < 0)
		return -1;
	*state = f;
	return 0;
}

static int setup_tablet(void **state) { return setup_kind(state, VIRTIO_INPUT_TABLET); }
static int setup_kbd(void **state) { return setup_kind(state, VIRTIO_INPUT_KEYBOARD); }

static int teardown(void **state)
{
	struct fx *f = *state;

	virtio_input_destroy(f->vi);
	vtest_done(&f->vt);
	free(f);
	return 0;
}

/* ---- configuration ------------------------------------------------------------ */

static void test_identity(void **state)
{
	struct fx *f = *state;
	uint8_t devfn = virtio_pci_dev(f->vt.vp)->devfn;

	assert_int_equal(pci_bus_cfg_read(f->vt.bus, devfn, 0x00, 2), VIRTIO_PCI_VENDOR);
	assert_int_equal(pci_bus_cfg_read(f->vt.bus, devfn, 0x02, 2),
			 VIRTIO_PCI_DEVICE_BASE + VIRTIO_ID_INPUT);
	assert_int_equal(pci_bus_cfg_read(f->vt.bus, devfn, 0x08, 4) >> 8, 0x098000);
	assert_int_equal(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_NUMQ, 2), 2);
}

static void test_tablet_config(void **state)
{
	struct fx *f = *state;
	uint8_t u[128];

	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_ID_NAME, 0, u), 19);
	assert_memory_equal(u, "ttyvm virtio tablet", 19);
	assert_int_equal(u[19], 0);
	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_ID_SERIAL, 0, u), 4);
	assert_memory_equal(u, "in-0", 4);
	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_ID_DEVIDS, 0, u), 8);
	assert_int_equal(get_le16(u), VIRTIO_INPUT_BUSTYPE);
	assert_int_equal(get_le16(u + 2), VIRTIO_INPUT_VENDOR);
	assert_int_equal(get_le16(u + 4), VIRTIO_INPUT_PRODUCT_TABLET);
	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_PROP_BITS, 0, u), 0);

	/* EV_BITS per event type: keys are the three buttons */
	unsigned int n = cfg_query(f, VIRTIO_INPUT_CFG_EV_BITS, EV_KEY, u);
	assert_int_equal(n, BTN_MIDDLE / 8 + 1);
	for (unsigned int c = 0; c < n * 8; c++)
		assert_int_equal(!!(u[c / 8] & (1u << (c % 8))),
				 c == BTN_LEFT || c == BTN_RIGHT || c == BTN_MIDDLE);
	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_EV_BITS, EV_ABS, u), 1);
	assert_int_equal(u[0], (1 << ABS_X) | (1 << ABS_Y));
	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_EV_BITS, EV_REL, u), 2);
	assert_int_equal(u[1], 1 << (REL_WHEEL - 8));
	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_EV_BITS, EV_LED, u), 0);
	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_EV_BITS, EV_REP, u), 0);
	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_EV_BITS, 0, u), 0);

	/* ABS_INFO: 0..32767 on both axes */
	for (unsigned int axis = ABS_X; axis <= ABS_Y; axis++) {
		assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_ABS_INFO, (uint8_t)axis, u), 20);
		assert_int_equal(get_le32(u), 0);
		assert_int_equal(get_le32(u + 4), 32767);
		assert_int_equal(get_le32(u + 8), 0);
	}
	/* 32-bit reads of the union see the same bytes */
	assert_int_equal(cfg_rd(f, VIRTIO_INPUT_CFG_U + 4, 4), 32767);
}

/* Every select/subsel the device does not have: size 0, union zeroed. */
static void test_config_hostile(void **state)
{
	struct fx *f = *state;
	uint8_t u[128], zero[128] = { 0 };

	for (unsigned int sel = 0; sel < 256; sel++) {
		for (unsigned int sub = 0; sub < 256; sub += 17) {
			unsigned int n = cfg_query(f, (uint8_t)sel, (uint8_t)sub, u);
			bool known = (sel == VIRTIO_INPUT_CFG_ID_NAME && sub == 0) ||
				     (sel == VIRTIO_INPUT_CFG_ID_SERIAL && sub == 0) ||
				     (sel == VIRTIO_INPUT_CFG_ID_DEVIDS && sub == 0) ||
				     (sel == VIRTIO_INPUT_CFG_EV_BITS &&
				      (sub == EV_KEY || sub == EV_REL || sub == EV_ABS)) ||
				     (sel == VIRTIO_INPUT_CFG_ABS_INFO && sub <= ABS_Y);
			if (known) {
				assert_true(n > 0 && n <= 128);
			} else {
				if (n != 0)
					fail_msg("select 0x%02x subsel 0x%02x: size %u", sel, sub, n);
				assert_memory_equal(u, zero, sizeof(u));
			}
			/* select and subsel read back as written */
			assert_int_equal(cfg_rd(f, VIRTIO_INPUT_CFG_SELECT, 1), sel);
			assert_int_equal(cfg_rd(f, VIRTIO_INPUT_CFG_SUBSEL, 1), sub);
		}
	}
	/* writes to size, reserved and the union change nothing */
	cfg_query(f, VIRTIO_INPUT_CFG_ID_NAME, 0, u);
	cfg_wr(f, VIRTIO_INPUT_CFG_SIZE, 1, 99);
	cfg_wr(f, 4, 4, 0xFFFFFFFF);
	cfg_wr(f, VIRTIO_INPUT_CFG_U, 4, 0x41414141);
	assert_int_equal(cfg_rd(f, VIRTIO_INPUT_CFG_SIZE, 1), 19);
	assert_int_equal(cfg_rd(f, VIRTIO_INPUT_CFG_U, 1), 't');
	/* a 16-bit write sets select and subsel together; past the end reads 0 */
	cfg_wr(f, VIRTIO_INPUT_CFG_SELECT, 2, (ABS_Y << 8) | VIRTIO_INPUT_CFG_ABS_INFO);
	assert_int_equal(cfg_rd(f, VIRTIO_INPUT_CFG_U + 4, 4), 32767);
	assert_int_equal(cfg_rd(f, VIRTIO_INPUT_CFG_LEN, 4), 0);
	assert_int_equal(cfg_rd(f, VIRTIO_INPUT_CFG_LEN + 100, 1), 0);
}

static void test_keyboard_config(void **state)
{
	struct fx *f = *state;
	uint8_t u[128];

	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_ID_NAME, 0, u), 21);
	assert_memory_equal(u, "ttyvm virtio keyboard", 21);
	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_ID_DEVIDS, 0, u), 8);
	assert_int_equal(get_le16(u + 4), VIRTIO_INPUT_PRODUCT_KBD);
	/* the keys it was given, and only those (0 and 9999 ignored) */
	unsigned int n = cfg_query(f, VIRTIO_INPUT_CFG_EV_BITS, EV_KEY, u);
	assert_int_equal(n, KEY_PAUSE / 8 + 1);      /* the highest code given */
	unsigned int set = 0;
	for (unsigned int c = 0; c < n * 8; c++)
		set += !!(u[c / 8] & (1u << (c % 8)));
	assert_int_equal(set, 6);
	assert_true(u[KEY_A / 8] & (1u << (KEY_A % 8)));
	assert_true(u[KEY_PAUSE / 8] & (1u << (KEY_PAUSE % 8)));
	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_EV_BITS, EV_LED, u), 1);
	assert_int_equal(u[0], 7);
	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_EV_BITS, EV_REP, u), 1);
	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_EV_BITS, EV_ABS, u), 0);
	assert_int_equal(cfg_query(f, VIRTIO_INPUT_CFG_ABS_INFO, ABS_X, u), 0);
}

/* ---- events -------------------------------------------------------------------------- */

static void test_tablet_events(void **state)
{
	struct fx *f = *state;
	struct virtio_input_stats st;

	/* before the driver runs: not active, events wait */
	assert_false(virtio_input_active(f->vi));
	virtio_input_abs(f->vi, 100, 40000, 0, 0);
	driver_init(f, true);
	/* the reset of the bring-up dropped what came before */
	assert_true(virtio_input_active(f->vi));
	virtio_input_abs(f->vi, 16384, 40000, 0, 0);       /* y clamped */
	virtio_input_abs(f->vi, 1, 2, 0, 1);                /* left down */
	virtio_input_abs(f->vi, 1, 2, 3, 0);                /* up, wheel towards user */
	expect_no_event(f);
	virtio_pci_bar_read(f->vt.vp, VIRTIO_PCI_ISR_OFF, 1);     /* read clears */
	offer_events(f, 0, 12, 8);
	assert_true(virtio_pci_bar_read(f->vt.vp, VIRTIO_PCI_ISR_OFF, 1) & VIRTIO_ISR_QUEUE);
	expect_event(f, EV_ABS, ABS_X, 16384);
	expect_event(f, EV_ABS, ABS_Y, 32767);
	expect_event(f, EV_SYN, SYN_REPORT, 0);
	expect_event(f, EV_ABS, ABS_X, 1);
	expect_event(f, EV_ABS, ABS_Y, 2);
	expect_event(f, EV_KEY, BTN_LEFT, 1);
	expect_event(f, EV_SYN, SYN_REPORT, 0);
	expect_event(f, EV_ABS, ABS_X, 1);
	expect_event(f, EV_ABS, ABS_Y, 2);
	expect_event(f, EV_KEY, BTN_LEFT, 0);
	expect_event(f, EV_REL, REL_WHEEL, (uint32_t)-3);
	expect_event(f, EV_SYN, SYN_REPORT, 0);
	expect_no_event(f);
	/* buffers there first: events go at once; buttons as keys too */
	offer_events(f, 0, 4, 8);
	virtio_input_key(f->vi, BTN_RIGHT, true);
	virtio_input_key(f->vi, KEY_A, true);              /* a tablet has no keys */
	expect_event(f, EV_KEY, BTN_RIGHT, 1);
	expect_event(f, EV_SYN, SYN_REPORT, 0);
	expect_no_event(f);
	virtio_input_get_stats(f->vi, &st);
	assert_int_equal(st.sent, 14);
	assert_int_equal(st.dropped, 0);
}

static void test_keyboard_events(void **state)
{
	struct fx *f = *state;

	driver_init(f, true);
	offer_events(f, 0, 16, 8);
	virtio_input_key(f->vi, KEY_B, true);               /* not its key */
	virtio_input_key(f->vi, KEY_A, false);              /* not down */
	virtio_input_key(f->vi, KEY_A, true);
	virtio_input_key(f->vi, KEY_A, true);               /* typematic */
	virtio_input_key(f->vi, KEY_A, false);
	virtio_input_key(f->vi, 0xFFFF, true);
	expect_event(f, EV_KEY, KEY_A, 1);
	expect_event(f, EV_SYN, SYN_REPORT, 0);
	expect_event(f, EV_KEY, KEY_A, 2);
	expect_event(f, EV_SYN, SYN_REPORT, 0);
	expect_event(f, EV_KEY, KEY_A, 0);
	expect_event(f, EV_SYN, SYN_REPORT, 0);
	expect_no_event(f);
	virtio_input_abs(f->vi, 1, 1, 0, 1);                /* a keyboard has no pointer */
	expect_no_event(f);
}

/* No buffers for a long time: the queue holds what fits, whole reports. */
static void test_overflow(void **state)
{
	struct fx *f = *state;
	struct virtio_input_stats st;

	driver_init(f, true);
	for (unsigned int i = 0; i < 200; i++)
		virtio_input_abs(f->vi, i, i, 0, 0);        /* 3 events each */
	virtio_input_get_stats(f->vi, &st);
	assert_int_equal(st.dropped, (200 - VIRTIO_INPUT_PENDING / 3) * 3);
	/* the first reports arrive, complete */
	for (unsigned int round = 0; round < 5; round++) {
		offer_events(f, 0, 15, 8);
		for (unsigned int i = 0; i < 5; i++) {
			unsigned int v = round * 5 + i;
			expect_event(f, EV_ABS, ABS_X, v);
			expect_event(f, EV_ABS, ABS_Y, v);
			expect_event(f, EV_SYN, SYN_REPORT, 0);
		}
	}
}

/* Buffers too short, read-only or looping: dropped, counted, no harm. */
static void test_hostile_buffers(void **state)
{
	struct fx *f = *state;
	struct virtio_input_stats st;
	uint32_t head, len;

	driver_init(f, true);
	virtio_input_key(f->vi, BTN_LEFT, true);
	/* 4 bytes: too short */
	memset(gpa(f, BUF_GPA, 16), 0xEE, 16);
	desc_at(f, 0, 0, BUF_GPA, 4, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0, 0);
	/* read-only */
	desc_at(f, 0, 1, BUF_GPA + 16, 8, 0, 0);
	offer(f, 0, 1);
	/* a loop: 2 -> 3 -> 2 */
	desc_at(f, 0, 2, BUF_GPA + 32, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
	desc_at(f, 0, 3, BUF_GPA + 48, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	offer(f, 0, 2);
	/* outside guest RAM */
	desc_at(f, 0, 4, RAM - 4, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0, 4);
	/* a good one, split in two descriptors of 3 + 5 bytes */
	desc_at(f, 0, 5, BUF_GPA + 80, 3, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 6);
	desc_at(f, 0, 6, BUF_GPA + 83, 5, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0, 5);
	vtest_notify(&f->vt, 0);
	for (unsigned int want = 0; want < 4; want++) {
		assert_true(next_used(f, 0, &head, &len));
		assert_int_equal(head, want == 3 ? 4 : want);
		assert_int_equal(len, 0);
	}
	assert_int_equal(get_le32(gpa(f, BUF_GPA, 4)), 0xEEEEEEEE);   /* untouched */
	assert_true(next_used(f, 0, &head, &len));
	assert_int_equal(head, 5);
	assert_int_equal(len, 8);
	uint8_t *b = gpa(f, BUF_GPA + 80, 8);
	assert_int_equal(get_le16(b), EV_KEY);
	assert_int_equal(get_le16(b + 2), BTN_LEFT);
	assert_int_equal(get_le32(b + 4), 1);
	virtio_input_get_stats(f->vi, &st);
	assert_int_equal(st.bad_buffers, 2);
	/* the SYN still waits, and the queue still works */
	offer_events(f, 7, 1, 8);
	assert_true(next_used(f, 0, &head, &len));
	assert_int_equal(head, 7);
	/* a ring that runs ahead by more than its size: the device needs a reset */
	vtest_set_avail_idx(&f->vt.q[0], (uint16_t)(f->vt.q[0].avail_idx + QSIZE + 5));
	virtio_input_key(f->vi, BTN_LEFT, false);
	vtest_notify(&f->vt, 0);
	assert_true(vtest_cc_rd(&f->vt, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_false(virtio_input_active(f->vi));
	/* and comes back after one */
	driver_init(f, true);
	assert_true(virtio_input_active(f->vi));
}

/* LED messages on the status queue; anything else is counted. */
static void test_status_leds(void **state)
{
	struct fx *f = *state;
	struct virtio_input_stats st;
	uint32_t head, len;
	struct { uint16_t type, code; uint32_t value; uint32_t len; } msgs[] = {
		{ EV_LED, LED_CAPSL, 1, 8 },
		{ EV_SYN, SYN_REPORT, 0, 8 },
		{ EV_LED, LED_NUML, 1, 8 },
		{ EV_LED, LED_NUML, 0, 8 },
		{ EV_LED, LED_SCROLLL, 1, 4 },     /* short */
		{ EV_LED, 7, 1, 8 },               /* no such LED */
		{ EV_LED, LED_SCROLLL, 5, 8 },     /* bad value */
		{ EV_KEY, KEY_A, 1, 8 },           /* not a status */
	};

	driver_init(f, true);
	for (unsigned int i = 0; i < ARRAY_SIZE(msgs); i++) {
		uint8_t *b = gpa(f, BUF_GPA + 16ULL * i, 8);
		put_le16(b, msgs[i].type);
		put_le16(b + 2, msgs[i].code);
		put_le32(b + 4, msgs[i].value);
		desc_at(f, 1, i, BUF_GPA + 16ULL * i, msgs[i].len, 0, 0);
		offer(f, 1, (uint16_t)i);
	}
	vtest_notify(&f->vt, 1);
	for (unsigned int i = 0; i < ARRAY_SIZE(msgs); i++) {
		assert_true(next_used(f, 1, &head, &len));
		assert_int_equal(head, i);
		assert_int_equal(len, 0);
	}
	assert_int_equal(virtio_input_leds(f->vi), 1u << LED_CAPSL);
	virtio_input_get_stats(f->vi, &st);
	assert_int_equal(st.bad_status, 4);
	/* a device-writable status buffer has nothing to read: counted */
	desc_at(f, 1, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 1, 0);
	vtest_notify(&f->vt, 1);
	assert_true(next_used(f, 1, &head, &len));
	virtio_input_get_stats(f->vi, &st);
	assert_int_equal(st.bad_status, 5);
	/* a reset forgets the LEDs */
	driver_init(f, true);
	assert_int_equal(virtio_input_leds(f->vi), 0);
}

/* A snapshot with events pending loads into a fresh device that
 * delivers them. */
static void test_snapshot(void **state)
{
	struct fx *f = *state;
	struct snap s, l;

	driver_init(f, true);
	virtio_input_key(f->vi, KEY_ENTER, true);
	virtio_input_key(f->vi, KEY_ENTER, false);
	snap_init_save(&s);
	assert_int_equal(virtio_input_snapshot(f->vi, &s), 0);
	/* the same device, reset, then loaded */
	driver_init(f, true);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(virtio_input_snapshot(f->vi, &l), 0);
	offer_events(f, 0, 4, 8);
	expect_event(f, EV_KEY, KEY_ENTER, 1);
	expect_event(f, EV_SYN, SYN_REPORT, 0);
	expect_event(f, EV_KEY, KEY_ENTER, 0);
	expect_event(f, EV_SYN, SYN_REPORT, 0);
	/* a cut record is refused */
	snap_init_load(&l, s.buf, s.len - 10);
	assert_int_not_equal(virtio_input_snapshot(f->vi, &l), 0);
	snap_free(&s);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_identity, setup_tablet, teardown),
	cmocka_unit_test_setup_teardown(test_tablet_config, setup_tablet, teardown),
	cmocka_unit_test_setup_teardown(test_config_hostile, setup_tablet, teardown),
	cmocka_unit_test_setup_teardown(test_keyboard_config, setup_kbd, teardown),
	cmocka_unit_test_setup_teardown(test_tablet_events, setup_tablet, teardown),
	cmocka_unit_test_setup_teardown(test_keyboard_events, setup_kbd, teardown),
	cmocka_unit_test_setup_teardown(test_overflow, setup_tablet, teardown),
	cmocka_unit_test_setup_teardown(test_hostile_buffers, setup_tablet, teardown),
	cmocka_unit_test_setup_teardown(test_status_leds, setup_kbd, teardown),
	cmocka_unit_test_setup_teardown(test_snapshot, setup_kbd, teardown),
};

UNIT_SUITE(virtio_input, tests);
