/*
 * paths_test.c - where definitions, data and runtime files live: XDG,
 * TTYVM_HOME, and the safety checks on the runtime directory.
 */
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ui/paths.h"

static const char *const env_vars[] = {
	"TTYVM_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR", "HOME",
	"TTYVM_PRESETS_DIR",
};

#define NVARS (sizeof(env_vars) / sizeof(env_vars[0]))

/* The environment as it was, and a scratch directory. */
struct env_state {
	char *saved[NVARS];
	char dir[64];
};

static int env_setup(void **state)
{
	struct env_state *e = calloc(1, sizeof(*e));

	if (!e)
		return -1;
	for (size_t i = 0; i < NVARS; i++) {
		const char *v = getenv(env_vars[i]);
		e->saved[i] = v ? strdup(v) : NULL;
		unsetenv(env_vars[i]);
	}
	snprintf(e->dir, sizeof(e->dir), "/tmp/ttyvm-paths-XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env_state *e = *state;
	char cmd[128];

	for (size_t i = 0; i < NVARS; i++) {
		if (e->saved[i])
			setenv(env_vars[i], e->saved[i], 1);
		else
			unsetenv(env_vars[i]);
		free(e->saved[i]);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		return -1;
	free(e);
	return 0;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_ttyvm_home(void **state)
{
	struct env_state *e = *state;
	char buf[PATH_MAX], want[PATH_MAX];

	setenv("TTYVM_HOME", e->dir, 1);
	setenv("XDG_CONFIG_HOME", "/ignored", 1);
	setenv("XDG_RUNTIME_DIR", "/ignored", 1);

	assert_int_equal(paths_config_dir(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/config", e->dir);
	assert_string_equal(buf, want);
	assert_int_equal(paths_vms_dir(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/config/vms", e->dir);
	assert_string_equal(buf, want);
	assert_int_equal(paths_definition("web-1", buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/config/vms/web-1.ini", e->dir);
	assert_string_equal(buf, want);
	assert_int_equal(paths_data_dir(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/data", e->dir);
	assert_string_equal(buf, want);
	assert_int_equal(paths_vm_data_dir("web-1", buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/data/web-1", e->dir);
	assert_string_equal(buf, want);

	/* computing a path creates nothing */
	snprintf(want, sizeof(want), "%s/config", e->dir);
	assert_int_equal(access(want, F_OK), -1);

	/* the runtime directory is created, private */
	assert_int_equal(paths_runtime_dir(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/run", e->dir);
	assert_string_equal(buf, want);
	assert_int_equal(mode_of(want), 0700);
	assert_int_equal(paths_runtime_file("web-1", ".sock", buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/run/web-1.sock", e->dir);
	assert_string_equal(buf, want);

	/* TTYVM_HOME that does not exist yet is created for the runtime dir */
	snprintf(want, sizeof(want), "%s/new/home", e->dir);
	setenv("TTYVM_HOME", want, 1);
	assert_int_equal(paths_runtime_dir(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/new/home/run", e->dir);
	assert_string_equal(buf, want);
	assert_int_equal(mode_of(want), 0700);

	/* a relative TTYVM_HOME is taken from the current directory */
	char *cwd = getcwd(NULL, 0);
	assert_non_null(cwd);
	assert_int_equal(chdir(e->dir), 0);
	setenv("TTYVM_HOME", "rel", 1);
	assert_int_equal(paths_data_dir(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/rel/data", e->dir);
	assert_string_equal(buf, want);
	assert_int_equal(chdir(cwd), 0);
	free(cwd);

	/* an empty TTYVM_HOME counts as unset */
	setenv("TTYVM_HOME", "", 1);
	setenv("XDG_DATA_HOME", "/xdg/data", 1);
	assert_int_equal(paths_data_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/xdg/data/ttyvm");
}

static void test_xdg(void **state)
{
	struct env_state *e = *state;
	char buf[PATH_MAX], want[PATH_MAX];
	(void)e;

	setenv("HOME", "/home/user", 1);
	assert_int_equal(paths_config_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/user/.config/ttyvm");
	assert_int_equal(paths_definition("a", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/user/.config/ttyvm/vms/a.ini");
	assert_int_equal(paths_data_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/user/.local/share/ttyvm");
	assert_int_equal(paths_vm_data_dir("a", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/user/.local/share/ttyvm/a");

	setenv("XDG_CONFIG_HOME", "/cfg", 1);
	setenv("XDG_DATA_HOME", "/dat", 1);
	assert_int_equal(paths_vms_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/cfg/ttyvm/vms");
	assert_int_equal(paths_vm_data_dir("a", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dat/ttyvm/a");

	/* relative XDG values are invalid by the spec and ignored */
	setenv("XDG_CONFIG_HOME", "cfg", 1);
	setenv("XDG_DATA_HOME", "", 1);
	assert_int_equal(paths_config_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/user/.config/ttyvm");
	assert_int_equal(paths_data_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/user/.local/share/ttyvm");

	/* HOME "/" does not give "//.config" */
	setenv("HOME", "/", 1);
	assert_int_equal(paths_config_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/.config/ttyvm");

	/* without HOME (or with a relative one), the password file's home,
	 * or -ENOENT for a user the password file does not know */
	unsetenv("HOME");
	unsetenv("XDG_CONFIG_HOME");
	int r = paths_config_dir(buf, sizeof(buf));
	assert_true(r == 0 || r == -ENOENT);
	if (r == 0) {
		assert_true(buf[0] == '/');
		snprintf(want, sizeof(want), "/.config/ttyvm");
		assert_non_null(strstr(buf, want));
		setenv("HOME", "relative", 1);
		assert_int_equal(paths_config_dir(want, sizeof(want)), 0);
		assert_string_equal(buf, want);
	}
}

static void test_runtime(void **state)
{
	struct env_state *e = *state;
	char buf[PATH_MAX], want[PATH_MAX + 64], xdg[PATH_MAX];

	/* XDG_RUNTIME_DIR that exists and is ours */
	snprintf(xdg, sizeof(xdg), "%s/xdg-run", e->dir);
	assert_int_equal(mkdir(xdg, 0700), 0);
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	assert_int_equal(paths_runtime_dir(buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/ttyvm", xdg);
	assert_string_equal(buf, want);
	assert_int_equal(mode_of(want), 0700);
	assert_int_equal(paths_runtime_file("vm1", ".pid", buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/ttyvm/vm1.pid", xdg);
	assert_string_equal(buf, want);

	/* missing, relative or not a directory: the /tmp fallback */
	snprintf(want, sizeof(want), "/tmp/ttyvm-%u", (unsigned int)geteuid());
	setenv("XDG_RUNTIME_DIR", "/nonexistent/run", 1);
	assert_int_equal(paths_runtime_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
	assert_int_equal(mode_of(want), 0700);
	setenv("XDG_RUNTIME_DIR", "run", 1);
	assert_int_equal(paths_runtime_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(paths_runtime_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void test_private_dir(void **state)
{
	struct env_state *e = *state;
	char p[PATH_MAX], target[PATH_MAX], buf[PATH_MAX];

	snprintf(p, sizeof(p), "%s/priv", e->dir);
	assert_int_equal(paths_private_dir(p), 0);
	assert_int_equal(mode_of(p), 0700);
	assert_int_equal(paths_private_dir(p), 0); /* again: fine */

	/* readable by others: tightened */
	assert_int_equal(chmod(p, 0755), 0);
	assert_int_equal(paths_private_dir(p), 0);
	assert_int_equal(mode_of(p), 0700);

	/* writable by others: someone may have put things in it */
	assert_int_equal(chmod(p, 0777), 0);
	assert_int_equal(paths_private_dir(p), -EPERM);
	assert_int_equal(chmod(p, 0700), 0);

	/* a symbolic link, even to a good directory of ours */
	snprintf(target, sizeof(target), "%s/link", e->dir);
	assert_int_equal(symlink(p, target), 0);
	assert_int_equal(paths_private_dir(target), -ELOOP);

	/* a file */
	snprintf(target, sizeof(target), "%s/file", e->dir);
	FILE *f = fopen(target, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(paths_private_dir(target), -ENOTDIR);

	/* the parent must exist */
	snprintf(target, sizeof(target), "%s/no/such", e->dir);
	assert_int_equal(paths_private_dir(target), -ENOENT);

	/* someone else's (only root can make one to test with) */
	if (geteuid() == 0) {
		snprintf(target, sizeof(target), "%s/theirs", e->dir);
		assert_int_equal(mkdir(target, 0700), 0);
		assert_int_equal(chown(target, 65534, 65534), 0);
		assert_int_equal(paths_private_dir(target), -EPERM);

		/* and so a TTYVM_HOME whose run is someone else's is refused */
		snprintf(target, sizeof(target), "%s/home2", e->dir);
		assert_int_equal(mkdir(target, 0700), 0);
		setenv("TTYVM_HOME", target, 1);
		snprintf(target, sizeof(target), "%s/home2/run", e->dir);
		assert_int_equal(mkdir(target, 0700), 0);
		assert_int_equal(chown(target, 65534, 65534), 0);
		assert_int_equal(paths_runtime_dir(buf, sizeof(buf)), -EPERM);
		assert_int_equal(paths_runtime_file("a", ".sock", buf, sizeof(buf)), -EPERM);

		/* an XDG_RUNTIME_DIR of someone else's is not used */
		unsetenv("TTYVM_HOME");
		setenv("XDG_RUNTIME_DIR", target, 1);
		assert_int_equal(paths_runtime_dir(buf, sizeof(buf)), 0);
		assert_non_null(strstr(buf, "/tmp/ttyvm-"));
	}
}

static void test_mkdirs(void **state)
{
	struct env_state *e = *state;
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/a/b/c/", e->dir);
	assert_int_equal(paths_mkdirs(p, 0700), 0);
	assert_int_equal(mode_of(p), 0700);
	assert_int_equal(paths_mkdirs(p, 0700), 0); /* exists: fine */
	snprintf(p, sizeof(p), "%s/a/file", e->dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/a/file/x", e->dir);
	assert_int_equal(paths_mkdirs(p, 0700), -ENOTDIR);
	snprintf(p, sizeof(p), "%s/a/file", e->dir);
	assert_int_equal(paths_mkdirs(p, 0700), -ENOTDIR);
	assert_int_equal(paths_mkdirs("", 0700), -EINVAL);
	assert_int_equal(paths_mkdirs("/", 0700), 0);
}

static void test_bad_names_and_buffers(void **state)
{
	struct env_state *e = *state;
	char buf[PATH_MAX], small[8];
	static const char *const bad[] = { "", "a/b", "..", ".x", "-x", "a b" };

	setenv("TTYVM_HOME", e->dir, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(paths_definition(bad[i], buf, sizeof(buf)), -EINVAL);
		assert_int_equal(paths_vm_data_dir(bad[i], buf, sizeof(buf)), -EINVAL);
		assert_int_equal(paths_runtime_file(bad[i], ".sock", buf, sizeof(buf)),
				 -EINVAL);
	}
	assert_int_equal(paths_runtime_file("a", "sock", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(paths_runtime_file("a", "./x", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(paths_definition("a", small, sizeof(small)), -ENAMETOOLONG);
	assert_int_equal(paths_config_dir(small, sizeof(small)), -ENAMETOOLONG);
	assert_int_equal(paths_runtime_dir(small, sizeof(small)), -ENAMETOOLONG);

	/* a relative HOME does not matter when XDG_CONFIG_HOME is set */
	unsetenv("TTYVM_HOME");
	setenv("HOME", "relative", 1);
	setenv("XDG_CONFIG_HOME", "/c", 1);
	assert_int_equal(paths_config_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/c/ttyvm");
}

static void test_presets_dir(void **state)
{
	char buf[PATH_MAX];
	(void)state;

	unsetenv("TTYVM_PRESETS_DIR");
	assert_int_equal(paths_presets_dir(buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "/presets"));
	/* installed or not, the shipped presets are found */
	strcat(buf, "/linux-direct.ini");
	if (access(buf, R_OK) != 0)
		fail_msg("%s: %s", buf, strerror(errno));
	setenv("TTYVM_PRESETS_DIR", "/src/data/presets", 1);
	assert_int_equal(paths_presets_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/src/data/presets");
}

#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)

static const struct CMUnitTest tests[] = {
	T(test_ttyvm_home),
	T(test_xdg),
	T(test_runtime),
	T(test_private_dir),
	T(test_mkdirs),
	T(test_bad_names_and_buffers),
	T(test_presets_dir),
};

UNIT_SUITE(paths, tests);
