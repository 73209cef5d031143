/*
 * vmdef_load.c - reading a VM definition (vmdef_load(), ttyvm.ini(5)).
 *
 * A definition is an INI file read with iniparser (4.1 on Debian 12).
 * iniparser silently keeps the last of two equal keys, merges repeated
 * sections, drops a key that ends the file with a backslash, prints its
 * own syntax errors and knows no line numbers.  So the text is first
 * scanned here with iniparser's own line grammar (comments, [section],
 * key = value, quotes, backslash continuation): that scan refuses syntax
 * errors, unknown sections and keys and duplicates with a line number;
 * then iniparser reads the same open file (through /proc/self/fd) for the
 * values, and the two are checked to agree.  Indexed sections ([disk0]
 * ...) must be numbered from 0 without gaps; each instance starts from
 * its keys' defaults.
 *
 * The schema, values and rules are vmdef.c's; writing is vmdef_save.c's.
 */
#include "ui/vmdef_priv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <iniparser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "util/util.h"

/* --- scanning the text ------------------------------------------------ */

static char *vmdef_strip(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static void vmdef_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Lists the sections for a message: "[vm], [serial], [disk0]...[disk7] and [cdrom]" */
static void vmdef_list_sections(const char *last, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < S_COUNT && n < len; i++) {
		const struct vmdef_section *s = &vmdef_sections[i];
		const char *sep = i == 0 ? "" : i + 1 < S_COUNT ? ", " : NULL;
		char one[48];

		if (s->max == 1)
			snprintf(one, sizeof(one), "[%s]", s->name);
		else
			snprintf(one, sizeof(one), "[%s0]...[%s%u]", s->name, s->name, s->max - 1);
		if (sep)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", sep, one);
		else
			n += (size_t)snprintf(buf + n, len - n, " %s %s", last, one);
	}
}

/* The state of one scan: the current section and where each was opened. */
struct vmdef_scan {
	int section;                   /* -1 before the first [section] */
	unsigned int idx;              /* its instance */
	unsigned int sec_line[S_COUNT][VMDEF_IDX_MAX];
	unsigned int nkeys[S_COUNT][VMDEF_IDX_MAX];
};

/*
 * The section called name: 1 with *s and *idx, 0 when there is none of
 * that name, -1 for an indexed section's name with a number out of range
 * (*s set).
 */
static int vmdef_find_section(const char *name, unsigned int *s, unsigned int *idx)
{
	for (unsigned int i = 0; i < S_COUNT; i++) {
		const struct vmdef_section *sec = &vmdef_sections[i];
		size_t n = strlen(sec->name);
		const char *num = name + n;
		unsigned long v = 0;

		if (sec->max == 1) {
			if (strcmp(name, sec->name) == 0) {
				*s = i;
				*idx = 0;
				return 1;
			}
			continue;
		}
		/* NAME followed by a decimal number without leading zeros */
		if (strncmp(name, sec->name, n) != 0 || !isdigit((unsigned char)*num) ||
		    (num[0] == '0' && num[1]) || strspn(num, "0123456789") != strlen(num))
			continue;
		if (strlen(num) > 3)
			v = 1000;
		else
			v = strtoul(num, NULL, 10);
		*s = i;
		*idx = (unsigned int)v;
		return v < sec->max ? 1 : -1;
	}
	return 0;
}

static int vmdef_scan_section(struct vmdef_ctx *c, struct vmdef_scan *sc, char *s,
			      unsigned int lineno)
{
	char shown[VMDEF_SHOW_MAX + 8], list[120];
	unsigned int sec, idx;
	char *name;
	size_t n = strlen(s);
	int found;

	/* everything after '[' less one closing ']'; iniparser 4.1 stops at
	 * the first ']', so a name with one in it is refused either way */
	s[n - 1] = '\0';
	name = vmdef_strip(s + 1);
	vmdef_lower(name);
	vmdef_list_sections("and", list, sizeof(list));
	if (!*name)
		return vmdef_fail(c, lineno, "[]: empty section name; sections are %s", list);
	found = vmdef_find_section(name, &sec, &idx);
	if (found < 0)
		return vmdef_fail(c, lineno, "[%s]: at most %u of these: [%s0] to [%s%u]",
				  vmdef_show(name, SIZE_MAX, shown, sizeof(shown)),
				  vmdef_sections[sec].max, vmdef_sections[sec].name,
				  vmdef_sections[sec].name, vmdef_sections[sec].max - 1);
	if (found == 0)
		return vmdef_fail(c, lineno, "[%s]: unknown section; sections are %s",
				  vmdef_show(name, SIZE_MAX, shown, sizeof(shown)), list);
	if (sc->sec_line[sec][idx])
		return vmdef_fail(c, lineno, "[%s]: section given twice (first on line %u); "
				  "put its keys together", name, sc->sec_line[sec][idx]);
	sc->sec_line[sec][idx] = lineno;
	sc->section = (int)sec;
	sc->idx = idx;
	return 0;
}

/* Lists the keys of a section for a message: "name, memory, ..." */
static void vmdef_list_keys(unsigned int section, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < K_COUNT && n < len; i++)
		if (vmdef_keys[i].section == section)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
					      vmdef_keys[i].name);
}

static int vmdef_scan_key(struct vmdef_ctx *c, struct vmdef_scan *sc, char *s,
			  char *eq, unsigned int lineno)
{
	char shown[VMDEF_SHOW_MAX + 8], list[160], sec[32];
	char *key, *val;
	unsigned int k;

	*eq = '\0';
	key = vmdef_strip(s);
	vmdef_lower(key);
	vmdef_show(key, SIZE_MAX, shown, sizeof(shown));

	if (sc->section < 0) {
		vmdef_list_sections("or", list, sizeof(list));
		return vmdef_fail(c, lineno, "%s: key before any [section]; keys go "
				  "under %s", shown, list);
	}
	vmdef_secname((unsigned int)sc->section, sc->idx, sec, sizeof(sec));
	for (k = 0; k < K_COUNT; k++)
		if (vmdef_keys[k].section == (unsigned int)sc->section &&
		    strcmp(vmdef_keys[k].name, key) == 0)
			break;
	if (k == K_COUNT) {
		vmdef_list_keys((unsigned int)sc->section, list, sizeof(list));
		return vmdef_fail(c, lineno, "[%s] %s: unknown key; [%s] takes %s", sec, shown,
				  sec, list);
	}
	if (c->line[k][sc->idx])
		return vmdef_fail(c, lineno, "[%s] %s: given twice (first on line %u)", sec,
				  shown, c->line[k][sc->idx]);
	/* quotes as iniparser 4.1 reads them: "..." or '...', no escapes;
	 * anything but a comment after the closing quote would be dropped */
	val = eq + 1;
	while (isspace((unsigned char)*val))
		val++;
	if (*val == '"' || *val == '\'') {
		char *q = strchr(val + 1, *val);
		if (!q)
			return vmdef_fail(c, lineno, "[%s] %s: the value has no closing %c", sec,
					  shown, *val);
		q++;
		while (isspace((unsigned char)*q))
			q++;
		if (*q && *q != ';' && *q != '#')
			return vmdef_fail(c, lineno, "[%s] %s: text after the closing quote; "
					  "a quoted value cannot hold its own quote "
					  "character (use the other quote)", sec, shown);
	}
	c->line[k][sc->idx] = lineno;
	sc->nkeys[sc->section][sc->idx]++;
	return 0;
}

/* One logical line, with iniparser's classification (iniparser_line). */
static int vmdef_scan_line(struct vmdef_ctx *c, struct vmdef_scan *sc, char *line,
			   unsigned int lineno)
{
	char shown[VMDEF_SHOW_MAX + 8];
	char *s = vmdef_strip(line), *eq;
	size_t n = strlen(s);

	if (n == 0 || s[0] == '#' || s[0] == ';')
		return 0;
	if (s[0] == '[' && s[n - 1] == ']')
		return vmdef_scan_section(c, sc, s, lineno);
	eq = strchr(s, '=');
	if (!eq || eq == s)
		return vmdef_fail(c, lineno, "syntax error at \"%s\": expected [section], "
				  "key = value, or a comment starting with # or ;",
				  vmdef_show(s, n, shown, sizeof(shown)));
	return vmdef_scan_key(c, sc, s, eq, lineno);
}

/*
 * Walks the text line by line as iniparser will: trailing white space
 * dropped, a final backslash joins the next line.  Records the line of
 * every key in c and the sections in sc.
 */
static int vmdef_scan_text(struct vmdef_ctx *c, struct vmdef_scan *sc, const char *text,
			   size_t len)
{
	char logical[VMDEF_MAX_LINE + 1];
	size_t llen = 0, raw = 0;
	unsigned int lineno = 0, start = 0;
	const char *p = text, *end = text + len;
	int r;

	sc->section = -1;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		return vmdef_fail(c, 1, "starts with a byte order mark; save it as plain "
				  "UTF-8 without one");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (llen == 0 && raw == 0)
			start = lineno;
		raw += n;
		if (raw > VMDEF_MAX_LINE)
			return vmdef_fail(c, start, "line too long (at most %d characters)",
					  VMDEF_MAX_LINE);
		while (n && isspace((unsigned char)p[n - 1]))
			n--;
		memcpy(logical + llen, p, n);
		llen += n;
		p = nl ? nl + 1 : end;
		if (llen && logical[llen - 1] == '\\') {
			llen--;
			if (p >= end)
				return vmdef_fail(c, lineno, "the last line ends with '\\' "
						  "but no line follows");
			continue;
		}
		logical[llen] = '\0';
		r = vmdef_scan_line(c, sc, logical, start);
		if (r)
			return r;
		llen = raw = 0;
	}
	return 0;
}

/* --- loading ---------------------------------------------------------- */

/* Reads the whole file from fd into a NUL-terminated buffer. */
static int vmdef_read_all(struct vmdef_ctx *c, int fd, char **out, size_t *outlen)
{
	struct stat st;
	char *buf;
	size_t len = 0;

	if (fstat(fd, &st) < 0)
		return vmdef_fail_errno(c, -errno, "%s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return vmdef_fail(c, 0, "not a regular file");
	buf = malloc(VMDEF_MAX_FILE + 1);
	if (!buf)
		return vmdef_fail_errno(c, -ENOMEM, "out of memory");
	for (;;) {
		ssize_t n = read(fd, buf + len, VMDEF_MAX_FILE + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			return vmdef_fail_errno(c, -e, "%s", strerror(e));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > VMDEF_MAX_FILE) {
			free(buf);
			return vmdef_fail_errno(c, -EFBIG, "too large for a VM definition "
						"(over %d KiB)", VMDEF_MAX_FILE / 1024);
		}
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		unsigned int line = 1;
		for (const char *q = buf; *q; q++)
			line += *q == '\n';
		free(buf);
		return vmdef_fail(c, line, "not a text file (NUL byte)");
	}
	*out = buf;
	*outlen = len;
	return 0;
}

static int vmdef_ini_silent(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

/*
 * Opens the same file iniparser reads as the one scanned: through the
 * descriptor, so a rename in between cannot swap it.  iniparser's own
 * messages are silenced (we report, it would print).
 */
static dictionary *vmdef_ini_load(int fd, const char *path)
{
	char proc[64];

	iniparser_set_error_callback(vmdef_ini_silent);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (access(proc, R_OK) == 0)
		return iniparser_load(proc);
	return iniparser_load(path);
}

/* The scan and iniparser must see the same sections and keys. */
static bool vmdef_ini_agrees(dictionary *d, const struct vmdef_scan *sc)
{
	int nsec = iniparser_getnsec(d), seen = 0;
	char name[32];

	for (unsigned int s = 0; s < S_COUNT; s++) {
		for (unsigned int i = 0; i < vmdef_sections[s].max; i++) {
			if (!sc->sec_line[s][i])
				continue;
			seen++;
			vmdef_secname(s, i, name, sizeof(name));
			if (iniparser_getsecnkeys(d, name) != (int)sc->nkeys[s][i])
				return false;
		}
	}
	return nsec == seen;
}

/*
 * base + "/" + rel, or rel when it is absolute; "./" and "." parts at the
 * start of rel are dropped.  Returns a malloc'ed string or NULL.
 */
static char *vmdef_join(const char *base, const char *rel)
{
	char *out;

	if (rel[0] == '/')
		return strdup(rel);
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	if (strcmp(rel, ".") == 0 || !rel[0])
		return strdup(base);
	if (asprintf(&out, "%s%s%s", base, strcmp(base, "/") ? "/" : "", rel) < 0)
		return NULL;
	return out;
}

/* The absolute directory of path (malloc'ed), which relative paths in
 * the file start from.  Returns NULL with errno set. */
static char *vmdef_base_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *cwd, *out;

	if (!slash)
		dir = strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!dir || dir[0] == '/')
		return dir;
	cwd = getcwd(NULL, 0);
	out = cwd ? vmdef_join(cwd, dir) : NULL;
	free(cwd);
	free(dir);
	return out;
}

char *vmdef_absolute(const char *path)
{
	char *cwd, *out;

	if (path[0] == '/' || !path[0])
		return strdup(path);
	cwd = getcwd(NULL, 0);
	out = cwd ? vmdef_join(cwd, path) : NULL;
	free(cwd);
	return out;
}

/* A file the VM will read: it must exist, be a regular (or block) file
 * and readable.  As `ttyvm run` checks its options. */
static int vmdef_check_input(const char *path, char *why, size_t len)
{
	struct stat st;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
		snprintf(why, len, "%s", strerror(errno));
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(why, len, "not a regular file");
		return -EINVAL;
	}
	return 0;
}

/* Reads instance idx of key k's text into cfg: parse, check, resolve and
 * check files. */
static int vmdef_load_key(struct vmdef_ctx *c, unsigned int k, unsigned int idx,
			  const char *text, const char *base, struct vm_config *cfg)
{
	const struct vmdef_key *key = &vmdef_keys[k];
	char why[256], allowed[160];
	char **f;

	switch (key->type) {
	case VT_STRING:
	case VT_PATH:
		f = vmdef_field(cfg, k, idx);
		if (key->type == VT_PATH && !*text) {
			if ((c->flags & VMDEF_TEMPLATE) == VMDEF_TEMPLATE) {
				c->blank[k][idx] = true;
				return 0;
			}
			vmdef_allowed(key, allowed, sizeof(allowed));
			snprintf(why, sizeof(why), "empty; %s", allowed);
			return vmdef_fail_key(c, k, idx, NULL, why);
		}
		if (key->check && key->check(text, why, sizeof(why)))
			return vmdef_fail_key(c, k, idx, text, why);
		*f = key->type == VT_PATH ? vmdef_join(base, text) : strdup(text);
		if (!*f)
			return vmdef_fail_errno(c, -ENOMEM, "out of memory");
		if (key->type == VT_PATH && (key->flags & KF_INPUT) &&
		    !(c->flags & VMDEF_NO_FILE_CHECK) &&
		    vmdef_check_input(*f, why, sizeof(why)))
			return vmdef_fail_key(c, k, idx, *f, why);
		return 0;
	default:
		if (vmdef_parse_value(k, idx, text, cfg, why, sizeof(why)) ||
		    vmdef_check_value(k, idx, cfg, why, sizeof(why)))
			return vmdef_fail_key(c, k, idx, text, why);
		return 0;
	}
}

/* Name from the file: "dir/web-1.ini" -> "web-1", if that is valid. */
static void vmdef_name_from_file(const char *path, struct vm_config *cfg)
{
	const char *base = strrchr(path, '/');
	char stem[VM_NAME_MAX + 8];
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".ini") == 0)
		n -= 4;
	if (n >= VM_NAME_MAX)
		return;
	memcpy(stem, base, n);
	stem[n] = '\0';
	if (vmdef_name_valid(stem))
		memcpy(cfg->name, stem, n + 1);
}

/*
 * The instances of indexed sections: numbered from 0 without gaps, each
 * starting from its defaults; sets the counts in cfg.
 */
static int vmdef_load_instances(struct vmdef_ctx *c, const struct vmdef_scan *sc,
				struct vm_config *cfg)
{
	char name[32], missing[32];

	for (unsigned int s = 0; s < S_COUNT; s++) {
		const struct vmdef_section *sec = &vmdef_sections[s];
		unsigned int n = 0;

		if (sec->max == 1)
			continue;
		for (unsigned int i = 0; i < sec->max; i++)
			if (sc->sec_line[s][i])
				n = i + 1;
		for (unsigned int i = 0; i < n; i++) {
			if (!sc->sec_line[s][i])
				return vmdef_fail(c, sc->sec_line[s][n - 1], "[%s]: [%s] is "
						  "missing; number them from [%s0] without gaps",
						  vmdef_secname(s, n - 1, name, sizeof(name)),
						  vmdef_secname(s, i, missing, sizeof(missing)),
						  sec->name);
			vmdef_instance_defaults(cfg, s, i);
		}
		vmdef_set_count(cfg, s, n);
	}
	return 0;
}

/* Keys every instance of their section must have. */
static int vmdef_check_required(struct vmdef_ctx *c, const struct vmdef_scan *sc,
				const struct vm_config *cfg)
{
	char name[32], allowed[160];

	for (unsigned int k = 0; k < K_COUNT; k++) {
		unsigned int s = vmdef_keys[k].section;

		if (!(vmdef_keys[k].flags & KF_REQUIRED))
			continue;
		for (unsigned int i = 0; i < vmdef_count(cfg, s); i++) {
			if (c->line[k][i] || (vmdef_sections[s].max == 1 && !sc->sec_line[s][0]))
				continue;
			vmdef_allowed(&vmdef_keys[k], allowed, sizeof(allowed));
			return vmdef_fail(c, sc->sec_line[s][i], "[%s]: needs %s; %s",
					  vmdef_secname(s, i, name, sizeof(name)),
					  vmdef_keys[k].name, allowed);
		}
	}
	return 0;
}

static int vmdef_load_values(struct vmdef_ctx *c, dictionary *d, const char *base,
			     const char *named, struct vm_config *cfg)
{
	bool done[K_COUNT][VMDEF_IDX_MAX] = { { false } };
	char ikey[64], sec[32];

	if (!c->line[K_VM_NAME][0])
		vmdef_name_from_file(named, cfg);
	/* in the order of the file, so the first problem is reported first */
	for (;;) {
		unsigned int k = K_COUNT, idx = 0;
		const char *text;
		int r;

		for (unsigned int i = 0; i < K_COUNT; i++)
			for (unsigned int j = 0; j < VMDEF_IDX_MAX; j++)
				if (c->line[i][j] && !done[i][j] &&
				    (k == K_COUNT || c->line[i][j] < c->line[k][idx])) {
					k = i;
					idx = j;
				}
		if (k == K_COUNT)
			return 0;
		done[k][idx] = true;
		snprintf(ikey, sizeof(ikey), "%s:%s",
			 vmdef_secname(vmdef_keys[k].section, idx, sec, sizeof(sec)),
			 vmdef_keys[k].name);
		text = iniparser_getstring(d, ikey, NULL);
		if (!text)
			return vmdef_fail_errno(c, -EAGAIN, "changed while it was being "
						"read; try again");
		r = vmdef_load_key(c, k, idx, text, base, cfg);
		if (r)
			return r;
	}
}

int vmdef_load_as(const char *path, const char *as, unsigned int flags,
		  struct vm_config *cfg, char *err, size_t errlen)
{
	struct vmdef_ctx c = { .file = path, .flags = flags, .err = err, .errlen = errlen };
	struct vmdef_scan sc;
	dictionary *d = NULL;
	char *text = NULL, *base = NULL;
	size_t len = 0;
	int fd, r;

	memset(&sc, 0, sizeof(sc));
	if (err && errlen)
		err[0] = '\0';
	vmdef_defaults(cfg);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;

		vmdef_free(cfg);
		return vmdef_fail_errno(&c, -e, "%s", strerror(e));
	}
	r = vmdef_read_all(&c, fd, &text, &len);
	if (r)
		goto out;
	r = vmdef_scan_text(&c, &sc, text, len);
	if (r)
		goto out;
	base = vmdef_base_dir(as ? as : path);
	if (!base) {
		r = vmdef_fail_errno(&c, -errno, "cannot resolve its directory: %s",
				     strerror(errno));
		goto out;
	}
	d = vmdef_ini_load(fd, path);
	if (!d) {
		r = vmdef_fail_errno(&c, -EIO, "iniparser could not read it");
		goto out;
	}
	if (!vmdef_ini_agrees(d, &sc)) {
		r = vmdef_fail_errno(&c, -EAGAIN, "changed while it was being read; "
				     "try again");
		goto out;
	}
	r = vmdef_load_instances(&c, &sc, cfg);
	if (r)
		goto out;
	r = vmdef_load_values(&c, d, base, as ? as : path, cfg);
	if (!r)
		r = vmdef_check_required(&c, &sc, cfg);
	if (!r)
		r = vmdef_check_rules(&c, cfg);
out:
	if (d)
		iniparser_freedict(d);
	free(text);
	free(base);
	close(fd);
	if (r)
		vmdef_free(cfg);
	return r;
}

int vmdef_load_flags(const char *path, unsigned int flags, struct vm_config *cfg,
		     char *err, size_t errlen)
{
	return vmdef_load_as(path, NULL, flags, cfg, err, errlen);
}

int vmdef_load(const char *path, struct vm_config *cfg, char *err, size_t errlen)
{
	return vmdef_load_flags(path, 0, cfg, err, errlen);
}
