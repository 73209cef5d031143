/*
 * tui_model_test.c - the TUI's list model: filtering, sorting, the
 * selection across refreshes, CPU % from two samples, and the column
 * formats.  No terminal: tui_model.c draws nothing.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "ui/tui.h"

static struct vmstore_vm vm(const char *name, enum vmstore_state st, uint64_t mem)
{
	struct vmstore_vm v;

	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "%s", name);
	v.state = st;
	v.memory = mem;
	v.cpus = 1;
	v.last_exit = -1;
	return v;
}

/* A sample of a running VM: pid, CPU time used, when it was read. */
static struct vmstore_vm sample(const char *name, pid_t pid, uint64_t cpu_ns, uint64_t at_ns)
{
	struct vmstore_vm v = vm(name, VMSTORE_RUNNING, 1 << 20);

	v.status_known = true;
	v.pid = pid;
	v.cputime_known = true;
	v.cputime_ns = cpu_ns;
	v.sampled_ns = at_ns;
	return v;
}

static const char *shown(const struct tui_list *l, size_t i)
{
	const struct tui_row *r = tui_list_row(l, i);
	return r ? r->vm.name : NULL;
}

static void test_filter(void **state)
{
	(void)state;
	struct tui_list l;
	struct vmstore_vm v[] = {
		vm("alpha", VMSTORE_RUNNING, 0), vm("beta", VMSTORE_PAUSED, 0),
		vm("Gamma-web", VMSTORE_STOPPED, 0), vm("web2", VMSTORE_CRASHED, 0),
	};

	tui_list_init(&l);
	assert_int_equal(tui_list_update(&l, v, 4), 0);
	assert_int_equal(l.nvis, 4);
	tui_list_set_filter(&l, "WEB"); /* case-insensitive, anywhere in the name */
	assert_int_equal(l.nvis, 2);
	assert_string_equal(shown(&l, 0), "Gamma-web");
	assert_string_equal(shown(&l, 1), "web2");
	tui_list_set_filter(&l, "paus"); /* the state's name matches too */
	assert_int_equal(l.nvis, 1);
	assert_string_equal(shown(&l, 0), "beta");
	tui_list_set_filter(&l, "nothing-like-this");
	assert_int_equal(l.nvis, 0);
	assert_null(tui_list_current(&l));
	assert_null(tui_list_row(&l, 0));
	tui_list_set_filter(&l, "");
	assert_int_equal(l.nvis, 4);
	/* an over-long filter is cut, not overflowed */
	char longf[300];
	memset(longf, 'x', sizeof(longf) - 1);
	longf[sizeof(longf) - 1] = '\0';
	tui_list_set_filter(&l, longf);
	assert_int_equal(strlen(l.filter), TUI_FILTER_MAX - 1);
	assert_int_equal(l.nvis, 0);
	tui_list_free(&l);
}

static void test_sort(void **state)
{
	(void)state;
	struct tui_list l;
	struct vmstore_vm v[] = {
		vm("c", VMSTORE_STOPPED, 512 << 20), vm("a", VMSTORE_PAUSED, 1 << 30),
		vm("b", VMSTORE_RUNNING, 256 << 20), vm("d", VMSTORE_RUNNING, 1 << 30),
	};

	tui_list_init(&l);
	assert_int_equal(tui_list_update(&l, v, 4), 0);
	assert_string_equal(shown(&l, 0), "a"); /* by name by default */
	assert_string_equal(shown(&l, 3), "d");
	tui_list_set_sort(&l, TUI_SORT_STATE); /* running first, then by name */
	assert_string_equal(shown(&l, 0), "b");
	assert_string_equal(shown(&l, 1), "d");
	assert_string_equal(shown(&l, 2), "a");
	assert_string_equal(shown(&l, 3), "c");
	tui_list_set_sort(&l, TUI_SORT_MEMORY); /* biggest first, ties by name */
	assert_string_equal(shown(&l, 0), "a");
	assert_string_equal(shown(&l, 1), "d");
	assert_string_equal(shown(&l, 2), "c");
	assert_string_equal(shown(&l, 3), "b");
	tui_list_set_sort(&l, (enum tui_sort)99); /* out of range: by name */
	assert_int_equal(l.sort, TUI_SORT_NAME);
	assert_string_equal(shown(&l, 0), "a");
	assert_string_equal(tui_sort_name(TUI_SORT_CPU), "cpu");
	assert_string_equal(tui_sort_name((enum tui_sort)-1), "name");
	tui_list_free(&l);
}

static void test_selection_follows_name(void **state)
{
	(void)state;
	struct tui_list l;
	struct vmstore_vm v1[] = { vm("b", VMSTORE_STOPPED, 0), vm("d", VMSTORE_STOPPED, 0) };
	struct vmstore_vm v2[] = { vm("a", VMSTORE_STOPPED, 0), vm("b", VMSTORE_STOPPED, 0),
				   vm("c", VMSTORE_STOPPED, 0), vm("d", VMSTORE_STOPPED, 0) };

	tui_list_init(&l);
	assert_null(tui_list_current(&l));
	assert_int_equal(tui_list_update(&l, v1, 2), 0);
	assert_string_equal(tui_list_current(&l)->vm.name, "b");
	tui_list_move(&l, 1);
	assert_string_equal(tui_list_current(&l)->vm.name, "d");
	tui_list_move(&l, 5); /* clamped */
	assert_string_equal(tui_list_current(&l)->vm.name, "d");
	/* two VMs appear before it: the cursor stays on d */
	assert_int_equal(tui_list_update(&l, v2, 4), 0);
	assert_int_equal(l.cur, 3);
	assert_string_equal(tui_list_current(&l)->vm.name, "d");
	tui_list_move(&l, -100);
	assert_string_equal(tui_list_current(&l)->vm.name, "a");
	assert_true(tui_list_select_name(&l, "c"));
	assert_false(tui_list_select_name(&l, "zz"));
	assert_string_equal(tui_list_current(&l)->vm.name, "c");
	/* hidden by the filter and back: still c */
	tui_list_set_filter(&l, "a");
	assert_string_equal(tui_list_current(&l)->vm.name, "a");
	tui_list_set_filter(&l, "");
	/* the selected VM goes away: the cursor stays in range */
	assert_true(tui_list_select_name(&l, "d"));
	assert_int_equal(tui_list_update(&l, v1, 1), 0);
	assert_string_equal(tui_list_current(&l)->vm.name, "b");
	assert_int_equal(tui_list_update(&l, NULL, 0), 0);
	assert_null(tui_list_current(&l));
	tui_list_free(&l);
}

static void test_cpu_from_two_samples(void **state)
{
	(void)state;
	struct tui_list l;
	struct vmstore_vm s1[] = { sample("a", 100, 1000000000ULL, 5000000000ULL),
				   sample("b", 200, 0, 5000000000ULL) };
	/* a: 0.5 s of CPU in 1 s; b: restarted (another pid) */
	struct vmstore_vm s2[] = { sample("a", 100, 1500000000ULL, 6000000000ULL),
				   sample("b", 201, 2000000000ULL, 6000000000ULL) };
	/* a: 2 s in 1 s (two busy vCPUs) */
	struct vmstore_vm s3[] = { sample("a", 100, 3500000000ULL, 7000000000ULL) };

	tui_list_init(&l);
	assert_int_equal(tui_list_update(&l, s1, 2), 0);
	assert_true(tui_list_row(&l, 0)->cpu < 0); /* one sample tells nothing */
	assert_int_equal(tui_list_update(&l, s2, 2), 0);
	assert_float_equal(tui_list_row(&l, 0)->cpu, 50.0, 0.001);
	assert_true(tui_list_row(&l, 1)->cpu < 0);
	assert_int_equal(tui_list_update(&l, s3, 1), 0);
	assert_float_equal(tui_list_row(&l, 0)->cpu, 200.0, 0.001);
	/* sort by CPU: busiest first, unknown last */
	struct vmstore_vm s4[] = { sample("a", 100, 3600000000ULL, 8000000000ULL),
				   vm("b", VMSTORE_STOPPED, 0),
				   sample("c", 300, 0, 8000000000ULL) };
	assert_int_equal(tui_list_update(&l, s4, 3), 0);
	struct vmstore_vm s5[] = { sample("a", 100, 3700000000ULL, 9000000000ULL),
				   vm("b", VMSTORE_STOPPED, 0),
				   sample("c", 300, 900000000ULL, 9000000000ULL) };
	assert_int_equal(tui_list_update(&l, s5, 3), 0);
	tui_list_set_sort(&l, TUI_SORT_CPU);
	assert_string_equal(shown(&l, 0), "c"); /* 90 % */
	assert_string_equal(shown(&l, 1), "a"); /* 10 % */
	assert_string_equal(shown(&l, 2), "b");
	/* a clock that did not move, or CPU time that went back: unknown */
	struct vmstore_vm s6[] = { sample("a", 100, 3000000000ULL, 9000000000ULL) };
	assert_int_equal(tui_list_update(&l, s6, 1), 0);
	assert_true(tui_list_row(&l, 0)->cpu < 0);
	tui_list_free(&l);
}

static void test_formats(void **state)
{
	(void)state;
	char b[32];

	tui_fmt_memory(0, b, sizeof(b));
	assert_string_equal(b, "-");
	tui_fmt_memory(256ULL << 20, b, sizeof(b));
	assert_string_equal(b, "256M");
	tui_fmt_memory(2ULL << 30, b, sizeof(b));
	assert_string_equal(b, "2G");
	tui_fmt_memory(1536ULL << 20, b, sizeof(b));
	assert_string_equal(b, "1.5G");
	tui_fmt_memory(4096, b, sizeof(b));
	assert_string_equal(b, "4K");
	tui_fmt_memory(3ULL << 40, b, sizeof(b));
	assert_string_equal(b, "3T");
	tui_fmt_memory(100, b, sizeof(b));
	assert_string_equal(b, "100B");
	tui_fmt_cpu(-1, b, sizeof(b));
	assert_string_equal(b, "-");
	tui_fmt_cpu(12.345, b, sizeof(b));
	assert_string_equal(b, "12.3");
	tui_fmt_uptime(45, b, sizeof(b));
	assert_string_equal(b, "45s");
	tui_fmt_uptime(12 * 60 + 3, b, sizeof(b));
	assert_string_equal(b, "12m03s");
	tui_fmt_uptime(3 * 3600 + 7 * 60, b, sizeof(b));
	assert_string_equal(b, "3h07m");
	tui_fmt_uptime(2 * 86400 + 4 * 3600, b, sizeof(b));
	assert_string_equal(b, "2d04h");
	/* a small buffer is cut, never overrun */
	char tiny[3];
	tui_fmt_uptime(2 * 86400, tiny, sizeof(tiny));
	assert_string_equal(tiny, "2d");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_filter),
	cmocka_unit_test(test_sort),
	cmocka_unit_test(test_selection_follows_name),
	cmocka_unit_test(test_cpu_from_two_samples),
	cmocka_unit_test(test_formats),
};

UNIT_SUITE(tui_model, tests);
