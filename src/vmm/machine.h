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

/*
 * Host memory mapped into the guest as a KVM memory slot: ROMs
 * (MACHINE_MEM_READONLY: guest writes exit as MMIO to the trap map) and
 * framebuffers (MACHINE_MEM_DIRTY_LOG: KVM records written pages).  The
 * mapping survives a system reset.  gpa, size and hva must be page
 * aligned.  Returns a handle >= 0 or -errno (-EBUSY on overlap with RAM or
 * another mapping, -ENOSPC when out of slots).
 */
#define MACHINE_MEM_READONLY  0x1
#define MACHINE_MEM_DIRTY_LOG 0x2
int machine_map_memory(struct machine *m, uint64_t gpa, uint64_t size, void *hva,
		       unsigned int flags);
int machine_unmap_memory(struct machine *m, int handle);
/*
 * Copies and clears the dirty bitmap of a MACHINE_MEM_DIRTY_LOG mapping:
 * one bit per 4 KiB page, bitmap holds (size/4096+63)/64 words.  0 or -errno.
 */
int machine_dirty_log(struct machine *m, int handle, uint64_t *bitmap);

/* Delivers a message-signalled interrupt (KVM_SIGNAL_MSI). */
void machine_msi(struct machine *m, uint64_t addr, uint32_t data);

/* The PCI bus, once the host bridge has set it up (DEVICE_ORDER_BUS). */
struct pci_bus;
struct pci_bus *machine_pci_bus(struct machine *m);
void machine_set_pci_bus(struct machine *m, struct pci_bus *bus);

#endif
