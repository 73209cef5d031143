/*
 * cli_create.c - `ttyvm create NAME [options]`: the creation wizard
 * without questions, for scripts.
 *
 * A new definition starts from a preset (named, or chosen from what the
 * options give: a kernel means linux-direct, an ISO install-iso, a disk
 * disk-image), with the preset's memory and vCPUs fitted to the host
 * unless given.  The options fill in what the preset leaves empty: --disk
 * FILE fills the preset's empty disks first and then adds disks;
 * --disk-size SIZE creates new ones (in the VM's data directory, with
 * progress on a terminal); a VM that boots an ISO and has no disk gets a
 * new one of VMSTORE_DEFAULT_DISK_SIZE unless --no-disk.  Everything is
 * checked before anything is written; a failure after disks were created
 * removes them again, so nothing is left half made.
 *
 * The work is vmstore.h's (the TUI's wizard calls the same functions);
 * this file is options and messages.
 */
#include "ui/cli_manager.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ui/cli.h"
#include "ui/cli_util.h"
#include "display/display.h"
#include "ui/vmstore.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/util.h"
#include "net/net.h"
#include "vmm/block/blk.h"

#define CREATE_START_TIMEOUT 30

void cli_create_usage(FILE *out)
{
	char size[32];

	cli_fmt_size(VMSTORE_DEFAULT_DISK_SIZE, size, sizeof(size));
	fprintf(out,
		"usage: ttyvm create NAME [options]\n"
		"\n"
		"Creates the VM NAME: its definition (see ttyvm.ini(5)) and, when asked,\n"
		"new disks in its data directory.  It starts from a preset; the options\n"
		"fill in what the preset leaves empty.  Nothing is started unless --start.\n"
		"\n"
		"What it boots:\n"
		"  -p, --preset NAME        start from preset NAME (ttyvm create --presets\n"
		"                           lists them); default: linux-direct with --kernel,\n"
		"                           install-iso with --iso, disk-image with --disk\n"
		"  -k, --kernel FILE        Linux bzImage or vmlinux, booted directly\n"
		"  -i, --initrd FILE        its initial ramdisk\n"
		"  -a, --append TEXT        its command line\n"
		"      --iso FILE           an ISO image in the CD-ROM drive (to install from)\n"
		"  -d, --disk FILE[,if=virtio|ahci][,ro][,format=raw|qcow2|auto]\n"
		"                           an existing disk image, used where it is\n"
		"                           (repeatable)\n"
		"  -s, --disk-size SIZE     a new empty disk of SIZE (such as 20G; a bare\n"
		"                           number is GiB) in the VM's data directory\n"
		"                           (repeatable); with --iso and no disk given, one\n"
		"                           of %s is made\n"
		"      --disk-format raw|qcow2   format of new disks (default qcow2: grows\n"
		"                           as the guest writes; raw: a sparse file)\n"
		"      --no-disk            no new disk, even with --iso\n"
		"  -f, --firmware FILE      BIOS image (default: SeaBIOS)\n"
		"  -b, --boot auto|cd|disk|net   what the firmware boots first\n"
		"      --net user[,hostfwd=...][,mac=MAC][,restrict=on]|tap,ifname=NAME|none\n"
		"                           a NIC, as for ttyvm run (repeatable); default:\n"
		"                           one NIC on user-mode NAT (--net user)\n"
		"      --display none|sdl|vnc[=HOST:DISPLAY]|sdl,vnc[,password-file=FILE]\n"
		"                           where the screen goes (default: the preset's,\n"
		"                           vnc on 127.0.0.1)\n"
		"The machine (defaults: the preset's, at most the host's CPUs and half its RAM):\n"
		"  -m, --memory SIZE        guest RAM, such as 512M or 2G (a bare number is MiB)\n"
		"  -c, --cpus N             virtual CPUs\n"
		"Then:\n"
		"      --start              start it in the background (as ttyvm start)\n"
		"  -t, --timeout S          with --start: wait S seconds for it (default %d)\n"
		"  -j, --json               print what was created as one JSON object\n"
		"      --presets            list the presets and exit\n"
		"  -h, --help               this help\n"
		"\n"
		"Exit status: 0 created (and started); 1 error (nothing is left behind), or\n"
		"created but not started (the message says which).\n",
		size, CREATE_START_TIMEOUT);
}

enum { OPT_ISO = 256, OPT_DISK_FORMAT, OPT_NO_DISK, OPT_START, OPT_PRESETS, OPT_DISPLAY,
       OPT_NET };

static int create_presets(void)
{
	struct vmstore_preset *p;
	size_t n;
	int r = vmstore_presets(&p, &n);

	if (r) {
		log_error("create: the presets: %s", strerror(-r));
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("%-16s %s\n", p[i].name, p[i].summary);
	free(p);
	return 2;
}

int cli_create_parse(int argc, char **argv, struct cli_create_opts *o)
{
	static const struct option opts[] = {
		{ "preset", required_argument, NULL, 'p' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "iso", required_argument, NULL, OPT_ISO },
		{ "disk", required_argument, NULL, 'd' },
		{ "disk-size", required_argument, NULL, 's' },
		{ "disk-format", required_argument, NULL, OPT_DISK_FORMAT },
		{ "no-disk", no_argument, NULL, OPT_NO_DISK },
		{ "firmware", required_argument, NULL, 'f' },
		{ "boot", required_argument, NULL, 'b' },
		{ "display", required_argument, NULL, OPT_DISPLAY },
		{ "memory", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "start", no_argument, NULL, OPT_START },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "presets", no_argument, NULL, OPT_PRESETS },
		{ "net", required_argument, NULL, OPT_NET },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const boots[] = { "auto", "cd", "disk", "net" };
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->new_format = DISK_FMT_QCOW2;   /* as the wizard and virt-manager: grows on demand */
	o->boot = -1;
	o->timeout_s = CREATE_START_TIMEOUT;
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":p:k:i:a:d:s:f:b:m:c:t:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o->preset = optarg; break;
		case 'k': o->kernel = optarg; break;
		case 'i': o->initrd = optarg; break;
		case 'a': o->append = optarg; break;
		case OPT_ISO: o->iso = optarg; break;
		case 'f': o->firmware = optarg; break;
		case 'd':
			if (o->existing.ndisks + o->nnew >= VM_MAX_DISKS) {
				log_error("create: --disk %s: at most %d disks", optarg, VM_MAX_DISKS);
				return 1;
			}
			if (cli_run_parse_disk(optarg, &o->existing))
				return 1;
			break;
		case 's':
			if (o->existing.ndisks + o->nnew >= VM_MAX_DISKS) {
				log_error("create: --disk-size %s: at most %d disks", optarg,
					  VM_MAX_DISKS);
				return 1;
			}
			if (parse_size(optarg, GiB, &v) || v == 0 || v > (64ULL << 40)) {
				log_error("create: --disk-size %s: expected a size such as 20G "
					  "(from 1 byte to 64T; a bare number is GiB)", optarg);
				return 1;
			}
			o->new_disks[o->nnew++] = v;
			break;
		case OPT_DISK_FORMAT:
			if (disk_format_parse(optarg, &o->new_format) || o->new_format == DISK_FMT_AUTO) {
				log_error("create: --disk-format %s: expected raw or qcow2", optarg);
				return 1;
			}
			break;
		case OPT_NO_DISK: o->no_disk = true; break;
		case OPT_NET:
			if (cli_run_parse_net(optarg, &o->existing, &o->nets_given))
				return 1;
			break;
		case 'b':
			o->boot = -1;
			for (size_t i = 0; i < ARRAY_SIZE(boots); i++)
				if (strcmp(optarg, boots[i]) == 0)
					o->boot = (int)i; /* the order of enum boot_order */
			if (o->boot < 0) {
				log_error("create: --boot %s: expected auto, cd, disk or net", optarg);
				return 1;
			}
			break;
		case 'm':
			if (parse_size(optarg, MiB, &v) || v < VMDEF_MIN_MEMORY ||
			    v > VMDEF_MAX_MEMORY || v % VMDEF_MEMORY_ALIGN) {
				log_error("create: --memory %s: expected a size from 2M to 1T in whole "
					  "4K pages, such as 512M or 2G", optarg);
				return 1;
			}
			o->memory = v;
			break;
		case 'c':
			if (parse_uint(optarg, 1, VMDEF_MAX_CPUS, &v)) {
				log_error("create: --cpus %s: expected a number from 1 to %d", optarg,
					  VMDEF_MAX_CPUS);
				return 1;
			}
			o->cpus = (unsigned int)v;
			break;
		case OPT_START: o->start = true; break;
		case 't':
			if (parse_uint(optarg, 1, 86400, &v)) {
				log_error("create: --timeout %s: expected seconds from 1 to 86400",
					  optarg);
				return 1;
			}
			o->timeout_s = (int)v;
			break;
		case 'j': o->json = true; break;
		case OPT_DISPLAY: {
			char why[256];
			if (display_parse_option(optarg, &o->display, why, sizeof(why))) {
				log_error("create: --display %s: %s", optarg, why);
				return 1;
			}
			o->display_set = true;
			break;
		}
		case OPT_PRESETS: return create_presets();
		case 'h':
			cli_create_usage(stdout);
			return 2;
		case ':':
			log_error("create: option %s needs a value", argv[optind - 1]);
			return 1;
		default:
			log_error("create: unknown option %s (see ttyvm create --help)",
				  argv[optind - 1]);
			return 1;
		}
	}
	if (optind != argc - 1) {
		log_error(optind >= argc ? "create: the new VM needs a name (ttyvm create --help)"
					 : "create: one VM at a time (ttyvm create --help)");
		return 1;
	}
	o->name = argv[optind];
	if (!vmdef_name_valid(o->name)) {
		log_error("create: '%s': " VMDEF_NAME_RULE, o->name);
		return 1;
	}
	if ((o->initrd || o->append) && !o->kernel) {
		log_error("create: --initrd and --append need --kernel");
		return 1;
	}
	if (o->no_disk && o->nnew) {
		log_error("create: --no-disk and --disk-size exclude each other");
		return 1;
	}
	return 0;
}

void cli_create_free(struct cli_create_opts *o)
{
	for (unsigned int i = 0; i < o->existing.ndisks; i++)
		free(o->existing.disks[i].path);
	for (unsigned int i = 0; i < o->existing.nnics && i < VM_MAX_NICS; i++)
		net_nic_free(&o->existing.nics[i]);
	display_config_free(&o->display);
	memset(o, 0, sizeof(*o));
}

/* --- building the definition ---------------------------------------------------- */

static const char *create_pick_preset(const struct cli_create_opts *o)
{
	if (o->preset)
		return o->preset;
	if (o->kernel)
		return "linux-direct";
	if (o->iso)
		return "install-iso";
	if (o->existing.ndisks || o->nnew)
		return "disk-image";
	return NULL;
}

/* A file the VM will read, named by its option: 0 or 1 after a message. */
static int create_check_file(const char *opt, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
		log_error("create: %s %s: %s", opt, path, strerror(errno));
		return 1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		log_error("create: %s %s: not a regular file", opt, path);
		return 1;
	}
	return 0;
}

static int create_set(char **field, const char *v)
{
	if (!v)
		return 0;
	free(*field);
	*field = strdup(v);
	return *field ? 0 : -1;
}

/*
 * The options onto the preset in cfg.  *need_new gets the number of new
 * disks to make: they fill the preset's empty disks, then come after.  0,
 * or 1 after a message.
 */
static int create_apply(const struct cli_create_opts *o, const char *preset,
			struct vm_config *cfg, unsigned int *need_new)
{
	struct vmstore_host host;

	snprintf(cfg->name, sizeof(cfg->name), "%s", o->name);
	vmstore_host(&host);
	vmstore_fit_host(cfg, &host); /* the preset's numbers are defaults */
	if (o->memory)
		cfg->memory = o->memory;
	if (o->cpus)
		cfg->cpus = o->cpus;
	if (o->boot >= 0)
		cfg->boot = (enum boot_order)o->boot;
	if (o->display_set) {
		cfg->display.mode = o->display.mode;
		if (create_set(&cfg->display.vnc_listen, o->display.vnc_listen) ||
		    create_set(&cfg->display.vnc_password_file, o->display.vnc_password_file)) {
			log_error("out of memory");
			return 1;
		}
	}
	if (create_set(&cfg->kernel, o->kernel) || create_set(&cfg->initrd, o->initrd) ||
	    create_set(&cfg->append, o->append) || create_set(&cfg->cdrom, o->iso) ||
	    create_set(&cfg->firmware, o->firmware)) {
		log_error("out of memory");
		return 1;
	}
	/* NICs: those given replace the preset's; none given, one on user NAT
	 * (what virt-manager and VirtualBox give a new VM) */
	if (o->nets_given || cfg->nnics == 0) {
		for (unsigned int i = 0; i < cfg->nnics && i < VM_MAX_NICS; i++)
			net_nic_free(&cfg->nics[i]);
		cfg->nnics = 0;
		if (!o->nets_given) {
			net_nic_defaults(&cfg->nics[0]);
			cfg->nnics = 1;
		}
		for (unsigned int i = 0; o->nets_given && i < o->existing.nnics; i++) {
			char spec[1024], why[256];
			net_nic_format(&o->existing.nics[i], spec, sizeof(spec));
			if (net_nic_parse(spec, &cfg->nics[i], why, sizeof(why)) < 0) {
				log_error("create: --net %s: %s", spec, why);
				return 1;
			}
			cfg->nnics = i + 1;
		}
	}
	/* existing images fill the preset's empty disks, then come after */
	unsigned int next = 0;
	for (unsigned int i = 0; i < o->existing.ndisks; i++) {
		while (next < cfg->ndisks && cfg->disks[next].path)
			next++;
		if (next == cfg->ndisks) {
			if (cfg->ndisks == VM_MAX_DISKS) {
				log_error("create: at most %d disks, the preset's included",
					  VM_MAX_DISKS);
				return 1;
			}
			cfg->ndisks++;
			memset(&cfg->disks[next], 0, sizeof(cfg->disks[next]));
		}
		cfg->disks[next] = o->existing.disks[i];
		cfg->disks[next].path = strdup(o->existing.disks[i].path);
		if (!cfg->disks[next].path) {
			log_error("out of memory");
			return 1;
		}
	}
	unsigned int blanks = 0;
	for (unsigned int i = 0; i < cfg->ndisks; i++)
		blanks += !cfg->disks[i].path;
	*need_new = o->nnew;
	if (blanks > o->nnew) {
		log_error("create: preset %s wants a disk image: give --disk FILE (an existing "
			  "image) or --disk-size SIZE (a new one)", preset);
		return 1;
	}
	if (cfg->ndisks + o->nnew - blanks > VM_MAX_DISKS) {
		log_error("create: at most %d disks", VM_MAX_DISKS);
		return 1;
	}
	/* installing from an ISO wants somewhere to install to */
	if (cfg->cdrom && cfg->ndisks == 0 && o->nnew == 0 && !o->no_disk)
		*need_new = 1;
	return 0;
}

/* What the definition boots must be there and make sense. */
static int create_check(const struct cli_create_opts *o, const struct vm_config *cfg,
			const char *preset, unsigned int need_new)
{
	if ((cfg->kernel && create_check_file("--kernel", cfg->kernel)) ||
	    (cfg->initrd && create_check_file("--initrd", cfg->initrd)) ||
	    (cfg->cdrom && create_check_file("--iso", cfg->cdrom)) ||
	    (cfg->firmware && create_check_file("--firmware", cfg->firmware)) ||
	    (cfg->display.vnc_password_file &&
	     create_check_file("--display password-file=", cfg->display.vnc_password_file)))
		return 1;
	for (unsigned int i = 0; i < cfg->ndisks; i++)
		if (cfg->disks[i].path && create_check_file("--disk", cfg->disks[i].path))
			return 1;
	if (cfg->boot == BOOT_ORDER_CD && !cfg->cdrom) {
		log_error("create: %s boots from a CD: give --iso FILE", o->preset ? preset : "it");
		return 1;
	}
	if (cfg->boot == BOOT_ORDER_DISK && cfg->ndisks == 0 && need_new == 0) {
		log_error("create: %s boots from a disk: give --disk FILE or --disk-size SIZE",
			  o->preset ? preset : "it");
		return 1;
	}
	if (!cfg->kernel && !cfg->flat && !cfg->cdrom && !cfg->firmware && cfg->ndisks == 0 &&
	    need_new == 0 && cfg->boot != BOOT_ORDER_NET) {
		log_error("create: nothing to boot: give --kernel FILE, --iso FILE, --disk FILE "
			  "or --disk-size SIZE (preset %s)", preset);
		return 1;
	}
	return 0;
}

/* Creates the new disks into the preset's blanks and after; on failure
 * removes those it made.  0 or 1 after a message. */
static int create_disks(const struct cli_create_opts *o, struct vm_config *cfg,
			unsigned int need_new, char **made, unsigned int *nmade)
{
	char err[VMSTORE_ERR_MAX];
	struct cli_progress pr = { 0 };

	*nmade = 0;
	for (unsigned int i = 0; i < need_new; i++) {
		uint64_t size = i < o->nnew ? o->new_disks[i] : VMSTORE_DEFAULT_DISK_SIZE;
		unsigned int at = 0;
		char *path;

		while (at < cfg->ndisks && cfg->disks[at].path)
			at++;
		if (vmstore_disk_create(o->name, size, o->new_format, cli_progress, &pr, &path,
					err, sizeof(err))) {
			log_error("create %s", err);
			return 1;
		}
		made[(*nmade)++] = path;
		if (at == cfg->ndisks) {
			memset(&cfg->disks[at], 0, sizeof(cfg->disks[at]));
			cfg->ndisks++;
		}
		cfg->disks[at].path = strdup(path);
		cfg->disks[at].format = o->new_format == DISK_FMT_QCOW2 ? DISK_FMT_QCOW2
									 : DISK_FMT_RAW;
		if (!cfg->disks[at].path) {
			log_error("out of memory");
			return 1;
		}
	}
	return 0;
}

static void create_report(const struct cli_create_opts *o, const struct vm_config *cfg,
			  char *const *made, unsigned int nmade, const struct vmstore_started *st)
{
	struct vmstore_files f;
	char mem[32];

	vmstore_files(cfg->name, &f);
	if (o->json) {
		struct json j;
		json_init(&j, stdout);
		json_begin(&j, '{');
		json_str(&j, "name", cfg->name);
		json_str(&j, "definition", f.def);
		json_str(&j, "data", f.data);
		json_u64(&j, "cpus", cfg->cpus);
		json_u64(&j, "memory", cfg->memory);
		json_key(&j, "new_disks");
		json_begin(&j, '[');
		for (unsigned int i = 0; i < nmade; i++) {
			json_elem(&j);
			json_string(stdout, made[i]);
		}
		json_end(&j, ']');
		json_bool(&j, "started", st != NULL);
		if (st)
			json_u64(&j, "pid", (uint64_t)st->pid);
		json_end(&j, '}');
		return;
	}
	cli_fmt_size(cfg->memory, mem, sizeof(mem));
	printf("%s: created (%u vCPU%s, %s), definition %s\n", cfg->name, cfg->cpus,
	       cfg->cpus == 1 ? "" : "s", mem, f.def);
	for (unsigned int i = 0; i < nmade; i++)
		printf("%s: new disk %s\n", cfg->name, made[i]);
	if (st)
		printf("%s: started (pid %ld)\n", cfg->name, (long)st->pid);
}

int cli_create(int argc, char **argv)
{
	struct cli_create_opts o;
	struct vm_config cfg;
	struct vmstore_started st;
	char err[VMSTORE_ERR_MAX], *made[VM_MAX_DISKS];
	unsigned int need_new = 0, nmade = 0;
	const char *preset;
	int r, code = CLI_EXIT_ERROR;

	memset(&cfg, 0, sizeof(cfg));
	r = cli_create_parse(argc, argv, &o);
	if (r) {
		cli_create_free(&o);
		return r == 2 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
	}
	if (vmstore_exists(o.name)) {
		log_error("create: a VM named '%s' exists already (ttyvm info %s)", o.name,
			  o.name);
		goto out;
	}
	preset = create_pick_preset(&o);
	if (!preset) {
		log_error("create %s: nothing to boot: give --kernel FILE, --iso FILE, --disk FILE, "
			  "--disk-size SIZE or --preset NAME (ttyvm create --help)", o.name);
		goto out;
	}
	if (vmstore_preset_load(preset, &cfg, err, sizeof(err))) {
		log_error("create %s: %s", o.name, err);
		goto out;
	}
	if (create_apply(&o, preset, &cfg, &need_new) || create_check(&o, &cfg, preset, need_new) ||
	    create_disks(&o, &cfg, need_new, made, &nmade))
		goto undo;
	if (vmstore_create(&cfg, err, sizeof(err))) {
		log_error("create %s: %s", o.name, err);
		goto undo;
	}
	if (!o.start) {
		create_report(&o, &cfg, made, nmade, NULL);
		code = CLI_EXIT_OK;
		goto out;
	}
	r = vmstore_start(o.name, o.timeout_s * 1000, &st, err, sizeof(err));
	create_report(&o, &cfg, made, nmade, r ? NULL : &st);
	if (r)
		log_error("%s is created, but did not start: %s", o.name, err);
	else
		code = CLI_EXIT_OK;
	goto out;
undo:
	for (unsigned int i = 0; i < nmade; i++)
		unlink(made[i]);
out:
	for (unsigned int i = 0; i < nmade; i++)
		free(made[i]);
	vmdef_free(&cfg);
	cli_create_free(&o);
	return code;
}
