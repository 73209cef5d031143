/*
 * cpuid_test.c - topology leaves of the per-vCPU CPUID table.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "vmm/cpuid.h"

static struct kvm_cpuid2 *fake_supported(void)
{
	static const struct kvm_cpuid_entry2 e[] = {
		{ .function = 0, .eax = 0x1f },
		{ .function = 1, .eax = 0x806f8, .ebx = 0xff00ff00u, .ecx = 0x1, .edx = 0 },
		{ .function = 4, .index = 0, .eax = 0x121 },   /* L1 data */
		{ .function = 4, .index = 3, .eax = 0x163 },   /* L3 unified */
		{ .function = 0xb, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX },
		{ .function = 0xb, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX },
		{ .function = 0xb, .index = 2, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX },
		{ .function = 0x80000008, .ecx = 0xffff },
	};
	size_t n = sizeof(e) / sizeof(e[0]);
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(e[0]));
	c->nent = (uint32_t)n;
	memcpy(c->entries, e, sizeof(e));
	return c;
}

static const struct kvm_cpuid_entry2 *leaf(const struct kvm_cpuid2 *c, uint32_t fn,
					   uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

static void test_id_bits(void **state)
{
	(void)state;
	assert_int_equal(cpuid_id_bits(1), 0);
	assert_int_equal(cpuid_id_bits(2), 1);
	assert_int_equal(cpuid_id_bits(3), 2);
	assert_int_equal(cpuid_id_bits(4), 2);
	assert_int_equal(cpuid_id_bits(16), 4);
	assert_int_equal(cpuid_id_bits(17), 5);
	assert_int_equal(cpuid_id_bits(254), 8);
}

static void test_topology_per_vcpu(void **state)
{
	struct kvm_cpuid2 *sup = fake_supported();
	(void)state;

	for (unsigned int idx = 0; idx < 6; idx++) {
		struct kvm_cpuid2 *c = cpuid_for_vcpu(sup, idx, 6);
		assert_non_null(c);
		const struct kvm_cpuid_entry2 *l1 = leaf(c, 1, 0);
		assert_int_equal(l1->ebx >> 24, idx);          /* initial APIC id */
		assert_int_equal((l1->ebx >> 16) & 0xff, 8);   /* 6 rounded to 8 */
		assert_int_equal(l1->ebx & 0xffff, 0xff00);    /* rest kept */
		assert_true(l1->edx & (1u << 28));             /* HTT */
		assert_true(l1->ecx & (1u << 31));             /* hypervisor */
		assert_true(l1->ecx & 1u);                     /* features kept */
		assert_int_equal(leaf(c, 0xb, 0)->edx, idx);   /* x2APIC id */
		assert_int_equal(leaf(c, 0xb, 1)->edx, idx);
		assert_int_equal(leaf(c, 0xb, 1)->ebx, 6);     /* cores in package */
		assert_int_equal(leaf(c, 0xb, 1)->eax, 3);     /* id shift */
		assert_int_equal((leaf(c, 0xb, 1)->ecx >> 8) & 0xff, 2); /* core level */
		assert_int_equal(leaf(c, 0xb, 2)->ebx, 0);     /* invalid level */
		assert_int_equal(leaf(c, 4, 0)->eax >> 26, 7); /* cores - 1 (pow2) */
		assert_int_equal((leaf(c, 4, 3)->eax >> 14) & 0xfff, 7); /* L3 shared */
		assert_int_equal((leaf(c, 4, 0)->eax >> 14) & 0xfff, 0); /* L1 private */
		assert_int_equal(leaf(c, 0x80000008, 0)->ecx & 0xff, 5);
		free(c);
	}
	/* the supported table itself is not modified */
	assert_int_equal(leaf(sup, 1, 0)->ebx, 0xff00ff00u);
	free(sup);
}

static void test_single_cpu(void **state)
{
	struct kvm_cpuid2 *sup = fake_supported();
	(void)state;

	struct kvm_cpuid2 *c = cpuid_for_vcpu(sup, 0, 1);
	assert_false(leaf(c, 1, 0)->edx & (1u << 28));
	assert_int_equal((leaf(c, 1, 0)->ebx >> 16) & 0xff, 1);
	assert_int_equal(leaf(c, 0xb, 1)->ebx, 1);
	free(c);
	free(sup);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_id_bits),
	cmocka_unit_test(test_topology_per_vcpu),
	cmocka_unit_test(test_single_cpu),
};

UNIT_SUITE(cpuid, tests);
