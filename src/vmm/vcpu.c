/*
 * vcpu.c - vCPU creation, the KVM_RUN loop and crash reports.
 *
 * One thread per vCPU.  With the in-kernel irqchip, HLT, INIT and SIPI are
 * handled by KVM: application processors sit in KVM_RUN until the guest
 * wakes them, exactly as on hardware, so every thread runs the same loop.
 * Exits are either I/O for the trap map or events that end the run; the
 * latter are reported once to the machine and the thread stops.
 *
 * Kicking: vcpu_kick() sets kvm_run.immediate_exit and sends SIGUSR1 to
 * the thread; the empty handler makes a running KVM_RUN return EINTR and
 * immediate_exit covers a kick that lands just before KVM_RUN.
 */
#include "vmm/vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/util.h"
#include "vmm/boot.h"
#include "vmm/cpuid.h"
#include "vmm/kvm.h"

#define VCPU_KICK_SIGNAL SIGUSR1

#define MSR_IA32_SYSENTER_CS     0x174
#define MSR_IA32_SYSENTER_ESP    0x175
#define MSR_IA32_SYSENTER_EIP    0x176
#define MSR_IA32_MISC_ENABLE     0x1a0
#define MSR_MTRR_DEF_TYPE        0x2ff
#define MSR_STAR                 0xc0000081
#define MSR_LSTAR                0xc0000082
#define MSR_CSTAR                0xc0000083
#define MSR_SYSCALL_MASK         0xc0000084
#define MSR_KERNEL_GS_BASE       0xc0000102

#define MISC_ENABLE_FAST_STRING  (1ULL << 0)
#define MTRR_DEF_TYPE_E          (1ULL << 11)
#define MTRR_TYPE_WRBACK         6ULL

static void vcpu_kick_handler(int sig)
{
	(void)sig;
}

int vcpu_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vcpu_kick_handler;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: KVM_RUN must come back with EINTR */
	return sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}

/* As firmware leaves them: fast strings on, MTRRs enabled with write-back
 * default, SYSCALL/SYSENTER MSRs zero (Linux sets its own). */
static int vcpu_set_msrs(struct vcpu *v)
{
	static const struct {
		uint32_t index;
		uint64_t value;
	} init[] = {
		{ MSR_IA32_SYSENTER_CS, 0 },
		{ MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 },
		{ MSR_STAR, 0 },
		{ MSR_LSTAR, 0 },
		{ MSR_CSTAR, 0 },
		{ MSR_SYSCALL_MASK, 0 },
		{ MSR_KERNEL_GS_BASE, 0 },
		{ MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
		{ MSR_MTRR_DEF_TYPE, MTRR_DEF_TYPE_E | MTRR_TYPE_WRBACK },
	};
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[ARRAY_SIZE(init)];
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = ARRAY_SIZE(init);
	for (size_t i = 0; i < ARRAY_SIZE(init); i++) {
		m.e[i].index = init[i].index;
		m.e[i].data = init[i].value;
	}
	int n = ioctl(v->fd, KVM_SET_MSRS, &m);
	if (n < 0)
		return -errno;
	return n == (int)ARRAY_SIZE(init) ? 0 : -ENOTSUP;
}

int vcpu_create(struct vcpu *v, struct kvm *k, unsigned int index,
		unsigned int ncpus, const struct vcpu_host *host, const char **what)
{
	struct kvm_cpuid2 *cpuid;
	int err;

	memset(v, 0, sizeof(*v));
	v->host = host;
	v->index = index;
	v->fd = -1;

	*what = "KVM_CREATE_VCPU";
	v->fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (v->fd < 0)
		return -errno;
	*what = "mapping the vCPU run structure";
	v->run_size = (size_t)k->run_size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		err = -errno;
		v->run = NULL;
		goto fail;
	}
	*what = "KVM_SET_CPUID2";
	cpuid = cpuid_for_vcpu(k->cpuid, index, ncpus);
	if (!cpuid) {
		err = -ENOMEM;
		goto fail;
	}
	err = ioctl(v->fd, KVM_SET_CPUID2, cpuid) < 0 ? -errno : 0;
	free(cpuid);
	if (err)
		goto fail;
	*what = "KVM_SET_MSRS";
	err = vcpu_set_msrs(v);
	if (err)
		goto fail;
	return 0;
fail:
	vcpu_destroy(v);
	return err;
}

int vcpu_set_boot_state(struct vcpu *v, const struct boot_cpu *cpu)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	memset(&regs, 0, sizeof(regs));
	boot_cpu_regs(cpu, &regs, &sregs);
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

static void vcpu_fail(struct vcpu *v, const char *why)
{
	char report[4096];

	vcpu_describe(v, why, report, sizeof(report));
	v->host->fail(v->host->ctx, v->index, report);
}

static bool vcpu_handle_io(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	uint64_t size = r->io.size, count = r->io.count;
	uint64_t off = r->io.data_offset;

	/* The kernel fills these, but a bad value must not make us read
	 * outside the shared page. */
	if ((size != 1 && size != 2 && size != 4) || count == 0 ||
	    !range_within(off, size * count, v->run_size)) {
		vcpu_fail(v, "malformed KVM_EXIT_IO");
		return false;
	}
	uint8_t *data = (uint8_t *)r + off;
	for (uint64_t i = 0; i < count; i++)
		trap_dispatch(v->host->traps, TRAP_PIO, r->io.port, data + i * size,
			      (unsigned int)size, r->io.direction == KVM_EXIT_IO_OUT);
	return true;
}

static const char *vcpu_internal_suberror(uint32_t s)
{
	switch (s) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "instruction emulation failed (the host KVM could not emulate "
		       "the instruction at RIP)";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "exception while delivering an exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "event delivery failed";
	default:
		return "internal error";
	}
}

/* One exit; false when the run is over for this thread. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	char why[256];

	switch (r->exit_reason) {
	case KVM_EXIT_IO:
		return vcpu_handle_io(v);
	case KVM_EXIT_MMIO:
		if (r->mmio.len == 0 || r->mmio.len > 8) {
			vcpu_fail(v, "malformed KVM_EXIT_MMIO");
			return false;
		}
		trap_dispatch(v->host->traps, TRAP_MMIO, r->mmio.phys_addr, r->mmio.data,
			      r->mmio.len, r->mmio.is_write);
		return true;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_HLT:
		/* with the in-kernel LAPIC this only happens if it is off */
		vcpu_fail(v, "the guest halted with interrupts the VMM cannot deliver");
		return false;
	case KVM_EXIT_SHUTDOWN:
		vcpu_fail(v, "triple fault (KVM_EXIT_SHUTDOWN): the guest CPU reset itself "
			  "after a fault it could not handle");
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (r->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			v->host->request(v->host->ctx, VM_REQ_POWEROFF);
			return false;
		case KVM_SYSTEM_EVENT_RESET:
			v->host->request(v->host->ctx, VM_REQ_RESET);
			return false;
		default:
			snprintf(why, sizeof(why), "guest system event %u (crash)",
				 r->system_event.type);
			vcpu_fail(v, why);
			return false;
		}
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(why, sizeof(why), "KVM_EXIT_INTERNAL_ERROR: %s (suberror %u)",
			 vcpu_internal_suberror(r->internal.suberror), r->internal.suberror);
		vcpu_fail(v, why);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, sizeof(why),
			 "KVM_EXIT_FAIL_ENTRY: hardware refused to enter the guest "
			 "(reason 0x%llx)",
			 (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
		vcpu_fail(v, why);
		return false;
	default:
		snprintf(why, sizeof(why), "unexpected KVM exit reason %u", r->exit_reason);
		vcpu_fail(v, why);
		return false;
	}
}

/* Waits while the machine is paused (or until asked to stop). */
static void vcpu_park(struct vcpu *v)
{
	struct vcpu_park *pk = v->host->park;

	pthread_mutex_lock(&pk->lock);
	pk->parked++;
	pthread_cond_broadcast(&pk->cond);
	while (pk->paused && !__atomic_load_n(&v->stop, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&pk->cond, &pk->lock);
	pk->parked--;
	pthread_mutex_unlock(&pk->lock);
}

static bool vcpu_should_park(struct vcpu *v)
{
	return v->host->park && __atomic_load_n(&v->host->park->paused, __ATOMIC_ACQUIRE);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", v->index);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!__atomic_load_n(&v->stop, __ATOMIC_ACQUIRE)) {
		if (vcpu_should_park(v)) {
			vcpu_park(v);
			continue;
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			char why[128];
			snprintf(why, sizeof(why), "KVM_RUN failed: %s", strerror(errno));
			vcpu_fail(v, why);
			break;
		}
		if (!vcpu_handle_exit(v))
			break;
	}
	__atomic_store_n(&v->exited, 1, __ATOMIC_RELEASE);
	if (v->host->park) {
		/* a pauser may be waiting for this thread to park */
		pthread_mutex_lock(&v->host->park->lock);
		pthread_cond_broadcast(&v->host->park->cond);
		pthread_mutex_unlock(&v->host->park->lock);
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	sigset_t set, old;
	int err;

	/* the thread starts with the kick signal blocked and unblocks it
	 * itself; every other signal stays blocked (the main thread takes them) */
	sigfillset(&set);
	pthread_sigmask(SIG_SETMASK, &set, &old);
	err = pthread_create(&v->thread, NULL, vcpu_thread, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	v->started = true;
	return 0;
}

void vcpu_interrupt(struct vcpu *v)
{
	if (v->run)
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
	if (v->started)
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_kick(struct vcpu *v)
{
	__atomic_store_n(&v->stop, 1, __ATOMIC_RELEASE);
	if (v->host && v->host->park) {
		/* wake it if it is parked */
		pthread_mutex_lock(&v->host->park->lock);
		pthread_cond_broadcast(&v->host->park->cond);
		pthread_mutex_unlock(&v->host->park->lock);
	}
	vcpu_interrupt(v);
}

void vcpu_join(struct vcpu *v)
{
	if (v->started)
		pthread_join(v->thread, NULL);
	v->started = false;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

#define DESC(...)                                                             \
	do {                                                                  \
		if (o < len) {                                                \
			int n_ = snprintf(buf + o, len - o, __VA_ARGS__);     \
			if (n_ > 0)                                           \
				o += (size_t)n_;                              \
		}                                                             \
	} while (0)

static void vcpu_describe_seg(char *buf, size_t len, size_t *po, const char *name,
			      const struct kvm_segment *s)
{
	size_t o = *po;
	DESC("  %-3s sel=%04x base=%016llx limit=%08x type=%x dpl=%u l=%u db=%u\n", name,
	     s->selector, (unsigned long long)s->base, s->limit, s->type, s->dpl, s->l, s->db);
	*po = o;
}

void vcpu_describe(struct vcpu *v, const char *why, char *buf, size_t len)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	size_t o = 0;

	buf[0] = '\0';
	DESC("vcpu%u: %s\n", v->index, why);
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		DESC("  (registers unavailable: %s)\n", strerror(errno));
		return;
	}
	DESC("  rip=%016llx rsp=%016llx rflags=%016llx\n", (unsigned long long)r.rip,
	     (unsigned long long)r.rsp, (unsigned long long)r.rflags);
	DESC("  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n",
	     (unsigned long long)r.rax, (unsigned long long)r.rbx,
	     (unsigned long long)r.rcx, (unsigned long long)r.rdx);
	DESC("  rsi=%016llx rdi=%016llx rbp=%016llx\n", (unsigned long long)r.rsi,
	     (unsigned long long)r.rdi, (unsigned long long)r.rbp);
	DESC("  r8 =%016llx r9 =%016llx r10=%016llx r11=%016llx\n",
	     (unsigned long long)r.r8, (unsigned long long)r.r9,
	     (unsigned long long)r.r10, (unsigned long long)r.r11);
	DESC("  r12=%016llx r13=%016llx r14=%016llx r15=%016llx\n",
	     (unsigned long long)r.r12, (unsigned long long)r.r13,
	     (unsigned long long)r.r14, (unsigned long long)r.r15);
	DESC("  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx efer=%016llx\n",
	     (unsigned long long)s.cr0, (unsigned long long)s.cr2,
	     (unsigned long long)s.cr3, (unsigned long long)s.cr4,
	     (unsigned long long)s.efer);
	vcpu_describe_seg(buf, len, &o, "cs", &s.cs);
	vcpu_describe_seg(buf, len, &o, "ss", &s.ss);
	vcpu_describe_seg(buf, len, &o, "ds", &s.ds);
	DESC("  gdt=%016llx/%04x idt=%016llx/%04x\n", (unsigned long long)s.gdt.base,
	     s.gdt.limit, (unsigned long long)s.idt.base, s.idt.limit);

	struct kvm_translation tr = { .linear_address = s.cs.base + r.rip };
	if (ioctl(v->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid) {
		DESC("  code: linear address %016llx is not mapped\n",
		     (unsigned long long)tr.linear_address);
		return;
	}
	DESC("  code at %016llx (physical %016llx):", (unsigned long long)tr.linear_address,
	     (unsigned long long)tr.physical_address);
	for (unsigned int i = 0; i < 16; i++) {
		uint8_t b;
		if (gmem_read(v->host->mem, tr.physical_address + i, &b, 1) < 0) {
			DESC(" ..");
			break;
		}
		DESC(" %02x", b);
	}
	DESC("\n");
}
