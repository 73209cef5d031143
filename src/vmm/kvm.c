/*
 * kvm.c - the KVM system and VM file descriptors.
 *
 * Follows the KVM API document (Documentation/virt/kvm/api.rst).  The
 * interrupt routing mirrors a PC with the 8254 wired to IOAPIC pin 2, the
 * way QEMU's pc machine and our ACPI MADT/MP table describe it: GSI 0 goes
 * to PIC pin 0 and IOAPIC pin 2, GSI 2 (the cascade) goes nowhere, every
 * other ISA GSI to the same PIC and IOAPIC pin.
 */
#include "vmm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/util.h"
#include "vmm/layout.h"

static const struct {
	int cap;
	const char *name;
} kvm_required_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE" },
	{ KVM_CAP_NR_VCPUS, "KVM_CAP_NR_VCPUS" },
	{ KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
	{ KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM" },
};

static int kvm_get_supported_cpuid(struct kvm *k)
{
	for (unsigned int n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (ioctl(k->sys_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			k->cpuid = c;
			return 0;
		}
		int err = -errno;
		free(c);
		if (err != -E2BIG)
			return err;
	}
	return -E2BIG;
}

int kvm_open(struct kvm *k, char *why, size_t whylen)
{
	const char *dev = getenv("TTYVM_KVM_DEVICE");
	char missing[512] = "";
	int err;

	memset(k, 0, sizeof(*k));
	k->sys_fd = k->vm_fd = -1;
	if (!dev || !*dev)
		dev = "/dev/kvm";

	k->sys_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (k->sys_fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			snprintf(why, whylen, "%s does not exist: KVM is not available on this "
				 "host (load the kvm_intel or kvm_amd module and enable "
				 "virtualization in the firmware settings)", dev);
		else if (err == -EACCES || err == -EPERM)
			snprintf(why, whylen, "no permission to open %s: add your user to the "
				 "group that owns it (usually: adduser $USER kvm) and log in again",
				 dev);
		else
			snprintf(why, whylen, "cannot open %s: %s", dev, strerror(-err));
		return err;
	}

	int ver = ioctl(k->sys_fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		snprintf(why, whylen, "%s speaks KVM API version %d, ttyvm needs version %d",
			 dev, ver, KVM_API_VERSION);
		kvm_close(k);
		return -ENOTSUP;
	}

	for (size_t i = 0; i < ARRAY_SIZE(kvm_required_caps); i++) {
		if (ioctl(k->sys_fd, KVM_CHECK_EXTENSION, kvm_required_caps[i].cap) <= 0) {
			size_t l = strlen(missing);
			snprintf(missing + l, sizeof(missing) - l, "%s%s", l ? ", " : "",
				 kvm_required_caps[i].name);
		}
	}
	if (missing[0]) {
		snprintf(why, whylen, "this KVM is too old or limited: missing %s "
			 "(Linux 4.11 or newer provides all of them)", missing);
		kvm_close(k);
		return -ENOTSUP;
	}

	int max = ioctl(k->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(k->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	k->max_vcpus = max > 0 ? (unsigned int)max : 1;

	k->run_size = ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (k->run_size < (int)sizeof(struct kvm_run)) {
		snprintf(why, whylen, "KVM_GET_VCPU_MMAP_SIZE returned %d", k->run_size);
		kvm_close(k);
		return -ENOTSUP;
	}
	err = kvm_get_supported_cpuid(k);
	if (err) {
		snprintf(why, whylen, "KVM_GET_SUPPORTED_CPUID failed: %s", strerror(-err));
		kvm_close(k);
		return err;
	}
	return 0;
}

void kvm_close(struct kvm *k)
{
	kvm_destroy_vm(k);
	if (k->sys_fd >= 0)
		close(k->sys_fd);
	k->sys_fd = -1;
	free(k->cpuid);
	k->cpuid = NULL;
}

static int kvm_route_add(struct kvm_irq_routing *r, unsigned int gsi,
			 unsigned int chip, unsigned int pin)
{
	struct kvm_irq_routing_entry *e = &r->entries[r->nr++];

	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
	return 0;
}

static int kvm_set_pc_routing(struct kvm *k)
{
	const unsigned int max = 16 + IOAPIC_PINS;
	struct kvm_irq_routing *r = calloc(1, sizeof(*r) + max * sizeof(r->entries[0]));
	int ret = 0;

	if (!r)
		return -ENOMEM;
	for (unsigned int i = 0; i < 16; i++) {
		if (i == 2)
			continue; /* cascade */
		kvm_route_add(r, i, i < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
			      i & 7);
	}
	for (unsigned int i = 0; i < IOAPIC_PINS; i++) {
		if (i == 2)
			continue;
		kvm_route_add(r, i, KVM_IRQCHIP_IOAPIC, i == 0 ? GSI_PIT : i);
	}
	if (ioctl(k->vm_fd, KVM_SET_GSI_ROUTING, r) < 0)
		ret = -errno;
	free(r);
	return ret;
}

#define KVM_STEP(call, what)                                                   \
	do {                                                                   \
		if ((call) < 0) {                                              \
			int e_ = -errno;                                       \
			snprintf(why, whylen, "%s failed: %s", what, strerror(-e_)); \
			kvm_destroy_vm(k);                                     \
			return e_;                                             \
		}                                                              \
	} while (0)

int kvm_create_vm(struct kvm *k, const struct guest_mem *gm, char *why, size_t whylen)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t ident = LAYOUT_KVM_IDENTITY;

	k->vm_fd = ioctl(k->sys_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0) {
		int err = -errno;
		snprintf(why, whylen, "KVM_CREATE_VM failed: %s", strerror(-err));
		k->vm_fd = -1;
		return err;
	}
	fcntl(k->vm_fd, F_SETFD, FD_CLOEXEC);
	KVM_STEP(ioctl(k->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident), "KVM_SET_IDENTITY_MAP_ADDR");
	KVM_STEP(ioctl(k->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS), "KVM_SET_TSS_ADDR");
	KVM_STEP(ioctl(k->vm_fd, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP");
	KVM_STEP(ioctl(k->vm_fd, KVM_CREATE_PIT2, &pit), "KVM_CREATE_PIT2");
	int err = kvm_set_pc_routing(k);
	if (err) {
		errno = -err;
		KVM_STEP(-1, "KVM_SET_GSI_ROUTING");
	}
	for (unsigned int i = 0; i < gm->nregions; i++) {
		err = kvm_set_slot(k, i, gm->region[i].gpa, gm->region[i].size,
				   gm->region[i].hva, 0);
		if (err) {
			errno = -err;
			KVM_STEP(-1, "KVM_SET_USER_MEMORY_REGION");
		}
	}
	return 0;
}

int kvm_set_slot(struct kvm *k, unsigned int slot, uint64_t gpa, uint64_t size,
		 void *hva, uint32_t flags)
{
	struct kvm_userspace_memory_region mr = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	if (k->vm_fd < 0)
		return -ENODEV;
	return ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0 ? -errno : 0;
}

int kvm_dirty_log(struct kvm *k, unsigned int slot, uint64_t *bitmap)
{
	struct kvm_dirty_log dl = { .slot = slot, .dirty_bitmap = bitmap };

	if (k->vm_fd < 0)
		return -ENODEV;
	return ioctl(k->vm_fd, KVM_GET_DIRTY_LOG, &dl) < 0 ? -errno : 0;
}

int kvm_msi(struct kvm *k, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = { .address_lo = (uint32_t)addr,
			       .address_hi = (uint32_t)(addr >> 32), .data = data };

	if (k->vm_fd < 0)
		return -ENODEV;
	return ioctl(k->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

void kvm_destroy_vm(struct kvm *k)
{
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	k->vm_fd = -1;
}

int kvm_irq_line(struct kvm *k, unsigned int gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level ? 1 : 0 };

	if (k->vm_fd < 0)
		return -ENODEV;
	return ioctl(k->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}
