/*
 * tui_wizard.h - the creation wizard's model (tui_wizard_model.c): the
 * answers given so far as the user typed them, the checks run on each
 * field as it is typed, the order of the steps (which ones a choice
 * skips), and the VM definition the answers make.  No curses: the unit
 * tests drive it directly; tui_wizard.c draws it.
 */
#ifndef TTYVM_TUI_WIZARD_H
#define TTYVM_TUI_WIZARD_H

#include <stdbool.h>
#include <stddef.h>

#include "ui/tui.h"
#include "ui/vmstore.h"
#include "vmm/config.h"

enum tui_wiz_step {
	TUI_WIZ_NAME,        /* the VM's name */
	TUI_WIZ_BOOT,        /* what to boot: kernel, ISO, disk, or a preset */
	TUI_WIZ_BOOT_PATHS,  /* the kernel and initrd, the ISO, or the disk */
	TUI_WIZ_RESOURCES,   /* memory and vCPUs */
	TUI_WIZ_DISK,        /* a new disk, an existing one, or none */
	TUI_WIZ_DISK_DETAIL, /* its format and size, or its path */
	TUI_WIZ_NET,         /* NAT, tap or none */
	TUI_WIZ_NET_DETAIL,  /* NAT port forwards, or the tap device */
	TUI_WIZ_DISPLAY,     /* SDL, VNC or none */
	TUI_WIZ_SUMMARY,     /* everything, then create (and start) */
	TUI_WIZ_DONE,        /* past the last step */
	TUI_WIZ_STEP_COUNT
};

enum tui_wiz_boot { TUI_BOOT_KERNEL, TUI_BOOT_ISO, TUI_BOOT_DISK, TUI_BOOT_COUNT };
enum tui_wiz_disk { TUI_DISK_NONE, TUI_DISK_NEW, TUI_DISK_EXISTING, TUI_DISK_COUNT };
enum tui_wiz_net { TUI_NET_NAT, TUI_NET_TAP, TUI_NET_NONE, TUI_NET_COUNT };
enum tui_wiz_display { TUI_DISPLAY_NONE, TUI_DISPLAY_SDL, TUI_DISPLAY_VNC, TUI_DISPLAY_COUNT };

#define TUI_WIZ_PATH_MAX 1024

struct tui_wiz {
	struct vmstore_host host;
	char preset[VM_NAME_MAX];       /* the preset chosen, "" for none */
	struct vm_config base;          /* the preset's (or the defaults'), fit to the host */
	/* the answers, as typed */
	char name[VM_NAME_MAX];
	enum tui_wiz_boot boot;
	char kernel[TUI_WIZ_PATH_MAX], initrd[TUI_WIZ_PATH_MAX], append[1024];
	char iso[TUI_WIZ_PATH_MAX], boot_disk[TUI_WIZ_PATH_MAX];
	char memory[32], cpus[16];
	enum tui_wiz_disk disk;
	enum disk_format disk_format;   /* a new disk: RAW or QCOW2 */
	char disk_size[32];             /* a new disk: a size, bare numbers in GiB */
	char disk_path[TUI_WIZ_PATH_MAX]; /* an existing disk */
	enum tui_wiz_net net;
	char forwards[256];             /* NAT: "tcp::2222-:22 udp::5353-:53" */
	char tap[32];                   /* tap: the device */
	enum tui_wiz_display display;
	bool start;                     /* start it once created */
};

/*
 * Starts a wizard for host: the built-in defaults fit to the host (at
 * most half its RAM, at most its CPUs), a 20 GiB qcow2 disk if one is
 * wanted, NAT, a VNC display.  Free with tui_wiz_free().
 */
void tui_wiz_init(struct tui_wiz *w, const struct vmstore_host *host);
void tui_wiz_free(struct tui_wiz *w);

/*
 * Takes preset as the base (vmstore_preset_load(), fit to the host):
 * its memory, vCPUs and command line become the answers, and the kind of
 * boot follows what it sets (a kernel command line or initrd: a kernel;
 * a CD-ROM: an ISO; disks: a disk).  "" goes back to the defaults.
 * 0 or -errno with err set (the wizard is unchanged).
 */
int tui_wiz_set_preset(struct tui_wiz *w, const char *preset, char *err, size_t errlen);

/* Chooses what to boot; choosing an ISO also asks for a new disk to
 * install onto (when none is chosen yet). */
void tui_wiz_set_boot(struct tui_wiz *w, enum tui_wiz_boot b);

/*
 * Whether this ttyvm's definitions can hold a kind of boot or disk (as
 * the schema says: [diskN], [cdrom]).  When not, false with the reason in
 * why.  Every network and display choice is always written ([net0],
 * [display]).
 */
bool tui_wiz_boot_supported(enum tui_wiz_boot b, char *why, size_t len);
bool tui_wiz_disk_supported(enum tui_wiz_disk d, char *why, size_t len);

/* true when this ttyvm's definitions have a section called section
 * (or, for "disk"/"net", an indexed one: diskN, disk0, ...). */
bool tui_wiz_have_section(const char *section);

/*
 * The field checks (tui_check_fn: ctx is the struct tui_wiz).  0 when
 * text is acceptable; else -errno and a short reason in why.
 */
int tui_wiz_check_name(void *ctx, const char *text, char *why, size_t len);
int tui_wiz_check_file(void *ctx, const char *text, char *why, size_t len);
int tui_wiz_check_optional_file(void *ctx, const char *text, char *why, size_t len);
int tui_wiz_check_append(void *ctx, const char *text, char *why, size_t len);
int tui_wiz_check_memory(void *ctx, const char *text, char *why, size_t len);
int tui_wiz_check_cpus(void *ctx, const char *text, char *why, size_t len);
int tui_wiz_check_disk_size(void *ctx, const char *text, char *why, size_t len);
int tui_wiz_check_forwards(void *ctx, const char *text, char *why, size_t len);
int tui_wiz_check_tap(void *ctx, const char *text, char *why, size_t len);

/* The step after / before s, given the answers so far (skipping steps a
 * choice makes moot).  next(SUMMARY) is DONE; prev(NAME) is NAME. */
enum tui_wiz_step tui_wiz_next(const struct tui_wiz *w, enum tui_wiz_step s);
enum tui_wiz_step tui_wiz_prev(const struct tui_wiz *w, enum tui_wiz_step s);
/* Which of the shown steps s is (1-based) and how many there are now. */
void tui_wiz_position(const struct tui_wiz *w, enum tui_wiz_step s, unsigned int *pos,
		      unsigned int *count);

/*
 * The definition the answers make, into cfg (overwritten; free with
 * vmdef_free()).  Every answer is checked again.  A new disk is not in
 * cfg: *new_disk_size is its size in bytes (0: none), to be made with
 * vmstore_disk_create() in w->disk_format and added as the next disk.
 * 0, or -errno with the problem in err.
 */
int tui_wiz_build(const struct tui_wiz *w, struct vm_config *cfg, uint64_t *new_disk_size,
		  char *err, size_t errlen);

/* The summary page's text: what will be created, one fact a line, with
 * what will not be saved and why. */
void tui_wiz_summary(const struct tui_wiz *w, char *buf, size_t len);

#endif
