/*
 * cli_run.c - `ttyvm run`: run a VM in the foreground.
 *
 * Turns the options into a struct vm_config, one option per field so a
 * VM definition file maps onto them key for key, checks what can be
 * checked before touching KVM (files exist and are readable, numbers in
 * range) and hands over to vmm_run().  Every message names the option.
 */
#include "ui/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "util/log.h"
#include "util/parse.h"
#include "util/util.h"
#include "vmm/vmm.h"

#define RUN_DEFAULT_MEMORY (256 * MiB)
#define RUN_MIN_MEMORY (2 * MiB)

void cli_run_usage(FILE *out)
{
	fputs("usage: ttyvm run --kernel FILE [options]\n"
	      "\n"
	      "Runs a virtual machine in the foreground until the guest powers off.\n"
	      "\n"
	      "Boot:\n"
	      "  -k, --kernel FILE     Linux bzImage (64-bit boot protocol) or ELF vmlinux (PVH)\n"
	      "  -i, --initrd FILE     initial ramdisk\n"
	      "  -a, --append STRING   kernel command line\n"
	      "      --flat FILE       flat binary run in real mode at 0000:7C00 (tests)\n"
	      "      --no-acpi         no ACPI tables (the MP table remains)\n"
	      "Machine:\n"
	      "  -m, --memory SIZE     guest RAM, e.g. 512M or 2G (a bare number is MiB;\n"
	      "                        default 256M)\n"
	      "  -c, --cpus N          virtual CPUs (default 1)\n"
	      "  -n, --name NAME       VM name used in messages (default: vm)\n"
	      "Serial console (COM1):\n"
	      "  -s, --serial stdio|file:PATH|pty|none   (default stdio)\n"
	      "                        on a terminal, Ctrl-A x quits, Ctrl-A h helps\n"
	      "\n"
	      "Exit status: 0 guest powered off, 1 error, 2 guest crashed,\n"
	      "3 stopped by the user or a signal.\n", out);
}

void cli_run_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "vm");
	cfg->memory = RUN_DEFAULT_MEMORY;
	cfg->cpus = 1;
	cfg->acpi = true;
	cfg->serial.kind = SERIAL_STDIO;
}

void cli_run_free(struct vm_config *cfg)
{
	free(cfg->kernel);
	free(cfg->initrd);
	free(cfg->append);
	free(cfg->flat);
	free(cfg->serial.path);
	memset(cfg, 0, sizeof(*cfg));
}

static int run_set_string(char **field, const char *val)
{
	free(*field);
	*field = strdup(val);
	return *field ? 0 : -ENOMEM;
}

/* A file the VM will read: it must exist, be a regular file and readable. */
static int run_check_file(const char *opt, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		log_error("%s %s: %s", opt, path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		log_error("%s %s: not a regular file", opt, path);
		return -1;
	}
	if (access(path, R_OK) < 0) {
		log_error("%s %s: %s", opt, path, strerror(errno));
		return -1;
	}
	return 0;
}

static int run_parse_serial(const char *val, struct serial_config *s)
{
	if (strcmp(val, "stdio") == 0) {
		s->kind = SERIAL_STDIO;
	} else if (strcmp(val, "pty") == 0) {
		s->kind = SERIAL_PTY;
	} else if (strcmp(val, "none") == 0) {
		s->kind = SERIAL_NONE;
	} else if (strncmp(val, "file:", 5) == 0 && val[5]) {
		s->kind = SERIAL_FILE;
		if (run_set_string(&s->path, val + 5))
			return -1;
	} else {
		log_error("--serial %s: expected stdio, file:PATH, pty or none", val);
		return -1;
	}
	return 0;
}

static int run_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= VM_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return name[0] != '.' && name[0] != '-';
}

enum { OPT_FLAT = 256, OPT_NO_ACPI };

int cli_run_parse(int argc, char **argv, struct vm_config *cfg)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "memory", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "serial", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "flat", required_argument, NULL, OPT_FLAT },
		{ "no-acpi", no_argument, NULL, OPT_NO_ACPI },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:i:a:m:c:s:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (run_set_string(&cfg->kernel, optarg))
				return 1;
			break;
		case 'i':
			if (run_set_string(&cfg->initrd, optarg))
				return 1;
			break;
		case 'a':
			if (run_set_string(&cfg->append, optarg))
				return 1;
			break;
		case OPT_FLAT:
			if (run_set_string(&cfg->flat, optarg))
				return 1;
			break;
		case 'm':
			r = parse_size(optarg, MiB, &v);
			if (r) {
				log_error("--memory %s: expected a size such as 512M or 2G", optarg);
				return 1;
			}
			if (v < RUN_MIN_MEMORY) {
				log_error("--memory %s: a VM needs at least 2 MiB of RAM", optarg);
				return 1;
			}
			if (v % (4 * KiB)) {
				log_error("--memory %s: must be a multiple of 4 KiB", optarg);
				return 1;
			}
			cfg->memory = v;
			break;
		case 'c':
			r = parse_uint(optarg, 1, 1024, &v);
			if (r) {
				log_error("--cpus %s: expected a number of vCPUs from 1 upwards",
					  optarg);
				return 1;
			}
			cfg->cpus = (unsigned int)v;
			break;
		case 's':
			if (run_parse_serial(optarg, &cfg->serial))
				return 1;
			break;
		case 'n':
			if (!run_valid_name(optarg)) {
				log_error("--name %s: use 1-63 letters, digits, '.', '-' or '_', "
					  "not starting with '.' or '-'", optarg);
				return 1;
			}
			snprintf(cfg->name, sizeof(cfg->name), "%s", optarg);
			break;
		case OPT_NO_ACPI:
			cfg->acpi = false;
			break;
		case 'h':
			cli_run_usage(stdout);
			return 2;
		case ':':
			log_error("run: option %s needs a value", argv[optind - 1]);
			return 1;
		default:
			log_error("run: unknown option %s (see ttyvm run --help)", argv[optind - 1]);
			return 1;
		}
	}
	if (optind < argc) {
		log_error("run: unexpected argument '%s' (see ttyvm run --help)", argv[optind]);
		return 1;
	}
	if (!cfg->kernel && !cfg->flat) {
		log_error("run: nothing to boot: give --kernel FILE (see ttyvm run --help)");
		return 1;
	}
	if (cfg->kernel && cfg->flat) {
		log_error("run: --kernel and --flat exclude each other");
		return 1;
	}
	if ((cfg->initrd || cfg->append) && !cfg->kernel) {
		log_error("run: --initrd and --append need --kernel");
		return 1;
	}
	if ((cfg->kernel && run_check_file("--kernel", cfg->kernel)) ||
	    (cfg->initrd && run_check_file("--initrd", cfg->initrd)) ||
	    (cfg->flat && run_check_file("--flat", cfg->flat)))
		return 1;
	return 0;
}

int cli_run(int argc, char **argv)
{
	struct vm_config cfg;
	int r;

	cli_run_defaults(&cfg);
	r = cli_run_parse(argc, argv, &cfg);
	if (r) {
		cli_run_free(&cfg);
		return r == 2 ? 0 : VMM_EXIT_ERROR;
	}
	r = vmm_run(&cfg);
	cli_run_free(&cfg);
	return r;
}
