/*
 * machine.c - the PC: puts KVM, RAM, firmware tables, devices and vCPUs
 * together, runs them and takes them apart.
 *
 * Threads: the main thread runs the event loop (serial input, device
 * timers, signals); each vCPU has its own thread.  A vCPU or device that
 * wants the run to end (poweroff, reset, crash) records the request and
 * stops the event loop; the main thread then kicks and joins every vCPU
 * and acts on the request.  A reset rebuilds the KVM VM (fresh vCPUs,
 * irqchip and PIT, as after a hardware reset), clears RAM and reloads the
 * kernel; device models survive it and get their reset hook, so
 * battery-backed state such as CMOS NVRAM persists as on real hardware.
 *
 * Signals: SIGINT/SIGTERM/SIGHUP press the ACPI power button the first
 * time and stop the VM at once the second time.
 */
#include "vmm/machine.h"
#include "vmm/machine_ctl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/sysinfo.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "util/log.h"
#include "util/util.h"
#include "vmm/acpi.h"
#include "vmm/boot.h"
#include "vmm/chardev.h"
#include "vmm/ctl_server.h"
#include "vmm/dev/pm.h"
#include "vmm/evloop.h"
#include "vmm/firmware.h"
#include "vmm/kvm.h"
#include "vmm/mptable.h"
#include "vmm/pci.h"
#include "vmm/vcpu.h"
#include "vmm/vmm.h"

#define MACHINE_MAX_CPUS 254 /* xAPIC ids in the MADT and MP table */
#define MACHINE_MAX_DEVICES 64
#define MACHINE_MAX_MAPPINGS 32

enum machine_end {
	END_NONE = 0,
	END_POWEROFF,
	END_RESET,
	END_CRASH,
	END_STOPPED,
};

struct machine_dev {
	const struct device_desc *desc;
	void *dev;
};

/* host memory mapped into the guest beyond RAM (ROMs, framebuffers) */
struct machine_mapping {
	bool used;
	uint64_t gpa, size;
	void *hva;
	unsigned int flags;
};

struct machine {
	const struct vm_config *cfg;
	struct kvm kvm;
	struct guest_mem mem;
	struct trap_map traps;
	struct evloop *el;
	struct chardev *serial0;
	struct machine_dev devs[MACHINE_MAX_DEVICES];
	unsigned int ndevs;
	struct machine_mapping maps[MACHINE_MAX_MAPPINGS];
	pthread_mutex_t maps_lock;
	struct pci_bus *pci;
	struct vcpu *vcpus;
	unsigned int nvcpus;
	struct vcpu_host host;
	struct vcpu_park park;
	int end;                 /* enum machine_end, first one wins */
	pthread_mutex_t report_lock;
	char report[4096];
	int sigfd;
	unsigned int signals_seen;
	unsigned int resets;
	struct ctl_server *ctl;  /* control socket (ctl_server.c), or NULL */
};

extern const struct device_desc *const __start_ttyvm_devices[] __attribute__((weak));
extern const struct device_desc *const __stop_ttyvm_devices[] __attribute__((weak));

/* --- what devices may ask for ------------------------------------------ */

const struct vm_config *machine_config(const struct machine *m) { return m->cfg; }
struct trap_map *machine_traps(struct machine *m) { return &m->traps; }
struct guest_mem *machine_mem(struct machine *m) { return &m->mem; }
struct evloop *machine_evloop(struct machine *m) { return m->el; }

static void machine_irq_set(void *ctx, unsigned int gsi, int level)
{
	struct machine *m = ctx;
	kvm_irq_line(&m->kvm, gsi, level);
}

struct irq_line machine_irq(struct machine *m, unsigned int gsi)
{
	return (struct irq_line){ .set = machine_irq_set, .ctx = m, .gsi = gsi };
}

/* Records why the run ends (the first reason wins) and wakes the loop. */
static void machine_end(struct machine *m, enum machine_end why)
{
	int none = END_NONE;
	/* only the first reason stops the loop: a late second one (a vCPU
	 * that faults after asking for a reset) must not stop the next boot */
	if (__atomic_compare_exchange_n(&m->end, &none, (int)why, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		evloop_stop(m->el);
}

static void machine_request(void *ctx, enum vm_request req)
{
	struct machine *m = ctx;

	if (req == VM_REQ_POWEROFF)
		machine_end(m, END_POWEROFF);
	else if (req == VM_REQ_RESET)
		machine_end(m, END_RESET);
}

struct vm_request_cb machine_request_cb(struct machine *m)
{
	return (struct vm_request_cb){ .fn = machine_request, .ctx = m };
}

struct chardev *machine_serial(struct machine *m, unsigned int idx)
{
	return idx == 0 ? m->serial0 : NULL;
}

int machine_attach(struct machine *m, const struct device_desc *desc, void *dev)
{
	if (m->ndevs == MACHINE_MAX_DEVICES)
		return -ENOMEM;
	m->devs[m->ndevs++] = (struct machine_dev){ desc, dev };
	return 0;
}

void *machine_find(struct machine *m, const char *name)
{
	for (unsigned int i = 0; i < m->ndevs; i++)
		if (strcmp(m->devs[i].desc->name, name) == 0)
			return m->devs[i].dev;
	return NULL;
}

static uint32_t machine_kvm_flags(unsigned int flags)
{
	return ((flags & MACHINE_MEM_READONLY) ? KVM_MEM_READONLY : 0) |
	       ((flags & MACHINE_MEM_DIRTY_LOG) ? KVM_MEM_LOG_DIRTY_PAGES : 0);
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int machine_map_memory(struct machine *m, uint64_t gpa, uint64_t size, void *hva,
		       unsigned int flags)
{
	int handle = -ENOSPC;

	if (!size || (gpa | size | (uintptr_t)hva) & 0xfff || gpa + size < gpa)
		return -EINVAL;
	for (unsigned int i = 0; i < m->mem.nregions; i++)
		if (ranges_overlap(gpa, size, m->mem.region[i].gpa, m->mem.region[i].size))
			return -EBUSY;
	pthread_mutex_lock(&m->maps_lock);
	for (int i = 0; i < MACHINE_MAX_MAPPINGS; i++) {
		struct machine_mapping *mp = &m->maps[i];
		if (mp->used && ranges_overlap(gpa, size, mp->gpa, mp->size)) {
			handle = -EBUSY;
			break;
		}
		if (!mp->used && handle == -ENOSPC)
			handle = i;
	}
	if (handle >= 0) {
		int r = 0;
		if (m->kvm.vm_fd >= 0)
			r = kvm_set_slot(&m->kvm, KVM_EXTRA_SLOT_BASE + (unsigned int)handle,
					 gpa, size, hva, machine_kvm_flags(flags));
		if (r)
			handle = r;
		else
			m->maps[handle] = (struct machine_mapping){ true, gpa, size, hva, flags };
	}
	pthread_mutex_unlock(&m->maps_lock);
	return handle;
}

int machine_unmap_memory(struct machine *m, int handle)
{
	int r = 0;

	if (handle < 0 || handle >= MACHINE_MAX_MAPPINGS)
		return -EINVAL;
	pthread_mutex_lock(&m->maps_lock);
	if (!m->maps[handle].used) {
		r = -ENOENT;
	} else {
		if (m->kvm.vm_fd >= 0)
			r = kvm_set_slot(&m->kvm, KVM_EXTRA_SLOT_BASE + (unsigned int)handle,
					 m->maps[handle].gpa, 0, m->maps[handle].hva, 0);
		m->maps[handle].used = false;
	}
	pthread_mutex_unlock(&m->maps_lock);
	return r;
}

int machine_dirty_log(struct machine *m, int handle, uint64_t *bitmap)
{
	int r;

	if (handle < 0 || handle >= MACHINE_MAX_MAPPINGS)
		return -EINVAL;
	pthread_mutex_lock(&m->maps_lock);
	if (!m->maps[handle].used || !(m->maps[handle].flags & MACHINE_MEM_DIRTY_LOG))
		r = -EINVAL;
	else
		r = kvm_dirty_log(&m->kvm, KVM_EXTRA_SLOT_BASE + (unsigned int)handle, bitmap);
	pthread_mutex_unlock(&m->maps_lock);
	return r;
}

/* After (re)creating the KVM VM: give it every mapping again. */
static int machine_restore_mappings(struct machine *m)
{
	int r = 0;

	pthread_mutex_lock(&m->maps_lock);
	for (unsigned int i = 0; i < MACHINE_MAX_MAPPINGS && !r; i++) {
		struct machine_mapping *mp = &m->maps[i];
		if (mp->used)
			r = kvm_set_slot(&m->kvm, KVM_EXTRA_SLOT_BASE + i, mp->gpa, mp->size,
					 mp->hva, machine_kvm_flags(mp->flags));
	}
	pthread_mutex_unlock(&m->maps_lock);
	return r;
}

void machine_msi(struct machine *m, uint64_t addr, uint32_t data)
{
	kvm_msi(&m->kvm, addr, data);
}

struct pci_bus *machine_pci_bus(struct machine *m)
{
	return m->pci;
}

void machine_set_pci_bus(struct machine *m, struct pci_bus *bus)
{
	m->pci = bus;
}

/* --- vCPU callbacks ------------------------------------------------------ */

static void machine_vcpu_fail(void *ctx, unsigned int vcpu, const char *report)
{
	struct machine *m = ctx;
	(void)vcpu;

	pthread_mutex_lock(&m->report_lock);
	if (!m->report[0])
		snprintf(m->report, sizeof(m->report), "%s", report);
	pthread_mutex_unlock(&m->report_lock);
	machine_end(m, END_CRASH);
}

/* --- control --------------------------------------------------------------- */

int machine_pause(struct machine *m)
{
	struct vcpu_park *pk = &m->park;

	pthread_mutex_lock(&pk->lock);
	if (pk->paused) {
		pthread_mutex_unlock(&pk->lock);
		return -EALREADY;
	}
	__atomic_store_n(&pk->paused, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pk->lock);
	for (unsigned int i = 0; i < m->nvcpus; i++)
		vcpu_interrupt(&m->vcpus[i]);
	/* wait until every live vCPU is parked: none runs guest code then */
	pthread_mutex_lock(&pk->lock);
	for (;;) {
		unsigned int live = 0;
		for (unsigned int i = 0; i < m->nvcpus; i++)
			if (!__atomic_load_n(&m->vcpus[i].exited, __ATOMIC_ACQUIRE))
				live++;
		if (pk->parked >= live)
			break;
		pthread_cond_wait(&pk->cond, &pk->lock);
	}
	pthread_mutex_unlock(&pk->lock);
	for (unsigned int i = 0; i < m->ndevs; i++)
		if (m->devs[i].desc->pause)
			m->devs[i].desc->pause(m->devs[i].dev);
	return 0;
}

int machine_resume(struct machine *m)
{
	struct vcpu_park *pk = &m->park;

	if (!__atomic_load_n(&pk->paused, __ATOMIC_ACQUIRE))
		return -EALREADY;
	for (unsigned int i = 0; i < m->ndevs; i++)
		if (m->devs[i].desc->resume)
			m->devs[i].desc->resume(m->devs[i].dev);
	pthread_mutex_lock(&pk->lock);
	__atomic_store_n(&pk->paused, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&pk->cond);
	pthread_mutex_unlock(&pk->lock);
	return 0;
}

enum machine_state machine_state(struct machine *m)
{
	return __atomic_load_n(&m->park.paused, __ATOMIC_ACQUIRE) ? MACHINE_PAUSED
								   : MACHINE_RUNNING;
}

int machine_powerdown(struct machine *m)
{
	void *pm = machine_find(m, "pm");

	if (!pm)
		return -ENODEV;
	pm_power_button(pm);
	return 0;
}

void machine_reset(struct machine *m)
{
	machine_end(m, END_RESET);
}

void machine_stop(struct machine *m)
{
	machine_end(m, END_STOPPED);
}

unsigned int machine_resets(struct machine *m)
{
	return m->resets;
}

/* --- signals and the serial escape -------------------------------------- */

static void machine_quit(void *ctx)
{
	struct machine *m = ctx;
	log_info("stopped by the user (Ctrl-A x)");
	machine_end(m, END_STOPPED);
}

static void machine_signal(void *opaque, uint32_t revents)
{
	struct machine *m = opaque;
	struct signalfd_siginfo si;
	(void)revents;

	while (read(m->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (m->signals_seen++ == 0 && machine_powerdown(m) == 0) {
			log_info("%s: pressed the ACPI power button (send it again to stop at once)",
				 strsignal((int)si.ssi_signo));
		} else {
			log_info("%s: stopping the VM", strsignal((int)si.ssi_signo));
			machine_end(m, END_STOPPED);
		}
	}
}

static int machine_signals_init(struct machine *m)
{
	sigset_t set;

	/* a serial or debug-console reader that goes away must not kill the
	 * VM: writes then fail with EPIPE and the backend drops the bytes */
	signal(SIGPIPE, SIG_IGN);

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	/* blocked here and inherited blocked by every thread we create */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIGUSR1);
	m->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->sigfd < 0)
		return -errno;
	return evloop_add_fd(m->el, m->sigfd, EPOLLIN, machine_signal, m);
}

/* --- building and running ------------------------------------------------ */

static int device_desc_cmp(const void *a, const void *b)
{
	const struct device_desc *const *x = a, *const *y = b;
	if ((*x)->order != (*y)->order)
		return (*x)->order < (*y)->order ? -1 : 1;
	return strcmp((*x)->name, (*y)->name);
}

static int machine_setup_devices(struct machine *m)
{
	size_t n = (size_t)(__stop_ttyvm_devices - __start_ttyvm_devices);
	const struct device_desc **order;

	if (!__start_ttyvm_devices || n == 0)
		return 0;
	order = malloc(n * sizeof(*order));
	if (!order)
		return -ENOMEM;
	memcpy(order, __start_ttyvm_devices, n * sizeof(*order));
	qsort(order, n, sizeof(*order), device_desc_cmp);
	for (size_t i = 0; i < n; i++) {
		int err = order[i]->setup ? order[i]->setup(m) : 0;
		if (err) {
			log_error("setting up device %s: %s", order[i]->name, strerror(-err));
			free(order);
			return err;
		}
	}
	free(order);
	return 0;
}

static void machine_reset_devices(struct machine *m)
{
	for (unsigned int i = 0; i < m->ndevs; i++)
		if (m->devs[i].desc->reset)
			m->devs[i].desc->reset(m->devs[i].dev);
}

static void machine_teardown_devices(struct machine *m)
{
	while (m->ndevs) {
		struct machine_dev *d = &m->devs[--m->ndevs];
		if (d->desc->teardown)
			d->desc->teardown(d->dev);
	}
}

/*
 * Loads firmware tables and the kernel and picks the boot CPU state; for
 * firmware boot, *cpu_set is false and the CPU starts at the reset vector.
 */
static int machine_load(struct machine *m, struct boot_cpu *cpu, bool *cpu_set)
{
	const struct vm_config *c = m->cfg;
	uint64_t rsdp = 0;
	char err[512];
	int r;

	*cpu_set = false;
	if (c->firmware) {
		/* the firmware places BARs and writes its own tables */
		err[0] = '\0';
		r = firmware_load(m, err, sizeof(err));
		if (r)
			log_error("%s", err[0] ? err : strerror(-r));
		return r;
	}
	/* direct boot: nobody else assigns PCI resources */
	if (m->pci) {
		r = pci_bus_assign_default(m->pci);
		if (r) {
			log_error("placing PCI devices: %s", strerror(-r));
			return r;
		}
	}
	r = mptable_build(&m->mem, c->cpus);
	if (r) {
		log_error("building the MP table: %s", strerror(-r));
		return r;
	}
	if (c->acpi) {
		r = acpi_build(&m->mem, c->cpus, &rsdp);
		if (r) {
			log_error("building the ACPI tables: %s", strerror(-r));
			return r;
		}
	}
	struct boot_images img = {
		.kernel = c->kernel,
		.initrd = c->initrd,
		.cmdline = c->append,
		.flat = c->flat,
		.rsdp = rsdp,
	};
	err[0] = '\0';
	r = boot_load(&m->mem, &img, cpu, err, sizeof(err));
	if (r) {
		log_error("%s", err[0] ? err : strerror(-r));
		return r;
	}
	*cpu_set = true;
	return 0;
}

static void machine_stop_vcpus(struct machine *m)
{
	for (unsigned int i = 0; i < m->nvcpus; i++)
		vcpu_kick(&m->vcpus[i]);
	for (unsigned int i = 0; i < m->nvcpus; i++)
		vcpu_join(&m->vcpus[i]);
	for (unsigned int i = 0; i < m->nvcpus; i++)
		vcpu_destroy(&m->vcpus[i]);
	m->nvcpus = 0;
}

/* Creates the KVM VM and vCPUs for one boot and runs until it ends. */
static int machine_boot_once(struct machine *m)
{
	struct boot_cpu cpu;
	bool cpu_set;
	char why[512];
	const char *what = NULL;
	int r;

	r = kvm_create_vm(&m->kvm, &m->mem, why, sizeof(why));
	if (r) {
		log_error("%s", why);
		return r;
	}
	r = machine_restore_mappings(m);
	if (r) {
		log_error("mapping device memory into the guest: %s", strerror(-r));
		return r;
	}
	r = machine_load(m, &cpu, &cpu_set);
	if (r)
		return r;
	for (unsigned int i = 0; i < m->cfg->cpus; i++) {
		r = vcpu_create(&m->vcpus[i], &m->kvm, i, m->cfg->cpus, &m->host, &what);
		if (r) {
			log_error("creating vCPU %u: %s: %s", i, what, strerror(-r));
			return r;
		}
		m->nvcpus = i + 1;
	}
	r = cpu_set ? vcpu_set_boot_state(&m->vcpus[0], &cpu) : 0;
	if (r) {
		log_error("setting the boot CPU's registers: %s", strerror(-r));
		return r;
	}
	for (unsigned int i = 0; i < m->nvcpus; i++) {
		r = vcpu_start(&m->vcpus[i]);
		if (r) {
			log_error("starting the vCPU %u thread: %s", i, strerror(-r));
			machine_end(m, END_STOPPED);
			break;
		}
	}
	r = evloop_run(m->el);
	if (r)
		log_error("event loop: %s", strerror(-r));
	return 0;
}

static uint64_t host_ram_bytes(void)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return 0;
	return (uint64_t)si.totalram * si.mem_unit;
}

static int machine_check_limits(struct machine *m)
{
	const struct vm_config *c = m->cfg;
	uint64_t host = host_ram_bytes();
	unsigned int maxcpu = MIN(m->kvm.max_vcpus, MACHINE_MAX_CPUS);

	if (host && c->memory > host) {
		log_error("--memory %llu MiB is more than this host's %llu MiB of RAM",
			  (unsigned long long)(c->memory / MiB),
			  (unsigned long long)(host / MiB));
		return -ENOMEM;
	}
	if (c->cpus < 1 || c->cpus > maxcpu) {
		log_error("--cpus %u: this host's KVM allows 1 to %u vCPUs", c->cpus, maxcpu);
		return -EINVAL;
	}
	return 0;
}

int vmm_run(const struct vm_config *cfg)
{
	struct machine *m = calloc(1, sizeof(*m));
	char why[512];
	const char *what;
	int r, code = VMM_EXIT_ERROR;

	if (!m) {
		log_error("out of memory");
		return VMM_EXIT_ERROR;
	}
	m->cfg = cfg;
	m->sigfd = -1;
	m->kvm.sys_fd = m->kvm.vm_fd = -1;
	pthread_mutex_init(&m->report_lock, NULL);
	pthread_mutex_init(&m->maps_lock, NULL);
	pthread_mutex_init(&m->park.lock, NULL);
	pthread_cond_init(&m->park.cond, NULL);
	m->host = (struct vcpu_host){ .traps = &m->traps, .mem = &m->mem, .park = &m->park,
				      .request = machine_request,
				      .fail = machine_vcpu_fail, .ctx = m };

	r = kvm_open(&m->kvm, why, sizeof(why));
	if (r) {
		log_error("%s", why);
		goto out;
	}
	if (machine_check_limits(m))
		goto out;
	r = gmem_init(&m->mem, cfg->memory);
	if (r) {
		log_error("cannot allocate %llu MiB of guest RAM: %s",
			  (unsigned long long)(cfg->memory / MiB), strerror(-r));
		goto out;
	}
	m->vcpus = calloc(cfg->cpus, sizeof(*m->vcpus));
	if (!m->vcpus || trap_map_init(&m->traps) || evloop_create(&m->el)) {
		log_error("out of memory");
		goto out;
	}
	if (vcpu_signals_init() || machine_signals_init(m)) {
		log_error("setting up signal handling: %s", strerror(errno));
		goto out;
	}
	r = chardev_open(&m->serial0, &cfg->serial, m->el, &what);
	if (r) {
		log_error("serial %s: %s: %s", cfg->serial.path ? cfg->serial.path : "",
			  what, strerror(-r));
		goto out;
	}
	chardev_set_quit_cb(m->serial0, machine_quit, m);
	if (machine_setup_devices(m))
		goto out;
	if (cfg->control_socket &&
	    ctl_server_create_machine(&m->ctl, m, cfg->control_socket, why, sizeof(why))) {
		log_error("%s", why);
		goto out;
	}

	for (;;) {
		r = machine_boot_once(m);
		machine_stop_vcpus(m);
		kvm_destroy_vm(&m->kvm);
		if (r)
			break; /* set-up failed: already reported */
		int end = __atomic_load_n(&m->end, __ATOMIC_SEQ_CST);
		if (end == END_RESET) {
			m->resets++;
			log_debug("guest reset #%u", m->resets);
			__atomic_store_n(&m->end, END_NONE, __ATOMIC_SEQ_CST);
			/* a reset while paused comes back running */
			__atomic_store_n(&m->park.paused, false, __ATOMIC_RELEASE);
			gmem_clear(&m->mem);
			machine_reset_devices(m);
			continue;
		}
		if (end == END_POWEROFF) {
			code = VMM_EXIT_POWEROFF;
		} else if (end == END_CRASH) {
			log_error("the guest crashed; state of the failing CPU:");
			fputs(m->report, stderr);
			code = VMM_EXIT_GUEST_CRASH;
		} else {
			code = VMM_EXIT_STOPPED;
		}
		break;
	}
out:
	ctl_server_destroy(m->ctl); /* clients see the end; the socket file goes */
	machine_stop_vcpus(m);
	machine_teardown_devices(m);
	chardev_close(m->serial0);
	if (m->sigfd >= 0) {
		evloop_del_fd(m->el, m->sigfd);
		close(m->sigfd);
	}
	evloop_destroy(m->el);
	trap_map_destroy(&m->traps);
	gmem_destroy(&m->mem);
	kvm_close(&m->kvm);
	free(m->vcpus);
	pthread_mutex_destroy(&m->report_lock);
	pthread_mutex_destroy(&m->maps_lock);
	pthread_mutex_destroy(&m->park.lock);
	pthread_cond_destroy(&m->park.cond);
	free(m);
	return code;
}
