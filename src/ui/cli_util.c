/*
 * cli_util.c - helpers of the CLI verbs: JSON output, formats, the VM
 * behind a name or socket path, yes/no questions, progress lines.
 *
 * The JSON writer keeps one "first element" flag per nesting level and
 * prints straight to the stream; it knows nothing about schemas.  Nothing
 * here is used by library code: it is the printing edge.
 */
#include "ui/cli_util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ui/paths.h"
#include "ui/vmdef.h"
#include "util/log.h"
#include "util/util.h"

void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\r')
			fputs("\\r", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void json_init(struct json *j, FILE *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->first[0] = true;
}

static void json_comma(struct json *j)
{
	if (!j->first[j->depth])
		fputc(',', j->out);
	j->first[j->depth] = false;
}

void json_begin(struct json *j, char open)
{
	fputc(open, j->out);
	if (j->depth + 1 < ARRAY_SIZE(j->first))
		j->depth++;
	j->first[j->depth] = true;
}

void json_end(struct json *j, char close)
{
	fputc(close, j->out);
	if (j->depth)
		j->depth--;
	if (j->depth == 0)
		fputc('\n', j->out);
}

void json_key(struct json *j, const char *key)
{
	json_comma(j);
	json_string(j->out, key);
	fputc(':', j->out);
}

void json_elem(struct json *j)
{
	json_comma(j);
}

void json_str(struct json *j, const char *key, const char *v)
{
	json_key(j, key);
	if (v)
		json_string(j->out, v);
	else
		fputs("null", j->out);
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	fprintf(j->out, "%llu", (unsigned long long)v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->out);
}

void json_null(struct json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->out);
}

void json_double(struct json *j, const char *key, double v, int decimals)
{
	json_key(j, key);
	fprintf(j->out, "%.*f", decimals, v);
}

void cli_fmt_size(uint64_t v, char *buf, size_t len)
{
	if (v == 0)
		snprintf(buf, len, "-");
	else if (v % GiB == 0)
		snprintf(buf, len, "%llu GiB", (unsigned long long)(v / GiB));
	else if (v % MiB == 0)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(v / MiB));
	else if (v % KiB == 0)
		snprintf(buf, len, "%llu KiB", (unsigned long long)(v / KiB));
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)v);
}

void cli_fmt_uptime(uint64_t s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%llud %02u:%02u:%02u", (unsigned long long)(s / 86400),
			 (unsigned int)(s % 86400 / 3600), (unsigned int)(s % 3600 / 60),
			 (unsigned int)(s % 60));
	else
		snprintf(buf, len, "%02u:%02u:%02u", (unsigned int)(s / 3600),
			 (unsigned int)(s % 3600 / 60), (unsigned int)(s % 60));
}

int cli_vm_socket(const char *verb, const char *vm, char *sock, size_t len, bool *named)
{
	int r;

	*named = strchr(vm, '/') == NULL;
	if (!*named) {
		if (snprintf(sock, len, "%s", vm) >= (int)len) {
			log_error("%s: %s: path too long", verb, vm);
			return 1;
		}
		return 0;
	}
	if (!vmdef_name_valid(vm)) {
		log_error("%s: '%s' is neither a VM name (" VMDEF_NAME_RULE ") nor a "
			  "socket path (one with a '/')", verb, vm);
		return 1;
	}
	r = paths_runtime_file(vm, ".sock", sock, len);
	if (r) {
		log_error("%s: %s: the runtime directory: %s", verb, vm, strerror(-r));
		return 1;
	}
	return 0;
}

bool cli_can_ask(void)
{
	return isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

bool cli_ask(const char *question, bool default_yes)
{
	char line[64];

	if (!cli_can_ask())
		return false;
	fprintf(stderr, "%s %s ", question, default_yes ? "[Y/n]" : "[y/N]");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	if (!line[0])
		return default_yes;
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

void cli_progress(void *ctx, const char *file, uint64_t done, uint64_t total)
{
	struct cli_progress *p = ctx;
	const char *base = strrchr(file, '/');
	char size[32];
	int pct = total ? (int)(done * 100 / total) : 100;

	if (!isatty(STDERR_FILENO))
		return;
	if (p->shown && p->file == file && p->pct == pct)
		return;
	p->file = file;
	p->pct = pct;
	p->shown = true;
	cli_fmt_size(total, size, sizeof(size));
	fprintf(stderr, "\r  %s: %3d%% of %s", base ? base + 1 : file, pct, size);
	if (done >= total) {
		fputc('\n', stderr);
		p->shown = false;
	}
	fflush(stderr);
}

void cli_getopt_reset(void)
{
	optind = 1;
	opterr = 0;
}
