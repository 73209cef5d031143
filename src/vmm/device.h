/*
 * device.h - how a device model plugs into the machine.
 *
 * Every device file ends with one DEVICE_DEFINE(...) naming a const
 * struct device_desc.  The descriptors land in a linker section, so adding
 * a device touches no central list; the machine walks the section in
 * `order` and calls setup(), which looks at the configuration and creates
 * zero or more instances (one UART per configured serial port, say),
 * registers their traps and attaches each with machine_attach().
 *
 * The device core (uart_create(), uart_read(), ...) takes plain
 * parameters - irq lines, backends, callbacks - and never the machine,
 * so it runs in a unit test without /dev/kvm.  setup() is the only glue.
 */
#ifndef TTYVM_DEVICE_H
#define TTYVM_DEVICE_H

#include <stdint.h>

#include "vmm/snap.h"

struct machine;

enum device_order {
	DEVICE_ORDER_CORE = 10,   /* chipset: PM, sysctl, RTC */
	DEVICE_ORDER_BUS = 20,    /* PCI host (later) */
	DEVICE_ORDER_DEV = 30,    /* ordinary devices */
	DEVICE_ORDER_LATE = 40,
};

/* What a device asks of the machine. */
enum vm_request {
	VM_REQ_NONE = 0,
	VM_REQ_POWEROFF,  /* ACPI S5, clean shutdown: exit 0 */
	VM_REQ_RESET,     /* system reset: reboot the guest */
};

struct vm_request_cb {
	void (*fn)(void *ctx, enum vm_request req);
	void *ctx;
};

static inline void vm_request(const struct vm_request_cb *cb, enum vm_request r)
{
	if (cb && cb->fn)
		cb->fn(cb->ctx, r);
}

struct device_desc {
	const char *name;
	enum device_order order;
	/* Creates the instances the config asks for.  0 or -errno. */
	int (*setup)(struct machine *m);
	/* Per instance: */
	void (*teardown)(void *dev);
	void (*reset)(void *dev);                      /* system reset */
	int (*snapshot)(void *dev, struct snap *s);    /* save or load */
	void (*pause)(void *dev);
	void (*resume)(void *dev);
};

#define DEVICE_DEFINE(desc)                                                  \
	static const struct device_desc *const device_ptr_##desc             \
		__attribute__((used, section("ttyvm_devices"),               \
			       aligned(sizeof(void *)))) = &(desc)

#endif
