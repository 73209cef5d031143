/*
 * kvm.h - /dev/kvm: opening it, checking what it can do, and one VM.
 *
 * The only file besides vcpu.c that issues KVM ioctls.  Errors come back
 * as -errno with a one-line explanation in the caller's buffer, written
 * for the person at the terminal (what is missing and what to do).
 */
#ifndef TTYVM_KVM_H
#define TTYVM_KVM_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "vmm/guest_mem.h"

struct kvm {
	int sys_fd;              /* /dev/kvm */
	int vm_fd;               /* -1 when no VM exists */
	int run_size;            /* size of each vCPU's kvm_run mapping */
	unsigned int max_vcpus;
	struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID */
};

/* Opens /dev/kvm (or $TTYVM_KVM_DEVICE) and checks the API version and
 * every capability ttyvm needs.  0 or -errno with why[] filled. */
int kvm_open(struct kvm *k, char *why, size_t whylen);
void kvm_close(struct kvm *k);

/* Creates the VM: TSS and identity-map pages, in-kernel irqchip (PIC,
 * IOAPIC, LAPICs), PIT, IRQ routing as on a PC (IRQ0 to IOAPIC pin 2) and
 * one memory slot per RAM region.  0 or -errno with why[] filled. */
int kvm_create_vm(struct kvm *k, const struct guest_mem *gm, char *why, size_t whylen);
void kvm_destroy_vm(struct kvm *k);

/* First KVM memory slot for mappings beyond guest RAM. */
#define KVM_EXTRA_SLOT_BASE 16

/* Creates, changes or (size 0) deletes memory slot `slot`.  flags are
 * KVM_MEM_READONLY / KVM_MEM_LOG_DIRTY_PAGES.  0 or -errno. */
int kvm_set_slot(struct kvm *k, unsigned int slot, uint64_t gpa, uint64_t size,
		 void *hva, uint32_t flags);
/* KVM_GET_DIRTY_LOG for slot into bitmap.  0 or -errno. */
int kvm_dirty_log(struct kvm *k, unsigned int slot, uint64_t *bitmap);
/* KVM_SIGNAL_MSI.  0 or -errno. */
int kvm_msi(struct kvm *k, uint64_t addr, uint32_t data);

/* Drives GSI gsi to level; safe from any thread.  0 or -errno. */
int kvm_irq_line(struct kvm *k, unsigned int gsi, int level);

#endif
