/*
 * cpuid.h - the CPUID a vCPU sees: what KVM supports, with a topology that
 * matches the machine (one package, N cores, one thread each, APIC id =
 * vCPU index) and the hypervisor bit set.
 */
#ifndef TTYVM_CPUID_H
#define TTYVM_CPUID_H

#include <linux/kvm.h>

/*
 * Returns a new table for vCPU index of ncpus (free() it), or NULL when out
 * of memory.  supported is what KVM_GET_SUPPORTED_CPUID returned.
 */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported,
				  unsigned int index, unsigned int ncpus);

/* Smallest n with (1 << n) >= count: the APIC-id bits a level needs. */
unsigned int cpuid_id_bits(unsigned int count);

#endif
