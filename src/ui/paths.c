/*
 * paths.c - where a user's VM definitions, data and runtime files live.
 *
 * Follows the XDG Base Directory Specification: $XDG_CONFIG_HOME,
 * $XDG_DATA_HOME and $XDG_RUNTIME_DIR when set to absolute paths (the
 * spec says relative ones are to be ignored), else ~/.config,
 * ~/.local/share and, for the runtime directory, /tmp/ttyvm-UID.
 * TTYVM_HOME=DIR overrides all three with DIR/config, DIR/data and
 * DIR/run, so tests and scripts can keep a world of their own.  The
 * runtime directory holds control sockets, so it is created 0700 and
 * refused when it is a symbolic link, someone else's, or writable by
 * others: /tmp is shared, and whoever owns our socket directory can
 * pose as our VMs.
 *
 * Paths are computed from the environment on every call into the
 * caller's buffer; nothing is cached.  What goes into these directories
 * (definitions: vmdef.c; sockets, pid files: the control code) is not
 * this file's business.
 */
#include "ui/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ui/vmdef.h"

#ifndef TTYVM_PKGDATADIR
#define TTYVM_PKGDATADIR "/usr/local/share/ttyvm"
#endif

__attribute__((format(printf, 3, 4)))
static int paths_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* An environment variable that holds an absolute path, or NULL. */
static const char *paths_env_abs(const char *var)
{
	const char *v = getenv(var);

	return v && v[0] == '/' ? v : NULL;
}

/* $TTYVM_HOME/sub when TTYVM_HOME is set (relative: from the current
 * directory).  Returns 1 when it is set and buf was written, 0 when it is
 * not set, or -errno. */
static int paths_ttyvm_home(const char *sub, char *buf, size_t len)
{
	const char *home = getenv("TTYVM_HOME");
	char *cwd;
	int r;

	if (!home || !home[0])
		return 0;
	if (home[0] == '/') {
		r = paths_fmt(buf, len, "%s/%s", home, sub);
	} else {
		cwd = getcwd(NULL, 0);
		if (!cwd)
			return -errno;
		r = paths_fmt(buf, len, "%s/%s/%s", cwd, home, sub);
		free(cwd);
	}
	return r ? r : 1;
}

/* The user's home directory: $HOME if absolute, else the password file. */
static int paths_home(char *buf, size_t len)
{
	const char *home = paths_env_abs("HOME");
	struct passwd pw, *res = NULL;
	char pwbuf[4096];

	if (home)
		return paths_fmt(buf, len, "%s", home);
	if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) != 0 || !res ||
	    !pw.pw_dir || pw.pw_dir[0] != '/')
		return -ENOENT;
	return paths_fmt(buf, len, "%s", pw.pw_dir);
}

/* ttyvm's directory under an XDG base: $VAR/ttyvm or ~/FALLBACK/ttyvm. */
static int paths_xdg(const char *home_sub, const char *var, const char *fallback,
		     char *buf, size_t len)
{
	const char *base;
	char home[4096];
	int r = paths_ttyvm_home(home_sub, buf, len);

	if (r)
		return r < 0 ? r : 0;
	base = paths_env_abs(var);
	if (base)
		return paths_fmt(buf, len, "%s/ttyvm", base);
	r = paths_home(home, sizeof(home));
	if (r)
		return r;
	return paths_fmt(buf, len, "%s/%s/ttyvm", strcmp(home, "/") ? home : "", fallback);
}

int paths_config_dir(char *buf, size_t len)
{
	return paths_xdg("config", "XDG_CONFIG_HOME", ".config", buf, len);
}

int paths_data_dir(char *buf, size_t len)
{
	return paths_xdg("data", "XDG_DATA_HOME", ".local/share", buf, len);
}

int paths_vms_dir(char *buf, size_t len)
{
	char dir[4096];
	int r = paths_config_dir(dir, sizeof(dir));

	return r ? r : paths_fmt(buf, len, "%s/vms", dir);
}

int paths_definition(const char *name, char *buf, size_t len)
{
	char dir[4096];
	int r;

	if (!vmdef_name_valid(name))
		return -EINVAL;
	r = paths_vms_dir(dir, sizeof(dir));
	return r ? r : paths_fmt(buf, len, "%s/%s.ini", dir, name);
}

int paths_vm_data_dir(const char *name, char *buf, size_t len)
{
	char dir[4096];
	int r;

	if (!vmdef_name_valid(name))
		return -EINVAL;
	r = paths_data_dir(dir, sizeof(dir));
	return r ? r : paths_fmt(buf, len, "%s/%s", dir, name);
}

int paths_presets_dir(char *buf, size_t len)
{
	const char *dir = getenv("TTYVM_PRESETS_DIR");

	struct stat st;
	int r;

	if (dir && dir[0])
		return paths_fmt(buf, len, "%s", dir);
	r = paths_fmt(buf, len, "%s/presets", TTYVM_PKGDATADIR);
	/* not installed (run from the build tree, as README says): the
	 * presets of the source tree it was built from */
	if (r == 0 && stat(buf, &st) != 0 && stat(TTYVM_SRC_PRESETS, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		r = paths_fmt(buf, len, "%s", TTYVM_SRC_PRESETS);
	return r;
}

int paths_mkdirs(const char *path, mode_t mode)
{
	char tmp[4096];
	struct stat st;
	size_t n = strlen(path);

	if (n == 0)
		return -EINVAL;
	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	while (n > 1 && tmp[n - 1] == '/')
		tmp[--n] = '\0';
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(tmp, mode) < 0) {
			if (errno != EEXIST)
				return -errno;
			if (stat(tmp, &st) < 0)
				return -errno;
			if (!S_ISDIR(st.st_mode))
				return -ENOTDIR;
		}
		*p = c;
		if (!c)
			return 0;
	}
}

int paths_private_dir(const char *path)
{
	struct stat st;
	int fd, r = 0;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		/* with O_DIRECTORY a link gives ENOTDIR too: tell them apart */
		if (r == -ENOTDIR && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			r = -ELOOP;
		return r;
	}
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (st.st_uid != geteuid() || (st.st_mode & 022))
		r = -EPERM;
	else if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* $XDG_RUNTIME_DIR when it names an existing directory of ours. */
static const char *paths_xdg_runtime(void)
{
	const char *dir = paths_env_abs("XDG_RUNTIME_DIR");
	struct stat st;

	if (!dir || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return NULL;
	return dir;
}

int paths_runtime_dir(char *buf, size_t len)
{
	const char *xdg;
	char root[4096];
	int r = paths_ttyvm_home("run", buf, len);

	if (r < 0)
		return r;
	if (r) {
		/* TTYVM_HOME itself may not exist yet */
		r = paths_ttyvm_home("", root, sizeof(root));
		if (r < 0)
			return r;
		r = paths_mkdirs(root, 0700);
		if (r)
			return r;
	} else if ((xdg = paths_xdg_runtime())) {
		r = paths_fmt(buf, len, "%s/ttyvm", xdg);
	} else {
		r = paths_fmt(buf, len, "/tmp/ttyvm-%u", (unsigned int)geteuid());
	}
	return r ? r : paths_private_dir(buf);
}

int paths_runtime_file(const char *name, const char *suffix, char *buf, size_t len)
{
	char dir[4096];
	int r;

	if (!vmdef_name_valid(name) || suffix[0] != '.' || strchr(suffix, '/'))
		return -EINVAL;
	r = paths_runtime_dir(dir, sizeof(dir));
	return r ? r : paths_fmt(buf, len, "%s/%s%s", dir, name, suffix);
}
