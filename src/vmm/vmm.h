/*
 * vmm.h - running a VM, as the CLI sees it.
 */
#ifndef TTYVM_VMM_H
#define TTYVM_VMM_H

#include "vmm/config.h"

/* Exit statuses of `ttyvm run` (documented in ttyvm(1)). */
enum vmm_exit {
	VMM_EXIT_POWEROFF = 0,   /* the guest powered off */
	VMM_EXIT_ERROR = 1,      /* bad arguments or set-up failed */
	VMM_EXIT_GUEST_CRASH = 2, /* triple fault, emulation failure, ... */
	VMM_EXIT_STOPPED = 3,    /* stopped by the user or a signal */
};

/* Builds the machine, runs it in the foreground until it ends, reports
 * any failure on stderr and returns an enum vmm_exit value. */
int vmm_run(const struct vm_config *cfg);

#endif
