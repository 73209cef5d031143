/*
 * machine_ctl.h - what the control socket (and signals, and the serial
 * escape) may do to a running machine.  Called on the event-loop thread.
 */
#ifndef TTYVM_MACHINE_CTL_H
#define TTYVM_MACHINE_CTL_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

enum machine_state {
	MACHINE_RUNNING,
	MACHINE_PAUSED,
};

/* Parks every vCPU (devices keep their state).  0 or -EALREADY. */
int machine_pause(struct machine *m);
/* Lets the vCPUs run again.  0 or -EALREADY when not paused. */
int machine_resume(struct machine *m);
enum machine_state machine_state(struct machine *m);
/* Presses the ACPI power button (the guest decides).  0 or -ENODEV. */
int machine_powerdown(struct machine *m);
/* Hardware reset, as the reset button.  */
void machine_reset(struct machine *m);
/* Pulls the plug: the run ends at once (exit status 3). */
void machine_stop(struct machine *m);
/* Times the guest was reset since start. */
unsigned int machine_resets(struct machine *m);

#endif
