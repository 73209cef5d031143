/*
 * tui_model.c - the TUI's list of VMs as data: the rows of the latest
 * snapshot, which of them the filter shows, in which order, which one is
 * selected, and each VM's CPU use between two snapshots.
 *
 * The snapshot comes from vmstore_list() (on the poller thread, see
 * tui_worker.c); this file only keeps it, on the UI thread.  CPU % is
 * vmstore_cpu_between() of a VM's previous row and its new one, so it is
 * what top shows between two refreshes.  The selection is kept by name:
 * a refresh that adds or removes VMs, or a new sort, leaves the cursor
 * on the same VM.  No drawing, no I/O.
 */
#include "ui/tui.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

static const char *const tui_sort_names[TUI_SORT_COUNT] = {
	[TUI_SORT_NAME] = "name",
	[TUI_SORT_STATE] = "state",
	[TUI_SORT_CPU] = "cpu",
	[TUI_SORT_MEMORY] = "memory",
};

const char *tui_sort_name(enum tui_sort s)
{
	return (unsigned int)s < TUI_SORT_COUNT ? tui_sort_names[s] : "name";
}

void tui_list_init(struct tui_list *l)
{
	memset(l, 0, sizeof(*l));
}

void tui_list_free(struct tui_list *l)
{
	free(l->rows);
	free(l->vis);
	tui_list_init(l);
}

/* Case-insensitive substring (the filter is short, the names too). */
static bool tui_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return n == 0;
}

bool tui_list_matches(const struct vmstore_vm *vm, const char *filter)
{
	return !filter[0] || tui_contains(vm->name, filter) ||
	       tui_contains(vmstore_state_name(vm->state), filter);
}

/* The order states are listed in when sorting by state: active first. */
static int tui_state_rank(enum vmstore_state s)
{
	switch (s) {
	case VMSTORE_RUNNING: return 0;
	case VMSTORE_PAUSED: return 1;
	case VMSTORE_STARTING: return 2;
	case VMSTORE_UNKNOWN: return 3;
	case VMSTORE_CRASHED: return 4;
	case VMSTORE_STOPPED: return 5;
	}
	return 6;
}

static int tui_row_cmp(const struct tui_row *a, const struct tui_row *b, enum tui_sort sort)
{
	switch (sort) {
	case TUI_SORT_STATE: {
		int d = tui_state_rank(a->vm.state) - tui_state_rank(b->vm.state);
		if (d)
			return d;
		break;
	}
	case TUI_SORT_CPU: /* busiest first, unknown last */
		if (a->cpu != b->cpu)
			return a->cpu < b->cpu ? 1 : -1;
		break;
	case TUI_SORT_MEMORY: /* biggest first */
		if (a->vm.memory != b->vm.memory)
			return a->vm.memory < b->vm.memory ? 1 : -1;
		break;
	case TUI_SORT_NAME:
	case TUI_SORT_COUNT:
		break;
	}
	return strcmp(a->vm.name, b->vm.name);
}

/* Rebuilds vis from rows, filter and sort; keeps the selection's name. */
static void tui_list_refilter(struct tui_list *l)
{
	l->nvis = 0;
	for (size_t i = 0; i < l->nrows; i++)
		if (tui_list_matches(&l->rows[i].vm, l->filter))
			l->vis[l->nvis++] = i;
	/* insertion sort: lists are short, and it is stable */
	for (size_t i = 1; i < l->nvis; i++) {
		size_t v = l->vis[i], j = i;
		while (j > 0 && tui_row_cmp(&l->rows[l->vis[j - 1]], &l->rows[v], l->sort) > 0) {
			l->vis[j] = l->vis[j - 1];
			j--;
		}
		l->vis[j] = v;
	}
	if (!l->selected[0] || !tui_list_select_name(l, l->selected))
		tui_list_select(l, l->cur);
}

int tui_list_update(struct tui_list *l, const struct vmstore_vm *vms, size_t n)
{
	struct tui_row *rows = calloc(n ? n : 1, sizeof(*rows));
	size_t *vis = calloc(n ? n : 1, sizeof(*vis));

	if (!rows || !vis) {
		free(rows);
		free(vis);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		rows[i].vm = vms[i];
		rows[i].cpu = -1;
		for (size_t j = 0; j < l->nrows; j++)
			if (strcmp(l->rows[j].vm.name, vms[i].name) == 0) {
				rows[i].cpu = vmstore_cpu_between(&l->rows[j].vm, &vms[i]);
				break;
			}
	}
	free(l->rows);
	free(l->vis);
	l->rows = rows;
	l->vis = vis;
	l->nrows = n;
	tui_list_refilter(l);
	return 0;
}

void tui_list_set_filter(struct tui_list *l, const char *filter)
{
	snprintf(l->filter, sizeof(l->filter), "%s", filter);
	tui_list_refilter(l);
}

void tui_list_set_sort(struct tui_list *l, enum tui_sort sort)
{
	l->sort = (unsigned int)sort < TUI_SORT_COUNT ? sort : TUI_SORT_NAME;
	tui_list_refilter(l);
}

void tui_list_select(struct tui_list *l, size_t i)
{
	if (l->nvis == 0) {
		l->cur = 0;
		return; /* keep the name: the VM may come back into view */
	}
	l->cur = i < l->nvis ? i : l->nvis - 1;
	snprintf(l->selected, sizeof(l->selected), "%s", l->rows[l->vis[l->cur]].vm.name);
}

void tui_list_move(struct tui_list *l, long delta)
{
	long i = (long)l->cur + delta;

	tui_list_select(l, i < 0 ? 0 : (size_t)i);
}

bool tui_list_select_name(struct tui_list *l, const char *name)
{
	for (size_t i = 0; i < l->nvis; i++)
		if (strcmp(l->rows[l->vis[i]].vm.name, name) == 0) {
			l->cur = i;
			if (l->selected != name)
				snprintf(l->selected, sizeof(l->selected), "%s", name);
			return true;
		}
	return false;
}

const struct tui_row *tui_list_current(const struct tui_list *l)
{
	return l->nvis ? &l->rows[l->vis[l->cur]] : NULL;
}

const struct tui_row *tui_list_row(const struct tui_list *l, size_t i)
{
	return i < l->nvis ? &l->rows[l->vis[i]] : NULL;
}

/* --- formats ----------------------------------------------------------------------- */

void tui_fmt_memory(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	uint64_t scale = 1024;
	int u = 0;

	if (bytes == 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (bytes < 1024) {
		snprintf(buf, len, "%lluB", (unsigned long long)bytes);
		return;
	}
	while (u < 3 && bytes >= scale * 1024) {
		scale *= 1024;
		u++;
	}
	if (bytes % scale == 0)
		snprintf(buf, len, "%llu%c", (unsigned long long)(bytes / scale), units[u]);
	else
		snprintf(buf, len, "%.1f%c", (double)bytes / (double)scale, units[u]);
}

void tui_fmt_cpu(double pct, char *buf, size_t len)
{
	if (pct < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", pct);
}

void tui_fmt_uptime(uint64_t s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
}
