/*
 * tui_wizard.c - the creation wizard's screens: one page per step of
 * tui_wizard.h (forms for what is typed, menus for choices), then the
 * creation itself.
 *
 * Enter goes on, Esc goes back a step (the answers stay), F10 leaves.
 * The answers, their checks and the step order are the model's
 * (tui_wizard_model.c); this file draws them and, at the end, creates
 * the VM on a job thread so the screen stays alive, as `ttyvm create`
 * does: vmstore_disk_create() makes a new disk (img_create underneath)
 * with its progress shown, vmstore_create() writes the definition, and
 * if that fails the new disk is removed again; then vmstore_start()
 * when asked.
 */
#include "ui/tui_ui.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/tui_wizard.h"
#include <unistd.h>

static const char *const tui_wiz_keys[] = {
	"Enter", "Next", "Tab", "Field", "Esc", "Back", "F10", "Cancel", NULL
};

struct tui_wiz_ui {
	struct tui *ui;
	struct tui_wiz w;
	struct vmstore_preset *presets;
	size_t npresets;
	char title[128];
	/* the creation job's outcome, set by its done() */
	bool created, creating;
	int create_rc;
	char create_err[VMSTORE_ERR_MAX];
};

static void tui_wiz_title(struct tui_wiz_ui *z, enum tui_wiz_step s, const char *what)
{
	unsigned int pos, count;

	tui_wiz_position(&z->w, s, &pos, &count);
	snprintf(z->title, sizeof(z->title), "New VM - step %u of %u: %s", pos, count, what);
}

static enum tui_form_end tui_wiz_form(struct tui_wiz_ui *z, enum tui_wiz_step s,
				      const char *what, const char *text,
				      struct tui_field_spec *f, size_t n)
{
	struct tui_page pg = { .text = text, .keys = tui_wiz_keys, .full = true };

	tui_wiz_title(z, s, what);
	pg.title = z->title;
	return tui_form_run(z->ui, &pg, f, n);
}

static int tui_wiz_menu(struct tui_wiz_ui *z, enum tui_wiz_step s, const char *what,
			const char *text, const struct tui_menu_item *items, size_t n,
			int initial, enum tui_form_end *end)
{
	struct tui_page pg = { .text = text, .keys = tui_wiz_keys, .full = true };

	tui_wiz_title(z, s, what);
	pg.title = z->title;
	return tui_menu_run(z->ui, &pg, items, n, initial, end);
}

#define FIELD(label_, hint_, buf_, check_) \
	{ .label = label_, .hint = hint_, .value = buf_, .len = sizeof(buf_), \
	  .check = check_, .ctx = &z->w }

static enum tui_form_end tui_wiz_page_name(struct tui_wiz_ui *z)
{
	struct tui_field_spec f[] = { FIELD("Name", NULL, z->w.name, tui_wiz_check_name) };

	return tui_wiz_form(z, TUI_WIZ_NAME, "name",
			    "The VM's name names its definition (NAME.ini) and its directory of "
			    "disks.  Letters, digits, '.', '-' and '_'.", f, 1);
}

static enum tui_form_end tui_wiz_page_boot(struct tui_wiz_ui *z)
{
	struct tui_menu_item items[TUI_BOOT_COUNT + 64];
	char why[TUI_BOOT_COUNT][192];
	char names[64][VM_NAME_MAX + 16];
	static const char *const kinds[TUI_BOOT_COUNT][2] = {
		[TUI_BOOT_KERNEL] = { "Linux kernel", "a bzImage or vmlinux, booted directly" },
		[TUI_BOOT_ISO] = { "ISO image", "install from a CD image (firmware boot)" },
		[TUI_BOOT_DISK] = { "Disk image", "boot an existing disk image" },
	};
	size_t n = 0;
	int initial = (int)z->w.boot;
	enum tui_form_end end;

	for (int b = 0; b < TUI_BOOT_COUNT; b++) {
		bool ok = tui_wiz_boot_supported((enum tui_wiz_boot)b, why[b], sizeof(why[b]));
		items[n++] = (struct tui_menu_item){ kinds[b][0], ok ? kinds[b][1] : why[b], !ok };
	}
	for (size_t i = 0; i < z->npresets && i < 64; i++) {
		snprintf(names[i], sizeof(names[i]), "Preset %s", z->presets[i].name);
		items[n] = (struct tui_menu_item){ names[i], z->presets[i].summary, false };
		if (strcmp(z->w.preset, z->presets[i].name) == 0)
			initial = (int)n;
		n++;
	}
	int c = tui_wiz_menu(z, TUI_WIZ_BOOT, "what to boot",
			     "What does the VM start from?  A preset fills in memory, vCPUs and "
			     "the rest with its values (you can change them next).",
			     items, n, initial, &end);
	if (end != TUI_FORM_NEXT)
		return end;
	if (c < TUI_BOOT_COUNT) {
		char err[VMSTORE_ERR_MAX];
		tui_wiz_set_preset(&z->w, "", err, sizeof(err));
		tui_wiz_set_boot(&z->w, (enum tui_wiz_boot)c);
		return TUI_FORM_NEXT;
	}
	char err[VMSTORE_ERR_MAX];
	if (tui_wiz_set_preset(&z->w, z->presets[c - TUI_BOOT_COUNT].name, err, sizeof(err))) {
		tui_show_text(z->ui, "Preset", err);
		return TUI_FORM_STAY;
	}
	if (!tui_wiz_boot_supported(z->w.boot, err, sizeof(err))) {
		tui_show_text(z->ui, "Preset", err);
		return TUI_FORM_STAY;
	}
	return TUI_FORM_NEXT;
}

static enum tui_form_end tui_wiz_page_paths(struct tui_wiz_ui *z)
{
	switch (z->w.boot) {
	case TUI_BOOT_KERNEL: {
		struct tui_field_spec f[] = {
			FIELD("Kernel", NULL, z->w.kernel, tui_wiz_check_file),
			FIELD("Initrd", NULL, z->w.initrd, tui_wiz_check_optional_file),
			FIELD("Command line", "passed to the kernel", z->w.append,
			      tui_wiz_check_append),
		};
		return tui_wiz_form(z, TUI_WIZ_BOOT_PATHS, "Linux kernel",
				    "The kernel (bzImage, or an ELF vmlinux with a PVH note), an "
				    "initrd if it needs one (leave it empty otherwise) and its "
				    "command line.  console=ttyS0 puts its console on the serial "
				    "port that the console view (c) shows.", f, 3);
	}
	case TUI_BOOT_ISO: {
		struct tui_field_spec f[] = {
			FIELD("ISO image", NULL, z->w.iso, tui_wiz_check_file),
		};
		return tui_wiz_form(z, TUI_WIZ_BOOT_PATHS, "ISO image",
				    "The CD image to install from.  It is attached read-only; the "
				    "next steps give the VM a disk to install onto.", f, 1);
	}
	case TUI_BOOT_DISK:
	case TUI_BOOT_COUNT:
		break;
	}
	struct tui_field_spec f[] = {
		FIELD("Disk image", "raw or qcow2", z->w.boot_disk, tui_wiz_check_file),
	};
	return tui_wiz_form(z, TUI_WIZ_BOOT_PATHS, "disk image",
			    "The disk image to boot (raw or qcow2).  It stays where it is; the VM "
			    "writes to it.", f, 1);
}

static enum tui_form_end tui_wiz_page_resources(struct tui_wiz_ui *z)
{
	char text[256], mem[16];
	struct tui_field_spec f[] = {
		FIELD("Memory", NULL, z->w.memory, tui_wiz_check_memory),
		FIELD("vCPUs", NULL, z->w.cpus, tui_wiz_check_cpus),
	};

	tui_fmt_memory(z->w.host.memory, mem, sizeof(mem));
	snprintf(text, sizeof(text), "This host has %u CPUs and %s of RAM.  The VM's memory is "
		 "a size such as 512M or 2G (a bare number is MiB).", z->w.host.cpus, mem);
	return tui_wiz_form(z, TUI_WIZ_RESOURCES, "memory and vCPUs", text, f, 2);
}

static enum tui_form_end tui_wiz_page_disk(struct tui_wiz_ui *z)
{
	/* menu rows: none, new qcow2, new raw, existing */
	static const char *const rows[4][2] = {
		{ "No disk", "nothing to keep between runs" },
		{ "New qcow2 disk", "grows as the guest writes; qemu-img compatible" },
		{ "New raw disk", "a sparse file: simplest, fastest" },
		{ "Existing disk", "an image you have (raw or qcow2)" },
	};
	struct tui_menu_item items[4];
	char why[4][192];
	enum tui_form_end end;
	int initial = z->w.disk == TUI_DISK_NONE ? 0 : z->w.disk == TUI_DISK_EXISTING ? 3 :
		      z->w.disk_format == DISK_FMT_RAW ? 2 : 1;

	for (int i = 0; i < 4; i++) {
		enum tui_wiz_disk d = i == 0 ? TUI_DISK_NONE : i == 3 ? TUI_DISK_EXISTING :
					      TUI_DISK_NEW;
		bool ok = tui_wiz_disk_supported(d, why[i], sizeof(why[i]));
		items[i] = (struct tui_menu_item){ rows[i][0], ok ? rows[i][1] : why[i], !ok };
	}
	int c = tui_wiz_menu(z, TUI_WIZ_DISK, "disk",
			     z->w.boot == TUI_BOOT_ISO ? "A disk to install onto." :
							 "A disk for the VM, if it needs one.",
			     items, 4, initial, &end);
	if (end != TUI_FORM_NEXT)
		return end;
	z->w.disk = c == 0 ? TUI_DISK_NONE : c == 3 ? TUI_DISK_EXISTING : TUI_DISK_NEW;
	if (c == 1 || c == 2)
		z->w.disk_format = c == 2 ? DISK_FMT_RAW : DISK_FMT_QCOW2;
	return TUI_FORM_NEXT;
}

static enum tui_form_end tui_wiz_page_disk_detail(struct tui_wiz_ui *z)
{
	if (z->w.disk == TUI_DISK_EXISTING) {
		struct tui_field_spec f[] = {
			FIELD("Disk image", "raw or qcow2", z->w.disk_path, tui_wiz_check_file),
		};
		return tui_wiz_form(z, TUI_WIZ_DISK_DETAIL, "existing disk",
				    "The disk image to attach.  It stays where it is.", f, 1);
	}
	struct tui_field_spec f[] = {
		FIELD("Size", NULL, z->w.disk_size, tui_wiz_check_disk_size),
	};
	return tui_wiz_form(z, TUI_WIZ_DISK_DETAIL, "new disk",
			    "The disk's size as the guest sees it: a bare number is GiB (20), or "
			    "say 512M or 1T.  The file only takes the space the guest writes.",
			    f, 1);
}

static enum tui_form_end tui_wiz_page_net(struct tui_wiz_ui *z)
{
	struct tui_menu_item items[TUI_NET_COUNT] = {
		[TUI_NET_NAT] = { "NAT", "user-mode networking: reaches out, no root needed", false },
		[TUI_NET_TAP] = { "Tap device", "on a Linux bridge you have set up", false },
		[TUI_NET_NONE] = { "None", "no network card", false },
	};
	enum tui_form_end end;

	int c = tui_wiz_menu(z, TUI_WIZ_NET, "network", "How the VM reaches the network.",
			     items, TUI_NET_COUNT, (int)z->w.net, &end);
	if (end == TUI_FORM_NEXT)
		z->w.net = (enum tui_wiz_net)c;
	return end;
}

static enum tui_form_end tui_wiz_page_net_detail(struct tui_wiz_ui *z)
{
	if (z->w.net == TUI_NET_TAP) {
		struct tui_field_spec f[] = {
			FIELD("Tap device", NULL, z->w.tap, tui_wiz_check_tap),
		};
		return tui_wiz_form(z, TUI_WIZ_NET_DETAIL, "tap device",
				    "The tap device the VM's network card is connected to.", f, 1);
	}
	struct tui_field_spec f[] = {
		FIELD("Forwards", NULL, z->w.forwards, tui_wiz_check_forwards),
	};
	return tui_wiz_form(z, TUI_WIZ_NET_DETAIL, "port forwards",
			    "Host ports that reach the guest, separated by commas: "
			    "tcp:2222-:22 makes port 2222 on this host (127.0.0.1) the guest's "
			    "port 22.  Leave it empty for none.", f, 1);
}

static enum tui_form_end tui_wiz_page_display(struct tui_wiz_ui *z)
{
	struct tui_menu_item items[TUI_DISPLAY_COUNT] = {
		[TUI_DISPLAY_NONE] = { "None", "the serial console only (c in the list)", false },
		[TUI_DISPLAY_SDL] = { "SDL window", "a window on this desktop", false },
		[TUI_DISPLAY_VNC] = { "VNC", "a VNC server on 127.0.0.1 (v shows its address)",
				      false },
	};
	enum tui_form_end end;

	int c = tui_wiz_menu(z, TUI_WIZ_DISPLAY, "display", "Where the VM's screen goes.",
			     items, TUI_DISPLAY_COUNT, (int)z->w.display, &end);
	if (end == TUI_FORM_NEXT)
		z->w.display = (enum tui_wiz_display)c;
	return end;
}

/* --- creating ------------------------------------------------------------------------------- */

struct tui_create_job {
	struct tui_job job;
	struct tui_wiz_ui *z;
	struct vm_config cfg;
	uint64_t disk_size;
	enum disk_format disk_format;
	bool start;
	int rc;
	char err[VMSTORE_ERR_MAX];
	struct vmstore_started started;
};

static void tui_create_progress(void *ctx, const char *file, uint64_t done, uint64_t total)
{
	struct tui_create_job *j = ctx;
	const char *base = strrchr(file, '/');
	char what[128];

	snprintf(what, sizeof(what), "creating %s", base ? base + 1 : file);
	tui_job_progress(&j->job, total ? (int)(done * 100 / total) : 100, what);
}

static void tui_create_run(struct tui_job *job)
{
	struct tui_create_job *j = (struct tui_create_job *)job;

	char *disk = NULL;

	if (j->disk_size) {
		struct disk_config *d = &j->cfg.disks[j->cfg.ndisks];

		if (j->cfg.ndisks >= VM_MAX_DISKS) {
			snprintf(j->err, sizeof(j->err), "%s: no room for another disk", j->cfg.name);
			j->rc = -E2BIG;
			return;
		}
		tui_job_progress(job, 0, "creating the disk");
		j->rc = vmstore_disk_create(j->cfg.name, j->disk_size, j->disk_format,
					    tui_create_progress, j, &disk, j->err, sizeof(j->err));
		if (j->rc)
			return;
		memset(d, 0, sizeof(*d));
		d->path = strdup(disk);
		d->format = j->disk_format;
		j->cfg.ndisks++;
	}
	tui_job_progress(job, -1, "writing the definition");
	j->rc = vmstore_create(&j->cfg, j->err, sizeof(j->err));
	if (j->rc && disk)
		unlink(disk); /* no disk without its VM */
	free(disk);
	if (j->rc)
		return;
	if (j->start) {
		tui_job_progress(job, -1, "starting the VM");
		j->rc = vmstore_start(j->cfg.name, 30000, &j->started, j->err, sizeof(j->err));
		if (j->rc == -ECHILD) {
			char tail[2048] = "";
			size_t n = strlen(j->err);
			vmstore_log_tail(j->started.log, j->started.log_offset, 8, tail, sizeof(tail));
			snprintf(j->err + n, sizeof(j->err) - n, "\n\n%s", tail);
		}
		if (j->rc)
			j->rc = 1; /* created, but not started */
	}
}

static void tui_create_done(struct tui_job *job, void *arg)
{
	struct tui_create_job *j = (struct tui_create_job *)job;
	struct tui_wiz_ui *z = j->z;

	(void)arg;
	z->creating = false;
	z->created = j->rc == 0 || j->rc == 1;
	z->create_rc = j->rc;
	snprintf(z->create_err, sizeof(z->create_err), "%s", j->err);
	vmdef_free(&j->cfg);
}

/* Creates the VM; returns true when it exists (started or not). */
static bool tui_wiz_create(struct tui_wiz_ui *z)
{
	struct tui_create_job *j = calloc(1, sizeof(*j));
	char err[VMSTORE_ERR_MAX];
	int r;

	if (!j)
		return false;
	r = tui_wiz_build(&z->w, &j->cfg, &j->disk_size, err, sizeof(err));
	if (r) {
		free(j);
		tui_show_text(z->ui, "Cannot create the VM", err);
		return false;
	}
	j->z = z;
	j->start = z->w.start;
	j->disk_format = z->w.disk_format;
	j->job.run = tui_create_run;
	j->job.done = tui_create_done;
	snprintf(j->job.what, sizeof(j->job.what), "creating %s", z->w.name);
	z->creating = true;
	z->created = false;
	r = tui_worker_submit(z->ui->worker, &j->job);
	if (r) {
		z->creating = false;
		tui_show_text(z->ui, "Cannot create the VM", strerror(-r));
		return false;
	}
	while (z->creating && !z->ui->quit) {
		char what[128], line[192];
		int pct;
		struct tui_key k;
		WINDOW *win = tui_box_window(z->ui, 6, 60, "Creating the VM");

		if (!win)
			break;
		tui_worker_busy(z->ui->worker, what, sizeof(what), &pct);
		if (pct >= 0)
			snprintf(line, sizeof(line), "%s: %d%%", what, pct);
		else
			snprintf(line, sizeof(line), "%s ...", what);
		mvwaddnstr(win, 2, 2, line, getmaxx(win) - 4);
		if (pct >= 0) {
			int bw = getmaxx(win) - 4;
			wattrset(win, (attr_t)z->ui->style[TUI_S_SELECTED]);
			mvwhline(win, 3, 2, ' ', bw * pct / 100);
			wattrset(win, A_NORMAL);
		}
		tui_under_refresh(z->ui, win);
		tui_wait_key(z->ui, 200, &k); /* keys are ignored until it is done */
		delwin(win);
	}
	touchwin(stdscr);
	if (z->creating)
		return false; /* quitting */
	if (!z->created) {
		tui_show_text(z->ui, "Cannot create the VM", z->create_err);
		return false;
	}
	if (z->create_rc == 1) {
		tui_show_text(z->ui, "Created, but it did not start", z->create_err);
		tui_msg(z->ui, TUI_MSG_ERROR, "%s: created; starting it failed", z->w.name);
	} else {
		tui_msg(z->ui, TUI_MSG_OK, "%s: created%s", z->w.name,
			z->w.start ? " and started" : " (s starts it)");
	}
	return true;
}

static enum tui_form_end tui_wiz_page_summary(struct tui_wiz_ui *z)
{
	static const struct tui_menu_item items[] = {
		{ "Create and start", "create the VM and start it in the background", false },
		{ "Create", "create the VM; s in the list starts it", false },
	};
	char text[4096];
	enum tui_form_end end;

	tui_wiz_summary(&z->w, text, sizeof(text));
	int c = tui_wiz_menu(z, TUI_WIZ_SUMMARY, "summary", text, items, 2, z->w.start ? 0 : 1,
			     &end);
	if (end != TUI_FORM_NEXT)
		return end;
	z->w.start = c == 0;
	return tui_wiz_create(z) ? TUI_FORM_NEXT : TUI_FORM_STAY;
}

void tui_wizard(struct tui *ui)
{
	struct tui_wiz_ui *z = calloc(1, sizeof(*z));
	enum tui_wiz_step s = TUI_WIZ_NAME;

	if (!z) {
		tui_msg(ui, TUI_MSG_ERROR, "out of memory");
		return;
	}
	z->ui = ui;
	tui_wiz_init(&z->w, &ui->host);
	if (vmstore_presets(&z->presets, &z->npresets))
		z->npresets = 0;

	while (s < TUI_WIZ_DONE) {
		enum tui_form_end end = TUI_FORM_CANCEL;

		switch (s) {
		case TUI_WIZ_NAME: end = tui_wiz_page_name(z); break;
		case TUI_WIZ_BOOT: end = tui_wiz_page_boot(z); break;
		case TUI_WIZ_BOOT_PATHS: end = tui_wiz_page_paths(z); break;
		case TUI_WIZ_RESOURCES: end = tui_wiz_page_resources(z); break;
		case TUI_WIZ_DISK: end = tui_wiz_page_disk(z); break;
		case TUI_WIZ_DISK_DETAIL: end = tui_wiz_page_disk_detail(z); break;
		case TUI_WIZ_NET: end = tui_wiz_page_net(z); break;
		case TUI_WIZ_NET_DETAIL: end = tui_wiz_page_net_detail(z); break;
		case TUI_WIZ_DISPLAY: end = tui_wiz_page_display(z); break;
		case TUI_WIZ_SUMMARY: end = tui_wiz_page_summary(z); break;
		default: break;
		}
		if (ui->quit || end == TUI_FORM_CANCEL)
			break;
		if (end == TUI_FORM_NEXT) {
			s = tui_wiz_next(&z->w, s);
		} else if (end == TUI_FORM_BACK) {
			if (s == TUI_WIZ_NAME)
				break; /* Esc on the first step leaves */
			s = tui_wiz_prev(&z->w, s);
		} /* else: stay on this step */
	}
	if (s >= TUI_WIZ_DONE) {
		snprintf(ui->list.selected, sizeof(ui->list.selected), "%s", z->w.name);
		tui_worker_poke(ui->worker);
	} else if (!ui->quit) {
		tui_msg(ui, TUI_MSG_INFO, "no VM created");
	}
	tui_wiz_free(&z->w);
	free(z->presets);
	if (!z->creating) /* else its job still points here: the process is ending */
		free(z);
	werase(stdscr);
	clearok(curscr, TRUE);
}
