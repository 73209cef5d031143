/*
 * vcpu.h - one virtual CPU: its KVM descriptor, its thread and its exits.
 *
 * Each vCPU thread loops on KVM_RUN and hands port I/O and MMIO exits to
 * the trap map.  Anything that ends the run (guest poweroff or reset
 * through KVM, triple fault, emulation failure) is reported to the
 * machine through vcpu_host callbacks, after which the thread stops.
 * vcpu_kick() interrupts KVM_RUN from another thread.
 */
#ifndef TTYVM_VCPU_H
#define TTYVM_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/kvm.h>

#include "vmm/device.h"
#include "vmm/guest_mem.h"
#include "vmm/trap.h"

struct kvm;
struct boot_cpu;

/* Shared by all vCPUs of a machine: pausing parks every thread here. */
struct vcpu_park {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool paused;             /* threads should park */
	unsigned int parked;     /* threads parked now */
};

struct vcpu_host {
	struct trap_map *traps;
	struct vcpu_park *park;
	const struct guest_mem *mem;
	/* the guest asked for poweroff/reset */
	void (*request)(void *ctx, enum vm_request req);
	/* the guest crashed: report is a multi-line text (registers, code) */
	void (*fail)(void *ctx, unsigned int vcpu, const char *report);
	void *ctx;
};

struct vcpu {
	const struct vcpu_host *host;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool started;
	int stop;                /* atomic: leave the run loop */
	int exited;              /* atomic: the thread has left its loop */
};

/* Creates vCPU index with its CPUID (topology for ncpus) and the MSRs
 * firmware would leave.  0 or -errno; what names the failed step. */
int vcpu_create(struct vcpu *v, struct kvm *k, unsigned int index,
		unsigned int ncpus, const struct vcpu_host *host, const char **what);
/* Sets the boot processor's registers for the loader's entry state. */
int vcpu_set_boot_state(struct vcpu *v, const struct boot_cpu *cpu);
int vcpu_start(struct vcpu *v);
/* Asks the thread to leave KVM_RUN and its loop; does not wait. */
void vcpu_kick(struct vcpu *v);
/* Interrupts KVM_RUN so the thread notices host->park->paused. */
void vcpu_interrupt(struct vcpu *v);
void vcpu_join(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);

/* Installs the (empty) SIGUSR1 handler used to kick vCPU threads. */
int vcpu_signals_init(void);

/* Formats registers and the bytes at RIP into buf (for crash reports). */
void vcpu_describe(struct vcpu *v, const char *why, char *buf, size_t len);

#endif
