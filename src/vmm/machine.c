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
#include "vmm/dev/pm.h"
#include "vmm/evloop.h"
#include "vmm/kvm.h"
#include "vmm/mptable.h"
#include "vmm/vcpu.h"
#include "vmm/vmm.h"

#define MACHINE_MAX_CPUS 254 /* xAPIC ids in the MADT and MP table */
#define MACHINE_MAX_DEVICES 64

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

struct machine {
	const struct vm_config *cfg;
	struct kvm kvm;
	struct guest_mem mem;
	struct trap_map traps;
	struct evloop *el;
	struct chardev *serial0;
	struct machine_dev devs[MACHINE_MAX_DEVICES];
	unsigned int ndevs;
	struct vcpu *vcpus;
	unsigned int nvcpus;
	struct vcpu_host host;
	int end;                 /* enum machine_end, first one wins */
	pthread_mutex_t report_lock;
	char report[4096];
	int sigfd;
	unsigned int signals_seen;
	unsigned int resets;
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
	__atomic_compare_exchange_n(&m->end, &none, (int)why, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
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
		void *pm = machine_find(m, "pm");
		if (m->signals_seen++ == 0 && pm) {
			log_info("%s: pressing the ACPI power button (send it again to stop at once)",
				 strsignal((int)si.ssi_signo));
			pm_power_button(pm);
		} else {
			log_info("%s: stopping the VM", strsignal((int)si.ssi_signo));
			machine_end(m, END_STOPPED);
		}
	}
}

static int machine_signals_init(struct machine *m)
{
	sigset_t set;

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

/* Loads firmware tables and the kernel; picks the boot CPU state. */
static int machine_load(struct machine *m, struct boot_cpu *cpu)
{
	const struct vm_config *c = m->cfg;
	uint64_t rsdp = 0;
	char err[512];
	int r;

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
	char why[512];
	const char *what = NULL;
	int r;

	r = kvm_create_vm(&m->kvm, &m->mem, why, sizeof(why));
	if (r) {
		log_error("%s", why);
		return r;
	}
	r = machine_load(m, &cpu);
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
	r = vcpu_set_boot_state(&m->vcpus[0], &cpu);
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
	m->host = (struct vcpu_host){ .traps = &m->traps, .mem = &m->mem,
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
	free(m);
	return code;
}
