/*
 * cli_disk.c - `ttyvm disk create|info|convert`: the image verbs (what a
 * qemu-img user needs day to day), on the block layer's img_create(),
 * img_info() and img_copy().
 *
 *   create FILE SIZE [--format raw|qcow2] [--backing FILE]
 *   info FILE [--json] [--format F]
 *   convert SRC DST [--format raw|qcow2] [--source-format F] [--force]
 *
 * Nothing of the user's is lost: create and convert never replace a file
 * unless convert is given --force, and then the copy is made beside DST
 * under a temporary name and renamed over it only once complete (DST is
 * intact on any error; SRC as DST is refused).  SRC is opened read-only.
 * Progress goes to stderr when it is a terminal.  A bare SIZE is in GiB,
 * as for `ttyvm create --disk-size`.
 */
#include "ui/cli_disk.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui/cli_util.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/util.h"
#include "vmm/block/blk.h"
#include "vmm/block/img.h"

enum { OPT_FORCE = 256, OPT_SRC_FORMAT };

#define DISK_MAX_SIZE (64ULL << 40)

void cli_disk_usage(FILE *out)
{
	fputs("usage: ttyvm disk create FILE SIZE [--format raw|qcow2] [--backing FILE]\n"
	      "       ttyvm disk info FILE [--json] [--format auto|raw|qcow2]\n"
	      "       ttyvm disk convert SRC DST [--format raw|qcow2] [--source-format F]\n"
	      "                          [--force]\n"
	      "\n"
	      "create makes a new, empty disk image of SIZE (such as 20G; a bare number\n"
	      "is in GiB): qcow2 (the default; grows as the guest writes) or raw (a\n"
	      "sparse file).  --backing FILE makes a qcow2 overlay that reads FILE where\n"
	      "it was not written (a relative name is relative to the new image's\n"
	      "directory; SIZE may then be left out: the backing file's).  An existing\n"
	      "FILE is never replaced.\n"
	      "\n"
	      "info shows an image's format, virtual size, file size, space in use,\n"
	      "backing file and qcow2 details, as text or --json.  It does not lock the\n"
	      "image, so it works on the disk of a running VM.\n"
	      "\n"
	      "convert copies the disk SRC (its backing chain flattened) into a new\n"
	      "image DST in --format (default: SRC's), leaving out what reads as zeros\n"
	      "(DST is sparse).  SRC is only read.  An existing DST is replaced only with\n"
	      "--force, and only once the copy is complete.\n"
	      "\n"
	      "  -f, --format F         image format (create, convert: raw or qcow2;\n"
	      "                         info: auto, the default, probes)\n"
	      "  -b, --backing FILE     create: a qcow2 overlay on FILE\n"
	      "      --source-format F  convert: SRC's format (default auto: probed)\n"
	      "      --force            convert: replace an existing DST\n"
	      "  -j, --json             info: machine-readable output\n"
	      "  -h, --help             this help\n"
	      "\n"
	      "Exit status: 0 done; 1 error (bad usage, a file that exists, cannot be\n"
	      "read or is not an image ttyvm reads).\n", out);
}

static int disk_parse_format(const char *verb, const char *opt, const char *s,
			     bool allow_auto, enum disk_format *out)
{
	if (disk_format_parse(s, out) < 0 || (!allow_auto && *out == DISK_FMT_AUTO)) {
		log_error("disk %s: %s %s: expected %s", verb, opt, s,
			  allow_auto ? "auto, raw or qcow2" : "raw or qcow2");
		return -1;
	}
	return 0;
}

int cli_disk_parse(int argc, char **argv, struct cli_disk_opts *o)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "backing", required_argument, NULL, 'b' },
		{ "source-format", required_argument, NULL, OPT_SRC_FORMAT },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const cmds[] = { "create", "info", "convert" };
	const char *verb;
	bool fmt_given = false;
	int c;

	memset(o, 0, sizeof(*o));
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
			cli_disk_usage(stdout);
			return 2;
		}
		log_error("disk: expected create, info or convert (ttyvm disk --help)");
		return 1;
	}
	verb = argv[1];
	for (c = 0; c < (int)ARRAY_SIZE(cmds) && strcmp(verb, cmds[c]); c++)
		;
	if (c == (int)ARRAY_SIZE(cmds)) {
		log_error("disk: unknown command '%s' (allowed: create, info, convert)", verb);
		return 1;
	}
	o->cmd = (enum cli_disk_cmd)c;
	argc--;
	argv++;
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":f:b:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (disk_parse_format(verb, "--format", optarg, o->cmd == CLI_DISK_INFO,
					      &o->format))
				return 1;
			fmt_given = true;
			break;
		case OPT_SRC_FORMAT:
			if (disk_parse_format(verb, "--source-format", optarg, true, &o->src_format))
				return 1;
			break;
		case 'b':
			o->backing = optarg;
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			cli_disk_usage(stdout);
			return 2;
		case ':':
			log_error("disk %s: %s needs a value", verb, argv[optind - 1]);
			return 1;
		default:
			log_error("disk %s: unknown option '%s' (ttyvm disk --help)", verb,
				  argv[optind - 1]);
			return 1;
		}
	}
	/* options that belong to another command are mistakes, not no-ops */
	const char *other = o->backing && o->cmd != CLI_DISK_CREATE ? "--backing (create)"
			    : o->force && o->cmd != CLI_DISK_CONVERT ? "--force (convert)"
			    : o->json && o->cmd != CLI_DISK_INFO ? "--json (info)"
			    : o->src_format && o->cmd != CLI_DISK_CONVERT ? "--source-format (convert)"
			    : NULL;
	if (other) {
		log_error("disk %s: %s belongs to another command (ttyvm disk --help)", verb,
			  other);
		return 1;
	}
	int nargs = argc - optind, want = o->cmd == CLI_DISK_INFO ? 1 : 2;
	bool size_optional = o->cmd == CLI_DISK_CREATE && o->backing;
	if (nargs > want || nargs < want - (size_optional ? 1 : 0)) {
		log_error("disk %s: expected %s", verb,
			  o->cmd == CLI_DISK_CREATE ? "FILE SIZE" :
			  o->cmd == CLI_DISK_INFO ? "FILE" : "SRC DST");
		return 1;
	}
	o->file = argv[optind];
	if (o->cmd == CLI_DISK_CONVERT)
		o->dst = argv[optind + 1];
	if (o->cmd == CLI_DISK_CREATE) {
		if (!fmt_given)
			o->format = DISK_FMT_QCOW2;
		if (o->backing && o->format != DISK_FMT_QCOW2) {
			log_error("disk create: --backing needs --format qcow2 (a raw image has "
				  "no backing file)");
			return 1;
		}
		if (nargs == 2 && (parse_size(argv[optind + 1], GiB, &o->size) || o->size == 0 ||
				   o->size > DISK_MAX_SIZE)) {
			log_error("disk create: SIZE %s: expected a size such as 20G or 512M "
				  "(a bare number is GiB; at most 64T)", argv[optind + 1]);
			return 1;
		}
	}
	return 0;
}

struct disk_progress {
	struct cli_progress p;
	const char *file;
};

static void disk_progress(void *opaque, uint64_t done, uint64_t total)
{
	struct disk_progress *d = opaque;

	cli_progress(&d->p, d->file, done, total);
}

static int disk_create(const struct cli_disk_opts *o)
{
	char err[1024] = "";
	int rc = img_create(o->file, o->format, o->size, o->backing, NULL, NULL, err,
			    sizeof(err));

	if (rc < 0) {
		log_error("disk create: %s", err[0] ? err : strerror(-rc));
		return 1;
	}
	return 0;
}

static void disk_info_text(const char *file, const struct img_info *i)
{
	char a[32], b[32], c[32];

	cli_fmt_size(i->virtual_size, a, sizeof(a));
	cli_fmt_size(i->file_size, b, sizeof(b));
	cli_fmt_size(i->actual_size, c, sizeof(c));
	printf("file:          %s\n", file);
	if (i->format == DISK_FMT_QCOW2)
		printf("format:        qcow2 (version %u, compat=%s)\n", i->qcow2_version,
		       i->qcow2_version == 2 ? "0.10" : "1.1");
	else
		printf("format:        raw\n");
	printf("virtual size:  %s (%llu bytes)\n", a, (unsigned long long)i->virtual_size);
	printf("file size:     %s\n", b);
	printf("disk use:      %s\n", c);
	if (i->format != DISK_FMT_QCOW2)
		return;
	printf("cluster size:  %u\n", i->cluster_size);
	printf("refcount bits: %u\n", i->refcount_bits);
	if (i->backing)
		printf("backing file:  %s (%s, format %s)\n", i->backing, i->backing_path,
		       i->backing_fmt == DISK_FMT_AUTO ? "not recorded"
						       : disk_format_name(i->backing_fmt));
	else
		printf("backing file:  -\n");
	printf("snapshots:     %u\n", i->snapshots);
	if (i->dirty || i->corrupt)
		printf("flags:         %s%s\n", i->dirty ? "dirty " : "",
		       i->corrupt ? "corrupt" : "");
}

static void disk_info_json(const char *file, const struct img_info *i)
{
	struct json j;

	json_init(&j, stdout);
	json_begin(&j, '{');
	json_str(&j, "file", file);
	json_str(&j, "format", disk_format_name(i->format));
	json_u64(&j, "virtual_size", i->virtual_size);
	json_u64(&j, "file_size", i->file_size);
	json_u64(&j, "actual_size", i->actual_size);
	json_str(&j, "backing_file", i->backing);
	json_str(&j, "backing_path", i->backing_path);
	json_str(&j, "backing_format", i->backing && i->backing_fmt != DISK_FMT_AUTO
						? disk_format_name(i->backing_fmt) : NULL);
	if (i->format == DISK_FMT_QCOW2) {
		json_key(&j, "qcow2");
		json_begin(&j, '{');
		json_u64(&j, "version", i->qcow2_version);
		json_u64(&j, "cluster_size", i->cluster_size);
		json_u64(&j, "refcount_bits", i->refcount_bits);
		json_u64(&j, "snapshots", i->snapshots);
		json_bool(&j, "dirty", i->dirty);
		json_bool(&j, "corrupt", i->corrupt);
		json_end(&j, '}');
	} else {
		json_null(&j, "qcow2");
	}
	json_end(&j, '}');
	fputc('\n', stdout);
}

static int disk_info(const struct cli_disk_opts *o)
{
	char err[1024] = "";
	struct img_info i;
	int rc = img_info(o->file, o->format, &i, err, sizeof(err));

	if (rc < 0) {
		log_error("disk info: %s", err[0] ? err : strerror(-rc));
		return 1;
	}
	if (o->json)
		disk_info_json(o->file, &i);
	else
		disk_info_text(o->file, &i);
	img_info_free(&i);
	return 0;
}

/* A free name beside dst for the copy --force renames over it. */
static char *disk_temp_name(const char *dst)
{
	size_t n = strlen(dst) + 32;
	char *t = malloc(n);

	for (unsigned int k = 0; t && k < 1000; k++) {
		snprintf(t, n, "%s.ttyvm-%d-%u.tmp", dst, (int)getpid(), k);
		if (access(t, F_OK) != 0)
			return t;
	}
	free(t);
	return NULL;
}

static int disk_convert(const struct cli_disk_opts *o)
{
	struct disk_progress pr = { .file = o->dst };
	struct stat ss, ds;
	char err[1024] = "";
	char *target = NULL;
	int rc;

	if (stat(o->file, &ss) < 0) {
		log_error("disk convert: %s: %s", o->file, strerror(errno));
		return 1;
	}
	if (stat(o->dst, &ds) == 0) {
		if (ds.st_dev == ss.st_dev && ds.st_ino == ss.st_ino) {
			log_error("disk convert: %s and %s are the same file", o->file, o->dst);
			return 1;
		}
		if (!o->force) {
			log_error("disk convert: %s: already exists (give --force to replace it)",
				  o->dst);
			return 1;
		}
		if (!S_ISREG(ds.st_mode)) {
			log_error("disk convert: %s: not a regular file; not replacing it", o->dst);
			return 1;
		}
		target = disk_temp_name(o->dst);
		if (!target) {
			log_error("disk convert: %s: no free temporary name beside it", o->dst);
			return 1;
		}
	}
	rc = img_copy(o->file, o->src_format, target ? target : o->dst, o->format,
		      isatty(STDERR_FILENO) ? disk_progress : NULL, &pr, err, sizeof(err));
	if (rc == 0 && target && rename(target, o->dst) < 0) {
		rc = -errno;
		snprintf(err, sizeof(err), "%s: replacing it: %s", o->dst, strerror(errno));
		unlink(target);
	}
	free(target);
	if (rc < 0) {
		log_error("disk convert: %s", err[0] ? err : strerror(-rc));
		return 1;
	}
	return 0;
}

int cli_disk(int argc, char **argv)
{
	struct cli_disk_opts o;
	int rc = cli_disk_parse(argc, argv, &o);

	if (rc)
		return rc == 2 ? 0 : 1;
	switch (o.cmd) {
	case CLI_DISK_CREATE:
		return disk_create(&o);
	case CLI_DISK_INFO:
		return disk_info(&o);
	default:
		return disk_convert(&o);
	}
}
