/*
 * virtqueue_test.c - split virtqueues driven the way a driver fills them,
 * in real guest RAM, including every malformed ring the issue names:
 * loops, bad indirect tables, addresses outside RAM, out-of-range
 * indices, a runaway avail index and sizes that are not powers of two.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "virtio_testutil.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"
#include "vmm/snap.h"
#include "vmm/virtio/virtqueue.h"

#define RAM        (4 * MiB)
#define DESC_GPA   0x10000ULL
#define AVAIL_GPA  0x20000ULL
#define USED_GPA   0x30000ULL
#define IND_GPA    0x40000ULL   /* indirect tables */
#define BUF_GPA    0x100000ULL  /* data buffers */

/* ---- a tiny driver ------------------------------------------------------ */

struct drv {
	struct guest_mem gm;
	struct virtq vq;
	struct virtq_elem e;
	struct vtest_ring r;     /* the driver's view of vq's rings */
};

static void drv_desc(struct drv *d, unsigned int i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	vtest_desc(&d->gm, DESC_GPA, i, addr, len, flags, next);
}

static int drv_setup_size(void **state, uint16_t max, uint16_t size)
{
	struct drv *d = calloc(1, sizeof(*d));

	if (!d || gmem_init(&d->gm, RAM) < 0)
		return -1;
	vtest_ring_init(&d->r, &d->gm, DESC_GPA, AVAIL_GPA, USED_GPA, size);
	virtq_init(&d->vq, &d->gm, max);
	d->vq.size = size;
	d->vq.desc_gpa = DESC_GPA;
	d->vq.avail_gpa = AVAIL_GPA;
	d->vq.used_gpa = USED_GPA;
	if (virtq_enable(&d->vq) < 0)
		return -1;
	*state = d;
	return 0;
}

static int setup(void **state)
{
	return drv_setup_size(state, 256, 8);
}

static int setup_big(void **state)
{
	return drv_setup_size(state, 4096, 2048);
}

static int teardown(void **state)
{
	struct drv *d = *state;
	gmem_destroy(&d->gm);
	free(d);
	return 0;
}

/* The chain came back unprocessed: used entry with length 0, nothing mapped. */
static void assert_dropped(struct drv *d, int rc, uint16_t head, uint16_t used_before)
{
	uint32_t id, len;

	assert_int_equal(rc, -EINVAL);
	assert_int_equal(d->e.out_num + d->e.in_num, 0);
	assert_int_equal(vtest_used_idx(&d->r), (uint16_t)(used_before + 1));
	vtest_used(&d->r, used_before, &id, &len);
	assert_int_equal(id, head);
	assert_int_equal(len, 0);
	/* and the next pop neither hangs nor finds anything */
	assert_int_equal(virtq_pop(&d->vq, &d->e), 0);
}

/* ---- well-formed rings --------------------------------------------------- */

static void test_chain(void **state)
{
	struct drv *d = *state;
	uint32_t id, len;

	/* header (readable), data (writable), status (writable), as virtio-blk */
	drv_desc(d, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(d, 1, BUF_GPA + 0x1000, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	drv_desc(d, 2, BUF_GPA + 0x2000, 1, VIRTQ_DESC_F_WRITE, 0);
	assert_int_equal(virtq_pop(&d->vq, &d->e), 0);
	vtest_offer(&d->r, 0);
	assert_true(virtq_has_work(&d->vq));
	assert_int_equal(virtq_pop(&d->vq, &d->e), 1);
	assert_int_equal(d->e.head, 0);
	assert_int_equal(d->e.out_num, 1);
	assert_int_equal(d->e.in_num, 2);
	assert_int_equal(d->e.out_len, 16);
	assert_int_equal(d->e.in_len, 513);
	assert_ptr_equal(d->e.iov[0].iov_base, d->gm.low_map + BUF_GPA);
	assert_ptr_equal(d->e.iov[2].iov_base, d->gm.low_map + BUF_GPA + 0x2000);
	assert_int_equal(virtq_pop(&d->vq, &d->e), 0);
	assert_false(virtq_has_work(&d->vq));
	virtq_push(&d->vq, 0, 513);
	assert_int_equal(vtest_used_idx(&d->r), 1);
	vtest_used(&d->r, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 513);
}

static void test_ring_wraps(void **state)
{
	struct drv *d = *state;
	uint32_t id, len;

	/* 3 * size requests through a ring of size 8: indices wrap */
	drv_desc(d, 5, BUF_GPA, 64, VIRTQ_DESC_F_WRITE, 0);
	for (unsigned int i = 0; i < 3u * d->r.size; i++) {
		vtest_offer(&d->r, 5);
		assert_int_equal(virtq_pop(&d->vq, &d->e), 1);
		assert_int_equal(d->e.head, 5);
		virtq_push(&d->vq, d->e.head, (uint32_t)i);
		vtest_used(&d->r, i, &id, &len);
		assert_int_equal(len, i);
	}
	assert_int_equal(vtest_used_idx(&d->r), 3 * d->r.size);
}

static void test_zero_length_buffer_not_mapped(void **state)
{
	struct drv *d = *state;

	/* a zero-length buffer's address is never looked at */
	drv_desc(d, 0, 0xFFFFFFFFFFFFFFFFULL, 0, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(d, 1, BUF_GPA, 4, VIRTQ_DESC_F_WRITE, 0);
	vtest_offer(&d->r, 0);
	assert_int_equal(virtq_pop(&d->vq, &d->e), 1);
	assert_int_equal(d->e.out_num, 0);
	assert_int_equal(d->e.in_num, 1);
}

static void test_indirect(void **state)
{
	struct drv *d = *state;

	virtq_set_features(&d->vq, false, true);
	vtest_desc(&d->gm, IND_GPA, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	vtest_desc(&d->gm, IND_GPA, 1, BUF_GPA + 0x1000, 4096,
		    VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	vtest_desc(&d->gm, IND_GPA, 2, BUF_GPA + 0x3000, 1, VIRTQ_DESC_F_WRITE, 0);
	drv_desc(d, 3, IND_GPA, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	vtest_offer(&d->r, 3);
	assert_int_equal(virtq_pop(&d->vq, &d->e), 1);
	assert_int_equal(d->e.head, 3);
	assert_int_equal(d->e.out_num, 1);
	assert_int_equal(d->e.in_num, 2);
	assert_int_equal(d->e.in_len, 4097);
}

static void test_indirect_full_table(void **state)
{
	struct drv *d = *state;

	/* the largest table allowed: VIRTQ_MAX_SEGS entries */
	virtq_set_features(&d->vq, false, true);
	for (unsigned int i = 0; i < VIRTQ_MAX_SEGS; i++)
		vtest_desc(&d->gm, IND_GPA, i, BUF_GPA + i, 1,
			    i + 1 < VIRTQ_MAX_SEGS ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	drv_desc(d, 0, IND_GPA, VIRTQ_MAX_SEGS * 16, VIRTQ_DESC_F_INDIRECT, 0);
	vtest_offer(&d->r, 0);
	assert_int_equal(virtq_pop(&d->vq, &d->e), 1);
	assert_int_equal(d->e.out_num, VIRTQ_MAX_SEGS);
}

/* ---- hostile descriptor chains ----------------------------------------- */

static void test_loop_two(void **state)
{
	struct drv *d = *state;

	drv_desc(d, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(d, 1, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 0);
	vtest_offer(&d->r, 0);
	assert_dropped(d, virtq_pop(&d->vq, &d->e), 0, 0);
	assert_int_equal(d->vq.dropped, 1);
}

static void test_loop_self(void **state)
{
	struct drv *d = *state;

	drv_desc(d, 4, BUF_GPA, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 4);
	vtest_offer(&d->r, 4);
	assert_dropped(d, virtq_pop(&d->vq, &d->e), 4, 0);
}

static void test_chain_longer_than_queue(void **state)
{
	struct drv *d = *state;

	/* all 8 descriptors in a chain is fine; the last one links back */
	for (unsigned int i = 0; i < d->r.size; i++)
		drv_desc(d, i, BUF_GPA, 1, VIRTQ_DESC_F_NEXT, (uint16_t)((i + 1) % d->r.size));
	vtest_offer(&d->r, 0);
	assert_dropped(d, virtq_pop(&d->vq, &d->e), 0, 0);
	/* with the link cut, the full-length chain is accepted */
	drv_desc(d, d->r.size - 1, BUF_GPA, 1, 0, 0);
	vtest_offer(&d->r, 0);
	assert_int_equal(virtq_pop(&d->vq, &d->e), 1);
	assert_int_equal(d->e.out_num, d->r.size);
}

static void test_next_out_of_range(void **state)
{
	struct drv *d = *state;

	drv_desc(d, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 8);   /* size is 8 */
	vtest_offer(&d->r, 0);
	assert_dropped(d, virtq_pop(&d->vq, &d->e), 0, 0);
	drv_desc(d, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 0xFFFF);
	vtest_offer(&d->r, 0);
	assert_dropped(d, virtq_pop(&d->vq, &d->e), 0, 1);
}

static void check_bad_buffer(struct drv *d, uint64_t addr, uint32_t len, uint16_t used)
{
	drv_desc(d, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(d, 1, addr, len, VIRTQ_DESC_F_WRITE, 0);
	vtest_offer(&d->r, 0);
	assert_dropped(d, virtq_pop(&d->vq, &d->e), 0, used);
}

static void test_bad_addresses(void **state)
{
	struct drv *d = *state;
	uint16_t n = 0;

	check_bad_buffer(d, RAM, 1, n++);                       /* just past RAM */
	check_bad_buffer(d, RAM - 8, 16, n++);                  /* straddles the end */
	check_bad_buffer(d, 0x1000, 0xFFFFFFFF, n++);           /* longer than RAM */
	check_bad_buffer(d, 0xFFFFFFFFFFFFF000ULL, 0x2000, n++); /* addr + len wraps */
	check_bad_buffer(d, 0xFFFFFFFFFFFFFFFFULL, 1, n++);
	check_bad_buffer(d, LAYOUT_VGA_START, 16, n++);         /* MMIO hole */
	check_bad_buffer(d, LAYOUT_VGA_START - 8, 16, n++);     /* runs into the hole */
	check_bad_buffer(d, LAYOUT_IOAPIC_BASE, 4, n++);        /* 32-bit PCI hole */
	check_bad_buffer(d, LAYOUT_4G, 4, n++);                 /* no high RAM here */
	assert_int_equal(d->vq.dropped, n);
}

static void test_wrong_direction(void **state)
{
	struct drv *d = *state;

	/* a readable buffer after a writable one */
	drv_desc(d, 0, BUF_GPA, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	drv_desc(d, 1, BUF_GPA, 16, 0, 0);
	vtest_offer(&d->r, 0);
	assert_dropped(d, virtq_pop(&d->vq, &d->e), 0, 0);
}

static void test_indirect_not_negotiated(void **state)
{
	struct drv *d = *state;

	vtest_desc(&d->gm, IND_GPA, 0, BUF_GPA, 16, 0, 0);
	drv_desc(d, 0, IND_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	vtest_offer(&d->r, 0);
	assert_dropped(d, virtq_pop(&d->vq, &d->e), 0, 0);
}

static void check_bad_indirect(struct drv *d, uint64_t addr, uint32_t len,
			       uint16_t flags, uint16_t used)
{
	drv_desc(d, 2, addr, len, flags, 3);
	vtest_offer(&d->r, 2);
	assert_dropped(d, virtq_pop(&d->vq, &d->e), 2, used);
}

static void test_indirect_bad_lengths(void **state)
{
	struct drv *d = *state;
	uint16_t n = 0;

	virtq_set_features(&d->vq, false, true);
	vtest_desc(&d->gm, IND_GPA, 0, BUF_GPA, 16, 0, 0);
	check_bad_indirect(d, IND_GPA, 0, VIRTQ_DESC_F_INDIRECT, n++);        /* empty */
	check_bad_indirect(d, IND_GPA, 24, VIRTQ_DESC_F_INDIRECT, n++);       /* not 16n */
	check_bad_indirect(d, IND_GPA, 15, VIRTQ_DESC_F_INDIRECT, n++);
	check_bad_indirect(d, RAM - 16, 32, VIRTQ_DESC_F_INDIRECT, n++);      /* past RAM */
	check_bad_indirect(d, 0xFFFFFFFFFFFFFFF0ULL, 32, VIRTQ_DESC_F_INDIRECT, n++);
	check_bad_indirect(d, LAYOUT_VGA_START, 16, VIRTQ_DESC_F_INDIRECT, n++);
	check_bad_indirect(d, IND_GPA, (VIRTQ_MAX_SEGS + 1) * 16, VIRTQ_DESC_F_INDIRECT, n++);
	check_bad_indirect(d, IND_GPA, 0xFFFFFFF0, VIRTQ_DESC_F_INDIRECT, n++);
	/* INDIRECT together with NEXT */
	check_bad_indirect(d, IND_GPA, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, n++);
}

static void test_indirect_nested(void **state)
{
	struct drv *d = *state;

	virtq_set_features(&d->vq, false, true);
	/* the table points at another table (here: itself) */
	vtest_desc(&d->gm, IND_GPA, 0, IND_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	vtest_desc(&d->gm, IND_GPA, 1, BUF_GPA, 16, 0, 0);
	drv_desc(d, 0, IND_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	vtest_offer(&d->r, 0);
	assert_dropped(d, virtq_pop(&d->vq, &d->e), 0, 0);
}

static void test_indirect_not_head(void **state)
{
	struct drv *d = *state;

	virtq_set_features(&d->vq, false, true);
	vtest_desc(&d->gm, IND_GPA, 0, BUF_GPA, 16, 0, 0);
	drv_desc(d, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(d, 1, IND_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	vtest_offer(&d->r, 0);
	assert_dropped(d, virtq_pop(&d->vq, &d->e), 0, 0);
}

static void test_indirect_loop_and_next(void **state)
{
	struct drv *d = *state;

	virtq_set_features(&d->vq, false, true);
	/* a loop inside the table: ends after the table's 4 entries */
	for (unsigned int i = 0; i < 4; i++)
		vtest_desc(&d->gm, IND_GPA, i, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, (uint16_t)((i + 1) % 4));
	drv_desc(d, 0, IND_GPA, 64, VIRTQ_DESC_F_INDIRECT, 0);
	vtest_offer(&d->r, 0);
	assert_dropped(d, virtq_pop(&d->vq, &d->e), 0, 0);
	/* next beyond the table (the queue is bigger, the table is not) */
	vtest_desc(&d->gm, IND_GPA, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 4);
	vtest_offer(&d->r, 0);
	assert_dropped(d, virtq_pop(&d->vq, &d->e), 0, 1);
}

static void test_too_many_segments(void **state)
{
	struct drv *d = *state;

	/* a 2048-entry queue, one chain of VIRTQ_MAX_SEGS + 1 buffers */
	for (unsigned int i = 0; i <= VIRTQ_MAX_SEGS; i++)
		drv_desc(d, i, BUF_GPA, 1, i < VIRTQ_MAX_SEGS ? VIRTQ_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	vtest_offer(&d->r, 0);
	assert_dropped(d, virtq_pop(&d->vq, &d->e), 0, 0);
}

/* ---- hostile rings --------------------------------------------------------- */

static void test_avail_idx_runaway(void **state)
{
	struct drv *d = *state;

	drv_desc(d, 0, BUF_GPA, 16, 0, 0);
	vtest_set_avail_idx(&d->r, (uint16_t)(d->r.size + 1));
	assert_int_equal(virtq_pop(&d->vq, &d->e), -EIO);
	assert_true(d->vq.broken);
	/* nothing was used, and the queue stays stopped */
	assert_int_equal(vtest_used_idx(&d->r), 0);
	vtest_set_avail_idx(&d->r, 1);
	assert_int_equal(virtq_pop(&d->vq, &d->e), 0);
	assert_false(virtq_has_work(&d->vq));
	/* a reset and re-enable brings it back */
	virtq_reset(&d->vq);
	d->vq.size = d->r.size;
	d->vq.desc_gpa = DESC_GPA;
	d->vq.avail_gpa = AVAIL_GPA;
	d->vq.used_gpa = USED_GPA;
	assert_int_equal(virtq_enable(&d->vq), 0);
	assert_int_equal(virtq_pop(&d->vq, &d->e), 1);
}

static void test_head_out_of_range(void **state)
{
	struct drv *d = *state;

	vtest_offer(&d->r, 8);
	assert_int_equal(virtq_pop(&d->vq, &d->e), -EIO);
	assert_true(d->vq.broken);
	assert_int_equal(vtest_used_idx(&d->r), 0);
}

static void test_enable_checks(void **state)
{
	struct drv *d = *state;
	struct virtq vq;
	static const uint16_t bad_sizes[] = { 0, 3, 6, 100, 255, 512 };

	for (unsigned int i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
		virtq_init(&vq, &d->gm, 256);
		vq.size = bad_sizes[i];
		vq.desc_gpa = DESC_GPA;
		vq.avail_gpa = AVAIL_GPA;
		vq.used_gpa = USED_GPA;
		assert_int_equal(virtq_enable(&vq), -EINVAL);
		assert_false(vq.enabled);
		assert_int_equal(virtq_pop(&vq, &d->e), 0);
	}
	/* misaligned rings */
	virtq_init(&vq, &d->gm, 256);
	vq.desc_gpa = DESC_GPA + 8;
	vq.avail_gpa = AVAIL_GPA;
	vq.used_gpa = USED_GPA;
	assert_int_equal(virtq_enable(&vq), -EINVAL);
	vq.desc_gpa = DESC_GPA;
	vq.avail_gpa = AVAIL_GPA + 1;
	assert_int_equal(virtq_enable(&vq), -EINVAL);
	vq.avail_gpa = AVAIL_GPA;
	vq.used_gpa = USED_GPA + 2;
	assert_int_equal(virtq_enable(&vq), -EINVAL);
	/* rings outside RAM, crossing its end, in the hole */
	vq.used_gpa = RAM - 16;
	assert_int_equal(virtq_enable(&vq), -EFAULT);
	vq.used_gpa = LAYOUT_VGA_START - 0x800;   /* 256 entries: 0x806 bytes */
	assert_int_equal(virtq_enable(&vq), -EFAULT);
	vq.used_gpa = USED_GPA;
	vq.desc_gpa = 0xFFFFFFFFFFFFF000ULL;
	assert_int_equal(virtq_enable(&vq), -EFAULT);
	assert_false(vq.enabled);
	vq.desc_gpa = DESC_GPA;
	assert_int_equal(virtq_enable(&vq), 0);
	assert_true(vq.enabled);
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* A random 64-bit address, biased towards interesting places. */
static uint64_t rnd_addr(uint64_t *x)
{
	static const uint64_t base[] = {
		0, BUF_GPA, IND_GPA, DESC_GPA, LAYOUT_VGA_START - 8, RAM - 16, RAM,
		LAYOUT_4G, 0xFFFFFFFFFFFFFFF0ULL,
	};
	uint64_t r = rnd(x);

	if (r % 4 == 0)
		return rnd(x);
	return base[(r >> 8) % ARRAY_SIZE(base)] + (r >> 32) % 64;
}

static void test_random_rings(void **state)
{
	struct drv *d = *state;
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	uint8_t *lo = d->gm.low_map, *hi = d->gm.low_map + d->gm.low_size;

	for (unsigned int round = 0; round < 3000; round++) {
		virtq_set_features(&d->vq, rnd(&x) & 1, rnd(&x) & 1);
		/* garbage descriptors in the ring and in an indirect table */
		for (unsigned int i = 0; i < d->r.size; i++) {
			uint64_t r = rnd(&x);
			bool ind = (r & 7) == 0;
			drv_desc(d, i, ind ? IND_GPA : rnd_addr(&x),
				 ind ? (uint32_t)(16 * (r >> 40 & 7)) : (uint32_t)(r >> 32) % 9000,
				 (uint16_t)(r >> 3) & 7, (uint16_t)(r >> 16) % (d->r.size + 2));
		}
		for (unsigned int i = 0; i < 8; i++) {
			uint64_t r = rnd(&x);
			vtest_desc(&d->gm, IND_GPA, i, rnd_addr(&x), (uint32_t)(r >> 32) % 5000,
				    (uint16_t)(r >> 3) & 7, (uint16_t)(r >> 16) % 10);
		}
		/* up to a full ring of random heads, sometimes more than allowed */
		unsigned int n = (unsigned int)(rnd(&x) % (d->r.size + 2));
		for (unsigned int i = 0; i < n; i++)
			vtest_offer(&d->r, (uint16_t)(rnd(&x) % (d->r.size + 1)));
		int r;
		unsigned int pops = 0;
		while ((r = virtq_pop(&d->vq, &d->e)) != 0) {
			assert_true(++pops <= (unsigned int)d->r.size + 1);
			if (r < 0)
				continue;
			for (unsigned int i = 0; i < d->e.out_num + d->e.in_num; i++) {
				uint8_t *b = d->e.iov[i].iov_base;
				assert_true(b >= lo && b + d->e.iov[i].iov_len <= hi);
			}
			virtq_push(&d->vq, d->e.head, 0);
		}
		if (d->vq.broken || rnd(&x) % 16 == 0) {
			/* start over, as a driver does after NEEDS_RESET */
			virtq_reset(&d->vq);
			d->vq.size = d->r.size;
			d->vq.desc_gpa = DESC_GPA;
			d->vq.avail_gpa = AVAIL_GPA;
			d->vq.used_gpa = USED_GPA;
			memset(vtest_ptr(&d->gm, AVAIL_GPA, 0x10000), 0, 0x10000);
			memset(vtest_ptr(&d->gm, USED_GPA, 0x10000), 0, 0x10000);
			d->r.avail_idx = 0;
			assert_int_equal(virtq_enable(&d->vq), 0);
		}
	}
}

/* ---- notification suppression -------------------------------------------- */

static void test_no_interrupt_flag(void **state)
{
	struct drv *d = *state;

	drv_desc(d, 0, BUF_GPA, 16, 0, 0);
	assert_false(virtq_needs_interrupt(&d->vq));   /* nothing used yet */
	vtest_offer(&d->r, 0);
	assert_int_equal(virtq_pop(&d->vq, &d->e), 1);
	virtq_push(&d->vq, 0, 0);
	assert_true(virtq_needs_interrupt(&d->vq));
	assert_false(virtq_needs_interrupt(&d->vq));   /* nothing new */
	put_le16(vtest_ptr(&d->gm, AVAIL_GPA, 2), VIRTQ_AVAIL_F_NO_INTERRUPT);
	vtest_offer(&d->r, 0);
	assert_int_equal(virtq_pop(&d->vq, &d->e), 1);
	virtq_push(&d->vq, 0, 0);
	assert_false(virtq_needs_interrupt(&d->vq));
}

static void test_event_idx(void **state)
{
	struct drv *d = *state;

	virtq_set_features(&d->vq, true, false);
	drv_desc(d, 0, BUF_GPA, 16, 0, 0);
	/* an empty pop tells the driver where to notify next */
	assert_int_equal(virtq_pop(&d->vq, &d->e), 0);
	assert_int_equal(vtest_avail_event(&d->r), 0);
	for (int i = 0; i < 3; i++)
		vtest_offer(&d->r, 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(virtq_pop(&d->vq, &d->e), 1);
		virtq_push(&d->vq, 0, 0);
	}
	assert_int_equal(virtq_pop(&d->vq, &d->e), 0);
	assert_int_equal(vtest_avail_event(&d->r), 3);
	/* first decision always interrupts */
	vtest_set_used_event(&d->r, 0);
	assert_true(virtq_needs_interrupt(&d->vq));
	/* driver wants an interrupt only once used idx passes 5 */
	vtest_set_used_event(&d->r, 5);
	vtest_offer(&d->r, 0);
	assert_int_equal(virtq_pop(&d->vq, &d->e), 1);
	virtq_push(&d->vq, 0, 0);                     /* used idx 4 */
	assert_false(virtq_needs_interrupt(&d->vq));
	vtest_offer(&d->r, 0);
	vtest_offer(&d->r, 0);
	assert_int_equal(virtq_pop(&d->vq, &d->e), 1);
	virtq_push(&d->vq, 0, 0);
	assert_int_equal(virtq_pop(&d->vq, &d->e), 1);
	virtq_push(&d->vq, 0, 0);                     /* used idx 6: crossed 5 */
	assert_true(virtq_needs_interrupt(&d->vq));
}

/* ---- snapshot ------------------------------------------------------------------ */

static void test_snapshot_roundtrip(void **state)
{
	struct drv *d = *state;
	struct virtq fresh;
	struct snap s;

	virtq_set_features(&d->vq, true, true);
	drv_desc(d, 1, BUF_GPA, 16, 0, 0);
	for (int i = 0; i < 5; i++)
		vtest_offer(&d->r, 1);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(virtq_pop(&d->vq, &d->e), 1);
		virtq_push(&d->vq, 1, 7);
	}
	assert_true(virtq_needs_interrupt(&d->vq));

	snap_init_save(&s);
	assert_int_equal(virtq_snapshot(&d->vq, &s), 0);
	virtq_init(&fresh, &d->gm, 256);
	struct snap l;
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(virtq_snapshot(&fresh, &l), 0);
	assert_true(fresh.enabled);
	assert_int_equal(fresh.size, d->r.size);
	assert_int_equal(fresh.desc_gpa, DESC_GPA);
	assert_int_equal(fresh.avail_gpa, AVAIL_GPA);
	assert_int_equal(fresh.used_gpa, USED_GPA);
	assert_int_equal(fresh.last_avail, 3);
	assert_int_equal(fresh.used_idx, 3);
	assert_true(fresh.event_idx);
	assert_true(fresh.indirect);
	assert_ptr_equal(fresh.desc, d->vq.desc);
	/* the loaded queue carries on where the old one stopped */
	assert_int_equal(virtq_pop(&fresh, &d->e), 1);
	assert_int_equal(virtq_pop(&fresh, &d->e), 1);
	assert_int_equal(virtq_pop(&fresh, &d->e), 0);
	virtq_push(&fresh, 1, 9);
	assert_int_equal(vtest_used_idx(&d->r), 4);
	snap_free(&s);
}

static void test_snapshot_rejects_bad_rings(void **state)
{
	struct drv *d = *state;
	struct virtq fresh;
	struct snap s, l;

	/* an enabled queue whose rings are not RAM is refused on load */
	d->vq.used_gpa = LAYOUT_VGA_START;
	snap_init_save(&s);
	assert_int_equal(virtq_snapshot(&d->vq, &s), 0);
	virtq_init(&fresh, &d->gm, 256);
	snap_init_load(&l, s.buf, s.len);
	assert_int_equal(virtq_snapshot(&fresh, &l), -EINVAL);
	assert_false(fresh.enabled);
	snap_free(&s);
}

/* ---- iovec helpers ---------------------------------------------------------- */

static void test_iov_helpers(void **state)
{
	uint8_t a[3] = { 1, 2, 3 }, b[5] = { 4, 5, 6, 7, 8 }, out[8];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } }, dst[2];
	(void)state;

	assert_int_equal(virtq_iov_to_buf(iov, 2, 2, out, 4), 4);
	assert_memory_equal(out, ((uint8_t[]){ 3, 4, 5, 6 }), 4);
	assert_int_equal(virtq_iov_to_buf(iov, 2, 6, out, 8), 2);
	assert_int_equal(virtq_iov_from_buf(iov, 2, 7, "\x99", 1), 1);
	assert_int_equal(b[4], 0x99);
	assert_int_equal(virtq_iov_slice(iov, 2, 1, 4, dst, 2), 2);
	assert_ptr_equal(dst[0].iov_base, a + 1);
	assert_int_equal(dst[0].iov_len, 2);
	assert_ptr_equal(dst[1].iov_base, b);
	assert_int_equal(dst[1].iov_len, 2);
	assert_int_equal(virtq_iov_slice(iov, 2, 1, 4, dst, 1), -E2BIG);
	assert_int_equal(virtq_iov_slice(iov, 2, 4, 5, dst, 2), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
	cmocka_unit_test_setup_teardown(test_ring_wraps, setup, teardown),
	cmocka_unit_test_setup_teardown(test_zero_length_buffer_not_mapped, setup, teardown),
	cmocka_unit_test_setup_teardown(test_indirect, setup, teardown),
	cmocka_unit_test_setup_teardown(test_indirect_full_table, setup, teardown),
	cmocka_unit_test_setup_teardown(test_loop_two, setup, teardown),
	cmocka_unit_test_setup_teardown(test_loop_self, setup, teardown),
	cmocka_unit_test_setup_teardown(test_chain_longer_than_queue, setup, teardown),
	cmocka_unit_test_setup_teardown(test_next_out_of_range, setup, teardown),
	cmocka_unit_test_setup_teardown(test_bad_addresses, setup, teardown),
	cmocka_unit_test_setup_teardown(test_wrong_direction, setup, teardown),
	cmocka_unit_test_setup_teardown(test_indirect_not_negotiated, setup, teardown),
	cmocka_unit_test_setup_teardown(test_indirect_bad_lengths, setup, teardown),
	cmocka_unit_test_setup_teardown(test_indirect_nested, setup, teardown),
	cmocka_unit_test_setup_teardown(test_indirect_not_head, setup, teardown),
	cmocka_unit_test_setup_teardown(test_indirect_loop_and_next, setup, teardown),
	cmocka_unit_test_setup_teardown(test_too_many_segments, setup_big, teardown),
	cmocka_unit_test_setup_teardown(test_avail_idx_runaway, setup, teardown),
	cmocka_unit_test_setup_teardown(test_head_out_of_range, setup, teardown),
	cmocka_unit_test_setup_teardown(test_enable_checks, setup, teardown),
	cmocka_unit_test_setup_teardown(test_random_rings, setup, teardown),
	cmocka_unit_test_setup_teardown(test_no_interrupt_flag, setup, teardown),
	cmocka_unit_test_setup_teardown(test_event_idx, setup, teardown),
	cmocka_unit_test_setup_teardown(test_snapshot_roundtrip, setup, teardown),
	cmocka_unit_test_setup_teardown(test_snapshot_rejects_bad_rings, setup, teardown),
	cmocka_unit_test(test_iov_helpers),
};

UNIT_SUITE(virtqueue, tests);
