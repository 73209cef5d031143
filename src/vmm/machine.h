/*
 * machine.h - what a device's setup() may ask of the machine.
 *
 * The machine owns KVM, guest memory, the trap map, the event loop and the
 * list of attached device instances.  Devices see it only through these
 * calls, and only from setup(); their runtime code gets plain callbacks.
 */
#ifndef TTYVM_MACHINE_H
#define TTYVM_MACHINE_H

#include "vmm/config.h"
#include "vmm/device.h"
#include "vmm/guest_mem.h"
#include "vmm/irq.h"
#include "vmm/trap.h"

struct machine;
struct evloop;
struct chardev;

const struct vm_config *machine_config(const struct machine *m);
struct trap_map *machine_traps(struct machine *m);
struct guest_mem *machine_mem(struct machine *m);
struct evloop *machine_evloop(struct machine *m);

/* A line to IOAPIC pin / PIC input gsi (ISA IRQs 0-15, PCI up to 23). */
struct irq_line machine_irq(struct machine *m, unsigned int gsi);

/* Callback the device uses to ask for poweroff or reset. */
struct vm_request_cb machine_request_cb(struct machine *m);

/* The character backend of serial port idx (0 = COM1), or NULL. */
struct chardev *machine_serial(struct machine *m, unsigned int idx);

/*
 * Attaches an instance: the machine will reset, snapshot and tear it down
 * through desc.  Returns 0 or -ENOMEM (then setup must free dev itself).
 */
int machine_attach(struct machine *m, const struct device_desc *desc, void *dev);

/* The first attached instance of the device named name, or NULL. */
void *machine_find(struct machine *m, const char *name);

#endif
