/*
 * pm.c - the ACPI fixed hardware of a PIIX4/ICH-like chipset: the PM1a
 * event block (PM1_STS, PM1_EN), the PM1a control block (PM1_CNT), the
 * 32-bit PM timer and the GPE0 block, as chapter 4 ("ACPI Hardware
 * Specification") of the ACPI specification describes them.
 *
 * Status registers are write-1-to-clear; the SCI (IRQ 9, level, active
 * high) is asserted while an enabled status bit is set.  ACPI mode is
 * always on: the FADT has SMI_CMD = 0 and SCI_EN reads 1.  Writing SLP_EN
 * with SLP_TYP equal to the DSDT's \_S5 value (ACPI_SLP_TYP_S5) asks the
 * machine to power off.  Other sleep states are not implemented (the DSDT
 * does not offer them): such a request does nothing but set WAK_STS at
 * once, so a guest that tries anyway resumes instead of spinning forever.
 *
 * The PM timer counts at 3.579545 MHz from a monotonic clock and keeps
 * counting while the VM is paused, like the TSC.  TMR_STS (bit 31 of the
 * count toggled) is computed when the guest looks at the registers; it
 * does not by itself raise the SCI at the moment of the overflow.  Any
 * byte, word or dword access inside a block works, as chipsets allow.
 *
 * What it leaves to others: the ACPI tables (acpi/), and the machine's
 * reaction to VM_REQ_POWEROFF.  Threads: vCPU threads use the ports; the
 * control socket or TUI calls pm_power_button() on the event loop.
 */
#include "vmm/dev/pm.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "util/util.h"
#include "vmm/layout.h"
#include "vmm/machine.h"
#include "vmm/trap.h"

#define NS_PER_SEC 1000000000ULL
#define PM1_EN_MASK  (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_SLPBTN | PM1_RTC)
#define PM1_STS_MASK (PM1_EN_MASK | PM1_BM_STS | PM1_WAK_STS)
#define PM1_CNT_KEEP (PM1_CNT_BM_RLD | PM1_CNT_SLP_TYP)

struct pm {
	pthread_mutex_t lock;
	struct irq_line sci;
	struct vm_request_cb req;
	int sci_level;
	uint64_t (*clock_ns)(void *ctx);
	void *clock_ctx;

	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint16_t gpe_sts, gpe_en;
	uint64_t tmr_offset;    /* count = ticks(clock) + tmr_offset */
	uint64_t tmr_half;      /* count >> 31 when last looked at */
};

static const unsigned int pm_block_len[PM_NBLOCKS] = {
	[PM_BLK_EVT] = PM_EVT_LEN,
	[PM_BLK_CNT] = PM_CNT_LEN,
	[PM_BLK_TMR] = PM_TMR_LEN,
	[PM_BLK_GPE0] = PM_GPE0_LEN,
};

/* Ticks of the 3.579545 MHz clock since the clock's zero, without overflow. */
static uint64_t pm_ticks(const struct pm *p)
{
	uint64_t ns = p->clock_ns ? p->clock_ns(p->clock_ctx) : 0;

	return (ns / NS_PER_SEC) * PM_TMR_HZ + (ns % NS_PER_SEC) * PM_TMR_HZ / NS_PER_SEC;
}

static uint64_t pm_count(const struct pm *p)
{
	return pm_ticks(p) + p->tmr_offset;
}

/* Folds in TMR_STS and sets the SCI level. */
static void pm_update(struct pm *p)
{
	uint64_t half = pm_count(p) >> 31;
	int level;

	if (half != p->tmr_half) {
		p->pm1_sts |= PM1_TMR;
		p->tmr_half = half;
	}
	level = (p->pm1_sts & p->pm1_en & PM1_EN_MASK) || (p->gpe_sts & p->gpe_en);
	if (level != p->sci_level) {
		p->sci_level = level;
		irq_line_set(&p->sci, level);
	}
}

/*
 * Creates the PM block; see pm.h.  The caller owns the result and frees it
 * with pm_destroy().
 */
struct pm *pm_create(const struct irq_line *sci, const struct vm_request_cb *req,
		     uint64_t (*clock_ns)(void *ctx), void *clock_ctx)
{
	struct pm *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p);
		return NULL;
	}
	if (sci)
		p->sci = *sci;
	if (req)
		p->req = *req;
	p->clock_ns = clock_ns;
	p->clock_ctx = clock_ctx;
	p->pm1_cnt = PM1_CNT_SCI_EN;
	p->tmr_half = pm_count(p) >> 31;
	return p;
}

void pm_destroy(struct pm *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* The block's registers as one little-endian word. */
static uint32_t pm_block_value(struct pm *p, enum pm_block blk)
{
	switch (blk) {
	case PM_BLK_EVT:
		return p->pm1_sts | ((uint32_t)p->pm1_en << 16);
	case PM_BLK_CNT:
		return p->pm1_cnt | PM1_CNT_SCI_EN;
	case PM_BLK_TMR:
		return (uint32_t)pm_count(p);
	case PM_BLK_GPE0:
		return p->gpe_sts | ((uint32_t)p->gpe_en << 16);
	default:
		return UINT32_MAX;
	}
}

uint32_t pm_read(struct pm *p, enum pm_block blk, unsigned int off, unsigned int size)
{
	uint32_t v = 0, word;

	if ((unsigned int)blk >= PM_NBLOCKS)
		return UINT32_MAX;
	pthread_mutex_lock(&p->lock);
	pm_update(p);
	word = pm_block_value(p, blk);
	for (unsigned int i = 0; i < size && i < 4; i++) {
		uint32_t b = 0xFF;
		if (off < pm_block_len[blk] && i < pm_block_len[blk] - off)
			b = (word >> (8 * (off + i))) & 0xFF;
		v |= b << (8 * i);
	}
	pthread_mutex_unlock(&p->lock);
	return v;
}

static void pm_write_cnt(struct pm *p, uint16_t cnt, bool *poweroff)
{
	if (cnt & PM1_CNT_SLP_EN) {
		unsigned int typ = (cnt & PM1_CNT_SLP_TYP) >> PM1_CNT_SLP_TYP_SHIFT;

		if (typ == ACPI_SLP_TYP_S5)
			*poweroff = true;
		else
			p->pm1_sts |= PM1_WAK_STS;   /* "woke up" at once */
	}
	/* SLP_EN and GBL_RLS are write-only; SCI_EN is fixed at 1 */
	p->pm1_cnt = (uint16_t)((cnt & PM1_CNT_KEEP) | PM1_CNT_SCI_EN);
}

void pm_write(struct pm *p, enum pm_block blk, unsigned int off, unsigned int size,
	      uint32_t val)
{
	uint32_t mask = 0, data;
	bool poweroff = false;

	if ((unsigned int)blk >= PM_NBLOCKS)
		return;
	/* the bytes of the access that fall inside the block */
	for (unsigned int i = 0; i < size && i < 4; i++)
		if (off < pm_block_len[blk] && i < pm_block_len[blk] - off)
			mask |= 0xFFu << (8 * (off + i));
	if (!mask)
		return;
	data = off < 4 ? (val << (8 * off)) & mask : 0;

	pthread_mutex_lock(&p->lock);
	pm_update(p);
	switch (blk) {
	case PM_BLK_EVT:
		p->pm1_sts &= (uint16_t)~(data & PM1_STS_MASK);
		if (mask & 0xFFFF0000u)
			p->pm1_en = (uint16_t)(((p->pm1_en & ~(mask >> 16)) |
						(data >> 16)) & PM1_EN_MASK);
		break;
	case PM_BLK_CNT:
		pm_write_cnt(p, (uint16_t)((p->pm1_cnt & ~mask) | data), &poweroff);
		break;
	case PM_BLK_TMR:
		break;    /* read-only */
	case PM_BLK_GPE0:
		p->gpe_sts &= (uint16_t)~data;
		if (mask & 0xFFFF0000u)
			p->gpe_en = (uint16_t)((p->gpe_en & ~(mask >> 16)) | (data >> 16));
		break;
	default:
		break;
	}
	pm_update(p);
	pthread_mutex_unlock(&p->lock);
	if (poweroff)
		vm_request(&p->req, VM_REQ_POWEROFF);
}

void pm_power_button(struct pm *p)
{
	pthread_mutex_lock(&p->lock);
	p->pm1_sts |= PM1_PWRBTN;
	pm_update(p);
	pthread_mutex_unlock(&p->lock);
}

void pm_gpe_raise(struct pm *p, unsigned int bit)
{
	if (bit >= 16)
		return;
	pthread_mutex_lock(&p->lock);
	p->gpe_sts |= (uint16_t)(1u << bit);
	pm_update(p);
	pthread_mutex_unlock(&p->lock);
}

void pm_reset(struct pm *p)
{
	pthread_mutex_lock(&p->lock);
	p->pm1_sts = 0;
	p->pm1_en = 0;
	p->pm1_cnt = PM1_CNT_SCI_EN;
	p->gpe_sts = 0;
	p->gpe_en = 0;
	p->tmr_half = pm_count(p) >> 31;
	pm_update(p);
	pthread_mutex_unlock(&p->lock);
}

/*
 * One walk for save and load.  The PM timer is stored as its count, so it
 * continues from there after a restore on any host.
 */
int pm_snapshot(struct pm *p, struct snap *s)
{
	uint32_t version = 1;
	uint16_t sts, en, cnt, gsts, gen;
	uint64_t count;

	pthread_mutex_lock(&p->lock);
	pm_update(p);
	sts = p->pm1_sts;
	en = p->pm1_en;
	cnt = p->pm1_cnt;
	gsts = p->gpe_sts;
	gen = p->gpe_en;
	count = pm_count(p);

	snap_section(s, "pm", &version);
	snap_u16(s, &sts);
	snap_u16(s, &en);
	snap_u16(s, &cnt);
	snap_u16(s, &gsts);
	snap_u16(s, &gen);
	snap_u64(s, &count);

	if (snap_loading(s) && !snap_error(s)) {
		if ((sts & ~PM1_STS_MASK) || (en & ~PM1_EN_MASK) ||
		    (cnt & ~(PM1_CNT_KEEP | PM1_CNT_SCI_EN))) {
			snap_fail(s, -EINVAL);
		} else {
			p->pm1_sts = sts;
			p->pm1_en = en;
			p->pm1_cnt = cnt | PM1_CNT_SCI_EN;
			p->gpe_sts = gsts;
			p->gpe_en = gen;
			p->tmr_offset = count - pm_ticks(p);
			p->tmr_half = count >> 31;
			pm_update(p);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return snap_error(s);
}

/* ---- machine glue ------------------------------------------------------ */

static uint64_t pm_pio_read(struct pm *p, enum pm_block blk, uint64_t off,
			    unsigned int size)
{
	if (off >= 4)
		return UINT64_MAX;
	return pm_read(p, blk, (unsigned int)off, MIN(size, 4u));
}

static void pm_pio_write(struct pm *p, enum pm_block blk, uint64_t off,
			 unsigned int size, uint64_t val)
{
	if (off < 4)
		pm_write(p, blk, (unsigned int)off, MIN(size, 4u), (uint32_t)val);
}

/* One pair of trap callbacks per block, all with the pm as opaque. */
#define PM_PIO_OPS(name, blk)                                                 \
	static uint64_t pm_##name##_read(void *o, uint64_t off, unsigned int sz) \
	{                                                                     \
		return pm_pio_read(o, blk, off, sz);                          \
	}                                                                     \
	static void pm_##name##_write(void *o, uint64_t off, unsigned int sz, \
				      uint64_t val)                           \
	{                                                                     \
		pm_pio_write(o, blk, off, sz, val);                           \
	}                                                                     \
	static const struct trap_ops pm_##name##_ops = {                      \
		.read = pm_##name##_read,                                     \
		.write = pm_##name##_write,                                   \
	}

PM_PIO_OPS(evt, PM_BLK_EVT);
PM_PIO_OPS(cnt, PM_BLK_CNT);
PM_PIO_OPS(tmr, PM_BLK_TMR);
PM_PIO_OPS(gpe0, PM_BLK_GPE0);

static uint64_t pm_monotonic_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void pm_dev_teardown(void *dev)
{
	pm_destroy(dev);
}

static void pm_dev_reset(void *dev)
{
	pm_reset(dev);
}

static int pm_dev_snapshot(void *dev, struct snap *s)
{
	return pm_snapshot(dev, s);
}

static const struct device_desc pm_desc;

static int pm_setup(struct machine *m)
{
	static const struct {
		uint16_t port;
		unsigned int len;
		const struct trap_ops *ops;
	} blocks[PM_NBLOCKS] = {
		{ PORT_PM1A_EVT, PM_EVT_LEN, &pm_evt_ops },
		{ PORT_PM1A_CNT, PM_CNT_LEN, &pm_cnt_ops },
		{ PORT_PM_TMR, PM_TMR_LEN, &pm_tmr_ops },
		{ PORT_GPE0, PM_GPE0_LEN, &pm_gpe0_ops },
	};
	struct irq_line sci = machine_irq(m, IRQ_SCI);
	struct vm_request_cb req = machine_request_cb(m);
	struct trap_map *traps = machine_traps(m);
	struct pm *p;
	unsigned int i;
	int rc;

	p = pm_create(&sci, &req, pm_monotonic_ns, NULL);
	if (!p)
		return -ENOMEM;
	for (i = 0; i < PM_NBLOCKS; i++) {
		rc = trap_register(traps, TRAP_PIO, blocks[i].port, blocks[i].len,
				   blocks[i].ops, p);
		if (rc < 0)
			goto err;
	}
	rc = machine_attach(m, &pm_desc, p);
	if (rc < 0)
		goto err;
	return 0;

err:
	while (i-- > 0)
		trap_unregister(traps, TRAP_PIO, blocks[i].port);
	pm_destroy(p);
	return rc;
}

static const struct device_desc pm_desc = {
	.name = "pm",
	.order = DEVICE_ORDER_CORE,
	.setup = pm_setup,
	.teardown = pm_dev_teardown,
	.reset = pm_dev_reset,
	.snapshot = pm_dev_snapshot,
};
DEVICE_DEFINE(pm_desc);
