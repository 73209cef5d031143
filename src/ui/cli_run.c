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

#include "display/display.h"
#include "util/log.h"
#include "util/parse.h"
#include "ui/vmdef.h"
#include "ui/vmstore.h"
#include "util/util.h"
#include "net/net.h"
#include "vmm/block/blk.h"
#include "vmm/vmm.h"

#define RUN_DEFAULT_MEMORY (256 * MiB)
#define RUN_MIN_MEMORY (2 * MiB)
#define RUN_DEFAULT_FIRMWARE VMDEF_DEFAULT_FIRMWARE

void cli_run_usage(FILE *out)
{
	fputs("usage: ttyvm run --kernel FILE [options]\n"
	      "       ttyvm run NAME [options]\n"
	      "\n"
	      "Runs a virtual machine in the foreground until the guest powers off:\n"
	      "the one the options describe, or VM NAME as its definition says (see\n"
	      "ttyvm.ini(5)), with the options given after NAME on top.\n"
	      "\n"
	      "Boot:\n"
	      "  -k, --kernel FILE     Linux bzImage (64-bit boot protocol) or ELF vmlinux (PVH)\n"
	      "  -i, --initrd FILE     initial ramdisk\n"
	      "  -a, --append STRING   kernel command line\n"
	      "      --flat FILE       flat binary run in real mode at 0000:7C00 (tests)\n"
	      "      --no-acpi         no ACPI tables (the MP table remains)\n"
	      "Firmware boot (when no --kernel is given, or with --firmware):\n"
	      "  -f, --firmware FILE   BIOS image (default " RUN_DEFAULT_FIRMWARE ");\n"
	      "                        with --kernel, the BIOS boots that kernel\n"
	      "  -d, --disk FILE[,if=virtio|ahci][,ro][,format=raw|qcow2]\n"
	      "                        disk image (repeatable; default if=virtio, format\n"
	      "                        probed: a qcow2 header means qcow2, else raw)\n"
	      "      --cdrom FILE      ISO image in an AHCI CD-ROM drive\n"
	      "  -b, --boot cd|disk|net  what the firmware tries first (default: CD if\n"
	      "                        any); net boots iPXE from the first NIC (ipxe-qemu)\n"
	      "Network (virtio-net; repeat --net for several NICs, up to 8):\n"
	      "      --net user[,hostfwd=[tcp|udp]:[HOSTADDR]:PORT-[GUESTADDR]:PORT]...\n"
	      "                [,mac=MAC][,restrict=on][,ipv6=off][,net=10.0.2.0/24]\n"
	      "                [,host=ADDR][,dns=ADDR][,dhcpstart=ADDR][,bootfile=URL]\n"
	      "                        user-mode NAT (no root): DHCP, DNS, host port\n"
	      "                        forwards (listening on 127.0.0.1 unless given)\n"
	      "      --net tap,ifname=NAME[,mac=MAC]   a host tap interface (a bridge)\n"
	      "      --net none        no NIC (the default of ttyvm run without a\n"
	      "                        definition; ttyvm create gives new VMs --net user)\n"
	      "Machine:\n"
	      "  -m, --memory SIZE     guest RAM, e.g. 512M or 2G (a bare number is MiB;\n"
	      "                        default 256M)\n"
	      "  -c, --cpus N          virtual CPUs (default 1)\n"
	      "  -n, --name NAME       VM name used in messages (default: vm)\n"
	      "      --input LIST      virtio input devices: tablet, keyboard, both\n"
	      "                        (tablet,keyboard) or none (default tablet)\n"
	      "Serial console (COM1):\n"
	      "  -s, --serial stdio|file:PATH|pty|none   (default stdio)\n"
	      "                        on a terminal, Ctrl-A x quits, Ctrl-A h helps\n"
	      "Display:\n"
	      "      --display none|sdl|vnc[=HOST:DISPLAY]|sdl,vnc[,password-file=FILE]\n"
	      "                        show the screen in an SDL window (Ctrl+Alt+G grabs\n"
	      "                        and releases the pointer), over VNC (default\n"
	      "                        127.0.0.1, the first free display from :0), both,\n"
	      "                        or not at all (the default); the VNC password comes\n"
	      "                        from FILE or $TTYVM_VNC_PASSWORD\n"
	      "Screen (for scripts and tests):\n"
	      "      --screen-text FILE   keep FILE updated with the text-mode screen\n"
	      "      --screenshot FILE    write the screen as PNG to FILE at exit\n"
	      "      --debugcon FILE      write what the guest sends to the ISA debug\n"
	      "                           console (port 0x402: SeaBIOS's log) to FILE\n"
	      "Control:\n"
	      "      --control PATH       serve the control socket at PATH (mode 0600;\n"
	      "                           see ttyvm-control(7) and ttyvm status --help)\n"
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
	free(cfg->firmware);
	for (unsigned int i = 0; i < cfg->ndisks; i++)
		free(cfg->disks[i].path);
	for (unsigned int i = 0; i < cfg->nnics && i < VM_MAX_NICS; i++)
		net_nic_free(&cfg->nics[i]);
	free(cfg->cdrom);
	free(cfg->screen_text);
	free(cfg->screenshot);
	free(cfg->debugcon);
	free(cfg->control_socket);
	display_config_free(&cfg->display);
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

/* FILE[,if=virtio|ahci][,ro][,format=raw|qcow2] (also ttyvm create's --disk) */
int cli_run_parse_disk(const char *val, struct vm_config *cfg)
{
	struct disk_config *d;
	char *copy, *opt, *save = NULL;

	if (cfg->ndisks == VM_MAX_DISKS) {
		log_error("--disk %s: at most %d disks", val, VM_MAX_DISKS);
		return -1;
	}
	d = &cfg->disks[cfg->ndisks];
	memset(d, 0, sizeof(*d));
	copy = strdup(val);
	if (!copy)
		return -1;
	char *file = strtok_r(copy, ",", &save);
	if (!file || !*file) {
		log_error("--disk %s: expected FILE[,if=virtio|ahci][,ro][,format=raw|qcow2]", val);
		free(copy);
		return -1;
	}
	while ((opt = strtok_r(NULL, ",", &save))) {
		if (strcmp(opt, "if=virtio") == 0) {
			d->iface = DISK_IF_VIRTIO;
		} else if (strcmp(opt, "if=ahci") == 0 || strcmp(opt, "if=sata") == 0) {
			d->iface = DISK_IF_AHCI;
		} else if (strcmp(opt, "ro") == 0 || strcmp(opt, "readonly") == 0) {
			d->readonly = true;
		} else if (strncmp(opt, "format=", 7) == 0) {
			if (disk_format_parse(opt + 7, &d->format) < 0) {
				log_error("--disk %s: unknown format '%s' (allowed: raw, qcow2, auto)",
					  val, opt + 7);
				free(copy);
				return -1;
			}
		} else {
			log_error("--disk %s: unknown option '%s' (allowed: if=virtio, if=ahci, ro, "
				  "format=raw|qcow2)", val, opt);
			free(copy);
			return -1;
		}
	}
	d->path = strdup(file);
	free(copy);
	if (!d->path)
		return -1;
	cfg->ndisks++;
	return 0;
}

/*
 * user,...|tap,...|none (also ttyvm create's --net).  The first --net of a
 * command line replaces the NICs a definition had (*replaced tracks it);
 * later ones add NICs; none removes them all.
 */
int cli_run_parse_net(const char *val, struct vm_config *cfg, bool *replaced)
{
	char why[256];

	if (!*replaced) {
		for (unsigned int i = 0; i < cfg->nnics && i < VM_MAX_NICS; i++)
			net_nic_free(&cfg->nics[i]);
		cfg->nnics = 0;
		*replaced = true;
	}
	if (strcmp(val, "none") == 0) {
		for (unsigned int i = 0; i < cfg->nnics && i < VM_MAX_NICS; i++)
			net_nic_free(&cfg->nics[i]);
		cfg->nnics = 0;
		return 0;
	}
	if (cfg->nnics >= VM_MAX_NICS) {
		log_error("--net %s: at most %d NICs", val, VM_MAX_NICS);
		return -1;
	}
	if (net_nic_parse(val, &cfg->nics[cfg->nnics], why, sizeof(why)) < 0) {
		log_error("%s", why);
		return -1;
	}
	cfg->nnics++;
	return 0;
}

enum { OPT_FLAT = 256, OPT_NO_ACPI, OPT_CDROM, OPT_SCREEN_TEXT, OPT_SCREENSHOT, OPT_DEBUGCON,
       OPT_CONTROL, OPT_INPUT, OPT_DISPLAY, OPT_NET };

int cli_run_parse_input(const char *val, unsigned int *input)
{
	char copy[64];
	unsigned int bits = 0;

	if (strlen(val) >= sizeof(copy))
		goto bad;
	memcpy(copy, val, strlen(val) + 1);
	for (char *save = NULL, *w = strtok_r(copy, ",", &save); w;
	     w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "tablet") == 0)
			bits |= VM_INPUT_TABLET;
		else if (strcmp(w, "keyboard") == 0)
			bits |= VM_INPUT_KEYBOARD;
		else if (strcmp(w, "none") == 0 && strcmp(val, "none") == 0)
			bits = VM_INPUT_NONE;
		else
			goto bad;
	}
	if (!bits)
		goto bad;
	*input = bits;
	return 0;
bad:
	log_error("--input %s: expected tablet, keyboard, tablet,keyboard or none", val);
	return -1;
}

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
		{ "firmware", required_argument, NULL, 'f' },
		{ "disk", required_argument, NULL, 'd' },
		{ "cdrom", required_argument, NULL, OPT_CDROM },
		{ "boot", required_argument, NULL, 'b' },
		{ "screen-text", required_argument, NULL, OPT_SCREEN_TEXT },
		{ "screenshot", required_argument, NULL, OPT_SCREENSHOT },
		{ "debugcon", required_argument, NULL, OPT_DEBUGCON },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "net", required_argument, NULL, OPT_NET },
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "display", required_argument, NULL, OPT_DISPLAY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c, r;
	bool nets_replaced = false;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:i:a:m:c:s:n:f:d:b:h", opts, NULL)) != -1) {
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
			if (!vmdef_name_valid(optarg)) {
				log_error("--name %s: %s", optarg, VMDEF_NAME_RULE);
				return 1;
			}
			snprintf(cfg->name, sizeof(cfg->name), "%s", optarg);
			break;
		case OPT_NO_ACPI:
			cfg->acpi = false;
			break;
		case 'f':
			if (run_set_string(&cfg->firmware, optarg))
				return 1;
			break;
		case 'd':
			if (cli_run_parse_disk(optarg, cfg))
				return 1;
			break;
		case OPT_CDROM:
			if (run_set_string(&cfg->cdrom, optarg))
				return 1;
			break;
		case 'b':
			if (strcmp(optarg, "cd") == 0 || strcmp(optarg, "cdrom") == 0) {
				cfg->boot = BOOT_ORDER_CD;
			} else if (strcmp(optarg, "disk") == 0) {
				cfg->boot = BOOT_ORDER_DISK;
			} else if (strcmp(optarg, "net") == 0) {
				cfg->boot = BOOT_ORDER_NET;
			} else {
				log_error("--boot %s: expected cd, disk or net", optarg);
				return 1;
			}
			break;
		case OPT_SCREEN_TEXT:
			if (run_set_string(&cfg->screen_text, optarg))
				return 1;
			break;
		case OPT_SCREENSHOT:
			if (run_set_string(&cfg->screenshot, optarg))
				return 1;
			break;
		case OPT_DEBUGCON:
			if (run_set_string(&cfg->debugcon, optarg))
				return 1;
			break;
		case OPT_CONTROL: /* control socket (ctl_server.c) */
			if (!*optarg) {
				log_error("--control: expected the path of a socket to create");
				return 1;
			}
			if (run_set_string(&cfg->control_socket, optarg))
				return 1;
			break;
		case OPT_NET:
			if (cli_run_parse_net(optarg, cfg, &nets_replaced))
				return 1;
			break;
		case OPT_INPUT: /* virtio input devices (virtio_input.c) */
			if (cli_run_parse_input(optarg, &cfg->input))
				return 1;
			break;
		case OPT_DISPLAY: {
			char why[256];
			if (display_parse_option(optarg, &cfg->display, why, sizeof(why))) {
				log_error("--display %s: %s", optarg, why);
				return 1;
			}
			break;
		}
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
	if (cfg->kernel && cfg->flat) {
		log_error("run: --kernel and --flat exclude each other");
		return 1;
	}
	if ((cfg->initrd || cfg->append) && !cfg->kernel) {
		log_error("run: --initrd and --append need --kernel");
		return 1;
	}
	if (cfg->firmware && cfg->flat) {
		log_error("run: --firmware and --flat exclude each other");
		return 1;
	}
	if ((cfg->kernel && run_check_file("--kernel", cfg->kernel)) ||
	    (cfg->initrd && run_check_file("--initrd", cfg->initrd)) ||
	    (cfg->flat && run_check_file("--flat", cfg->flat)) ||
	    (cfg->cdrom && run_check_file("--cdrom", cfg->cdrom)))
		return 1;
	for (unsigned int i = 0; i < cfg->ndisks; i++)
		if (run_check_file("--disk", cfg->disks[i].path))
			return 1;
	if (cfg->display.vnc_password_file &&
	    run_check_file("--display password-file=", cfg->display.vnc_password_file))
		return 1;
	/* firmware boot: without a kernel, or with --firmware given too */
	if (!cfg->kernel && !cfg->flat && !cfg->firmware &&
	    run_set_string(&cfg->firmware, RUN_DEFAULT_FIRMWARE))
		return 1;
	if (cfg->firmware && access(cfg->firmware, R_OK) < 0) {
		log_error("--firmware %s: %s%s", cfg->firmware, strerror(errno),
			  strcmp(cfg->firmware, RUN_DEFAULT_FIRMWARE) == 0
				  ? " (install the Debian package seabios, or give "
				    "--kernel to boot Linux directly)"
				  : "");
		return 1;
	}
	return 0;
}

int cli_run(int argc, char **argv)
{
	struct vm_config cfg;
	char err[VMSTORE_ERR_MAX];
	int r;

	cli_run_defaults(&cfg);
	/* ttyvm run NAME [options]: the definition, the options on top */
	if (argc > 1 && argv[1][0] != '-') {
		cli_run_free(&cfg);
		if (vmstore_load(argv[1], &cfg, err, sizeof(err))) {
			log_error("run: %s", err);
			return VMM_EXIT_ERROR;
		}
		argc--;
		argv++; /* NAME stands where the verb stood */
	}
	r = cli_run_parse(argc, argv, &cfg);
	if (r) {
		cli_run_free(&cfg);
		return r == 2 ? 0 : VMM_EXIT_ERROR;
	}
	r = vmm_run(&cfg);
	cli_run_free(&cfg);
	return r;
}
