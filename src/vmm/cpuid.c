/*
 * cpuid.c - per-vCPU CPUID tables.
 *
 * Starts from KVM_GET_SUPPORTED_CPUID (what the host CPU and KVM can give
 * a guest) and rewrites the leaves that describe topology, following the
 * Intel SDM (CPUID leaves 01H, 04H, 0BH, 1FH) and AMD APM (80000008H,
 * 8000001EH): one package, ncpus cores, one thread per core, APIC id =
 * vCPU index.  Leaf 1 ECX bit 31 tells the guest it runs on a hypervisor.
 * Nothing here is hidden for the sake of this development machine's
 * instruction emulator: users run on real hardware.
 */
#include "vmm/cpuid.h"

#include <stdlib.h>
#include <string.h>

unsigned int cpuid_id_bits(unsigned int count)
{
	unsigned int n = 0;

	while (count > (1u << n) && n < 31)
		n++;
	return n;
}

static void cpuid_leaf_topology(struct kvm_cpuid_entry2 *e, unsigned int index,
				unsigned int ncpus)
{
	unsigned int core_bits = cpuid_id_bits(ncpus);

	switch (e->index) {
	case 0: /* SMT level: one thread per core */
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (1u << 8) | 0;
		break;
	case 1: /* core level */
		e->eax = core_bits;
		e->ebx = ncpus;
		e->ecx = (2u << 8) | 1;
		break;
	default:
		e->eax = e->ebx = 0;
		e->ecx = e->index;
		break;
	}
	e->edx = index;
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported,
				  unsigned int index, unsigned int ncpus)
{
	size_t sz = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	unsigned int core_bits = cpuid_id_bits(ncpus);

	if (!c)
		return NULL;
	memcpy(c, supported, sz);

	for (unsigned int i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ebx &= 0x0000ffffu;
			e->ebx |= (index & 0xffu) << 24;
			e->ebx |= ((1u << core_bits) & 0xffu) << 16;
			if (ncpus > 1)
				e->edx |= 1u << 28; /* HTT: EBX[23:16] is valid */
			e->ecx |= 1u << 31;         /* hypervisor present */
			break;
		case 4: /* Intel deterministic cache: cores per package */
			e->eax &= 0x03ffffffu;
			e->eax |= ((1u << core_bits) - 1) << 26;
			/* threads sharing this cache: L3 shared by all, else one */
			e->eax &= ~(0xfffu << 14);
			if (((e->eax >> 5) & 7) == 3)
				e->eax |= ((1u << core_bits) - 1) << 14;
			break;
		case 0xb:
		case 0x1f:
			cpuid_leaf_topology(e, index, ncpus);
			break;
		case 0x80000008: /* AMD: NC = cores - 1, ApicIdSize */
			e->ecx &= ~0xf0ffu;
			e->ecx |= (ncpus - 1) & 0xffu;
			e->ecx |= (core_bits & 0xfu) << 12;
			break;
		case 0x8000001e: /* AMD extended APIC id */
			e->eax = index;
			e->ebx = index & 0xffu; /* compute unit id, 1 thread */
			e->ecx = 0;
			break;
		default:
			break;
		}
	}
	return c;
}
