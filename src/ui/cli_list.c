/*
 * cli_list.c - `ttyvm list` (every VM, one line each, fixed columns) and
 * `ttyvm info NAME` (one VM: its definition and, while it runs, what it
 * does), each also as JSON for machines.
 *
 * The facts come from vmstore_list()/vmstore_query() (definition, pid
 * file, control socket, a time limit per VM); this file only prints them.
 * CPU% is the average over the run so far, as ps(1) shows it (one sample:
 * a list is not a monitor; the TUI shows it between refreshes).
 */
#include "ui/cli_manager.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ui/cli_util.h"
#include "ui/vmstore.h"
#include "util/log.h"
#include "util/parse.h"
#include "vmm/block/blk.h"

#define LIST_EXIT_OK 0
#define LIST_EXIT_ERROR 1

static const char *const list_boot_words[] = { "auto", "cd", "disk", "net" };
static const char *const list_serial_words[] = { "stdio", "file", "pty", "none" };

void cli_list_usage(FILE *out)
{
	fprintf(out,
		"usage: ttyvm list [--json] [--timeout MS]\n"
		"\n"
		"Lists every VM defined (in $XDG_CONFIG_HOME/ttyvm/vms), one per line:\n"
		"NAME STATE CPUS MEMORY CPU%% UPTIME PID, \"-\" where not known.  STATE is\n"
		"running, paused, starting, stopped, crashed (its last run died or the guest\n"
		"crashed) or unknown (its process lives but does not answer).  CPUS and\n"
		"MEMORY are the running VM's, else the definition's; CPU%% is the average\n"
		"since it started (100 = one host CPU).  A definition with an error is\n"
		"listed, and the error shown on stderr.\n"
		"\n"
		"  -j, --json        a JSON array of objects, one per VM\n"
		"  -t, --timeout MS  wait at most MS ms for each running VM (default %d)\n"
		"  -h, --help        this help\n"
		"\n"
		"Exit status: 0 listed (also when there are none); 1 error.\n",
		VMSTORE_TIMEOUT_MS);
}

void cli_info_usage(FILE *out)
{
	fprintf(out,
		"usage: ttyvm info [--json] [--timeout MS] NAME\n"
		"\n"
		"Shows VM NAME: its state, what it boots (kernel, firmware, disks, CD-ROM),\n"
		"its machine, serial port and files, and while it runs its process id,\n"
		"uptime, CPU use and resets.  \"-\" where not known.\n"
		"\n"
		"  -j, --json        one JSON object\n"
		"  -t, --timeout MS  wait at most MS ms for the running VM (default %d)\n"
		"  -h, --help        this help\n"
		"\n"
		"Exit status: 0 shown; 1 error (no such VM).\n",
		VMSTORE_TIMEOUT_MS);
}

static int list_parse(const char *verb, bool want_name, int argc, char **argv,
		      struct cli_list_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = VMSTORE_TIMEOUT_MS;
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 't':
			if (parse_uint(optarg, 1, 600000, &v)) {
				log_error("%s: --timeout %s: expected milliseconds from 1 to 600000",
					  verb, optarg);
				return 1;
			}
			o->timeout_ms = (int)v;
			break;
		case 'h':
			(want_name ? cli_info_usage : cli_list_usage)(stdout);
			return 2;
		case ':':
			log_error("%s: option %s needs a value", verb, argv[optind - 1]);
			return 1;
		default:
			log_error("%s: unknown option %s (see ttyvm %s --help)", verb,
				  argv[optind - 1], verb);
			return 1;
		}
	}
	if (!want_name) {
		if (optind < argc) {
			log_error("list: unexpected argument '%s' (ttyvm info NAME shows one VM)",
				  argv[optind]);
			return 1;
		}
		return 0;
	}
	if (optind != argc - 1) {
		log_error(optind >= argc ? "%s: which VM? (ttyvm %s --help)"
					 : "%s: one VM at a time (ttyvm %s --help)", verb, verb);
		return 1;
	}
	o->name = argv[optind];
	if (!vmdef_name_valid(o->name)) {
		log_error("%s: '%s': " VMDEF_NAME_RULE, verb, o->name);
		return 1;
	}
	return 0;
}

int cli_list_parse(int argc, char **argv, struct cli_list_opts *o)
{
	return list_parse("list", false, argc, argv, o);
}

int cli_info_parse(int argc, char **argv, struct cli_list_opts *o)
{
	return list_parse("info", true, argc, argv, o);
}

/* --- the run-time facts, as text and JSON ------------------------------------------ */

static void list_fmt_cpu(const struct vmstore_vm *vm, char *buf, size_t len)
{
	double pct = vmstore_cpu_average(vm);

	if (pct < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", pct);
}

static void list_json_run(struct json *j, const struct vmstore_vm *vm)
{
	double pct = vmstore_cpu_average(vm);

	json_str(j, "state", vmstore_state_name(vm->state));
	if (vm->cpus)
		json_u64(j, "cpus", vm->cpus);
	else
		json_null(j, "cpus");
	if (vm->memory)
		json_u64(j, "memory", vm->memory);
	else
		json_null(j, "memory");
	if (pct >= 0)
		json_double(j, "cpu_percent", pct, 1);
	else
		json_null(j, "cpu_percent");
	if (vm->status_known) {
		json_u64(j, "uptime", vm->uptime_s);
		json_u64(j, "resets", vm->resets);
	} else {
		json_null(j, "uptime");
		json_null(j, "resets");
	}
	if (vm->pid)
		json_u64(j, "pid", (uint64_t)vm->pid);
	else
		json_null(j, "pid");
	if (vm->last_exit >= 0)
		json_u64(j, "last_exit", (uint64_t)vm->last_exit);
	else
		json_null(j, "last_exit");
	json_str(j, "error", vm->def_error ? vm->def_message : NULL);
}

int cli_list(int argc, char **argv)
{
	struct cli_list_opts o;
	struct vmstore_vm *v;
	size_t n;
	int r = cli_list_parse(argc, argv, &o);

	if (r)
		return r == 2 ? LIST_EXIT_OK : LIST_EXIT_ERROR;
	r = vmstore_list(&v, &n, o.timeout_ms);
	if (r) {
		log_error("list: reading the VM definitions: %s", strerror(-r));
		return LIST_EXIT_ERROR;
	}
	if (o.json) {
		struct json j;
		json_init(&j, stdout);
		json_begin(&j, '[');
		for (size_t i = 0; i < n; i++) {
			json_elem(&j);
			json_begin(&j, '{');
			json_str(&j, "name", v[i].name);
			list_json_run(&j, &v[i]);
			json_end(&j, '}');
		}
		json_end(&j, ']');
	} else {
		printf("%-20s %-8s %4s %9s %6s %11s %8s\n", "NAME", "STATE", "CPUS", "MEMORY",
		       "CPU%", "UPTIME", "PID");
		for (size_t i = 0; i < n; i++) {
			char cpus[16] = "-", mem[32], cpu[16], up[32] = "-", pid[16] = "-";
			if (v[i].cpus)
				snprintf(cpus, sizeof(cpus), "%u", v[i].cpus);
			cli_fmt_size(v[i].memory, mem, sizeof(mem));
			list_fmt_cpu(&v[i], cpu, sizeof(cpu));
			if (v[i].status_known)
				cli_fmt_uptime(v[i].uptime_s, up, sizeof(up));
			if (v[i].pid)
				snprintf(pid, sizeof(pid), "%ld", (long)v[i].pid);
			printf("%-20s %-8s %4s %9s %6s %11s %8s\n", v[i].name,
			       vmstore_state_name(v[i].state), cpus, mem, cpu, up, pid);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].def_error)
			log_warn("%s: %s", v[i].name, v[i].def_message);
	free(v);
	return LIST_EXIT_OK;
}

/* --- info ------------------------------------------------------------------------------ */

static const char *info_word(const char *const *words, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? words[v] : "?";
}

static void info_row(const char *key, const char *value)
{
	printf("%-10s %s\n", key, value && *value ? value : "-");
}

static void info_disk_text(const struct disk_config *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s (%s, %s%s)", d->path ? d->path : "-",
		 d->iface == DISK_IF_AHCI ? "ahci" : "virtio", disk_format_name(d->format),
		 d->readonly ? ", read-only" : "");
}

/* [display] mode as written in a definition. */
static const char *info_display_word(enum display_mode m)
{
	static const char *const words[] = { "none", "sdl", "vnc", "sdl,vnc" };

	return (unsigned int)m < 4 ? words[m] : "none";
}

static void info_text(const struct vmstore_vm *vm, const struct vm_config *cfg,
		      const struct vmstore_files *f)
{
	char buf[VMSTORE_PATH_MAX + 64], key[16];

	info_row("name", vm->name);
	info_row("state", vmstore_state_name(vm->state));
	snprintf(buf, sizeof(buf), "%u", vm->cpus);
	info_row("cpus", vm->cpus ? buf : NULL);
	cli_fmt_size(vm->memory, buf, sizeof(buf));
	info_row("memory", buf);
	if (cfg) {
		info_row("kernel", cfg->kernel);
		info_row("initrd", cfg->initrd);
		info_row("append", cfg->append);
		info_row("flat", cfg->flat);
		info_row("firmware", cfg->firmware ? cfg->firmware
				     : cfg->kernel || cfg->flat ? NULL : VMDEF_DEFAULT_FIRMWARE);
		info_row("boot", info_word(list_boot_words, 4, (int)cfg->boot));
		for (unsigned int i = 0; i < cfg->ndisks; i++) {
			snprintf(key, sizeof(key), "disk%u", i);
			info_disk_text(&cfg->disks[i], buf, sizeof(buf));
			info_row(key, buf);
		}
		if (!cfg->ndisks)
			info_row("disks", "none");
		info_row("cdrom", cfg->cdrom);
		snprintf(buf, sizeof(buf), "%s%s%s",
			 info_word(list_serial_words, 4, (int)cfg->serial.kind),
			 cfg->serial.path ? " " : "", cfg->serial.path ? cfg->serial.path : "");
		info_row("serial", buf);
		info_row("acpi", cfg->acpi ? "yes" : "no");
		snprintf(buf, sizeof(buf), "%s%s%s", info_display_word(cfg->display.mode),
			 cfg->display.vnc_listen ? " vnc=" : "",
			 cfg->display.vnc_listen ? cfg->display.vnc_listen : "");
		info_row("display", buf);
	} else {
		info_row("error", vm->def_message);
	}
	snprintf(buf, sizeof(buf), "%ld", (long)vm->pid);
	info_row("pid", vm->pid ? buf : NULL);
	if (vm->status_known)
		cli_fmt_uptime(vm->uptime_s, buf, sizeof(buf));
	info_row("uptime", vm->status_known ? buf : NULL);
	list_fmt_cpu(vm, buf, sizeof(buf));
	info_row("cpu%", buf);
	snprintf(buf, sizeof(buf), "%u", vm->resets);
	info_row("resets", vm->status_known ? buf : NULL);
	snprintf(buf, sizeof(buf), "%d", vm->last_exit);
	info_row("last exit", vm->last_exit >= 0 ? buf : NULL);
	info_row("definition", f->def);
	info_row("data", f->data);
	info_row("log", f->log);
	info_row("socket", f->sock);
}

static void info_json(const struct vmstore_vm *vm, const struct vm_config *cfg,
		      const struct vmstore_files *f)
{
	struct json j;

	json_init(&j, stdout);
	json_begin(&j, '{');
	json_str(&j, "name", vm->name);
	list_json_run(&j, vm);
	if (cfg) {
		json_str(&j, "kernel", cfg->kernel);
		json_str(&j, "initrd", cfg->initrd);
		json_str(&j, "append", cfg->append);
		json_str(&j, "flat", cfg->flat);
		json_str(&j, "firmware", cfg->firmware);
		json_str(&j, "boot", info_word(list_boot_words, 4, (int)cfg->boot));
		json_key(&j, "disks");
		json_begin(&j, '[');
		for (unsigned int i = 0; i < cfg->ndisks; i++) {
			const struct disk_config *d = &cfg->disks[i];
			json_elem(&j);
			json_begin(&j, '{');
			json_str(&j, "path", d->path);
			json_str(&j, "interface", d->iface == DISK_IF_AHCI ? "ahci" : "virtio");
			json_str(&j, "format", disk_format_name(d->format));
			json_bool(&j, "readonly", d->readonly);
			json_end(&j, '}');
		}
		json_end(&j, ']');
		json_str(&j, "cdrom", cfg->cdrom);
		json_str(&j, "serial", info_word(list_serial_words, 4, (int)cfg->serial.kind));
		json_str(&j, "serial_path", cfg->serial.path);
		json_bool(&j, "acpi", cfg->acpi);
		json_str(&j, "display", info_display_word(cfg->display.mode));
		json_str(&j, "vnc_listen", cfg->display.vnc_listen);
	}
	json_str(&j, "definition", f->def);
	json_str(&j, "data", f->data);
	json_str(&j, "log", f->log);
	json_str(&j, "socket", f->sock);
	json_end(&j, '}');
}

int cli_info(int argc, char **argv)
{
	struct cli_list_opts o;
	struct vmstore_vm vm;
	struct vmstore_files f;
	struct vm_config cfg;
	bool have_cfg;
	int r = cli_info_parse(argc, argv, &o);

	if (r)
		return r == 2 ? LIST_EXIT_OK : LIST_EXIT_ERROR;
	r = vmstore_query(o.name, &vm, o.timeout_ms);
	if (r == 0)
		r = vmstore_files(o.name, &f);
	if (r == -ENOENT) {
		log_error("info: no VM named '%s'", o.name);
		return LIST_EXIT_ERROR;
	}
	if (r) {
		log_error("info %s: %s", o.name, strerror(-r));
		return LIST_EXIT_ERROR;
	}
	have_cfg = vm.def_error == 0 &&
		   vmdef_load_flags(f.def, VMDEF_NO_FILE_CHECK, &cfg, NULL, 0) == 0;
	if (o.json)
		info_json(&vm, have_cfg ? &cfg : NULL, &f);
	else
		info_text(&vm, have_cfg ? &cfg : NULL, &f);
	if (have_cfg)
		vmdef_free(&cfg);
	return LIST_EXIT_OK;
}
