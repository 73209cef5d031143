/*
 * boot.c - direct boot, the common part: reads the files, picks the loader
 * by content, and builds what every entry shares.
 *
 * A kernel file is a bzImage when it carries the "HdrS" setup header
 * (boot_linux.c), an ELF file when it starts with \x7fELF (boot_pvh.c);
 * anything else is refused, never guessed.  A flat binary is used only when
 * the user asked for one (boot_flat.c).  This file owns the boot GDT (null,
 * 0x08 flat 32-bit code, 0x10 64-bit code, 0x18 flat data, 0x20 TSS: the
 * Linux 64-bit boot protocol in Documentation/arch/x86/boot.rst wants
 * __BOOT_CS = 0x10 and __BOOT_DS = 0x18, the PVH ABI a flat 32-bit CS and a
 * 32-bit TSS with base 0 and limit 0x67), the identity page tables for the
 * long-mode entry (0-4 GiB in 2 MiB pages), the initrd placement and
 * boot_cpu_regs(), which turns a loader's choice into KVM registers with
 * the hidden segment state decoded from the very descriptors written to
 * the GDT, so the two cannot disagree.
 *
 * Files are read whole into host memory with read(2), not mapped, so a file
 * truncated under our feet gives an error rather than SIGBUS; the initrd,
 * which can be large, is read straight into its place in guest RAM after
 * the loader has checked everything else.  Loaders validate before they
 * write, so a refused kernel leaves guest RAM untouched.
 */
#include "vmm/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errmsg.h"
#include "util/util.h"
#include "vmm/layout.h"

/* Kernel and flat files are read whole; refuse the absurd. */
#define BOOT_FILE_MAX (2 * GiB)

#define BOOT_PAGE 4096

/* An 8-byte segment descriptor; flags = access byte | G, D/B, L, AVL << 12 */
#define BOOT_DESC(flags, base, limit)                                        \
	((((uint64_t)(base) & 0xff000000ULL) << 32) |                         \
	 (((uint64_t)(flags) & 0xf0ffULL) << 40) |                            \
	 (((uint64_t)(limit) & 0x000f0000ULL) << 32) |                        \
	 (((uint64_t)(base) & 0x00ffffffULL) << 16) |                         \
	 ((uint64_t)(limit) & 0x0000ffffULL))

/*
 * Accessed bits are preset so the CPU never writes the table back.  The
 * TSS is marked busy, as TR will be loaded with it (type 11 is a busy
 * 32-bit TSS, and a busy 64-bit one in long mode).  Its base is 0 as the
 * PVH ABI says; nothing at boot makes the CPU read it.
 */
static const uint64_t boot_gdt[BOOT_GDT_ENTRIES] = {
	0,
	BOOT_DESC(0xc09b, 0, 0xfffff),          /* 0x08: 32-bit code, 4 GiB */
	BOOT_DESC(0xa09b, 0, 0xfffff),          /* 0x10: 64-bit code */
	BOOT_DESC(0xc093, 0, 0xfffff),          /* 0x18: data, 4 GiB */
	BOOT_DESC(0x008b, 0, BOOT_TSS_LIMIT),   /* 0x20: 32-bit TSS, busy */
};

int boot_fail(char *err, size_t errlen, int rc, const char *path,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = errmsg_vset(err, errlen, rc, path, fmt, ap);
	va_end(ap);
	return rc;
}

/* Reads exactly len bytes; -EIO when the file ends early. */
static int boot_read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Opens path for reading; a regular, non-empty file no larger than max. */
static int boot_open(const char *path, uint64_t max, uint64_t *size,
		     char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		return boot_fail(err, errlen, rc, path, "%s", strerror(-rc));
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		return boot_fail(err, errlen, rc, path, "%s", strerror(-rc));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return boot_fail(err, errlen, -EINVAL, path, "not a regular file");
	}
	if (st.st_size == 0) {
		close(fd);
		return boot_fail(err, errlen, -EINVAL, path, "empty file");
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return boot_fail(err, errlen, -EFBIG, path,
				 "file too large (%" PRIu64 " bytes, at most %" PRIu64 ")",
				 (uint64_t)st.st_size, max);
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* Reads a whole file into a malloc'd buffer; see boot.h. */
int boot_file_read(const char *path, uint64_t max, uint8_t **data, size_t *len,
		   char *err, size_t errlen)
{
	uint64_t size;
	uint8_t *buf;
	int fd, rc;

	fd = boot_open(path, max, &size, err, errlen);
	if (fd < 0)
		return fd;
	buf = malloc(size);
	if (!buf) {
		close(fd);
		return boot_fail(err, errlen, -ENOMEM, path,
				 "cannot allocate %" PRIu64 " bytes to read it", size);
	}
	rc = boot_read_full(fd, buf, size);
	close(fd);
	if (rc < 0) {
		free(buf);
		return boot_fail(err, errlen, rc, path, "read: %s",
				 rc == -EIO ? "file shrank while reading" : strerror(-rc));
	}
	*data = buf;
	*len = size;
	return 0;
}

static int boot_read_file(const char *path, struct boot_kernel *k,
			  char *err, size_t errlen)
{
	uint8_t *buf;
	size_t size;
	int rc = boot_file_read(path, BOOT_FILE_MAX, &buf, &size, err, errlen);

	if (rc)
		return rc;
	k->path = path;
	k->data = buf;
	k->size = size;
	return 0;
}

int boot_initrd_place(const struct guest_mem *gm, uint64_t size, uint64_t lo,
		      uint64_t hi, uint64_t *addr)
{
	uint64_t a;

	if (size == 0 || hi < size)
		return -ENOSPC;
	a = ALIGN_DOWN(hi - size, BOOT_PAGE);
	if (a < lo || !gmem_ptr(gm, a, size))
		return -ENOSPC;
	*addr = a;
	return 0;
}

int boot_cmdline_check(const char *cmdline, uint64_t max_len, const char *path,
		       char *err, size_t errlen)
{
	size_t len = cmdline ? strlen(cmdline) : 0;

	if (len > max_len)
		return boot_fail(err, errlen, -E2BIG, path,
				 "command line is %zu bytes, the kernel accepts at most %" PRIu64,
				 len, max_len);
	if (len >= LAYOUT_CMDLINE_MAX)
		return boot_fail(err, errlen, -E2BIG, path,
				 "command line is %zu bytes, at most %llu fit",
				 len, LAYOUT_CMDLINE_MAX - 1);
	return 0;
}

int boot_cmdline_write(struct guest_mem *gm, const char *cmdline)
{
	if (!cmdline)
		cmdline = "";
	return gmem_write(gm, LAYOUT_CMDLINE, cmdline, strlen(cmdline) + 1);
}

uint64_t boot_gdt_entry(unsigned int i)
{
	return i < BOOT_GDT_ENTRIES ? boot_gdt[i] : 0;
}

int boot_write_gdt(struct guest_mem *gm)
{
	uint8_t buf[sizeof(boot_gdt)];

	/* Five entries reach 0x528: past LAYOUT_BOOT_IDT (0x520).  The boot
	 * IDT is empty (limit 0) and never read, so nothing is written there. */
	for (unsigned int i = 0; i < BOOT_GDT_ENTRIES; i++)
		put_le64(buf + 8 * i, boot_gdt[i]);
	return gmem_write(gm, LAYOUT_BOOT_GDT, buf, sizeof(buf));
}

int boot_write_page_tables(struct guest_mem *gm)
{
	uint8_t page[BOOT_PAGE];
	int rc;

	memset(page, 0, sizeof(page));
	put_le64(page, LAYOUT_PDPT | BOOT_PTE_P | BOOT_PTE_RW);
	rc = gmem_write(gm, LAYOUT_PML4, page, sizeof(page));
	if (rc < 0)
		return rc;

	memset(page, 0, sizeof(page));
	for (unsigned int i = 0; i < 4; i++)
		put_le64(page + 8 * i, (LAYOUT_PD + (uint64_t)i * BOOT_PAGE) |
			 BOOT_PTE_P | BOOT_PTE_RW);
	rc = gmem_write(gm, LAYOUT_PDPT, page, sizeof(page));
	if (rc < 0)
		return rc;

	for (unsigned int pd = 0; pd < 4; pd++) {
		for (unsigned int i = 0; i < 512; i++) {
			uint64_t addr = ((uint64_t)pd * 512 + i) * 2 * MiB;
			put_le64(page + 8 * i, addr | BOOT_PTE_P | BOOT_PTE_RW |
				 BOOT_PTE_PS);
		}
		rc = gmem_write(gm, LAYOUT_PD + (uint64_t)pd * BOOT_PAGE, page,
				sizeof(page));
		if (rc < 0)
			return rc;
	}
	return 0;
}

void boot_seg_from_desc(uint64_t d, uint16_t sel, struct kvm_segment *seg)
{
	uint32_t limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));

	memset(seg, 0, sizeof(*seg));
	seg->selector = sel;
	seg->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
	seg->type = (d >> 40) & 0xf;
	seg->s = (d >> 44) & 1;
	seg->dpl = (d >> 45) & 3;
	seg->present = (d >> 47) & 1;
	seg->avl = (d >> 52) & 1;
	seg->l = (d >> 53) & 1;
	seg->db = (d >> 54) & 1;
	seg->g = (d >> 55) & 1;
	seg->limit = seg->g ? (limit << 12) | 0xfff : limit;
	seg->unusable = !seg->present;
}

static void boot_seg_gdt(struct kvm_segment *seg, uint16_t sel)
{
	boot_seg_from_desc(boot_gdt[sel >> 3], sel, seg);
}

static void boot_seg_real(struct kvm_segment *seg, uint16_t sel, uint8_t type)
{
	memset(seg, 0, sizeof(*seg));
	seg->selector = sel;
	seg->base = (uint64_t)sel << 4;
	seg->limit = 0xffff;
	seg->type = type;
	seg->present = 1;
	seg->s = 1;
}

void boot_cpu_regs(const struct boot_cpu *cpu, struct kvm_regs *regs,
		   struct kvm_sregs *sregs)
{
	memset(regs, 0, sizeof(*regs));
	regs->rflags = 0x2;
	regs->rip = cpu->rip;
	regs->rsp = cpu->rsp;
	regs->rsi = cpu->rsi;
	regs->rbx = cpu->rbx;

	/* LDT unused in every mode: null selector, the reset state. */
	memset(&sregs->ldt, 0, sizeof(sregs->ldt));
	sregs->ldt.limit = 0xffff;
	sregs->ldt.type = 2;
	sregs->ldt.present = 1;

	switch (cpu->mode) {
	case BOOT_CPU_REAL16:
		boot_seg_real(&sregs->cs, cpu->real_cs, 0xb);
		boot_seg_real(&sregs->ds, 0, 0x3);
		sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
		/* TR as after reset: busy TSS at 0 */
		boot_seg_real(&sregs->tr, 0, 0xb);
		sregs->tr.s = 0;
		sregs->gdt.base = 0;
		sregs->gdt.limit = 0xffff;
		sregs->idt.base = 0;          /* real-mode IVT */
		sregs->idt.limit = 0x3ff;
		sregs->cr0 = BOOT_CR0_ET;     /* caches on, as a BIOS leaves it */
		sregs->cr3 = 0;
		sregs->cr4 = 0;
		sregs->efer = 0;
		return;
	case BOOT_CPU_PROT32:
		boot_seg_gdt(&sregs->cs, BOOT_SEL_CODE32);
		sregs->cr0 = BOOT_CR0_PE | BOOT_CR0_ET;
		sregs->cr3 = 0;
		sregs->cr4 = 0;
		sregs->efer = 0;
		break;
	case BOOT_CPU_LONG64:
		boot_seg_gdt(&sregs->cs, BOOT_SEL_CODE64);
		sregs->cr0 = BOOT_CR0_PE | BOOT_CR0_PG | BOOT_CR0_ET;
		sregs->cr3 = LAYOUT_PML4;
		sregs->cr4 = BOOT_CR4_PAE;
		sregs->efer = BOOT_EFER_LME | BOOT_EFER_LMA;
		break;
	}
	boot_seg_gdt(&sregs->ds, BOOT_SEL_DATA);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	boot_seg_gdt(&sregs->tr, BOOT_SEL_TSS);
	sregs->gdt.base = LAYOUT_BOOT_GDT;
	sregs->gdt.limit = BOOT_GDT_ENTRIES * 8 - 1;
	sregs->idt.base = LAYOUT_BOOT_IDT;
	sregs->idt.limit = 0;                 /* empty: any vector shuts down */
}

/* Checks that the images make sense together before any file is read. */
static int boot_check_images(const struct boot_images *img, char *err,
			     size_t errlen)
{
	if (img->kernel && img->flat)
		return boot_fail(err, errlen, -EINVAL, img->flat,
				 "a flat binary cannot be booted together with a kernel (%s)",
				 img->kernel);
	if (!img->kernel && !img->flat)
		return boot_fail(err, errlen, -EINVAL, NULL,
				 "nothing to boot: neither a kernel nor a flat binary given");
	if (!img->kernel && img->initrd)
		return boot_fail(err, errlen, -EINVAL, img->initrd,
				 "an initrd needs a kernel, not a flat binary");
	if (!img->kernel && img->cmdline && img->cmdline[0])
		return boot_fail(err, errlen, -EINVAL, img->flat,
				 "a command line needs a kernel, not a flat binary");
	return 0;
}

static int boot_kernel(struct guest_mem *gm, const struct boot_images *img,
		       const struct boot_kernel *k, struct boot_cpu *cpu,
		       char *err, size_t errlen)
{
	uint64_t initrd_size = 0, initrd_addr = 0;
	int fd = -1, rc;

	if (img->initrd) {
		/* the 32+32-bit ramdisk fields and RAM limit it far below */
		fd = boot_open(img->initrd, 64 * GiB, &initrd_size, err, errlen);
		if (fd < 0)
			return fd;
	}

	if (boot_linux_probe(k->data, k->size))
		rc = boot_linux_load(gm, img, k, initrd_size, &initrd_addr, cpu,
				     err, errlen);
	else if (boot_pvh_probe(k->data, k->size))
		rc = boot_pvh_load(gm, img, k, initrd_size, &initrd_addr, cpu,
				   err, errlen);
	else
		rc = boot_fail(err, errlen, -ENOEXEC, k->path,
			       "not a Linux kernel: no bzImage header and not an ELF file");
	if (rc < 0)
		goto out;

	rc = boot_write_gdt(gm);
	if (rc == 0 && cpu->mode == BOOT_CPU_LONG64)
		rc = boot_write_page_tables(gm);
	if (rc < 0) {
		rc = boot_fail(err, errlen, rc, k->path,
			       "guest RAM too small for the boot GDT and page tables");
		goto out;
	}

	if (fd >= 0) {
		void *dst = gmem_ptr(gm, initrd_addr, initrd_size);
		/* the loader placed it with gmem_ptr: cannot fail */
		rc = dst ? boot_read_full(fd, dst, initrd_size) : -EFAULT;
		if (rc < 0)
			rc = boot_fail(err, errlen, rc, img->initrd, "read: %s",
				       rc == -EIO ? "file shrank while reading"
						  : strerror(-rc));
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int boot_load(struct guest_mem *gm, const struct boot_images *img,
	      struct boot_cpu *cpu, char *err, size_t errlen)
{
	struct boot_kernel k;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	memset(cpu, 0, sizeof(*cpu));
	rc = boot_check_images(img, err, errlen);
	if (rc < 0)
		return rc;

	rc = boot_read_file(img->kernel ? img->kernel : img->flat, &k, err, errlen);
	if (rc < 0)
		return rc;
	if (img->kernel)
		rc = boot_kernel(gm, img, &k, cpu, err, errlen);
	else
		rc = boot_flat_load(gm, &k, cpu, err, errlen);
	free((void *)k.data);
	if (rc < 0)
		memset(cpu, 0, sizeof(*cpu));
	return rc;
}
