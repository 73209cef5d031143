/*
 * vmdef_test.c - VM definition files: load, every bad input, save, round
 * trips, atomic replacement, the shipped presets and defaults.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "ui/vmdef.h"
#include "util/util.h"

/* A scratch directory with a kernel, an initrd and a flat binary in it. */
struct scratch {
	char dir[64];
	char kernel[128], initrd[128], flat[128];
};

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void write_text(const char *path, const char *text)
{
	write_file(path, text, strlen(text));
}

/* The whole of a small file, NUL-terminated, malloc'ed. */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void scratch_init(struct scratch *s)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/ttyvm-vmdef-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->kernel, sizeof(s->kernel), "%s/bzImage", s->dir);
	snprintf(s->initrd, sizeof(s->initrd), "%s/initrd.img", s->dir);
	snprintf(s->flat, sizeof(s->flat), "%s/test.bin", s->dir);
	write_text(s->kernel, "kernel");
	write_text(s->initrd, "initrd");
	write_text(s->flat, "\xf4");
}

/* Empties (one level of subdirectories deep) and removes the directory. */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) < 0 && errno == EISDIR)
			remove_tree(path);
	}
	closedir(d);
	rmdir(dir);
}

static void scratch_done(struct scratch *s)
{
	remove_tree(s->dir);
}

/* Number of entries in dir, not counting . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static bool config_is_empty(const struct vm_config *cfg)
{
	static const struct vm_config zero;

	return memcmp(cfg, &zero, sizeof(zero)) == 0;
}

static void test_names(void **state)
{
	static const char *const good[] = {
		"a", "web-1", "Web_2.test", "0", "x.", "a-",
		"123456789012345678901234567890123456789012345678901234567890123",
	};
	static const char *const bad[] = {
		"", ".hidden", "-opt", "a/b", "../etc", "a b", "é", "a:b", "a\n",
		"1234567890123456789012345678901234567890123456789012345678901234",
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (!vmdef_name_valid(good[i]))
			fail_msg("'%s' should be a valid name", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (vmdef_name_valid(bad[i]))
			fail_msg("'%s' should not be a valid name", bad[i]);
	assert_false(vmdef_name_valid(NULL));
}

static void test_defaults(void **state)
{
	struct vm_config cfg;
	(void)state;

	vmdef_defaults(&cfg);
	assert_string_equal(cfg.name, "vm");
	assert_int_equal(cfg.memory, 256 * MiB);
	assert_int_equal(cfg.cpus, 1);
	assert_true(cfg.acpi);
	assert_int_equal(cfg.serial.kind, SERIAL_STDIO);
	assert_null(cfg.kernel);
	assert_null(cfg.initrd);
	assert_null(cfg.append);
	assert_null(cfg.flat);
	assert_null(cfg.serial.path);
	assert_null(cfg.firmware);
	assert_int_equal(cfg.boot, BOOT_ORDER_DEFAULT);
	assert_int_equal(cfg.ndisks, 0);
	assert_null(cfg.cdrom);
	vmdef_free(&cfg);
	assert_true(config_is_empty(&cfg));
}

static void test_load_full(void **state)
{
	struct scratch s;
	struct vm_config cfg;
	char path[160], text[1024], err[VMDEF_ERR_MAX], want[200];
	(void)state;

	scratch_init(&s);
	snprintf(path, sizeof(path), "%s/web.ini", s.dir);
	snprintf(text, sizeof(text),
		 "; a comment\r\n"
		 "# another\n"
		 "\n"
		 "[ VM ]\n"
		 "  Name = web-1   \n"
		 "memory=2G ; inline comment\n"
		 "cpus = 4\n"
		 "kernel = bzImage\n"
		 "initrd = %s\n"
		 "append = \"console=ttyS0 root=/dev/vda; x=#1\"\n"
		 "acpi = off\n"
		 "[serial]\n"
		 "mode = file\n"
		 "path = log/\\\n"
		 "console.txt\n", s.initrd);
	write_text(path, text);
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(cfg.name, "web-1");
	assert_int_equal(cfg.memory, 2 * GiB);
	assert_int_equal(cfg.cpus, 4);
	assert_string_equal(cfg.kernel, s.kernel); /* relative to the file */
	assert_string_equal(cfg.initrd, s.initrd);
	assert_string_equal(cfg.append, "console=ttyS0 root=/dev/vda; x=#1");
	assert_false(cfg.acpi);
	assert_null(cfg.flat);
	assert_int_equal(cfg.serial.kind, SERIAL_FILE);
	snprintf(want, sizeof(want), "%s/log/console.txt", s.dir);
	assert_string_equal(cfg.serial.path, want);
	vmdef_free(&cfg);

	/* the smallest definition: defaults, name from the file name */
	write_text(path, "[vm]\nkernel = ./bzImage\nmemory = 64\n");
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.name, "web");
	assert_int_equal(cfg.memory, 64 * MiB); /* bare number: MiB */
	assert_int_equal(cfg.cpus, 1);
	assert_true(cfg.acpi);
	assert_int_equal(cfg.serial.kind, SERIAL_STDIO);
	assert_string_equal(cfg.kernel, s.kernel);
	vmdef_free(&cfg);

	/* flat boot, single-quoted value with a double quote, empty append */
	write_text(path, "[vm]\nflat = test.bin\nacpi = YES\n[serial]\nmode = none\n");
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.flat, s.flat);
	assert_null(cfg.kernel);
	assert_true(cfg.acpi);
	assert_int_equal(cfg.serial.kind, SERIAL_NONE);
	vmdef_free(&cfg);
	write_text(path, "[vm]\nkernel = bzImage\nappend = 'a=\"b c\" d'\n"
		   "[serial]\n[vm]\n");
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "web.ini:5: [vm]: section given twice (first on line 1)"));
	assert_true(config_is_empty(&cfg));
	write_text(path, "[vm]\nkernel = bzImage\nappend = 'a=\"b c\" d'\n[serial]\n");
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.append, "a=\"b c\" d");
	vmdef_free(&cfg);
	write_text(path, "[vm]\nkernel = bzImage\nappend =\n");
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.append, "");
	vmdef_free(&cfg);

	/* firmware boot: disks, a CD-ROM, a boot order */
	write_text(path, "[vm]\nfirmware = test.bin\nboot = cd\n"
		   "[disk0]\npath = bzImage\n"
		   "[Disk1]\nPath = ./initrd.img\ninterface = ahci\nformat = qcow2\n"
		   "readonly = yes\n"
		   "[cdrom]\npath = test.bin\n");
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.firmware, s.flat);
	assert_int_equal(cfg.boot, BOOT_ORDER_CD);
	assert_int_equal(cfg.ndisks, 2);
	assert_string_equal(cfg.disks[0].path, s.kernel);
	assert_int_equal(cfg.disks[0].iface, DISK_IF_VIRTIO); /* the defaults */
	assert_int_equal(cfg.disks[0].format, DISK_FMT_AUTO);
	assert_false(cfg.disks[0].readonly);
	assert_string_equal(cfg.disks[1].path, s.initrd);
	assert_int_equal(cfg.disks[1].iface, DISK_IF_AHCI);
	assert_int_equal(cfg.disks[1].format, DISK_FMT_QCOW2);
	assert_true(cfg.disks[1].readonly);
	assert_string_equal(cfg.cdrom, s.flat);
	assert_null(cfg.kernel);
	vmdef_free(&cfg);

	/* a disk alone boots through the default firmware; so does net */
	write_text(path, "[disk0]\npath = bzImage\nformat = raw\n[vm]\nboot = disk\n");
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.ndisks, 1);
	assert_int_equal(cfg.disks[0].format, DISK_FMT_RAW);
	assert_int_equal(cfg.boot, BOOT_ORDER_DISK);
	assert_null(cfg.firmware);
	vmdef_free(&cfg);
	write_text(path, "[vm]\nboot = net\n");
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.boot, BOOT_ORDER_NET);
	vmdef_free(&cfg);
	/* eight disks, the most there may be */
	char eight[1024] = "";
	for (int i = 0; i < 8; i++)
		snprintf(eight + strlen(eight), sizeof(eight) - strlen(eight),
			 "[disk%d]\npath = bzImage\n", i);
	write_text(path, eight);
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.ndisks, 8);
	assert_string_equal(cfg.disks[7].path, s.kernel);
	vmdef_free(&cfg);
	scratch_done(&s);
}

/* Relative paths start from the definition's directory, also when the
 * definition itself is named relative to the current directory. */
static void test_relative_paths(void **state)
{
	struct scratch s;
	struct vm_config cfg;
	char sub[160], path[200], want[400], err[VMDEF_ERR_MAX];
	char *cwd = getcwd(NULL, 0);
	(void)state;

	assert_non_null(cwd);
	scratch_init(&s);
	snprintf(sub, sizeof(sub), "%s/vms", s.dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(path, sizeof(path), "%s/a.ini", sub);
	write_text(path, "[vm]\nkernel = ../bzImage\ninitrd = ./../initrd.img\n");
	assert_int_equal(chdir(s.dir), 0);
	assert_int_equal(vmdef_load("vms/a.ini", &cfg, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/vms/../bzImage", s.dir);
	assert_string_equal(cfg.kernel, want);
	snprintf(want, sizeof(want), "%s/vms/../initrd.img", s.dir);
	assert_string_equal(cfg.initrd, want);
	vmdef_free(&cfg);
	assert_int_equal(chdir(sub), 0);
	assert_int_equal(vmdef_load("a.ini", &cfg, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/../bzImage", sub);
	assert_string_equal(cfg.kernel, want);
	vmdef_free(&cfg);
	assert_int_equal(vmdef_load("./a.ini", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.kernel, want);
	vmdef_free(&cfg);
	/* the same file seen from elsewhere does not find ./bzImage */
	write_text(path, "[vm]\nkernel = bzImage\n");
	assert_int_equal(vmdef_load("a.ini", &cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "a.ini:2: [vm] kernel = %s/bzImage: No such file",
		 sub);
	assert_non_null(strstr(err, want));
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
	scratch_done(&s);
}

struct bad_case {
	const char *text;  /* @D@: the scratch directory */
	const char *want;  /* expected in the message, after "FILE" */
	const char *also;  /* and this too, or NULL */
};

static const struct bad_case bad_cases[] = {
	{ "[vm]\nkernel = bzImage\n[disks]\npath = x\n",
	  ":3: [disks]: unknown section; sections are [vm], [serial], [disk0]...[disk7], "
	  "[cdrom], [display] and [net0]...[net7]", NULL },
	{ "[vm]\nkernel = bzImage\n[display]\nmode = window\n",
	  ":4: [display] mode = window: not allowed; use one of: none, sdl, vnc, sdl,vnc",
	  NULL },
	{ "[vm]\nkernel = bzImage\n[display]\nmode = vnc\nvnc_listen = 127.0.0.1:x\n",
	  ":5: [display] vnc_listen = 127.0.0.1:x: expected HOST:DISPLAY, :DISPLAY or HOST",
	  NULL },
	{ "[vm]\nkernel = bzImage\n[display]\nvnc_listen = :59636\n",
	  ":4: [display] vnc_listen = :59636: expected HOST:DISPLAY", NULL },
	{ "[vm]\nkernel = bzImage\n[display]\nvnc_listen = ::1\n",
	  ":4: [display] vnc_listen = ::1: expected HOST:DISPLAY", NULL },
	{ "[vm]\nkernel = bzImage\n[display]\nvnc_listen = a b:1\n",
	  ":4: [display] vnc_listen = a b:1: expected", NULL },
	{ "[vm]\nkernel = bzImage\n[display]\nvnc_password_file = nope\n",
	  ":4: [display] vnc_password_file = @D@/nope: No such file or directory", NULL },
	{ "[vm]\nkernel = bzImage\n[display]\ninput = mouse\n",
	  ":4: [display] input = mouse: not allowed; use one of: tablet, keyboard, "
	  "tablet,keyboard, none", NULL },
	{ "[vm]\nkernel = bzImage\n[display]\nvnc_password = secret\n",
	  ":4: [display] vnc_password: unknown key; [display] takes mode, vnc_listen, "
	  "vnc_password_file", NULL },
	{ "[vm]\nkernel = bzImage\n[disk01]\npath = bzImage\n",
	  ":3: [disk01]: unknown section", NULL },
	{ "[vm]\nkernel = bzImage\n[disk]\npath = bzImage\n", ":3: [disk]: unknown section",
	  NULL },
	{ "[vm]\nkernel = bzImage\n[disk8]\npath = bzImage\n",
	  ":3: [disk8]: at most 8 of these: [disk0] to [disk7]", NULL },
	{ "[disk99999999999999999999]\n", ":1: [disk99999999999999999999]: at most 8", NULL },
	{ "[vm]\nkernel = bzImage\n[disk1]\npath = bzImage\n",
	  ":3: [disk1]: [disk0] is missing; number them from [disk0] without gaps", NULL },
	{ "[disk0]\npath = bzImage\n[disk2]\npath = bzImage\n",
	  ":3: [disk2]: [disk1] is missing", NULL },
	{ "[disk0]\ninterface = ahci\n", ":1: [disk0]: needs path; give a file name", NULL },
	{ "[disk0]\n", ":1: [disk0]: needs path", NULL },
	{ "[disk0]\npath = bzImage\n[disk1]\nreadonly = yes\n", ":3: [disk1]: needs path",
	  NULL },
	{ "[disk0]\npath = bzImage\ninterface = scsi\n",
	  ":3: [disk0] interface = scsi: not allowed; use one of: virtio, ahci", NULL },
	{ "[disk0]\npath = bzImage\nformat = vmdk\n",
	  ":3: [disk0] format = vmdk: not allowed; use one of: auto, raw, qcow2", NULL },
	{ "[disk0]\npath = bzImage\nreadonly = perhaps\n",
	  ":3: [disk0] readonly = perhaps: not a boolean", NULL },
	{ "[disk0]\npath = nope.img\n",
	  ":2: [disk0] path = @D@/nope.img: No such file or directory", NULL },
	{ "[disk0]\npath = .\n", ":2: [disk0] path = @D@: not a regular file", NULL },
	{ "[disk0]\npath =\n", ":2: [disk0] path: empty; give a file name", NULL },
	{ "[disk0]\npath = bzImage\nsize = 10G\n",
	  ":3: [disk0] size: unknown key; [disk0] takes path, interface, format, readonly",
	  NULL },
	{ "[disk0]\npath = bzImage\n[disk0]\n",
	  ":3: [disk0]: section given twice (first on line 1)", NULL },
	{ "[disk3]\npath = bzImage\n[DISK3]\n", ":3: [disk3]: section given twice", NULL },
	{ "[disk0]\npath = bzImage\nPATH = x\n",
	  ":3: [disk0] path: given twice (first on line 2)", NULL },
	{ "[cdrom]\npath = missing.iso\n",
	  ":2: [cdrom] path = @D@/missing.iso: No such file or directory", NULL },
	{ "[cdrom]\npath =\n", ":2: [cdrom] path: empty", NULL },
	{ "[cdrom]\nfile = x.iso\n", ":2: [cdrom] file: unknown key; [cdrom] takes path",
	  NULL },
	{ "[vm]\nboot = floppy\nkernel = bzImage\n",
	  ":2: [vm] boot = floppy: not allowed; use one of: auto, cd, disk, net", NULL },
	{ "[vm]\nboot = cd\n[disk0]\npath = bzImage\n",
	  ":2: [vm] boot = cd: needs [cdrom] path", NULL },
	{ "[vm]\nboot = disk\n[cdrom]\npath = bzImage\n",
	  ":2: [vm] boot = disk: needs [disk0] path", NULL },
	{ "[vm]\nfirmware = missing.bin\n",
	  ":2: [vm] firmware = @D@/missing.bin: No such file or directory", NULL },
	{ "[vm]\nflat = test.bin\nfirmware = bzImage\n",
	  ":3: [vm] firmware: cannot be used together with [vm] flat (line 2)", NULL },
	{ "[vm]\nacpi = false\n[serial]\nmode = none\n[cdrom]\n",
	  ": nothing to boot: set [vm] kernel (or [vm] flat), or give the firmware a "
	  "[disk0] or [cdrom] path", NULL },
	{ "[vm]\nkernel = bzImage\ncolour = blue\n",
	  ":3: [vm] colour: unknown key; [vm] takes name, memory, cpus, kernel, initrd, "
	  "append, flat, acpi", NULL },
	{ "[serial]\nspeed = 9600\n",
	  ":2: [serial] speed: unknown key; [serial] takes mode, path", NULL },
	{ "[vm]\ncpus = 1\nkernel = bzImage\nCPUS = 2\n",
	  ":4: [vm] cpus: given twice (first on line 2)", NULL },
	{ "[vm]\nkernel = bzImage\nmemory = 0\n",
	  ":3: [vm] memory = 0: out of range; use a size from 2M to 1T, a multiple of 4K",
	  "a bare number is MiB" },
	{ "[vm]\nkernel = bzImage\nmemory = 12Q\n", ":3: [vm] memory = 12Q: not a size; use",
	  NULL },
	{ "[vm]\nkernel = bzImage\nmemory = 2T\n", ":3: [vm] memory = 2T: out of range", NULL },
	{ "[vm]\nkernel = bzImage\nmemory = 99999999999999T\n", ":3: [vm] memory = "
	  "99999999999999T: out of range", NULL },
	{ "[vm]\nkernel = bzImage\nmemory = 4097K\n",
	  ":3: [vm] memory = 4097K: not a multiple of 4K", NULL },
	{ "[vm]\nkernel = bzImage\nmemory = 1M\n", ":3: [vm] memory = 1M: out of range", NULL },
	{ "[vm]\nkernel = bzImage\nmemory =\n", ":3: [vm] memory = : not a size", NULL },
	{ "[vm]\nkernel = bzImage\ncpus = 0\n",
	  ":3: [vm] cpus = 0: out of range; use a whole number from 1 to 254", NULL },
	{ "[vm]\nkernel = bzImage\ncpus = 255\n", ":3: [vm] cpus = 255: out of range", NULL },
	{ "[vm]\nkernel = bzImage\ncpus = two\n", ":3: [vm] cpus = two: not a whole number",
	  NULL },
	{ "[vm]\nkernel = bzImage\ncpus = -1\n", ":3: [vm] cpus = -1: not a whole number",
	  NULL },
	{ "[vm]\nkernel = bzImage\nacpi = maybe\n",
	  ":3: [vm] acpi = maybe: not a boolean; use true or false (or yes/no, on/off, 1/0)",
	  NULL },
	{ "[vm]\nkernel = bzImage\n[serial]\nmode = tcp\n",
	  ":4: [serial] mode = tcp: not allowed; use one of: stdio, file, pty, none", NULL },
	{ "[vm]\nkernel = bzImage\n[serial]\nmode = FILE\n",
	  ":4: [serial] mode = FILE: not allowed; use one of: stdio, file, pty, none", NULL },
	{ "[vm]\nkernel = bzImage\n[serial]\nmode = file\n",
	  ":4: [serial] mode = file: needs [serial] path", NULL },
	{ "[vm]\nkernel = bzImage\n[serial]\npath = out.txt\n",
	  ":4: [serial] path: only used with [serial] mode = file", NULL },
	{ "[vm]\nkernel = bzImage\n[serial]\nmode = pty\npath = out.txt\n",
	  ":5: [serial] path: only used with [serial] mode = file", NULL },
	{ "[vm]\nname = a/b\nkernel = bzImage\n",
	  ":2: [vm] name = a/b: not a valid name; use 1-63 letters", NULL },
	{ "[vm]\nname = .x\nkernel = bzImage\n", ":2: [vm] name = .x: not a valid name", NULL },
	{ "[vm]\nkernel = missing-bzImage\n",
	  ":2: [vm] kernel = @D@/missing-bzImage: No such file or directory", NULL },
	{ "[vm]\nkernel = bzImage\ninitrd = /nonexistent/initrd\n",
	  ":3: [vm] initrd = /nonexistent/initrd: No such file or directory", NULL },
	{ "[vm]\nkernel = .\n", ":2: [vm] kernel = @D@: not a regular file", NULL },
	{ "[vm]\nkernel =\n", ":2: [vm] kernel: empty; give a file name", NULL },
	{ "[vm]\ncpus = 2\n", ": nothing to boot: set [vm] kernel (or [vm] flat)", NULL },
	{ "", ": nothing to boot", NULL },
	{ "[vm]\nkernel = bzImage\nflat = test.bin\n",
	  ":3: [vm] flat: cannot be used together with [vm] kernel (line 2)", NULL },
	{ "[vm]\nflat = test.bin\nkernel = bzImage\n",
	  ":3: [vm] kernel: cannot be used together with [vm] flat (line 2)", NULL },
	{ "[vm]\nflat = test.bin\ninitrd = initrd.img\n",
	  ":3: [vm] initrd: needs [vm] kernel", NULL },
	{ "[vm]\nflat = test.bin\nappend = quiet\n", ":3: [vm] append: needs [vm] kernel",
	  NULL },
	{ "kernel = bzImage\n[vm]\n", ":1: kernel: key before any [section]", NULL },
	{ "[vm]\nkernel bzImage\n",
	  ":2: syntax error at \"kernel bzImage\": expected [section], key = value, or a "
	  "comment", NULL },
	{ "[vm]\n= x\n", ":2: syntax error at \"= x\"", NULL },
	{ "[vm\nkernel = bzImage\n", ":1: syntax error at \"[vm\"", NULL },
	{ "[]\n", ":1: []: empty section name", NULL },
	{ "[vm]\nkernel = bzImage\nappend = \"quiet\n", ":3: [vm] append: the value has no "
	  "closing \"", NULL },
	{ "[vm]\nkernel = bzImage\nappend = \"a\" b\n",
	  ":3: [vm] append: text after the closing quote", NULL },
	{ "[vm]\nkernel = bzImage\nappend = \"a\\\"b\"\n",
	  ":3: [vm] append: text after the closing quote", NULL },
	{ "[vm]\nkernel = bzImage\nappend = quiet \\", ":3: the last line ends with '\\' but "
	  "no line follows", NULL },
	{ "\xEF\xBB\xBF[vm]\nkernel = bzImage\n", ":1: starts with a byte order mark", NULL },
	{ "[vm]\nkernel = bzImage\nx\x1b[31m = 1\n", ":3: [vm] x?[31m: unknown key", NULL },
	/* not INI at all */
	{ "#!/bin/sh\nexec qemu-system-x86_64 -m 1G\n",
	  ":2: syntax error at \"exec qemu-system-x86_64 -m 1G\"", NULL },
	{ "{\n  \"vm\": { \"memory\": \"1G\" }\n}\n", ":1: syntax error at \"{\"", NULL },
	{ "<domain type='kvm'>\n", ":1: <domain type: key before any [section]", NULL },
	{ "[vm]\n<domain type='kvm'>\n", ":2: [vm] <domain type: unknown key", NULL },
};

/* Copies in to out with every "@D@" replaced by dir. */
static void subst(const char *in, const char *dir, char *out, size_t len)
{
	size_t o = 0, dl = strlen(dir);

	while (*in && o + 1 < len) {
		if (strncmp(in, "@D@", 3) == 0 && o + dl < len) {
			memcpy(out + o, dir, dl);
			o += dl;
			in += 3;
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = '\0';
}

static void test_bad_inputs(void **state)
{
	struct scratch s;
	struct vm_config cfg;
	char path[160], text[512], want[512], err[VMDEF_ERR_MAX];
	(void)state;

	scratch_init(&s);
	snprintf(path, sizeof(path), "%s/bad.ini", s.dir);
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *b = &bad_cases[i];
		int r;

		subst(b->text, s.dir, text, sizeof(text));
		write_text(path, text);
		memset(&cfg, 0xa5, sizeof(cfg));
		r = vmdef_load(path, &cfg, err, sizeof(err));
		snprintf(want, sizeof(want), "%s", path);
		subst(b->want, s.dir, want + strlen(want), sizeof(want) - strlen(want));
		if (r != -EINVAL || strncmp(err, want, strlen(want)) != 0 ||
		    (b->also && !strstr(err, b->also)))
			fail_msg("case %zu: got %d \"%s\"\n  wanted \"%s...\"%s%s", i, r, err,
				 want, b->also ? " with " : "", b->also ? b->also : "");
		if (!config_is_empty(&cfg))
			fail_msg("case %zu: cfg not emptied after an error", i);
		if (strchr(err, '\n') || strchr(err, '\x1b'))
			fail_msg("case %zu: message holds a control character", i);
	}
	scratch_done(&s);
}

static void test_bad_files(void **state)
{
	struct scratch s;
	struct vm_config cfg;
	char path[160], err[VMDEF_ERR_MAX], big[1200];
	char *huge;
	(void)state;

	scratch_init(&s);
	snprintf(path, sizeof(path), "%s/none.ini", s.dir);
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "none.ini: No such file or directory"));
	assert_true(config_is_empty(&cfg));

	assert_int_equal(vmdef_load(s.dir, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ": not a regular file"));

	/* binary junk with a NUL byte */
	snprintf(path, sizeof(path), "%s/bin.ini", s.dir);
	write_file(path, "[vm]\n\x7f" "ELF\x02\x01\x00\x00", 13);
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bin.ini:2: not a text file (NUL byte)"));

	/* a line longer than iniparser reads */
	snprintf(path, sizeof(path), "%s/long.ini", s.dir);
	memset(big, 'x', sizeof(big));
	memcpy(big, "[vm]\nappend = ", 14);
	big[sizeof(big) - 1] = '\0';
	write_text(path, big);
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "long.ini:2: line too long (at most 1000 characters)"));

	/* far too large to be a definition */
	huge = malloc(300 * 1024);
	assert_non_null(huge);
	memset(huge, '#', 300 * 1024);
	for (size_t i = 80; i < 300 * 1024; i += 80)
		huge[i] = '\n';
	write_file(path, huge, 300 * 1024);
	free(huge);
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "too large"));

	/* a tiny error buffer is filled, cut and terminated */
	write_text(path, "[vm]\ncpus = 0\n");
	memset(err, 'Z', sizeof(err));
	assert_int_equal(vmdef_load(path, &cfg, err, 8), -EINVAL);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(vmdef_load(path, &cfg, NULL, 0), -EINVAL);
	scratch_done(&s);
}

/* Templates (presets) may leave paths empty and need not boot yet. */
static void test_template(void **state)
{
	struct scratch s;
	struct vm_config cfg;
	char path[160], err[VMDEF_ERR_MAX];
	(void)state;

	scratch_init(&s);
	snprintf(path, sizeof(path), "%s/t.ini", s.dir);
	write_text(path, "[vm]\nkernel =\ninitrd =\nappend = console=ttyS0\n");
	assert_int_equal(vmdef_load_flags(path, VMDEF_TEMPLATE, &cfg, err, sizeof(err)), 0);
	assert_null(cfg.kernel);
	assert_null(cfg.initrd);
	assert_string_equal(cfg.append, "console=ttyS0");
	vmdef_free(&cfg);
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.ini:2: [vm] kernel: empty"));

	/* a blank disk and CD-ROM in a template: the instance counts */
	write_text(path, "[vm]\nboot = cd\n[disk0]\npath =\nformat = qcow2\n[cdrom]\npath =\n");
	assert_int_equal(vmdef_load_flags(path, VMDEF_TEMPLATE, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.ndisks, 1);
	assert_null(cfg.disks[0].path);
	assert_int_equal(cfg.disks[0].format, DISK_FMT_QCOW2);
	assert_null(cfg.cdrom);
	vmdef_free(&cfg);
	assert_int_equal(vmdef_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.ini:4: [disk0] path: empty"));

	/* a template still refuses what no filling-in can mend */
	write_text(path, "[vm]\nkernel =\nflat = x.bin\n");
	assert_int_equal(vmdef_load_flags(path, VMDEF_TEMPLATE, &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "cannot be used together"));
	write_text(path, "[vm]\nmemory = 1K\n");
	assert_int_equal(vmdef_load_flags(path, VMDEF_TEMPLATE, &cfg, err, sizeof(err)),
			 -EINVAL);
	/* files need not exist in a template, nor with VMDEF_NO_FILE_CHECK */
	write_text(path, "[vm]\nkernel = /nonexistent/bzImage\n");
	assert_int_equal(vmdef_load_flags(path, VMDEF_TEMPLATE, &cfg, err, sizeof(err)), 0);
	vmdef_free(&cfg);
	assert_int_equal(vmdef_load_flags(path, VMDEF_NO_FILE_CHECK, &cfg, err,
					  sizeof(err)), 0);
	assert_string_equal(cfg.kernel, "/nonexistent/bzImage");
	vmdef_free(&cfg);
	write_text(path, "[vm]\ncpus = 2\n");
	assert_int_equal(vmdef_load_flags(path, VMDEF_NO_FILE_CHECK, &cfg, err,
					  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nothing to boot"));
	scratch_done(&s);
}

static void round_trip(const char *path, const struct vm_config *cfg);

/* [net0]...[net7]: load, round trip, and every bad value named. */
static void test_nets(void **state)
{
	struct scratch s;
	struct vm_config cfg;
	char path[160], path2[170], err[VMDEF_ERR_MAX];
	(void)state;

	scratch_init(&s);
	snprintf(path, sizeof(path), "%s/n.ini", s.dir);
	snprintf(path2, sizeof(path2), "%s/n2.ini", s.dir);
	write_text(path, "[vm]\nkernel = bzImage\n"
			 "[net0]\nhostfwd = tcp::2222-:22 udp:127.0.0.1:5353-:53\n"
			 "mac = 52:54:00:00:00:07\nrestrict = true\n"
			 "[net1]\nbackend = tap\nifname = tap7\n"
			 "[net2]\nnet = 192.168.9.0/24\nipv6 = false\nbootfile = http://192.168.9.2/x\n");
	if (vmdef_load(path, &cfg, err, sizeof(err)))
		fail_msg("load: %s", err);
	assert_int_equal(cfg.nnics, 3);
	assert_int_equal(cfg.nics[0].backend, NIC_USER);
	assert_string_equal(cfg.nics[0].hostfwd, "tcp::2222-:22 udp:127.0.0.1:5353-:53");
	assert_string_equal(cfg.nics[0].mac, "52:54:00:00:00:07");
	assert_true(cfg.nics[0].restricted);
	assert_true(cfg.nics[0].ipv6);
	assert_int_equal(cfg.nics[1].backend, NIC_TAP);
	assert_string_equal(cfg.nics[1].ifname, "tap7");
	assert_false(cfg.nics[2].ipv6);
	assert_string_equal(cfg.nics[2].net, "192.168.9.0/24");
	round_trip(path2, &cfg);
	vmdef_free(&cfg);

	static const struct { const char *text, *want; } bad[] = {
		{ "[net0]\nbackend = bridge\n", "[net0] backend = bridge: not allowed" },
		{ "[net0]\nmac = 01:00:00:00:00:01\n", "[net0] mac 01:00:00:00:00:01: a multicast" },
		{ "[net0]\nmac = 52:54:00\n", "not a MAC address" },
		{ "[net0]\nhostfwd = tcp::22222222-:22\n", "[net0] hostfwd tcp::22222222-:22: "
		  "'22222222' is not a port" },
		{ "[net0]\nhostfwd = tcp::80-:80 tcp::80-:81\n", "forwarded twice" },
		{ "[net0]\nrestrict = sometimes\n", "[net0] restrict = sometimes: not a boolean" },
		{ "[net0]\nbackend = tap\n", "[net0] tap: needs ifname" },
		{ "[net0]\nbackend = tap\nifname = t0\nhostfwd = tcp::1-:1\n", "only for the user" },
		{ "[net0]\nifname = t0\n", "only for the tap backend" },
		{ "[net0]\nnet = 10.0.2.0/40\n", "prefix length" },
		{ "[net0]\ndns = 10.9.9.9\n", "inside the network" },
		{ "[net0]\ncolour = blue\n", "[net0] colour: unknown key" },
		{ "[net1]\n", "[net1]" },
		{ "[net8]\n", "[net8]" },
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "[vm]\nkernel = bzImage\n%s", bad[i].text);
		write_text(path, text);
		err[0] = '\0';
		int r = vmdef_load(path, &cfg, err, sizeof(err));
		if (r != -EINVAL || !strstr(err, bad[i].want))
			fail_msg("case %u: got %d \"%s\", want \"%s\"", i, r, err, bad[i].want);
		assert_true(strstr(err, "n.ini:") != NULL);
	}
	scratch_done(&s);
}

static void round_trip(const char *path, const struct vm_config *cfg)
{
	struct vm_config back;
	char err[VMDEF_ERR_MAX];
	struct stat st;

	if (vmdef_save(path, cfg, err, sizeof(err)) != 0)
		fail_msg("save: %s", err);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	if (vmdef_load(path, &back, err, sizeof(err)) != 0)
		fail_msg("load: %s", err);
	if (!vmdef_equal(cfg, &back)) {
		char *text = read_text(path);
		fail_msg("round trip differs; file:\n%s", text);
	}
	vmdef_free(&back);
}

static void test_round_trip(void **state)
{
	static const char *const appends[] = {
		"console=ttyS0",
		"",
		"console=ttyS0 root=/dev/vda rw init=/bin/sh",
		"  leading and trailing  ",
		"semi;colon #hash",
		"quote=\"a b\" ; x",
		"it's # here",
		"a\"b'c",
		"ends with a backslash\\",
		"\"starts quoted\"",
		"'single'",
		"tab\there",
		"x=y=z",
	};
	struct scratch s;
	struct vm_config cfg;
	char path[160], out[160];
	char *text;
	(void)state;

	scratch_init(&s);
	snprintf(path, sizeof(path), "%s/web.ini", s.dir);
	snprintf(out, sizeof(out), "%s/serial out; #1.txt", s.dir);

	vmdef_defaults(&cfg);
	cfg.kernel = strdup(s.kernel);
	round_trip(path, &cfg);
	text = read_text(path);
	assert_non_null(strstr(text, "ttyvm.ini(5)"));
	assert_non_null(strstr(text, "\n[vm]\n"));
	assert_non_null(strstr(text, "\nname = vm\n"));
	assert_non_null(strstr(text, "\nmemory = 256M\n"));
	assert_non_null(strstr(text, "\n#initrd =\n"));
	assert_non_null(strstr(text, "\n[serial]\nmode = stdio\n") ||
			strstr(text, "\nmode = stdio\n"));
	free(text);

	snprintf(cfg.name, sizeof(cfg.name), "web-1.example");
	cfg.memory = 3 * GiB + 4 * KiB;
	cfg.cpus = 254;
	cfg.initrd = strdup(s.initrd);
	cfg.acpi = false;
	cfg.serial.kind = SERIAL_FILE;
	cfg.serial.path = strdup(out);
	for (size_t i = 0; i < ARRAY_SIZE(appends); i++) {
		free(cfg.append);
		cfg.append = strdup(appends[i]);
		round_trip(path, &cfg);
	}
	text = read_text(path);
	assert_non_null(strstr(text, "\nmemory = 3145732K\n"));
	assert_non_null(strstr(text, "\ncpus = 254\n"));
	assert_non_null(strstr(text, "\nacpi = false\n"));
	free(text);
	vmdef_free(&cfg);

	vmdef_defaults(&cfg);
	cfg.flat = strdup(s.flat);
	cfg.memory = 1ULL << 40;
	cfg.serial.kind = SERIAL_PTY;
	round_trip(path, &cfg);
	cfg.serial.kind = SERIAL_NONE;
	cfg.memory = 2 * MiB;
	round_trip(path, &cfg);
	vmdef_free(&cfg);

	/* firmware boot: every disk key, the CD-ROM, each boot order */
	static const enum boot_order boots[] = { BOOT_ORDER_DEFAULT, BOOT_ORDER_CD,
						 BOOT_ORDER_DISK, BOOT_ORDER_NET };
	vmdef_defaults(&cfg);
	cfg.firmware = strdup(s.flat);
	cfg.cdrom = strdup(s.initrd);
	for (unsigned int i = 0; i < VM_MAX_DISKS; i++) {
		cfg.disks[i].path = strdup(i % 2 ? s.kernel : s.initrd);
		cfg.disks[i].iface = i % 3 == 1 ? DISK_IF_AHCI : DISK_IF_VIRTIO;
		cfg.disks[i].format = (enum disk_format)(i % 3);
		cfg.disks[i].readonly = i % 4 == 3;
	}
	cfg.ndisks = VM_MAX_DISKS;
	for (size_t i = 0; i < ARRAY_SIZE(boots); i++) {
		cfg.boot = boots[i];
		round_trip(path, &cfg);
	}
	text = read_text(path);
	assert_non_null(strstr(text, "\nboot = net\n"));
	assert_non_null(strstr(text, "\n[disk0]\n"));
	assert_non_null(strstr(text, "\n[disk7]\n"));
	assert_null(strstr(text, "[disk8]"));
	assert_non_null(strstr(text, "\ninterface = ahci\n"));
	assert_non_null(strstr(text, "\nformat = qcow2\n"));
	assert_non_null(strstr(text, "\nreadonly = true\n"));
	assert_non_null(strstr(text, "\n[cdrom]\n"));
	free(text);
	/* fewer disks: the sections go */
	for (unsigned int i = 1; i < VM_MAX_DISKS; i++) {
		free(cfg.disks[i].path);
		cfg.disks[i].path = NULL;
	}
	cfg.ndisks = 1;
	free(cfg.cdrom);
	cfg.cdrom = NULL;
	cfg.boot = BOOT_ORDER_DISK;
	round_trip(path, &cfg);
	text = read_text(path);
	assert_null(strstr(text, "[disk1]"));
	assert_non_null(strstr(text, "\n[cdrom]\n# ISO image"));
	assert_non_null(strstr(strstr(text, "\n[cdrom]\n"), "\n#path =\n"));
	free(text);
	vmdef_free(&cfg);

	/* [display]: every mode, an address, a password file */
	static const enum display_mode modes[] = { DISPLAY_NONE, DISPLAY_SDL, DISPLAY_VNC,
						   DISPLAY_SDL_VNC };
	vmdef_defaults(&cfg);
	assert_int_equal(cfg.display.mode, DISPLAY_NONE);
	cfg.kernel = strdup(s.kernel);
	cfg.display.vnc_password_file = strdup(s.initrd);
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		static const char *const listens[] = { NULL, "127.0.0.1:3", ":0", "[::1]:59635",
						       "*" };
		cfg.display.mode = modes[i];
		free(cfg.display.vnc_listen);
		cfg.display.vnc_listen = listens[i + 1] ? strdup(listens[i + 1]) : NULL;
		round_trip(path, &cfg);
	}
	text = read_text(path);
	assert_non_null(strstr(text, "\n[display]\n"));
	assert_non_null(strstr(text, "\nmode = sdl,vnc\n"));
	assert_non_null(strstr(text, "\nvnc_listen = *\n"));
	free(text);
	/* [display] input: each choice round-trips (the default is a tablet) */
	assert_int_equal(cfg.input, VM_INPUT_TABLET);
	static const unsigned int inputs[] = { VM_INPUT_KEYBOARD, VM_INPUT_NONE,
					       VM_INPUT_TABLET | VM_INPUT_KEYBOARD };
	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		cfg.input = inputs[i];
		round_trip(path, &cfg);
	}
	text = read_text(path);
	assert_non_null(strstr(text, "\ninput = tablet,keyboard\n"));
	free(text);
	cfg.input = VM_INPUT_TABLET;
	cfg.display.mode = DISPLAY_VNC;
	free(cfg.display.vnc_listen);
	cfg.display.vnc_listen = strdup("host:port");
	assert_int_equal(vmdef_save(path, &cfg, NULL, 0), -EINVAL);
	vmdef_free(&cfg);

	/* run-time settings are neither written nor compared, and stay the
	 * caller's (vmdef_free frees them) */
	vmdef_defaults(&cfg);
	cfg.kernel = strdup(s.kernel);
	cfg.control_socket = strdup("/run/x.sock");
	cfg.screen_text = strdup("/tmp/screen.txt");
	cfg.screenshot = strdup("/tmp/shot.png");
	cfg.debugcon = strdup("/tmp/debugcon.txt");
	round_trip(path, &cfg);
	text = read_text(path);
	assert_null(strstr(text, "sock"));
	assert_null(strstr(text, "screen"));
	free(text);
	vmdef_free(&cfg);

	/* nothing left behind but the definition and the scratch files */
	assert_int_equal(count_entries(s.dir), 4);
	scratch_done(&s);
}

/* Relative paths in a vm_config are from the current directory, and are
 * written absolute. */
static void test_save_relative(void **state)
{
	struct scratch s;
	struct vm_config cfg, back;
	char path[160], err[VMDEF_ERR_MAX];
	char *cwd = getcwd(NULL, 0);
	(void)state;

	scratch_init(&s);
	assert_int_equal(chdir(s.dir), 0);
	vmdef_defaults(&cfg);
	cfg.kernel = strdup("./bzImage");
	cfg.initrd = strdup("initrd.img");
	assert_int_equal(vmdef_save("rel.ini", &cfg, err, sizeof(err)), 0);
	assert_int_equal(chdir("/"), 0);
	snprintf(path, sizeof(path), "%s/rel.ini", s.dir);
	assert_int_equal(vmdef_load(path, &back, err, sizeof(err)), 0);
	assert_string_equal(back.kernel, s.kernel);
	assert_string_equal(back.initrd, s.initrd);
	vmdef_free(&back);
	vmdef_free(&cfg);
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
	scratch_done(&s);
}

static void test_save_rejects(void **state)
{
	struct scratch s;
	struct vm_config cfg;
	char path[160], err[VMDEF_ERR_MAX];
	char *before, *after;
	(void)state;

	scratch_init(&s);
	snprintf(path, sizeof(path), "%s/keep.ini", s.dir);
	vmdef_defaults(&cfg);
	cfg.kernel = strdup(s.kernel);
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), 0);
	before = read_text(path);

	cfg.memory = 0;
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "keep.ini: [vm] memory: out of range; use a size from 2M"));
	cfg.memory = 3 * MiB + KiB;
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[vm] memory: not a multiple of 4K"));
	cfg.memory = MiB * 64;
	cfg.cpus = 0;
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[vm] cpus: out of range; use a whole number from 1 to 254"));
	cfg.cpus = 1;
	snprintf(cfg.name, sizeof(cfg.name), "a/b");
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[vm] name: not a valid name"));
	memset(cfg.name, 'x', sizeof(cfg.name)); /* not even terminated */
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(cfg.name, sizeof(cfg.name), "ok");
	cfg.serial.kind = (enum serial_kind)7;
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[serial] mode: not allowed; use one of: stdio, file"));
	cfg.serial.kind = SERIAL_FILE;
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "keep.ini: [serial] mode = file: needs [serial] path"));
	cfg.serial.kind = SERIAL_STDIO;
	cfg.serial.path = strdup("x");
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[serial] path: only used with [serial] mode = file"));
	free(cfg.serial.path);
	cfg.serial.path = NULL;
	cfg.flat = strdup(s.flat);
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "keep.ini: [vm] flat: cannot be used together with "
				"[vm] kernel"));
	free(cfg.flat);
	cfg.flat = NULL;
	cfg.append = strdup("two\nlines");
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[vm] append = two?lines: a line break cannot"));
	free(cfg.append);
	cfg.append = strdup("both ' and \" ;");
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "holds both kinds of quotes"));
	free(cfg.append);
	cfg.append = calloc(1, 1200);
	memset(cfg.append, 'a', 1100);
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[vm] append: too long for one line"));
	free(cfg.append);
	cfg.append = NULL;
	free(cfg.kernel);
	cfg.kernel = strdup("");
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[vm] kernel: empty"));
	free(cfg.kernel);
	cfg.kernel = NULL;
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nothing to boot"));
	cfg.kernel = strdup(s.kernel);

	/* disks: too many, one without a path, bad values, boot orders */
	cfg.ndisks = VM_MAX_DISKS + 1;
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "keep.ini: 9 of [diskN]: at most 8"));
	cfg.ndisks = 1;
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "keep.ini: [disk0] path: not set; give a file name"));
	cfg.disks[0].path = strdup("");
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[disk0] path: empty"));
	free(cfg.disks[0].path);
	cfg.disks[0].path = strdup("/tmp/disk.img");
	cfg.disks[0].iface = (enum disk_iface)5;
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[disk0] interface: not allowed; use one of: virtio, ahci"));
	cfg.disks[0].iface = DISK_IF_AHCI;
	cfg.disks[0].format = (enum disk_format)9;
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[disk0] format: not allowed; use one of: auto, raw, qcow2"));
	cfg.disks[0].format = DISK_FMT_RAW;
	cfg.boot = BOOT_ORDER_CD;
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "keep.ini: [vm] boot = cd: needs [cdrom] path"));
	cfg.boot = (enum boot_order)17;
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[vm] boot: not allowed; use one of: auto, cd, disk, net"));
	cfg.boot = BOOT_ORDER_DEFAULT;
	cfg.firmware = strdup("/tmp/bios.bin");
	cfg.flat = strdup(s.flat);
	free(cfg.kernel);
	cfg.kernel = NULL;
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[vm] flat: cannot be used together with [vm] firmware"));

	after = read_text(path);
	assert_string_equal(before, after);
	assert_int_equal(count_entries(s.dir), 4);
	free(before);
	free(after);
	vmdef_free(&cfg);
	scratch_done(&s);
}

/* A write that fails half way leaves the old definition as it was. */
static void test_save_atomic(void **state)
{
	struct scratch s;
	struct vm_config cfg, back;
	char path[160], err[VMDEF_ERR_MAX], sub[160];
	struct rlimit old, small;
	char *before, *after;
	void (*oldsig)(int);
	int r;
	(void)state;

	scratch_init(&s);
	snprintf(path, sizeof(path), "%s/keep.ini", s.dir);
	vmdef_defaults(&cfg);
	cfg.kernel = strdup(s.kernel);
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), 0);
	before = read_text(path);

	/* the file system refuses after 100 bytes */
	cfg.cpus = 8;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = (struct rlimit){ 100, old.rlim_max }; /* the soft limit only */
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	r = vmdef_save(path, &cfg, err, sizeof(err));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	assert_int_equal(r, -EFBIG);
	assert_non_null(strstr(err, "keep.ini: cannot write "));
	after = read_text(path);
	assert_string_equal(before, after);
	free(after);
	assert_int_equal(count_entries(s.dir), 4); /* no temporary file left */
	assert_int_equal(vmdef_load(path, &back, err, sizeof(err)), 0);
	assert_int_equal(back.cpus, 1);
	vmdef_free(&back);

	/* the directory is missing */
	snprintf(sub, sizeof(sub), "%s/missing/keep.ini", s.dir);
	assert_int_equal(vmdef_save(sub, &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot create a file in"));

	/* the target is a directory: the rename fails, nothing is lost */
	snprintf(sub, sizeof(sub), "%s/adir", s.dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_true(vmdef_save(sub, &cfg, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot replace it"));
	assert_int_equal(count_entries(s.dir), 5);
	rmdir(sub);

	/* a directory we may not write to (meaningless for root) */
	if (geteuid() != 0) {
		assert_int_equal(chmod(s.dir, 0555), 0);
		assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), -EACCES);
		assert_int_equal(chmod(s.dir, 0755), 0);
		after = read_text(path);
		assert_string_equal(before, after);
		free(after);
	}

	/* and then a save that works replaces it */
	assert_int_equal(vmdef_save(path, &cfg, err, sizeof(err)), 0);
	assert_int_equal(vmdef_load(path, &back, err, sizeof(err)), 0);
	assert_int_equal(back.cpus, 8);
	vmdef_free(&back);
	free(before);
	vmdef_free(&cfg);
	scratch_done(&s);
}

/* data/: TTYVM_SRCDIR (set by make check) or the current directory. */
static void data_path(const char *sub, char *buf, size_t len)
{
	const char *src = getenv("TTYVM_SRCDIR");

	snprintf(buf, len, "%s/data/%s", src && *src ? src : ".", sub);
}

static void test_presets(void **state)
{
	struct vm_config cfg;
	char dir[PATH_MAX], path[PATH_MAX + 256], err[VMDEF_ERR_MAX];
	struct dirent *e;
	DIR *d;
	int n = 0, linux_direct = 0, install_iso = 0, disk_image = 0;
	(void)state;

	data_path("presets", dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		fail_msg("%s: %s (run from the source tree or set TTYVM_SRCDIR)", dir,
			 strerror(errno));
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".ini") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (vmdef_load_flags(path, VMDEF_TEMPLATE, &cfg, err, sizeof(err)) != 0)
			fail_msg("preset %s", err);
		n++;
		if (strcmp(e->d_name, "linux-direct.ini") == 0) {
			linux_direct = 1;
			assert_string_equal(cfg.name, "linux-direct");
			assert_int_equal(cfg.memory, GiB);
			assert_int_equal(cfg.cpus, 2);
			assert_null(cfg.kernel); /* to be filled in */
			assert_null(cfg.initrd);
			assert_string_equal(cfg.append, "console=ttyS0");
			assert_true(cfg.acpi);
			assert_int_equal(cfg.serial.kind, SERIAL_STDIO);
			assert_int_equal(cfg.display.mode, DISPLAY_VNC);
		}
		if (strcmp(e->d_name, "install-iso.ini") == 0) {
			install_iso = 1;
			assert_int_equal(cfg.memory, 2 * GiB);
			assert_int_equal(cfg.boot, BOOT_ORDER_CD);
			assert_null(cfg.cdrom); /* to be filled in */
			assert_int_equal(cfg.ndisks, 0); /* ttyvm create makes one */
			assert_null(cfg.kernel);
			assert_null(cfg.firmware); /* the default */
		}
		if (strcmp(e->d_name, "disk-image.ini") == 0) {
			disk_image = 1;
			assert_int_equal(cfg.boot, BOOT_ORDER_DISK);
			assert_int_equal(cfg.ndisks, 1);
			assert_null(cfg.disks[0].path); /* to be filled in */
			assert_int_equal(cfg.disks[0].iface, DISK_IF_VIRTIO);
			assert_int_equal(cfg.disks[0].format, DISK_FMT_AUTO);
			assert_null(cfg.cdrom);
		}
		vmdef_free(&cfg);
	}
	closedir(d);
	assert_true(n >= 3);
	assert_true(linux_direct);
	assert_true(install_iso);
	assert_true(disk_image);
}

/* data/defaults.ini shows the built-in defaults: they must agree. */
static void test_defaults_file(void **state)
{
	struct vm_config file, builtin;
	char path[PATH_MAX], err[VMDEF_ERR_MAX];
	(void)state;

	data_path("defaults.ini", path, sizeof(path));
	if (vmdef_load_flags(path, VMDEF_TEMPLATE, &file, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	vmdef_defaults(&builtin);
	snprintf(file.name, sizeof(file.name), "%s", builtin.name);
	assert_true(vmdef_equal(&file, &builtin));
	vmdef_free(&file);
	vmdef_free(&builtin);
}

/* man/ttyvm.ini.5 documents every key of the schema. */
static void test_man_page(void **state)
{
	const char *src = getenv("TTYVM_SRCDIR"), *section, *key, *help;
	char path[PATH_MAX], want[128];
	char *text;
	(void)state;

	snprintf(path, sizeof(path), "%s/man/ttyvm.ini.5", src && *src ? src : ".");
	text = read_text(path);
	for (unsigned int i = 0; vmdef_key_info(i, &section, &key, &help); i++) {
		snprintf(want, sizeof(want), ".SS [%s]", section);
		if (!strstr(text, want))
			fail_msg("%s: no \"%s\"", path, want);
		snprintf(want, sizeof(want), "\n.BI \"%s = \" ", key);
		if (!strstr(text, want))
			fail_msg("%s: key [%s] %s is not documented (\"%s\")", path, section,
				 key, want + 1);
		assert_non_null(help);
	}
	free(text);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_names),
	cmocka_unit_test(test_nets),
	cmocka_unit_test(test_defaults),
	cmocka_unit_test(test_load_full),
	cmocka_unit_test(test_relative_paths),
	cmocka_unit_test(test_bad_inputs),
	cmocka_unit_test(test_bad_files),
	cmocka_unit_test(test_template),
	cmocka_unit_test(test_round_trip),
	cmocka_unit_test(test_save_relative),
	cmocka_unit_test(test_save_rejects),
	cmocka_unit_test(test_save_atomic),
	cmocka_unit_test(test_presets),
	cmocka_unit_test(test_defaults_file),
	cmocka_unit_test(test_man_page),
};

UNIT_SUITE(vmdef, tests);
