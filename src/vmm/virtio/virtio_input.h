/*
 * virtio_input.h - virtio input device (virtio 1.2, section 5.8) on the
 * virtio PCI transport: a tablet (absolute pointer, three buttons, a
 * wheel) or a keyboard (every key, LEDs), speaking Linux evdev events.
 *
 * The host side feeds events in (virtio_input_key(), virtio_input_abs(),
 * from any thread: the input router's sinks); they wait in a bounded
 * queue of the device until the guest's driver has made event buffers
 * available.  The guest's status messages (keyboard LEDs) are read,
 * checked and remembered.
 */
#ifndef TTYVM_VIRTIO_INPUT_H
#define TTYVM_VIRTIO_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/guest_mem.h"
#include "vmm/snap.h"

struct virtio_pci;
struct virtio_input;

/* device configuration selectors (5.8.4) */
#define VIRTIO_INPUT_CFG_UNSET      0x00
#define VIRTIO_INPUT_CFG_ID_NAME    0x01
#define VIRTIO_INPUT_CFG_ID_SERIAL  0x02
#define VIRTIO_INPUT_CFG_ID_DEVIDS  0x03
#define VIRTIO_INPUT_CFG_PROP_BITS  0x10
#define VIRTIO_INPUT_CFG_EV_BITS    0x11
#define VIRTIO_INPUT_CFG_ABS_INFO   0x12

/* struct virtio_input_config offsets */
#define VIRTIO_INPUT_CFG_SELECT  0
#define VIRTIO_INPUT_CFG_SUBSEL  1
#define VIRTIO_INPUT_CFG_SIZE    2
#define VIRTIO_INPUT_CFG_U       8      /* the union: string, bitmap, abs, ids */
#define VIRTIO_INPUT_CFG_U_LEN   128
#define VIRTIO_INPUT_CFG_LEN     (VIRTIO_INPUT_CFG_U + VIRTIO_INPUT_CFG_U_LEN)

#define VIRTIO_INPUT_EVENT_SIZE  8      /* le16 type, le16 code, le32 value */
#define VIRTIO_INPUT_QUEUE_SIZE  64
#define VIRTIO_INPUT_EVENTQ      0
#define VIRTIO_INPUT_STATUSQ     1
/* Events held for a driver that has not given buffers yet; whole reports
 * that do not fit are dropped (counted). */
#define VIRTIO_INPUT_PENDING     256

/* What the tablet reports: ABS_X and ABS_Y from 0 to this. */
#define VIRTIO_INPUT_ABS_MAX     0x7FFF

/* IDs in ID_DEVIDS: BUS_VIRTUAL and QEMU's vendor/product numbers, which
 * guests already know. */
#define VIRTIO_INPUT_BUSTYPE     0x06
#define VIRTIO_INPUT_VENDOR      0x0627
#define VIRTIO_INPUT_PRODUCT_KBD 0x0001
#define VIRTIO_INPUT_PRODUCT_TABLET 0x0003

enum virtio_input_kind {
	VIRTIO_INPUT_TABLET,
	VIRTIO_INPUT_KEYBOARD,
};

struct virtio_input_params {
	enum virtio_input_kind kind;
	const char *serial;         /* ID_SERIAL; NULL: none */
	/* keyboard: the KEY_* codes it has (the key table's); NULL: 1..255 */
	const uint16_t *keys;
	unsigned int nkeys;
	struct guest_mem *mem;
};

/* Creates the device and its PCI function.  0 and *out, or -errno. */
int virtio_input_create(const struct virtio_input_params *p, struct virtio_input **out);
void virtio_input_destroy(struct virtio_input *vi);

/* The transport, for pci_bus_add(virtio_pci_dev(...)) and tests. */
struct virtio_pci *virtio_input_transport(struct virtio_input *vi);

/* true while the guest's driver runs the device (DRIVER_OK, event queue
 * enabled): then it should get the events of its kind. */
bool virtio_input_active(struct virtio_input *vi);

/*
 * Keyboard: a KEY_* code pressed or released (a press of a key already
 * down is sent as autorepeat, value 2).  Tablet: buttons BTN_LEFT,
 * BTN_RIGHT and BTN_MIDDLE are taken too.  Codes the device does not
 * have are dropped.  Any thread.
 */
void virtio_input_key(struct virtio_input *vi, unsigned int code, bool down);

/*
 * Tablet: the pointer at (x, y) in 0..VIRTIO_INPUT_ABS_MAX (clamped),
 * dz wheel steps towards the user (sent as REL_WHEEL -dz), buttons a mask
 * of bit 0 left, 1 right, 2 middle.  One report.  Any thread.
 */
void virtio_input_abs(struct virtio_input *vi, unsigned int x, unsigned int y, int dz,
		      unsigned int buttons);

/* Keyboard LEDs the guest set: bit 0 Num Lock, 1 Caps Lock, 2 Scroll Lock. */
unsigned int virtio_input_leds(struct virtio_input *vi);

/* Counters for tests and diagnostics. */
struct virtio_input_stats {
	uint64_t sent;          /* events written into guest buffers */
	uint64_t dropped;       /* events dropped: the pending queue was full */
	uint64_t bad_buffers;   /* event buffers too short or not writable */
	uint64_t bad_status;    /* status messages that were not a known LED */
};
void virtio_input_get_stats(struct virtio_input *vi, struct virtio_input_stats *st);

/* Saves or loads the whole device (PCI, transport, queues, state). */
int virtio_input_snapshot(struct virtio_input *vi, struct snap *s);

#endif
