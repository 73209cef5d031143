/*
 * ahci_cmd.c - the AHCI command engine: from an issued command slot to a
 * finished one (AHCI 1.3.1 sections 4.2, 5 and 6.1), the FISes the drive
 * posts back, and port resets.
 *
 * A slot runs synchronously on the vCPU thread that wrote PxCI or
 * PxCMD.ST, under the controller lock: command header -> command table
 * (CFIS, ACMD, PRDT) -> struct ata_cmd for ata_disk.c or atapi.c.  Every
 * guest address goes through gmem_ptr(): the header, the table, each PRD
 * entry as far as the command uses them (at most PRDTL entries of at
 * most 4 MiB each, a table that would wrap is refused) and the
 * received-FIS area.  The CFIS and ACMD are copied once, so a guest
 * rewriting them meanwhile changes nothing.  A drive that wants bytes
 * past the PRD table, or past an entry outside RAM, never touches memory
 * beyond the checked segments.
 *
 * Outcomes (AHCI 6.1): success posts a D2H Register FIS (after a PIO
 * Setup FIS for PIO data phases; its I bit raises PSS for data-in) into
 * PxFB when FRE is set, raises DHRS and clears the CI bit; a device
 * error (ERR) raises TFES; a bad pointer (header, table, PRD entry or FIS
 * area outside RAM) raises HBFS; data beyond the PRD table raises OFS.
 * The three are fatal: the port stops fetching (CI stays set) until
 * software clears PxCMD.ST - the non-queued recovery of AHCI 6.2.2.1
 * that SeaBIOS, Linux and Windows perform.  A completed PRD entry with
 * its I bit raises DPS.  A Register FIS with C clear is a device control
 * update: SRST 1 -> 0 resets the drive and posts its signature (the way
 * Linux's ahci_softreset resets).
 *
 * A later I/O thread would take over in ahci_exec_slot(): hand the
 * ata_cmd to the thread and finish the slot (PRDBC, FISes, CI) from
 * there under the lock.
 */
#include "vmm/dev/ahci_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define FIS_H2D         0x27
#define FIS_D2H         0x34
#define FIS_PIO_SETUP   0x5F
#define FIS_C           0x80              /* H2D: command register update */
#define FIS_I           0x40
#define ATA_CTL_SRST    0x04

/* ---- FISes ------------------------------------------------------------- */

/* Writes a FIS into the received-FIS area when FIS receive is on. */
static bool ahci_post_fis(struct ahci *a, struct ahci_port *p, unsigned int off,
			  const uint8_t *fis, size_t len)
{
	uint8_t *dst;

	if (!(p->cmd & AHCI_CMD_FRE))
		return true;
	if (p->fb > UINT64_MAX - AHCI_RFIS_SIZE ||
	    !(dst = gmem_ptr(a->gm, p->fb + off, len))) {
		ahci_fatal(a, p, AHCI_IS_HBFS);
		return false;
	}
	memcpy(dst, fis, len);
	return true;
}

/* The shadow registers of a register-type FIS (D2H, PIO Setup). */
static void ahci_fis_regs(uint8_t *f, const struct ata_tf *tf)
{
	f[2] = tf->status;
	f[3] = tf->error;
	f[4] = (uint8_t)tf->lba;
	f[5] = (uint8_t)(tf->lba >> 8);
	f[6] = (uint8_t)(tf->lba >> 16);
	f[7] = tf->device;
	f[8] = (uint8_t)(tf->lba >> 24);
	f[9] = (uint8_t)(tf->lba >> 32);
	f[10] = (uint8_t)(tf->lba >> 40);
	f[12] = (uint8_t)tf->count;
	f[13] = (uint8_t)(tf->count >> 8);
}

/* D2H Register FIS; updates PxTFD and, with irq, raises DHRS. */
static bool ahci_d2h(struct ahci *a, struct ahci_port *p, const struct ata_tf *tf, bool irq)
{
	uint8_t f[20] = { FIS_D2H, irq ? FIS_I : 0 };

	ahci_fis_regs(f, tf);
	p->tfd = (uint32_t)tf->status | (uint32_t)tf->error << 8;
	if (!ahci_post_fis(a, p, AHCI_RFIS_RFIS, f, sizeof(f)))
		return false;
	if (irq)
		ahci_port_event(a, p, AHCI_IS_DHRS);
	return true;
}

/* PIO Setup FIS for a PIO data phase of bytes; raises PSS for data-in. */
static bool ahci_pio_setup(struct ahci *a, struct ahci_port *p, const struct ata_tf *tf,
			   bool in, uint64_t bytes)
{
	/* D (device to host) and I for data-in; data-out ends with the D2H */
	uint8_t f[20] = { FIS_PIO_SETUP, (uint8_t)(in ? 0x20 | FIS_I : 0) };
	struct ata_tf t = *tf;

	t.status = (uint8_t)((tf->status | ATA_STAT_DRQ) & ~ATA_STAT_BSY);
	ahci_fis_regs(f, &t);
	f[15] = tf->status;                   /* E_Status */
	put_le16(f + 16, (uint16_t)MIN(bytes, 0xFFFFu));
	if (!ahci_post_fis(a, p, AHCI_RFIS_PSFIS, f, sizeof(f)))
		return false;
	if (in)
		ahci_port_event(a, p, AHCI_IS_PSS);
	return true;
}

/* ---- resets ------------------------------------------------------------ */

static void ahci_drive_reset(struct ahci_port *p, struct ata_tf *sig)
{
	if (p->disk)
		ata_disk_reset(p->disk, sig);
	else
		atapi_reset(p->cd, sig);
}

/* The signature FIS after a reset, from TFD/SIG (FRE may be off: later). */
void ahci_post_signature(struct ahci *a, struct ahci_port *p)
{
	struct ata_tf tf = {
		.status = (uint8_t)p->tfd, .error = (uint8_t)(p->tfd >> 8),
		.count = (uint8_t)p->sig, .lba = p->sig >> 8,
	};

	p->sig_pending = !(p->cmd & AHCI_CMD_FRE);
	if (!p->sig_pending)
		ahci_d2h(a, p, &tf, false);
}

/* Drive reset through COMRESET, SRST or an HBA reset. */
void ahci_port_comreset(struct ahci *a, struct ahci_port *p)
{
	struct ata_tf sig;

	p->serr = 0;
	p->sact = 0;
	p->srst = false;
	if (ahci_kind(p) == AHCI_NONE) {
		p->tfd = 0x7F;
		p->sig = 0xFFFFFFFFu;
		p->sig_pending = false;
		return;
	}
	ahci_drive_reset(p, &sig);
	p->tfd = (uint32_t)sig.status | (uint32_t)sig.error << 8;
	p->sig = (uint32_t)(uint8_t)sig.count | (uint32_t)(sig.lba & 0xFFFFFF) << 8;
	ahci_post_signature(a, p);
}

/* ---- command execution ------------------------------------------------- */

/*
 * Maps the PRD table into p->iov, stopping at the first entry outside
 * RAM (*bad).  *ibit_end: where the first entry asking for an interrupt
 * ends (0: none).
 */
static int ahci_map_prdt(struct ahci *a, struct ahci_port *p, uint64_t prdt,
			 unsigned int n, struct ata_sg *sg, bool *bad, uint64_t *ibit_end)
{
	unsigned int cnt = 0;
	uint64_t sum = 0;

	*bad = false;
	*ibit_end = 0;
	if (n > p->iov_cap) {
		struct iovec *v = realloc(p->iov, n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->iov = v;
		p->iov_cap = n;
	}
	if (prdt > UINT64_MAX - (uint64_t)n * 16) {
		*bad = true;                         /* the table wraps around */
		n = 0;
	}
	for (unsigned int i = 0; i < n; i++) {
		uint8_t e[16];
		void *h;
		if (gmem_read(a->gm, prdt + 16ULL * i, e, sizeof(e)) < 0) {
			*bad = true;
			break;
		}
		uint64_t dba = get_le64(e) & ~1ULL;
		uint32_t dw3 = get_le32(e + 12);
		uint32_t len = (dw3 & 0x3FFFFF) + 1;   /* at most 4 MiB */
		if (!(h = gmem_ptr(a->gm, dba, len))) {
			*bad = true;
			break;
		}
		if ((dw3 & 0x80000000u) && !*ibit_end)
			*ibit_end = sum + len;
		if (cnt && (uint8_t *)p->iov[cnt - 1].iov_base + p->iov[cnt - 1].iov_len == h)
			p->iov[cnt - 1].iov_len += len;
		else
			p->iov[cnt++] = (struct iovec){ h, len };
		sum += len;
	}
	ata_sg_init(sg, p->iov, cnt);
	return 0;
}

/* A Register FIS with C clear: only SRST matters (AHCI 10.4.1). */
static void ahci_device_control(struct ahci *a, struct ahci_port *p, uint8_t control)
{
	if (control & ATA_CTL_SRST) {
		p->srst = true;
		p->tfd |= ATA_STAT_BSY;
	} else if (p->srst) {
		ahci_port_comreset(a, p);
	}
}

static void ahci_exec_slot(struct ahci *a, struct ahci_port *p, unsigned int slot)
{
	uint8_t cfis[20], acmd[16];
	uint8_t *hdr, *ct;
	struct ata_sg sg;
	struct ata_cmd c;
	bool bad;
	uint64_t ibit_end;

	p->cmd = (p->cmd & ~AHCI_CMD_CCS_MASK) | slot << AHCI_CMD_CCS_SHIFT;
	if (p->clb > UINT64_MAX - AHCI_SLOTS * 32 ||
	    !(hdr = gmem_ptr(a->gm, p->clb + 32ULL * slot, 32))) {
		ahci_fatal(a, p, AHCI_IS_HBFS);
		return;
	}
	uint32_t dw0 = get_le32(hdr);
	uint64_t ctba = get_le64(hdr + 8) & ~0x7FULL;
	if (!(ct = gmem_ptr(a->gm, ctba, AHCI_CT_PRDT))) {
		ahci_fatal(a, p, AHCI_IS_HBFS);
		return;
	}
	/* one snapshot of what the guest wrote: it may change it meanwhile */
	memcpy(cfis, ct, sizeof(cfis));
	memcpy(acmd, ct + AHCI_CT_ACMD, sizeof(acmd));
	put_le32(hdr + 4, 0);                        /* PRDBC */

	if (cfis[0] == FIS_H2D && !(cfis[1] & FIS_C)) {
		ahci_device_control(a, p, cfis[15]);
		p->ci &= ~(1u << slot);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.tf.command = cfis[2];
	c.tf.feature = (uint16_t)(cfis[3] | cfis[11] << 8);
	c.tf.lba = (uint64_t)cfis[4] | (uint64_t)cfis[5] << 8 | (uint64_t)cfis[6] << 16 |
		   (uint64_t)cfis[8] << 24 | (uint64_t)cfis[9] << 32 | (uint64_t)cfis[10] << 40;
	c.tf.device = cfis[7];
	c.tf.count = (uint16_t)(cfis[12] | cfis[13] << 8);
	c.tf.control = cfis[15];
	c.cdb = (dw0 & AHCI_HDR_ATAPI) ? acmd : NULL;
	c.sg = &sg;
	if (ahci_map_prdt(a, p, ctba + AHCI_CT_PRDT, dw0 >> 16, &sg, &bad, &ibit_end) < 0) {
		ahci_fatal(a, p, AHCI_IS_HBFS);          /* out of host memory */
		return;
	}

	if (cfis[0] != FIS_H2D) {
		/* the device rejects a FIS it cannot take */
		c.tf.status = ATA_STAT_DRDY | ATA_STAT_ERR;
		c.tf.error = ATA_ERR_ABRT;
	} else if (p->disk) {
		ata_disk_exec(p->disk, &c);
	} else {
		atapi_exec(p->cd, &c);
	}
	put_le32(hdr + 4, (uint32_t)sg.done);

	if (sg.overflow && bad) {
		ahci_fatal(a, p, AHCI_IS_HBFS);          /* PRD entry outside RAM */
		return;
	}
	if (sg.overflow && !(c.tf.status & ATA_STAT_ERR)) {
		ahci_fatal(a, p, AHCI_IS_OFS);           /* more data than PRDs */
		return;
	}
	if ((c.proto == ATA_PROTO_PIO_IN || c.proto == ATA_PROTO_PIO_OUT) &&
	    !(c.tf.status & ATA_STAT_ERR) &&
	    !ahci_pio_setup(a, p, &c.tf, c.proto == ATA_PROTO_PIO_IN, sg.done))
		return;
	if (!ahci_d2h(a, p, &c.tf, true))
		return;
	if (ibit_end && ibit_end <= sg.done)
		ahci_port_event(a, p, AHCI_IS_DPS);
	if (c.tf.status & ATA_STAT_ERR) {
		ahci_fatal(a, p, AHCI_IS_TFES);
		return;
	}
	p->ci &= ~(1u << slot);
}

/* Runs the issued slots of a started, healthy port with a drive. */
void ahci_port_run(struct ahci *a, struct ahci_port *p)
{
	if (ahci_kind(p) == AHCI_NONE)
		return;
	while ((p->cmd & AHCI_CMD_ST) && !p->halted && p->ci)
		ahci_exec_slot(a, p, (unsigned int)__builtin_ctz(p->ci));
}
