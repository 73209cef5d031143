/*
 * tui_wizard_test.c - the creation wizard's model: every field check with
 * good and bad input, the order of the steps and what each choice skips,
 * presets, and the definition the answers make (saved and loaded back
 * through vmstore).  Runs in a private TTYVM_HOME.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ui/tui_wizard.h"
#include "ui/vmdef.h"
#include "ui/vmstore.h"

struct wiz_env {
	char dir[64];
	char kernel[128], initrd[128];
	char *saved_home;
	struct vmstore_host host;
	struct tui_wiz w;
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	struct wiz_env *e = calloc(1, sizeof(*e));
	const char *home = getenv("TTYVM_HOME");
	char presets[512];

	snprintf(e->dir, sizeof(e->dir), "/tmp/ttyvm-wiz-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	e->saved_home = home ? strdup(home) : NULL;
	setenv("TTYVM_HOME", e->dir, 1);
	if (!getenv("TTYVM_PRESETS_DIR")) {
		const char *src = getenv("TTYVM_SRCDIR");
		snprintf(presets, sizeof(presets), "%s/data/presets", src ? src : ".");
		setenv("TTYVM_PRESETS_DIR", presets, 1);
	}
	snprintf(e->kernel, sizeof(e->kernel), "%s/bzImage", e->dir);
	snprintf(e->initrd, sizeof(e->initrd), "%s/initrd", e->dir);
	write_file(e->kernel, "not really a kernel: the wizard checks it exists");
	write_file(e->initrd, "initrd");
	/* a small host, so the limits show */
	e->host.cpus = 4;
	e->host.max_cpus = 4;
	e->host.memory = 8ULL << 30;
	e->host.max_memory = 8ULL << 30;
	tui_wiz_init(&e->w, &e->host);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct wiz_env *e = *state;
	char cmd[128];

	tui_wiz_free(&e->w);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		return -1;
	if (e->saved_home)
		setenv("TTYVM_HOME", e->saved_home, 1);
	else
		unsetenv("TTYVM_HOME");
	free(e->saved_home);
	free(e);
	return 0;
}

#define OK(fn, text) \
	do { \
		char why_[256]; \
		int r_ = fn(&e->w, text, why_, sizeof(why_)); \
		if (r_) \
			fail_msg("%s(\"%s\") refused: %s", #fn, text, why_); \
	} while (0)
#define BAD(fn, text, err, phrase) \
	do { \
		char why_[256] = ""; \
		int r_ = fn(&e->w, text, why_, sizeof(why_)); \
		if (r_ != (err)) \
			fail_msg("%s(\"%s\") = %d, want %d (%s)", #fn, text, r_, err, why_); \
		if (!strstr(why_, phrase)) \
			fail_msg("%s(\"%s\"): '%s' does not say '%s'", #fn, text, why_, phrase); \
	} while (0)

static void test_check_name(void **state)
{
	struct wiz_env *e = *state;
	char def[256];

	OK(tui_wiz_check_name, "web1");
	OK(tui_wiz_check_name, "a.b-c_d");
	BAD(tui_wiz_check_name, "", -EINVAL, "type a name");
	BAD(tui_wiz_check_name, "web 1", -EINVAL, "letters, digits");
	BAD(tui_wiz_check_name, "-x", -EINVAL, "not starting");
	BAD(tui_wiz_check_name, ".hidden", -EINVAL, "not starting");
	BAD(tui_wiz_check_name, "../etc", -EINVAL, "letters");
	BAD(tui_wiz_check_name, "a/b", -EINVAL, "letters");
	char longname[80];
	memset(longname, 'a', 64);
	longname[64] = '\0';
	BAD(tui_wiz_check_name, longname, -EINVAL, "1-63");
	/* a name in use */
	snprintf(def, sizeof(def), "%s/config", e->dir);
	mkdir(def, 0700);
	snprintf(def, sizeof(def), "%s/config/vms", e->dir);
	mkdir(def, 0700);
	snprintf(def, sizeof(def), "%s/config/vms/taken.ini", e->dir);
	write_file(def, "[vm]\nflat = /dev/null\n");
	BAD(tui_wiz_check_name, "taken", -EEXIST, "exists");
}

static void test_check_files(void **state)
{
	struct wiz_env *e = *state;
	char missing[160];

	OK(tui_wiz_check_file, e->kernel);
	BAD(tui_wiz_check_file, "", -EINVAL, "path");
	snprintf(missing, sizeof(missing), "%s/nope", e->dir);
	BAD(tui_wiz_check_file, missing, -ENOENT, "no such file");
	BAD(tui_wiz_check_file, e->dir, -EISDIR, "directory");
	BAD(tui_wiz_check_file, "/dev/null", -EINVAL, "not a regular file");
	OK(tui_wiz_check_optional_file, "");
	OK(tui_wiz_check_optional_file, e->initrd);
	BAD(tui_wiz_check_optional_file, missing, -ENOENT, "no such file");
	if (geteuid() != 0) { /* root reads anything */
		chmod(e->initrd, 0);
		BAD(tui_wiz_check_file, e->initrd, -EACCES, "cannot be read");
		chmod(e->initrd, 0644);
	}
	OK(tui_wiz_check_append, "console=ttyS0 quiet");
	OK(tui_wiz_check_append, "");
	BAD(tui_wiz_check_append, "a\nb", -EINVAL, "control");
	BAD(tui_wiz_check_append, "a\x1b[2Jb", -EINVAL, "control");
}

static void test_check_sizes(void **state)
{
	struct wiz_env *e = *state;

	OK(tui_wiz_check_memory, "256M");
	OK(tui_wiz_check_memory, "2G");
	OK(tui_wiz_check_memory, "512"); /* MiB */
	OK(tui_wiz_check_memory, "8G");  /* all of the host's RAM */
	BAD(tui_wiz_check_memory, "9G", -ERANGE, "at most 8G");
	BAD(tui_wiz_check_memory, "1", -ERANGE, "at least 2M");
	BAD(tui_wiz_check_memory, "abc", -EINVAL, "a size such as");
	BAD(tui_wiz_check_memory, "", -EINVAL, "a size such as");
	BAD(tui_wiz_check_memory, "-1G", -EINVAL, "a size");
	BAD(tui_wiz_check_memory, "99999999999999999999G", -EINVAL, "a size");
	BAD(tui_wiz_check_memory, "4097K", -EINVAL, "4K pages");
	OK(tui_wiz_check_cpus, "1");
	OK(tui_wiz_check_cpus, "4");
	BAD(tui_wiz_check_cpus, "5", -ERANGE, "1 to 4");
	BAD(tui_wiz_check_cpus, "0", -ERANGE, "1 to 4");
	BAD(tui_wiz_check_cpus, "two", -ERANGE, "a number");
	BAD(tui_wiz_check_cpus, "", -ERANGE, "a number");
	OK(tui_wiz_check_disk_size, "20");
	OK(tui_wiz_check_disk_size, "512M");
	OK(tui_wiz_check_disk_size, "1T");
	BAD(tui_wiz_check_disk_size, "0", -ERANGE, "at least");
	BAD(tui_wiz_check_disk_size, "100T", -ERANGE, "at most 64T");
	BAD(tui_wiz_check_disk_size, "20 GiB", -EINVAL, "a size");
}

static void test_check_network(void **state)
{
	struct wiz_env *e = *state;

	OK(tui_wiz_check_forwards, "");
	OK(tui_wiz_check_forwards, "tcp:2222-:22");
	OK(tui_wiz_check_forwards, "udp:5353-:53, tcp:8080-:80");
	OK(tui_wiz_check_forwards, "2222-22");
	OK(tui_wiz_check_forwards, "tcp::2222-:22");
	OK(tui_wiz_check_forwards, "tcp:127.0.0.1:2222-10.0.2.15:22 udp::5353-:53");
	BAD(tui_wiz_check_forwards, "tcp:99999-:22", -EINVAL, "99999");
	BAD(tui_wiz_check_forwards, "tcp:0-:22", -EINVAL, "hostfwd");
	BAD(tui_wiz_check_forwards, "tcp:2222:22", -EINVAL, "hostfwd");
	BAD(tui_wiz_check_forwards, "tcp:2222-:22x", -EINVAL, "hostfwd");
	BAD(tui_wiz_check_forwards, "sctp:1-:2", -EINVAL, "hostfwd");
	BAD(tui_wiz_check_forwards, "tcp:2222-:22,,garbage", -EINVAL, "garbage");
	BAD(tui_wiz_check_forwards, "tcp:2222-:22 tcp::2222-:23", -EINVAL, "2222");
	OK(tui_wiz_check_tap, "tap0");
	OK(tui_wiz_check_tap, "vm-web.1");
	BAD(tui_wiz_check_tap, "", -EINVAL, "1-15");
	BAD(tui_wiz_check_tap, "a-very-long-tap-name", -EINVAL, "1-15");
	BAD(tui_wiz_check_tap, "tap 0", -EINVAL, "letters");
	BAD(tui_wiz_check_tap, "tap/0", -EINVAL, "letters");
}

/* The steps shown from the first on, as a string of their numbers. */
static void walk(const struct tui_wiz *w, char *out, size_t len)
{
	size_t n = 0;

	for (enum tui_wiz_step s = TUI_WIZ_NAME; s < TUI_WIZ_DONE && n + 3 < len;
	     s = tui_wiz_next(w, s))
		n += (size_t)snprintf(out + n, len - n, "%d ", (int)s);
	/* and back again: prev undoes next */
	enum tui_wiz_step s = TUI_WIZ_NAME, last = TUI_WIZ_NAME;
	while ((s = tui_wiz_next(w, s)) < TUI_WIZ_DONE) {
		assert_int_equal(tui_wiz_prev(w, s), last);
		last = s;
	}
	assert_int_equal(tui_wiz_prev(w, TUI_WIZ_DONE), TUI_WIZ_SUMMARY);
}

static void test_steps(void **state)
{
	struct wiz_env *e = *state;
	char s[64];
	unsigned int pos, count;

	/* defaults: kernel boot, no disk, NAT */
	walk(&e->w, s, sizeof(s));
	assert_string_equal(s, "0 1 2 3 4 6 7 8 9 ");
	tui_wiz_position(&e->w, TUI_WIZ_SUMMARY, &pos, &count);
	assert_int_equal(pos, 9);
	assert_int_equal(count, 9);
	tui_wiz_position(&e->w, TUI_WIZ_NET, &pos, &count);
	assert_int_equal(pos, 6);
	e->w.disk = TUI_DISK_NEW;
	walk(&e->w, s, sizeof(s));
	assert_string_equal(s, "0 1 2 3 4 5 6 7 8 9 ");
	e->w.net = TUI_NET_NONE; /* no forwards to ask for */
	walk(&e->w, s, sizeof(s));
	assert_string_equal(s, "0 1 2 3 4 5 6 8 9 ");
	e->w.boot = TUI_BOOT_DISK; /* its disk is the disk: no disk steps */
	walk(&e->w, s, sizeof(s));
	assert_string_equal(s, "0 1 2 3 6 8 9 ");
	tui_wiz_position(&e->w, TUI_WIZ_SUMMARY, &pos, &count);
	assert_int_equal(pos, 7);
	assert_int_equal(count, 7);
	/* the ends */
	assert_int_equal(tui_wiz_prev(&e->w, TUI_WIZ_NAME), TUI_WIZ_NAME);
	assert_int_equal(tui_wiz_next(&e->w, TUI_WIZ_SUMMARY), TUI_WIZ_DONE);
	assert_int_equal(tui_wiz_next(&e->w, TUI_WIZ_DONE), TUI_WIZ_DONE);
	assert_int_equal(tui_wiz_next(&e->w, (enum tui_wiz_step)100), TUI_WIZ_DONE);
}

static void test_defaults_and_preset(void **state)
{
	struct wiz_env *e = *state;
	char err[VMSTORE_ERR_MAX];
	struct vmstore_host tiny = { .cpus = 1, .max_cpus = 1, .memory = 1ULL << 30,
				     .max_memory = 1ULL << 30 };

	/* the built-in defaults, a kernel boot with a serial console */
	assert_string_equal(e->w.memory, "256M");
	assert_string_equal(e->w.cpus, "1");
	assert_int_equal(e->w.boot, TUI_BOOT_KERNEL);
	assert_string_equal(e->w.append, "console=ttyS0");
	assert_true(e->w.start);
	/* linux-direct asks for 1G and 2 vCPUs: this host has room */
	assert_int_equal(tui_wiz_set_preset(&e->w, "linux-direct", err, sizeof(err)), 0);
	assert_string_equal(e->w.preset, "linux-direct");
	assert_string_equal(e->w.memory, "1G");
	assert_string_equal(e->w.cpus, "2");
	assert_string_equal(e->w.append, "console=ttyS0");
	assert_int_equal(e->w.boot, TUI_BOOT_KERNEL);
	/* unknown: an error, nothing changed */
	assert_int_equal(tui_wiz_set_preset(&e->w, "no-such-preset", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no-such-preset"));
	assert_string_equal(e->w.preset, "linux-direct");
	assert_int_equal(tui_wiz_set_preset(&e->w, "../../etc/passwd", err, sizeof(err)),
			 -EINVAL);
	/* back to no preset */
	assert_int_equal(tui_wiz_set_preset(&e->w, "", err, sizeof(err)), 0);
	assert_string_equal(e->w.preset, "");
	assert_string_equal(e->w.memory, "256M");
	/* a host of 1 CPU and 1G: the preset is fit to it */
	struct tui_wiz w2;
	tui_wiz_init(&w2, &tiny);
	assert_int_equal(tui_wiz_set_preset(&w2, "linux-direct", err, sizeof(err)), 0);
	assert_string_equal(w2.cpus, "1");
	assert_string_equal(w2.memory, "512M");
	tui_wiz_free(&w2);
}

static void fill_kernel_vm(struct wiz_env *e, const char *name)
{
	snprintf(e->w.name, sizeof(e->w.name), "%s", name);
	snprintf(e->w.kernel, sizeof(e->w.kernel), "%s", e->kernel);
	snprintf(e->w.initrd, sizeof(e->w.initrd), "%s", e->initrd);
	snprintf(e->w.append, sizeof(e->w.append), "console=ttyS0 tk.test=report");
	snprintf(e->w.memory, sizeof(e->w.memory), "64M");
	snprintf(e->w.cpus, sizeof(e->w.cpus), "2");
}

/* The network and display answers become [net0] and [display], saved and
 * loaded back the same; the short forward forms are written in full. */
static void test_build_network_and_display(void **state)
{
	struct wiz_env *e = *state;
	struct vm_config cfg, back;
	char err[VMSTORE_ERR_MAX];
	uint64_t disk;

	fill_kernel_vm(e, "net1");
	e->w.net = TUI_NET_NAT;
	snprintf(e->w.forwards, sizeof(e->w.forwards), "tcp:2222-:22, 5353-53");
	e->w.display = TUI_DISPLAY_VNC;
	assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), 0);
	assert_int_equal(cfg.nnics, 1);
	assert_int_equal(cfg.nics[0].backend, NIC_USER);
	assert_string_equal(cfg.nics[0].hostfwd, "tcp::2222-:22 tcp::5353-:53");
	assert_int_equal(cfg.display.mode, DISPLAY_VNC);
	assert_int_equal(vmstore_create(&cfg, err, sizeof(err)), 0);
	assert_int_equal(vmstore_load("net1", &back, err, sizeof(err)), 0);
	assert_true(vmdef_equal(&cfg, &back));
	vmdef_free(&back);
	vmdef_free(&cfg);

	fill_kernel_vm(e, "net2");
	e->w.net = TUI_NET_TAP;
	snprintf(e->w.tap, sizeof(e->w.tap), "tap7");
	e->w.display = TUI_DISPLAY_SDL;
	assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), 0);
	assert_int_equal(cfg.nnics, 1);
	assert_int_equal(cfg.nics[0].backend, NIC_TAP);
	assert_string_equal(cfg.nics[0].ifname, "tap7");
	assert_int_equal(cfg.display.mode, DISPLAY_SDL);
	vmdef_free(&cfg);

	fill_kernel_vm(e, "net3");
	e->w.net = TUI_NET_NONE;
	e->w.display = TUI_DISPLAY_NONE;
	assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), 0);
	assert_int_equal(cfg.nnics, 0);
	assert_int_equal(cfg.display.mode, DISPLAY_NONE);
	vmdef_free(&cfg);

	/* a bad forward is refused at build time too, naming it */
	fill_kernel_vm(e, "net4");
	e->w.net = TUI_NET_NAT;
	snprintf(e->w.forwards, sizeof(e->w.forwards), "tcp:2222:22");
	assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "tcp:2222:22"));
	assert_false(vmstore_exists("net4"));
}

static void test_build_and_save(void **state)
{
	struct wiz_env *e = *state;
	struct vm_config cfg, back;
	char err[VMSTORE_ERR_MAX];
	uint64_t disk;

	fill_kernel_vm(e, "web1");
	assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), 0);
	assert_string_equal(cfg.name, "web1");
	assert_int_equal(cfg.memory, 64ULL << 20);
	assert_int_equal(cfg.cpus, 2);
	assert_string_equal(cfg.kernel, e->kernel);
	assert_string_equal(cfg.initrd, e->initrd);
	assert_string_equal(cfg.append, "console=ttyS0 tk.test=report");
	assert_int_equal(cfg.ndisks, 0);
	assert_null(cfg.cdrom);
	assert_int_equal(disk, 0);
	/* what vmstore writes is what the wizard built */
	assert_int_equal(vmstore_create(&cfg, err, sizeof(err)), 0);
	assert_true(vmstore_exists("web1"));
	assert_int_equal(vmstore_load("web1", &back, err, sizeof(err)), 0);
	assert_true(vmdef_equal(&cfg, &back));
	vmdef_free(&back);
	vmdef_free(&cfg);
	/* now the name is taken: building again says so */
	assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "exists"));
	/* the same from a preset: the preset's keys, the answers on top */
	assert_int_equal(tui_wiz_set_preset(&e->w, "linux-direct", err, sizeof(err)), 0);
	fill_kernel_vm(e, "web2");
	e->w.initrd[0] = '\0';
	assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), 0);
	assert_null(cfg.initrd);
	assert_int_equal(cfg.cpus, 2);
	assert_true(cfg.acpi);
	vmdef_free(&cfg);
}

static void test_build_refuses_bad_answers(void **state)
{
	struct wiz_env *e = *state;
	struct vm_config cfg;
	char err[VMSTORE_ERR_MAX], why[256];
	uint64_t disk = 123;

	fill_kernel_vm(e, "bad");
	snprintf(e->w.kernel, sizeof(e->w.kernel), "%s/gone", e->dir);
	assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "kernel"));
	assert_non_null(strstr(err, "no such file"));
	assert_int_equal(disk, 0);
	assert_null(cfg.kernel); /* nothing left allocated */
	fill_kernel_vm(e, "bad");
	snprintf(e->w.memory, sizeof(e->w.memory), "lots");
	assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "memory 'lots'"));
	fill_kernel_vm(e, "bad name");
	assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "name"));
	/* kinds this ttyvm's definitions cannot hold yet are refused, with why */
	fill_kernel_vm(e, "iso");
	e->w.boot = TUI_BOOT_ISO;
	snprintf(e->w.iso, sizeof(e->w.iso), "%s", e->kernel);
	if (!tui_wiz_boot_supported(TUI_BOOT_ISO, why, sizeof(why))) {
		assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), -ENOTSUP);
		assert_non_null(strstr(err, "[cdrom]"));
	} else {
		assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), 0);
		assert_string_equal(cfg.cdrom, e->kernel);
		assert_null(cfg.kernel);
		vmdef_free(&cfg);
	}
	fill_kernel_vm(e, "disk");
	e->w.boot = TUI_BOOT_KERNEL;
	e->w.disk = TUI_DISK_NEW;
	snprintf(e->w.disk_size, sizeof(e->w.disk_size), "2");
	if (!tui_wiz_disk_supported(TUI_DISK_NEW, why, sizeof(why))) {
		assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), -ENOTSUP);
		assert_non_null(strstr(err, "[disk0]"));
		assert_int_equal(disk, 0);
	} else {
		/* the disk is the caller's to make: only its size comes back */
		assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), 0);
		assert_int_equal(disk, 2ULL << 30);
		assert_int_equal(cfg.ndisks, 0);
		vmdef_free(&cfg);
		/* an existing disk is in the definition as it is */
		e->w.disk = TUI_DISK_EXISTING;
		snprintf(e->w.disk_path, sizeof(e->w.disk_path), "%s", e->initrd);
		assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), 0);
		assert_int_equal(disk, 0);
		assert_int_equal(cfg.ndisks, 1);
		assert_string_equal(cfg.disks[0].path, e->initrd);
		vmdef_free(&cfg);
		e->w.disk = TUI_DISK_EXISTING;
		snprintf(e->w.disk_path, sizeof(e->w.disk_path), "%s/missing.img", e->dir);
		assert_int_equal(tui_wiz_build(&e->w, &cfg, &disk, err, sizeof(err)), -ENOENT);
		assert_non_null(strstr(err, "disk image"));
	}
}

static void test_schema_probe(void **state)
{
	(void)state;
	char why[256];

	assert_true(tui_wiz_have_section("vm"));
	assert_true(tui_wiz_have_section("serial"));
	assert_false(tui_wiz_have_section("no-such-section"));
	assert_false(tui_wiz_have_section("v")); /* a prefix is not a section */
	assert_true(tui_wiz_boot_supported(TUI_BOOT_KERNEL, why, sizeof(why)));
	assert_true(tui_wiz_disk_supported(TUI_DISK_NONE, why, sizeof(why)));
	assert_false(tui_wiz_boot_supported(TUI_BOOT_COUNT, why, sizeof(why)));
}

static void test_summary(void **state)
{
	struct wiz_env *e = *state;
	char text[4096];

	fill_kernel_vm(e, "sum");
	snprintf(e->w.forwards, sizeof(e->w.forwards), "tcp:2222-:22");
	e->w.display = TUI_DISPLAY_VNC;
	tui_wiz_summary(&e->w, text, sizeof(text));
	assert_non_null(strstr(text, "Name:      sum\n"));
	assert_non_null(strstr(text, e->kernel));
	assert_non_null(strstr(text, "Memory:    64M"));
	assert_non_null(strstr(text, "forwards tcp:2222-:22"));
	assert_non_null(strstr(text, "VNC"));
	assert_non_null(strstr(text, "Disk:      none"));
	/* every network and display choice is written: no note after either */
	assert_non_null(strstr(text, ", forwards tcp:2222-:22\nDisplay:   VNC server\nSerial:"));
	/* a small buffer: cut, terminated */
	char small[40];
	tui_wiz_summary(&e->w, small, sizeof(small));
	assert_true(strlen(small) < sizeof(small));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_check_name),
	T(test_check_files),
	T(test_check_sizes),
	T(test_check_network),
	T(test_build_network_and_display),
	T(test_steps),
	T(test_defaults_and_preset),
	T(test_build_and_save),
	T(test_build_refuses_bad_answers),
	T(test_schema_probe),
	T(test_summary),
};

UNIT_SUITE(tui_wizard, tests);
