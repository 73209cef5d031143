/*
 * fw_cfg.c - QEMU's firmware configuration device, as unmodified SeaBIOS
 * expects it on a PC (QEMU docs/specs/fw_cfg.rst).
 *
 * Implements the x86 port interface (16-bit selector at 0x510, byte-wide
 * data at 0x511, each read advancing the offset into the selected item),
 * the DMA interface (big-endian guest address written to 0x514/0x518; the
 * FWCfgDmaAccess it points to is read, the transfer done at once and the
 * control word written back), the numbered items and the file directory
 * (FW_CFG_FILE_DIR, big-endian, sorted by name as QEMU keeps it).  Boot
 * devices registered by disk models become the "bootorder" file.
 *
 * What it leaves to others: firmware.c decides which items exist (RAM
 * size, CPUs, e820, ACPI, boot order...); this file only stores and serves
 * bytes.  The guest may not write any item: a DMA write sets the error bit
 * and a data-port write is dropped, as QEMU does for read-only items.
 *
 * A hostile guest can select any key (unknown keys read as zeros), read
 * past an item's end (zeros), and point DMA anywhere with any length: the
 * access structure and every byte range go through gmem_ptr(), a range
 * that is not wholly guest RAM sets FW_CFG_DMA_CTL_ERROR and stops the
 * transfer.  The only loop is bounded by the item length and one zero-fill
 * of at most the requested length, so a transfer finishes in one exit.
 *
 * Threads: vCPU threads access the ports; items are added from setup and
 * firmware_load() before vCPUs run.  One mutex covers everything.
 */
#include "vmm/dev/fw_cfg.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "vmm/device.h"
#include "vmm/guest_mem.h"
#include "vmm/machine.h"
#include "vmm/trap.h"

struct fw_cfg_item {
	uint16_t key;                       /* without FW_CFG_WRITE_CHANNEL */
	uint8_t *data;
	uint32_t len;
	char name[FW_CFG_FILE_NAME_LEN];    /* files only */
};

struct fw_cfg_bootdev {
	enum fw_cfg_boot_kind kind;
	unsigned int index;
	char path[FW_CFG_OFW_PATH_MAX];
};

struct fw_cfg {
	pthread_mutex_t lock;
	struct guest_mem *gm;
	struct fw_cfg_item *items;
	unsigned int nitems, cap;
	unsigned int nfiles;
	struct fw_cfg_bootdev boot[FW_CFG_MAX_BOOT_DEVICES];
	unsigned int nboot;
	/* guest-visible state */
	uint16_t cur_key;                   /* FW_CFG_INVALID: none */
	uint32_t cur_off;
	uint64_t dma_addr;
};

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
	return ((uint64_t)get_be32(p) << 32) | get_be32(p + 4);
}

static struct fw_cfg_item *fw_cfg_find(struct fw_cfg *fw, uint16_t key)
{
	for (unsigned int i = 0; i < fw->nitems; i++)
		if (fw->items[i].key == key)
			return &fw->items[i];
	return NULL;
}

/* Replaces or adds the item key with a copy of data; the lock is held. */
static int fw_cfg_put(struct fw_cfg *fw, uint16_t key, const void *data, size_t len,
		      const char *name)
{
	struct fw_cfg_item *it = fw_cfg_find(fw, key);
	uint8_t *copy;

	if (len > FW_CFG_MAX_ITEM)
		return -EINVAL;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, data, len);
	if (!it) {
		if (fw->nitems == fw->cap) {
			unsigned int cap = fw->cap ? fw->cap * 2 : 32;
			struct fw_cfg_item *n = realloc(fw->items, cap * sizeof(*n));
			if (!n) {
				free(copy);
				return -ENOMEM;
			}
			fw->items = n;
			fw->cap = cap;
		}
		it = &fw->items[fw->nitems++];
		memset(it, 0, sizeof(*it));
		it->key = key;
	}
	free(it->data);
	it->data = copy;
	it->len = (uint32_t)len;
	if (name)
		snprintf(it->name, sizeof(it->name), "%s", name);
	return 0;
}

static int fw_cfg_name_cmp(const void *a, const void *b)
{
	const struct fw_cfg_item *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

/* Rebuilds FW_CFG_FILE_DIR from the files, sorted by name; lock held. */
static int fw_cfg_rebuild_dir(struct fw_cfg *fw)
{
	const struct fw_cfg_item *files[FW_CFG_MAX_FILES];
	unsigned int n = 0;
	size_t len;
	uint8_t *dir;
	int r;

	for (unsigned int i = 0; i < fw->nitems && n < FW_CFG_MAX_FILES; i++)
		if (fw->items[i].key >= FW_CFG_FILE_FIRST &&
		    fw->items[i].key < FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES)
			files[n++] = &fw->items[i];
	qsort(files, n, sizeof(files[0]), fw_cfg_name_cmp);
	len = 4 + (size_t)n * FW_CFG_FILE_ENTRY_LEN;
	dir = calloc(1, len);
	if (!dir)
		return -ENOMEM;
	put_be32(dir, n);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *e = dir + 4 + (size_t)i * FW_CFG_FILE_ENTRY_LEN;
		put_be32(e, files[i]->len);
		put_be16(e + 4, files[i]->key);
		put_be16(e + 6, 0);
		memcpy(e + 8, files[i]->name, FW_CFG_FILE_NAME_LEN);
	}
	r = fw_cfg_put(fw, FW_CFG_FILE_DIR, dir, len, NULL);
	free(dir);
	return r;
}

struct fw_cfg *fw_cfg_create(struct guest_mem *gm)
{
	struct fw_cfg *fw = calloc(1, sizeof(*fw));

	if (!fw)
		return NULL;
	if (pthread_mutex_init(&fw->lock, NULL) != 0) {
		free(fw);
		return NULL;
	}
	fw->gm = gm;
	fw->cur_key = FW_CFG_INVALID;
	if (fw_cfg_add_bytes(fw, FW_CFG_SIGNATURE, "QEMU", 4) ||
	    fw_cfg_add_i32(fw, FW_CFG_ID, FW_CFG_VERSION | FW_CFG_VERSION_DMA) ||
	    fw_cfg_rebuild_dir(fw)) {
		fw_cfg_destroy(fw);
		return NULL;
	}
	return fw;
}

void fw_cfg_destroy(struct fw_cfg *fw)
{
	if (!fw)
		return;
	for (unsigned int i = 0; i < fw->nitems; i++)
		free(fw->items[i].data);
	free(fw->items);
	pthread_mutex_destroy(&fw->lock);
	free(fw);
}

static bool fw_cfg_numbered_key(uint16_t key)
{
	uint16_t idx = key & (uint16_t)~FW_CFG_ARCH_LOCAL;

	return idx < FW_CFG_FILE_FIRST && idx != FW_CFG_FILE_DIR;
}

int fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data, size_t len)
{
	int r;

	if (!fw_cfg_numbered_key(key))
		return -EINVAL;
	pthread_mutex_lock(&fw->lock);
	r = fw_cfg_put(fw, key, data, len, NULL);
	pthread_mutex_unlock(&fw->lock);
	return r;
}

int fw_cfg_add_i16(struct fw_cfg *fw, uint16_t key, uint16_t v)
{
	uint8_t b[2];
	put_le16(b, v);
	return fw_cfg_add_bytes(fw, key, b, sizeof(b));
}

int fw_cfg_add_i32(struct fw_cfg *fw, uint16_t key, uint32_t v)
{
	uint8_t b[4];
	put_le32(b, v);
	return fw_cfg_add_bytes(fw, key, b, sizeof(b));
}

int fw_cfg_add_i64(struct fw_cfg *fw, uint16_t key, uint64_t v)
{
	uint8_t b[8];
	put_le64(b, v);
	return fw_cfg_add_bytes(fw, key, b, sizeof(b));
}

static struct fw_cfg_item *fw_cfg_find_file(struct fw_cfg *fw, const char *name)
{
	for (unsigned int i = 0; i < fw->nitems; i++)
		if (fw->items[i].key >= FW_CFG_FILE_FIRST &&
		    strcmp(fw->items[i].name, name) == 0)
			return &fw->items[i];
	return NULL;
}

int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data, size_t len)
{
	size_t nlen = name ? strlen(name) : 0;
	uint16_t key;
	int r;

	if (nlen == 0 || nlen >= FW_CFG_FILE_NAME_LEN || len > FW_CFG_MAX_ITEM)
		return -EINVAL;
	pthread_mutex_lock(&fw->lock);
	if (fw_cfg_find_file(fw, name)) {
		r = -EEXIST;
	} else if (fw->nfiles == FW_CFG_MAX_FILES) {
		r = -ENOSPC;
	} else {
		key = (uint16_t)(FW_CFG_FILE_FIRST + fw->nfiles);
		r = fw_cfg_put(fw, key, data, len, name);
		if (!r) {
			fw->nfiles++;
			r = fw_cfg_rebuild_dir(fw);
		}
		if (!r)
			r = key;
	}
	pthread_mutex_unlock(&fw->lock);
	return r;
}

bool fw_cfg_has_file(struct fw_cfg *fw, const char *name)
{
	bool has;

	pthread_mutex_lock(&fw->lock);
	has = fw_cfg_find_file(fw, name) != NULL;
	pthread_mutex_unlock(&fw->lock);
	return has;
}

/* --- boot devices ------------------------------------------------------ */

int fw_cfg_add_boot_device(struct fw_cfg *fw, enum fw_cfg_boot_kind kind,
			   unsigned int index, const char *ofw_path)
{
	size_t n = ofw_path ? strlen(ofw_path) : 0;
	int r = 0;

	if (n == 0 || n >= FW_CFG_OFW_PATH_MAX || strchr(ofw_path, '\n'))
		return -EINVAL;
	pthread_mutex_lock(&fw->lock);
	if (fw->nboot == FW_CFG_MAX_BOOT_DEVICES) {
		r = -ENOSPC;
	} else {
		struct fw_cfg_bootdev *b = &fw->boot[fw->nboot++];
		b->kind = kind;
		b->index = index;
		memcpy(b->path, ofw_path, n + 1);
	}
	pthread_mutex_unlock(&fw->lock);
	return r;
}

/* Where a kind goes in the boot order: an option ROM that boots a kernel
 * (linuxboot) always first, then CD-ROMs and disks as asked. */
static int fw_cfg_boot_rank(enum fw_cfg_boot_kind kind, bool cd_first)
{
	if (kind == FW_CFG_BOOT_ROM)
		return 0;
	return (kind == FW_CFG_BOOT_CDROM) == cd_first ? 1 : 2;
}

static int fw_cfg_boot_cmp(const void *a, const void *b, bool cd_first)
{
	const struct fw_cfg_bootdev *x = a, *y = b;
	int kx = fw_cfg_boot_rank(x->kind, cd_first);
	int ky = fw_cfg_boot_rank(y->kind, cd_first);

	if (kx != ky)
		return kx - ky;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int fw_cfg_boot_cmp_cd(const void *a, const void *b)
{
	return fw_cfg_boot_cmp(a, b, true);
}

static int fw_cfg_boot_cmp_disk(const void *a, const void *b)
{
	return fw_cfg_boot_cmp(a, b, false);
}

int fw_cfg_set_bootorder(struct fw_cfg *fw, bool cd_first)
{
	struct fw_cfg_bootdev devs[FW_CFG_MAX_BOOT_DEVICES];
	char text[FW_CFG_MAX_BOOT_DEVICES * FW_CFG_OFW_PATH_MAX];
	size_t used = 0;
	unsigned int n;

	pthread_mutex_lock(&fw->lock);
	n = fw->nboot;
	memcpy(devs, fw->boot, n * sizeof(devs[0]));
	pthread_mutex_unlock(&fw->lock);
	if (n == 0)
		return 0;
	qsort(devs, n, sizeof(devs[0]), cd_first ? fw_cfg_boot_cmp_cd : fw_cfg_boot_cmp_disk);
	for (unsigned int i = 0; i < n; i++) {
		size_t l = strlen(devs[i].path);
		memcpy(text + used, devs[i].path, l);
		used += l;
		text[used++] = '\n';
	}
	/* SeaBIOS reads it as a string: keep a NUL, as QEMU does */
	text[used - 1] = '\0';
	int r = fw_cfg_add_file(fw, "bootorder", text, used);
	return r < 0 ? r : 0;
}

static int fw_cfg_ofw_pci(char *buf, size_t len, const char *name, uint8_t devfn,
			  const char *suffix)
{
	unsigned int slot = devfn >> 3, fn = devfn & 7;
	int n;

	if (fn)
		n = snprintf(buf, len, "/pci@i0cf8/%s@%x,%x%s", name, slot, fn, suffix);
	else
		n = snprintf(buf, len, "/pci@i0cf8/%s@%x%s", name, slot, suffix);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

int fw_cfg_ofw_virtio_blk(char *buf, size_t len, uint8_t devfn)
{
	return fw_cfg_ofw_pci(buf, len, "scsi", devfn, "/disk@0,0");
}

int fw_cfg_ofw_ahci(char *buf, size_t len, uint8_t devfn, unsigned int port)
{
	char suffix[32];

	snprintf(suffix, sizeof(suffix), "/drive@%x/disk@0", port);
	return fw_cfg_ofw_pci(buf, len, "sata", devfn, suffix);
}

/* --- guest access -------------------------------------------------------- */

/* The selected item, or NULL; lock held. */
static struct fw_cfg_item *fw_cfg_cur(struct fw_cfg *fw)
{
	return fw->cur_key == FW_CFG_INVALID ? NULL : fw_cfg_find(fw, fw->cur_key);
}

static void fw_cfg_select(struct fw_cfg *fw, uint16_t key)
{
	fw->cur_key = key & (uint16_t)~FW_CFG_WRITE_CHANNEL;
	fw->cur_off = 0;
}

static uint8_t fw_cfg_next_byte(struct fw_cfg *fw)
{
	struct fw_cfg_item *it = fw_cfg_cur(fw);

	if (!it || fw->cur_off >= it->len)
		return 0;
	return it->data[fw->cur_off++];
}

uint64_t fw_cfg_port_read(struct fw_cfg *fw, uint64_t off, unsigned int size)
{
	uint8_t v;

	if (size != 1 || off > 1)
		return ~0ULL;
	pthread_mutex_lock(&fw->lock);
	v = fw_cfg_next_byte(fw);
	pthread_mutex_unlock(&fw->lock);
	return v;
}

void fw_cfg_port_write(struct fw_cfg *fw, uint64_t off, unsigned int size, uint64_t val)
{
	/* 1-byte writes to the data port are the legacy write interface,
	 * which nothing here accepts */
	if (off != 0 || size != 2)
		return;
	pthread_mutex_lock(&fw->lock);
	fw_cfg_select(fw, (uint16_t)val);
	pthread_mutex_unlock(&fw->lock);
}

uint64_t fw_cfg_dma_read(struct fw_cfg *fw, uint64_t off, unsigned int size)
{
	uint64_t v = 0;
	(void)fw;

	if (off >= FW_CFG_PORT_DMA_LEN || size > FW_CFG_PORT_DMA_LEN - off)
		return ~0ULL;
	/* byte i of the register is byte i of "QEMU CFG" */
	for (unsigned int i = 0; i < size; i++)
		v |= ((FW_CFG_DMA_SIGNATURE >> (56 - 8 * (off + i))) & 0xff) << (8 * i);
	return v;
}

/*
 * One DMA transfer (fw_cfg.rst "DMA interface"), lock held.  The access
 * structure is read once into local variables, so the guest changing it
 * meanwhile changes nothing here.
 */
static void fw_cfg_dma_run(struct fw_cfg *fw, uint64_t addr)
{
	uint8_t *acc = gmem_ptr(fw->gm, addr, FW_CFG_DMA_ACCESS_LEN);
	uint32_t control, length, status = 0;
	uint64_t gpa;
	bool read = false, write = false;

	if (!acc)
		return;  /* nowhere to report: the guest polls forever, its problem */
	control = get_be32(acc);
	length = get_be32(acc + 4);
	gpa = get_be64(acc + 8);

	if (control & FW_CFG_DMA_CTL_SELECT)
		fw_cfg_select(fw, (uint16_t)(control >> 16));
	if (control & FW_CFG_DMA_CTL_READ)
		read = true;
	else if (control & FW_CFG_DMA_CTL_WRITE)
		write = true;
	else if (!(control & FW_CFG_DMA_CTL_SKIP))
		length = 0;

	struct fw_cfg_item *it = fw_cfg_cur(fw);
	while (length > 0 && !status) {
		uint32_t n;
		if (write) {
			/* no item is writable */
			status = FW_CFG_DMA_CTL_ERROR;
			break;
		}
		if (!it || fw->cur_off >= it->len) {
			/* past the end: reads give zeros */
			n = length;
			if (read) {
				uint8_t *dst = gmem_ptr(fw->gm, gpa, n);
				if (!dst)
					status = FW_CFG_DMA_CTL_ERROR;
				else
					memset(dst, 0, n);
			}
		} else {
			n = MIN(length, it->len - fw->cur_off);
			if (read) {
				uint8_t *dst = gmem_ptr(fw->gm, gpa, n);
				if (!dst)
					status = FW_CFG_DMA_CTL_ERROR;
				else
					memcpy(dst, it->data + fw->cur_off, n);
			}
			if (!status)
				fw->cur_off += n;
		}
		gpa += n;
		length -= n;
	}
	put_be32(acc, status);
}

void fw_cfg_dma_write(struct fw_cfg *fw, uint64_t off, unsigned int size, uint64_t val)
{
	pthread_mutex_lock(&fw->lock);
	if (size == 4 && off == 0) {
		fw->dma_addr = (uint64_t)__builtin_bswap32((uint32_t)val) << 32;
	} else if (size == 4 && off == 4) {
		uint64_t addr = fw->dma_addr | __builtin_bswap32((uint32_t)val);
		fw->dma_addr = 0;
		fw_cfg_dma_run(fw, addr);
	} else if (size == 8 && off == 0) {
		fw->dma_addr = 0;
		fw_cfg_dma_run(fw, __builtin_bswap64(val));
	}
	pthread_mutex_unlock(&fw->lock);
}

void fw_cfg_reset(struct fw_cfg *fw)
{
	pthread_mutex_lock(&fw->lock);
	fw->cur_key = FW_CFG_INVALID;
	fw->cur_off = 0;
	fw->dma_addr = 0;
	pthread_mutex_unlock(&fw->lock);
}

int fw_cfg_snapshot(struct fw_cfg *fw, struct snap *s)
{
	uint32_t version = 1;

	pthread_mutex_lock(&fw->lock);
	snap_section(s, FW_CFG_NAME, &version);
	snap_u16(s, &fw->cur_key);
	snap_u32(s, &fw->cur_off);
	snap_u64(s, &fw->dma_addr);
	pthread_mutex_unlock(&fw->lock);
	return snap_error(s);
}

/* --- machine glue -------------------------------------------------------- */

static uint64_t fw_cfg_pio_read(void *opaque, uint64_t off, unsigned int size)
{
	return fw_cfg_port_read(opaque, off, size);
}

static void fw_cfg_pio_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	fw_cfg_port_write(opaque, off, size, val);
}

static uint64_t fw_cfg_dma_pio_read(void *opaque, uint64_t off, unsigned int size)
{
	return fw_cfg_dma_read(opaque, off, size);
}

static void fw_cfg_dma_pio_write(void *opaque, uint64_t off, unsigned int size, uint64_t val)
{
	fw_cfg_dma_write(opaque, off, size, val);
}

static const struct trap_ops fw_cfg_port_ops = {
	.read = fw_cfg_pio_read,
	.write = fw_cfg_pio_write,
};

static const struct trap_ops fw_cfg_dma_ops = {
	.read = fw_cfg_dma_pio_read,
	.write = fw_cfg_dma_pio_write,
};

static void fw_cfg_dev_teardown(void *dev)
{
	fw_cfg_destroy(dev);
}

static void fw_cfg_dev_reset(void *dev)
{
	fw_cfg_reset(dev);
}

static int fw_cfg_dev_snapshot(void *dev, struct snap *s)
{
	return fw_cfg_snapshot(dev, s);
}

static const struct device_desc fw_cfg_desc;

/* Only firmware boot has an fw_cfg: a directly booted kernel never sees it. */
static int fw_cfg_setup(struct machine *m)
{
	struct trap_map *traps = machine_traps(m);
	struct fw_cfg *fw;
	int rc;

	if (!machine_config(m)->firmware)
		return 0;
	fw = fw_cfg_create(machine_mem(m));
	if (!fw)
		return -ENOMEM;
	rc = trap_register(traps, TRAP_PIO, FW_CFG_PORT_SEL, FW_CFG_PORT_SEL_LEN,
			   &fw_cfg_port_ops, fw);
	if (rc < 0)
		goto err_free;
	rc = trap_register(traps, TRAP_PIO, FW_CFG_PORT_DMA, FW_CFG_PORT_DMA_LEN,
			   &fw_cfg_dma_ops, fw);
	if (rc < 0)
		goto err_sel;
	rc = machine_attach(m, &fw_cfg_desc, fw);
	if (rc < 0)
		goto err_dma;
	return 0;

err_dma:
	trap_unregister(traps, TRAP_PIO, FW_CFG_PORT_DMA);
err_sel:
	trap_unregister(traps, TRAP_PIO, FW_CFG_PORT_SEL);
err_free:
	fw_cfg_destroy(fw);
	return rc;
}

static const struct device_desc fw_cfg_desc = {
	.name = FW_CFG_NAME,
	.order = DEVICE_ORDER_CORE,
	.setup = fw_cfg_setup,
	.teardown = fw_cfg_dev_teardown,
	.reset = fw_cfg_dev_reset,
	.snapshot = fw_cfg_dev_snapshot,
};
DEVICE_DEFINE(fw_cfg_desc);
