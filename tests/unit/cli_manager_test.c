/*
 * cli_manager_test.c - the option parsing of the manager's verbs: create,
 * list, info, delete, clone, rename, edit, console, expect (each good
 * form, each bad one: unknown options, missing values, bad numbers and
 * names, wrong argument counts), --help, and the console's escape key.
 * Parsing only; tests/integration/headless.sh runs the verbs.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/cli_manager.h"
#include "ui/vmstore.h"
#include "util/util.h"

#define ARGV(...) ((const char *[]){ __VA_ARGS__, NULL })

static int build(const char *const *args, char **argv)
{
	int argc = 0;

	while (args[argc]) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	return argc;
}

/* Runs parse on args with stdout (for --help) sent to /dev/null. */
#define PARSE(fn, opts, args)                                             \
	({                                                                \
		char *argv_[40];                                          \
		int argc_ = build(args, argv_);                           \
		fflush(stdout);                                           \
		FILE *saved_ = stdout;                                    \
		FILE *null_ = fopen("/dev/null", "w");                    \
		stdout = null_;                                           \
		int r_ = fn(argc_, argv_, opts);                          \
		stdout = saved_;                                          \
		fclose(null_);                                            \
		r_;                                                       \
	})

static void test_create(void **state)
{
	struct cli_create_opts o;
	(void)state;

	assert_int_equal(PARSE(cli_create_parse, &o, ARGV("create", "web", "--kernel", "bz",
		"--initrd", "rd", "--append", "console=ttyS0", "-m", "1G", "-c", "3", "--start",
		"--timeout", "9", "--json")), 0);
	assert_string_equal(o.name, "web");
	assert_string_equal(o.kernel, "bz");
	assert_string_equal(o.initrd, "rd");
	assert_string_equal(o.append, "console=ttyS0");
	assert_int_equal(o.memory, GiB);
	assert_int_equal(o.cpus, 3);
	assert_true(o.start);
	assert_true(o.json);
	assert_int_equal(o.timeout_s, 9);
	assert_int_equal(o.boot, -1);
	assert_null(o.preset);
	cli_create_free(&o);

	assert_int_equal(PARSE(cli_create_parse, &o, ARGV("create", "--iso", "x.iso",
		"-s", "20G", "--disk-size", "512", "--disk-format", "qcow2", "-d",
		"/img/a.raw,if=ahci,ro,format=raw", "--disk", "b.qcow2", "-b", "cd", "-p",
		"install-iso", "-f", "bios.bin", "inst")), 0);
	assert_string_equal(o.iso, "x.iso");
	assert_int_equal(o.nnew, 2);
	assert_int_equal(o.new_disks[0], 20 * GiB);
	assert_int_equal(o.new_disks[1], 512 * GiB); /* a bare number is GiB */
	assert_int_equal(o.new_format, DISK_FMT_QCOW2);
	/* and qcow2 is also what new disks are without --disk-format */
	struct cli_create_opts d;
	assert_int_equal(cli_create_parse(4, (char *[]){ "create", "n", "--disk-size", "1G", NULL },
					  &d), 0);
	assert_int_equal(d.new_format, DISK_FMT_QCOW2);
	cli_create_free(&d);
	assert_int_equal(o.existing.ndisks, 2);
	assert_string_equal(o.existing.disks[0].path, "/img/a.raw");
	assert_int_equal(o.existing.disks[0].iface, DISK_IF_AHCI);
	assert_true(o.existing.disks[0].readonly);
	assert_int_equal(o.existing.disks[0].format, DISK_FMT_RAW);
	assert_string_equal(o.existing.disks[1].path, "b.qcow2");
	assert_int_equal(o.boot, BOOT_ORDER_CD);
	assert_string_equal(o.preset, "install-iso");
	assert_string_equal(o.firmware, "bios.bin");
	assert_string_equal(o.name, "inst");
	cli_create_free(&o);
	assert_int_equal(PARSE(cli_create_parse, &o, ARGV("create", "n", "--iso", "x", "--no-disk",
		"--boot", "net")), 0);
	assert_true(o.no_disk);
	assert_int_equal(o.boot, BOOT_ORDER_NET);
	cli_create_free(&o);

	const char *const *bad[] = {
		ARGV("create"),                                   /* no name */
		ARGV("create", "a", "b"),                         /* two */
		ARGV("create", "bad/name", "--kernel", "x"),
		ARGV("create", ".hidden", "--kernel", "x"),
		ARGV("create", "n", "--frob"),
		ARGV("create", "n", "--kernel"),                  /* no value */
		ARGV("create", "n", "--memory", "1K"),
		ARGV("create", "n", "--memory", "2T"),
		ARGV("create", "n", "--memory", "4097K"),
		ARGV("create", "n", "--memory", "lots"),
		ARGV("create", "n", "--cpus", "0"),
		ARGV("create", "n", "--cpus", "255"),
		ARGV("create", "n", "--cpus", "two"),
		ARGV("create", "n", "--disk-size", "0"),
		ARGV("create", "n", "--disk-size", "100T"),
		ARGV("create", "n", "--disk-size", "big"),
		ARGV("create", "n", "--disk-format", "vmdk"),
		ARGV("create", "n", "--disk-format", "auto"),
		ARGV("create", "n", "--disk", ""),
		ARGV("create", "n", "--disk", "x,if=scsi"),
		ARGV("create", "n", "--boot", "floppy"),
		ARGV("create", "n", "--timeout", "0"),
		ARGV("create", "n", "--initrd", "rd"),            /* needs --kernel */
		ARGV("create", "n", "--append", "quiet"),
		ARGV("create", "n", "--no-disk", "--disk-size", "1G"),
		ARGV("create", "n", "-s", "1G", "-s", "1G", "-s", "1G", "-s", "1G", "-s", "1G",
		     "-s", "1G", "-s", "1G", "-s", "1G", "-s", "1G"), /* nine disks */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (PARSE(cli_create_parse, &o, bad[i]) != 1)
			fail_msg("create case %zu was accepted", i);
		cli_create_free(&o);
	}
	assert_int_equal(PARSE(cli_create_parse, &o, ARGV("create", "--help")), 2);
	cli_create_free(&o);
}

static void test_list_info(void **state)
{
	struct cli_list_opts o;
	(void)state;

	assert_int_equal(PARSE(cli_list_parse, &o, ARGV("list")), 0);
	assert_false(o.json);
	assert_int_equal(o.timeout_ms, VMSTORE_TIMEOUT_MS);
	assert_int_equal(PARSE(cli_list_parse, &o, ARGV("list", "--json", "-t", "250")), 0);
	assert_true(o.json);
	assert_int_equal(o.timeout_ms, 250);
	assert_int_equal(PARSE(cli_list_parse, &o, ARGV("list", "web")), 1);
	assert_int_equal(PARSE(cli_list_parse, &o, ARGV("list", "--timeout", "0")), 1);
	assert_int_equal(PARSE(cli_list_parse, &o, ARGV("list", "-x")), 1);
	assert_int_equal(PARSE(cli_list_parse, &o, ARGV("list", "-h")), 2);

	assert_int_equal(PARSE(cli_info_parse, &o, ARGV("info", "-j", "web")), 0);
	assert_true(o.json);
	assert_string_equal(o.name, "web");
	assert_int_equal(PARSE(cli_info_parse, &o, ARGV("info")), 1);
	assert_int_equal(PARSE(cli_info_parse, &o, ARGV("info", "a", "b")), 1);
	assert_int_equal(PARSE(cli_info_parse, &o, ARGV("info", "a b")), 1);
	assert_int_equal(PARSE(cli_info_parse, &o, ARGV("info", "--json")), 1);
	assert_int_equal(PARSE(cli_info_parse, &o, ARGV("info", "--help")), 2);
}

static void test_manage(void **state)
{
	struct cli_manage_opts o;
	(void)state;

	assert_int_equal(PARSE(cli_delete_parse, &o, ARGV("delete", "web")), 0);
	assert_string_equal(o.a, "web");
	assert_false(o.yes);
	assert_false(o.data);
	assert_int_equal(PARSE(cli_delete_parse, &o, ARGV("delete", "-y", "--disks", "web")), 0);
	assert_true(o.yes);
	assert_true(o.data);
	assert_int_equal(PARSE(cli_delete_parse, &o, ARGV("delete")), 1);
	assert_int_equal(PARSE(cli_delete_parse, &o, ARGV("delete", "a", "b")), 1);
	assert_int_equal(PARSE(cli_delete_parse, &o, ARGV("delete", "../etc")), 1);
	assert_int_equal(PARSE(cli_delete_parse, &o, ARGV("delete", "--share-external", "a")), 1);
	assert_int_equal(PARSE(cli_delete_parse, &o, ARGV("delete", "--force", "a")), 1);

	assert_int_equal(PARSE(cli_clone_parse, &o, ARGV("clone", "a", "b")), 0);
	assert_string_equal(o.a, "a");
	assert_string_equal(o.b, "b");
	assert_int_equal(o.clone_flags, 0);
	assert_int_equal(PARSE(cli_clone_parse, &o, ARGV("clone", "--share-external", "a", "b")), 0);
	assert_int_equal(o.clone_flags, VMSTORE_CLONE_SHARE_EXTERNAL);
	assert_int_equal(PARSE(cli_clone_parse, &o, ARGV("clone", "a", "b", "--copy-external")), 0);
	assert_int_equal(o.clone_flags, VMSTORE_CLONE_COPY_EXTERNAL);
	assert_int_equal(PARSE(cli_clone_parse, &o, ARGV("clone", "--share-external",
							 "--copy-external", "a", "b")), 1);
	assert_int_equal(PARSE(cli_clone_parse, &o, ARGV("clone", "a")), 1);
	assert_int_equal(PARSE(cli_clone_parse, &o, ARGV("clone", "a", "b", "c")), 1);
	assert_int_equal(PARSE(cli_clone_parse, &o, ARGV("clone", "a", "-b")), 1);
	assert_int_equal(PARSE(cli_clone_parse, &o, ARGV("clone", "--yes", "a", "b")), 1);

	assert_int_equal(PARSE(cli_rename_parse, &o, ARGV("rename", "old", "new")), 0);
	assert_string_equal(o.b, "new");
	assert_int_equal(PARSE(cli_rename_parse, &o, ARGV("rename", "old")), 1);
	assert_int_equal(PARSE(cli_rename_parse, &o, ARGV("rename", "old", "n/w")), 1);
	assert_int_equal(PARSE(cli_rename_parse, &o, ARGV("rename", "--disks", "a", "b")), 1);

	assert_int_equal(PARSE(cli_edit_parse, &o, ARGV("edit", "web")), 0);
	assert_string_equal(o.a, "web");
	assert_int_equal(PARSE(cli_edit_parse, &o, ARGV("edit")), 1);
	assert_int_equal(PARSE(cli_edit_parse, &o, ARGV("edit", "-y", "web")), 1);
	for (int v = 0; v < 4; v++) {
		int (*fn)(int, char **, struct cli_manage_opts *) =
			v == 0 ? cli_delete_parse : v == 1 ? cli_clone_parse :
			v == 2 ? cli_rename_parse : cli_edit_parse;
		assert_int_equal(PARSE(fn, &o, ARGV("verb", "--help")), 2);
	}
}

static void test_console_expect(void **state)
{
	struct cli_console_opts o;
	(void)state;

	assert_int_equal(PARSE(cli_console_parse, &o, ARGV("console", "web")), 0);
	assert_string_equal(o.vm, "web");
	assert_false(o.ro);
	assert_false(o.replay);
	assert_int_equal(o.timeout_s, 0);
	assert_int_equal(PARSE(cli_console_parse, &o, ARGV("console", "--ro", "-R", "-t", "5",
							   "/run/vm.sock")), 0);
	assert_true(o.ro);
	assert_true(o.replay);
	assert_int_equal(o.timeout_s, 5);
	assert_string_equal(o.vm, "/run/vm.sock");
	assert_int_equal(PARSE(cli_console_parse, &o, ARGV("console")), 1);
	assert_int_equal(PARSE(cli_console_parse, &o, ARGV("console", "a", "b")), 1);
	assert_int_equal(PARSE(cli_console_parse, &o, ARGV("console", "--screen", "a")), 1);
	assert_int_equal(PARSE(cli_console_parse, &o, ARGV("console", "-t", "0", "a")), 1);
	assert_int_equal(PARSE(cli_console_parse, &o, ARGV("console", "-t")), 1);
	assert_int_equal(PARSE(cli_console_parse, &o, ARGV("console", "-h")), 2);

	assert_int_equal(PARSE(cli_expect_parse, &o, ARGV("expect", "web", "login: ")), 0);
	assert_string_equal(o.vm, "web");
	assert_string_equal(o.text, "login: ");
	assert_int_equal(o.timeout_s, 30);
	assert_false(o.screen);
	assert_int_equal(PARSE(cli_expect_parse, &o, ARGV("expect", "-t", "0", "--screen", "web",
							  "Welcome")), 0);
	assert_int_equal(o.timeout_s, 0);
	assert_true(o.screen);
	assert_int_equal(PARSE(cli_expect_parse, &o, ARGV("expect", "--new", "web", "x")), 0);
	assert_true(o.new_only);
	/* TEXT may look like an option after -- */
	assert_int_equal(PARSE(cli_expect_parse, &o, ARGV("expect", "web", "--", "-x-")), 0);
	assert_string_equal(o.text, "-x-");
	assert_int_equal(PARSE(cli_expect_parse, &o, ARGV("expect", "--", "web", "-x-")), 0);
	assert_string_equal(o.text, "-x-");
	assert_int_equal(PARSE(cli_expect_parse, &o, ARGV("expect", "web")), 1);
	assert_int_equal(PARSE(cli_expect_parse, &o, ARGV("expect", "web", "")), 1);
	assert_int_equal(PARSE(cli_expect_parse, &o, ARGV("expect", "web", "a", "b")), 1);
	assert_int_equal(PARSE(cli_expect_parse, &o, ARGV("expect", "web", "-x-")), 1);
	assert_int_equal(PARSE(cli_expect_parse, &o, ARGV("expect", "-t", "x", "web", "a")), 1);
	assert_int_equal(PARSE(cli_expect_parse, &o, ARGV("expect", "--ro", "web", "a")), 1);
	assert_int_equal(PARSE(cli_expect_parse, &o, ARGV("expect", "--new", "--screen", "w", "a")), 1);
	assert_int_equal(PARSE(cli_expect_parse, &o, ARGV("expect", "--help")), 2);

	/* the escape key, Ctrl-] */
	assert_int_equal(cli_console_escape_at("abc", 3), 3);
	assert_int_equal(cli_console_escape_at("ab\x1d" "cd", 5), 2);
	assert_int_equal(cli_console_escape_at("\x1d", 1), 0);
	assert_int_equal(cli_console_escape_at("a\0\x1d", 3), 2); /* NUL bytes are data */
	assert_int_equal(cli_console_escape_at("", 0), 0);
}

/* man/ttyvm.1 documents every verb here, with the sections a manual needs. */
static void test_man_page(void **state)
{
	static const char *const verbs[] = { "create", "list", "info", "start", "stop",
					     "edit", "clone", "rename", "delete", "console",
					     "expect", "disk create", "disk info", "disk convert" };
	static const char *const sections[] = { "\n.SH EXAMPLES\n", "\n.SH FILES\n",
						"\n.SH EXIT STATUS\n", "\n.SH ENVIRONMENT\n" };
	const char *src = getenv("TTYVM_SRCDIR");
	char path[512], want[64];
	FILE *f;
	char *text = calloc(1, 1 << 20);
	(void)state;

	assert_non_null(text);
	snprintf(path, sizeof(path), "%s/man/ttyvm.1", src && *src ? src : ".");
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s: cannot read it (set TTYVM_SRCDIR)", path);
	assert_true(fread(text, 1, (1 << 20) - 1, f) > 0);
	fclose(f);
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		snprintf(want, sizeof(want), "\n.SS ttyvm %s", verbs[i]);
		if (!strstr(text, want))
			fail_msg("%s does not document ttyvm %s (\"%s\")", path, verbs[i], want + 1);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		if (!strstr(text, sections[i]))
			fail_msg("%s has no%s", path, sections[i]);
	free(text);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_man_page),
	cmocka_unit_test(test_create),
	cmocka_unit_test(test_list_info),
	cmocka_unit_test(test_manage),
	cmocka_unit_test(test_console_expect),
};

UNIT_SUITE(cli_manager, tests);
