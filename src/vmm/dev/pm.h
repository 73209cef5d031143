/*
 * pm.h - ACPI fixed hardware: PM1a event and control blocks, the PM timer
 * and the GPE0 block.
 *
 * The core takes the SCI line, a request callback (poweroff) and a
 * monotonic clock, never the machine; pm.c's setup glue maps the blocks at
 * the ports layout.h names, which the FADT advertises.
 */
#ifndef TTYVM_DEV_PM_H
#define TTYVM_DEV_PM_H

#include <stdint.h>

#include "vmm/device.h"
#include "vmm/irq.h"
#include "vmm/snap.h"

#define PM_TMR_HZ 3579545ULL

/* register blocks and their sizes in bytes */
enum pm_block {
	PM_BLK_EVT = 0,   /* PM1_STS (2), PM1_EN (2) */
	PM_BLK_CNT,       /* PM1_CNT (2) */
	PM_BLK_TMR,       /* PM_TMR (4), read-only */
	PM_BLK_GPE0,      /* GPE0_STS (2), GPE0_EN (2) */
	PM_NBLOCKS
};
#define PM_EVT_LEN  4
#define PM_CNT_LEN  2
#define PM_TMR_LEN  4
#define PM_GPE0_LEN 4

/* PM1_STS / PM1_EN bits */
#define PM1_TMR      0x0001
#define PM1_BM_STS   0x0010
#define PM1_GBL      0x0020
#define PM1_PWRBTN   0x0100
#define PM1_SLPBTN   0x0200
#define PM1_RTC      0x0400
#define PM1_WAK_STS  0x8000

/* PM1_CNT bits */
#define PM1_CNT_SCI_EN   0x0001
#define PM1_CNT_BM_RLD   0x0002
#define PM1_CNT_GBL_RLS  0x0004
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP  0x1C00
#define PM1_CNT_SLP_EN   0x2000

struct pm;

/*
 * Creates the PM block with all status and enables clear.  sci is IRQ 9
 * (level, active high); req receives VM_REQ_POWEROFF on an S5 request;
 * clock_ns is a monotonic clock in nanoseconds that drives the PM timer.
 * sci and req are copied and may be NULL.  Returns NULL when out of memory.
 * Free with pm_destroy().
 */
struct pm *pm_create(const struct irq_line *sci, const struct vm_request_cb *req,
		     uint64_t (*clock_ns)(void *ctx), void *clock_ctx);
void pm_destroy(struct pm *p);

/*
 * Guest access of size bytes (1, 2 or 4) at byte offset off of block blk.
 * Bytes beyond the block read 0xFF and are not written.
 */
uint32_t pm_read(struct pm *p, enum pm_block blk, unsigned int off, unsigned int size);
void pm_write(struct pm *p, enum pm_block blk, unsigned int off, unsigned int size,
	      uint32_t val);

/* The power button was pressed: sets PWRBTN_STS (SCI if PWRBTN_EN). */
void pm_power_button(struct pm *p);

/* Sets GPE0_STS bit (0-15), for hotplug and the like; SCI if enabled. */
void pm_gpe_raise(struct pm *p, unsigned int bit);

/* System reset: status, enables and control to power-on values. */
void pm_reset(struct pm *p);

/* Saves or loads the registers and the PM timer's count.  0 or -errno. */
int pm_snapshot(struct pm *p, struct snap *s);

#endif
