/*
 * vmdef_save.c - writing a VM definition (vmdef_save(), ttyvm.ini(5)).
 *
 * Saving renders the schema (vmdef.c) - every section, one [diskN] per
 * disk, each key after its comment, unset paths as commented-out keys -
 * writes a temporary file beside the target, syncs it, reads it back with
 * vmdef_load.c and compares, then renames it into place and syncs the
 * directory.  So a crash leaves the old file or the new one, never half
 * of one, and what is saved is what will be read.
 */
#include "ui/vmdef_priv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "util/util.h"

/*
 * A string as an INI value iniparser reads back unchanged: bare when
 * nothing in it is special, else in double or single quotes (iniparser
 * 4.1 knows no escapes).  Returns 0, or -EINVAL with why.
 */
static int vmdef_quote(const char *v, FILE *out, char *why, size_t len)
{
	size_t n = strlen(v);
	bool special;

	if (strpbrk(v, "\n\r")) {
		snprintf(why, len, "a line break cannot be written in a definition");
		return -EINVAL;
	}
	special = n == 0 || isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1]) ||
		  v[0] == '"' || v[0] == '\'' || v[n - 1] == '\\' || strpbrk(v, ";#");
	if (!special)
		fputs(v, out);
	else if (!strchr(v, '"'))
		fprintf(out, "\"%s\"", v);
	else if (!strchr(v, '\''))
		fprintf(out, "'%s'", v);
	else {
		snprintf(why, len, "holds both kinds of quotes and ; # or edge spaces, "
			 "which an INI value cannot");
		return -EINVAL;
	}
	return 0;
}

/* Writes instance idx of key k of cfg, after its comment; unset strings
 * as "#key =". */
static int vmdef_write_key(struct vmdef_ctx *c, unsigned int k, unsigned int idx,
			   const struct vm_config *cfg, FILE *out)
{
	const struct vmdef_key *key = &vmdef_keys[k];
	const void *f = vmdef_cfield(cfg, k, idx);
	char buf[32], why[160];
	const char *s;
	long at;

	fprintf(out, "# %s\n", key->help);
	at = ftell(out);
	switch (key->type) {
	case VT_NAME:
		fprintf(out, "%s = %s\n", key->name, (const char *)f);
		break;
	case VT_SIZE:
		vmdef_fmt_size(*(const uint64_t *)f, buf, sizeof(buf));
		fprintf(out, "%s = %s\n", key->name, buf);
		break;
	case VT_UINT:
		fprintf(out, "%s = %u\n", key->name, *(const unsigned int *)f);
		break;
	case VT_BOOL:
		fprintf(out, "%s = %s\n", key->name, *(const bool *)f ? "true" : "false");
		break;
	case VT_ENUM:
		fprintf(out, "%s = %s\n", key->name, vmdef_choice_word(key, *(const int *)f));
		break;
	case VT_STRING:
	case VT_PATH:
		s = *(char *const *)f;
		if (!s) {
			fprintf(out, "#%s =\n", key->name);
			break;
		}
		fprintf(out, "%s = ", key->name);
		if (vmdef_quote(s, out, why, sizeof(why)))
			return vmdef_fail_key(c, k, idx, s, why);
		fputc('\n', out);
		break;
	}
	if (ftell(out) - at > VMDEF_MAX_LINE) {
		snprintf(why, sizeof(why), "too long for one line (at most %d characters)",
			 VMDEF_MAX_LINE);
		return vmdef_fail_key(c, k, idx, NULL, why);
	}
	return 0;
}

/* Renders cfg as the text of a definition into a malloc'ed buffer. */
static int vmdef_render(struct vmdef_ctx *c, const struct vm_config *cfg, char **text,
			size_t *len)
{
	FILE *out = open_memstream(text, len);
	char sec[32];
	int r = 0;

	if (!out)
		return vmdef_fail_errno(c, -ENOMEM, "out of memory");
	fprintf(out, "# %s - a ttyvm virtual machine; every key is described in "
		"ttyvm.ini(5).\n# Written by ttyvm: comments added by hand are not "
		"kept when ttyvm saves it.\n", cfg->name);
	for (unsigned int s = 0; s < S_COUNT && !r; s++) {
		for (unsigned int i = 0; i < vmdef_count(cfg, s) && !r; i++) {
			fprintf(out, "\n[%s]\n", vmdef_secname(s, i, sec, sizeof(sec)));
			for (unsigned int k = 0; k < K_COUNT && !r; k++)
				if (vmdef_keys[k].section == s)
					r = vmdef_write_key(c, k, i, cfg, out);
		}
	}
	if (fclose(out) != 0 && !r)
		r = vmdef_fail_errno(c, -ENOMEM, "out of memory");
	if (r) {
		free(*text);
		*text = NULL;
	}
	return r;
}

/*
 * A copy of the definition keys of cfg (nothing else), whose relative
 * paths start from the current directory.
 */
static int vmdef_absolute_copy(struct vmdef_ctx *c, const struct vm_config *cfg,
			       struct vm_config *abs)
{
	memset(abs, 0, sizeof(*abs));
	for (unsigned int s = 0; s < S_COUNT; s++)
		vmdef_set_count(abs, s, vmdef_count(cfg, s));
	for (unsigned int k = 0; k < K_COUNT; k++) {
		const struct vmdef_key *key = &vmdef_keys[k];

		for (unsigned int i = 0; i < vmdef_count(cfg, key->section); i++) {
			const char *s;
			char **f;

			if (!vmdef_is_string(key)) {
				memcpy(vmdef_field(abs, k, i), vmdef_cfield(cfg, k, i),
				       vmdef_scalar_size(key));
				continue;
			}
			s = *(char *const *)vmdef_cfield(cfg, k, i);
			if (!s)
				continue;
			f = vmdef_field(abs, k, i);
			*f = key->type == VT_PATH ? vmdef_absolute(s) : strdup(s);
			if (!*f)
				return vmdef_fail_errno(c, errno == ENOMEM ? -ENOMEM : -errno,
							"current directory: %s", strerror(errno));
		}
	}
	return 0;
}

/* Everything vmdef_load checks, on a vm_config, except that files exist. */
static int vmdef_check_config(struct vmdef_ctx *c, const struct vm_config *cfg)
{
	char why[256], allowed[160];

	for (unsigned int s = 0; s < S_COUNT; s++) {
		const struct vmdef_section *sec = &vmdef_sections[s];
		unsigned int n = sec->max == 1 ? 1
					       : *(const unsigned int *)((const char *)cfg +
									 sec->count);
		if (n > sec->max)
			return vmdef_fail(c, 0, "%u of [%sN]: at most %u", n, sec->name, sec->max);
	}
	for (unsigned int k = 0; k < K_COUNT; k++) {
		const struct vmdef_key *key = &vmdef_keys[k];

		for (unsigned int i = 0; i < vmdef_count(cfg, key->section); i++) {
			const char *s;

			if (!vmdef_is_string(key)) {
				if (vmdef_check_value(k, i, cfg, why, sizeof(why)))
					return vmdef_fail_key(c, k, i, NULL, why);
				continue;
			}
			s = *(char *const *)vmdef_cfield(cfg, k, i);
			if (key->type == VT_PATH && s && !*s)
				return vmdef_fail_key(c, k, i, NULL, "empty; give a file name");
			if (s && key->check && key->check(s, why, sizeof(why)))
				return vmdef_fail_key(c, k, i, s, why);
			if (!s && (key->flags & KF_REQUIRED)) {
				vmdef_allowed(key, allowed, sizeof(allowed));
				snprintf(why, sizeof(why), "not set; %s", allowed);
				return vmdef_fail_key(c, k, i, NULL, why);
			}
		}
	}
	return vmdef_check_rules(c, cfg);
}

static int vmdef_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int vmdef_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL) /* some file systems cannot */
		r = -errno;
	close(fd);
	return r;
}

/* Directory part of path ("." when there is none), into buf. */
static int vmdef_dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (!slash)
		n = snprintf(buf, len, ".");
	else
		n = snprintf(buf, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Writes text to a new temporary file beside path (name in tmp), with
 * mode, and syncs it.  On failure the temporary file is gone.
 */
static int vmdef_write_temp(struct vmdef_ctx *c, const char *path, const char *dir,
			    const char *text, size_t len, mode_t mode, char *tmp,
			    size_t tmplen)
{
	const char *base = strrchr(path, '/');
	int fd, r = 0;

	base = base ? base + 1 : path;
	if ((size_t)snprintf(tmp, tmplen, "%s/.%s.XXXXXX", dir, base) >= tmplen)
		return vmdef_fail_errno(c, -ENAMETOOLONG, "%s", strerror(ENAMETOOLONG));
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return vmdef_fail_errno(c, -errno, "cannot create a file in %s: %s", dir,
					strerror(errno));
	if (fchmod(fd, mode) < 0)
		r = -errno;
	if (!r)
		r = vmdef_write_all(fd, text, len);
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r) {
		unlink(tmp);
		return vmdef_fail_errno(c, r, "cannot write %s: %s", tmp, strerror(-r));
	}
	return 0;
}

/* Reads the file back as vmdef_load will and compares with cfg. */
static int vmdef_verify(struct vmdef_ctx *c, const char *tmp, const struct vm_config *cfg)
{
	struct vm_config back;
	char why[VMDEF_ERR_MAX], sec[32];
	unsigned int k, idx;
	int differ;

	if (vmdef_load_flags(tmp, VMDEF_NO_FILE_CHECK, &back, why, sizeof(why)))
		return vmdef_fail_errno(c, -EIO, "internal error, the written file does "
					"not load: %s", why);
	differ = vmdef_first_difference(cfg, &back, &k, &idx);
	vmdef_free(&back);
	if (differ)
		return vmdef_fail(c, 0, "[%s] %s: would not read back the same from an "
				  "INI file", vmdef_secname(vmdef_keys[k].section, idx, sec,
							    sizeof(sec)),
				  vmdef_keys[k].name);
	return 0;
}

int vmdef_save(const char *path, const struct vm_config *cfg, char *err, size_t errlen)
{
	struct vmdef_ctx c = { .file = path, .flags = VMDEF_NO_FILE_CHECK, .err = err,
			       .errlen = errlen };
	struct vm_config abs;
	char dir[4096], tmp[4096 + 64];
	char *text = NULL;
	size_t len = 0;
	mode_t mode = 0644;
	int r;

	if (err && errlen)
		err[0] = '\0';
	memset(&abs, 0, sizeof(abs));
	r = vmdef_check_config(&c, cfg);
	if (!r)
		r = vmdef_absolute_copy(&c, cfg, &abs);
	if (!r)
		r = vmdef_render(&c, &abs, &text, &len);
	if (!r && vmdef_dir_of(path, dir, sizeof(dir)))
		r = vmdef_fail_errno(&c, -ENAMETOOLONG, "%s", strerror(ENAMETOOLONG));
	if (r)
		goto out;
	for (unsigned int k = 0; k < K_COUNT; k++)
		for (unsigned int i = 0; i < vmdef_count(&abs, vmdef_keys[k].section); i++)
			if ((vmdef_keys[k].flags & KF_SECRET) && vmdef_is_string(&vmdef_keys[k]) &&
			    *(char *const *)vmdef_cfield(&abs, k, i))
				mode = 0600;

	r = vmdef_write_temp(&c, path, dir, text, len, mode, tmp, sizeof(tmp));
	if (r)
		goto out;
	/* what reads back is what was meant, or the old file stays */
	r = vmdef_verify(&c, tmp, &abs);
	if (!r && rename(tmp, path) < 0)
		r = vmdef_fail_errno(&c, -errno, "cannot replace it: %s", strerror(errno));
	if (r) {
		unlink(tmp);
		goto out;
	}
	r = vmdef_sync_dir(dir);
	if (r)
		vmdef_fail_errno(&c, r, "saved, but syncing %s failed: %s", dir, strerror(-r));
out:
	free(text);
	vmdef_free(&abs);
	return r;
}
