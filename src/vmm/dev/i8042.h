/*
 * i8042.h - the PS/2 controller with a keyboard and a mouse behind it.
 *
 * The core takes two interrupt lines and a request callback (for the
 * controller's reset line) and never the machine; i8042.c's setup glue
 * puts it on ports 0x60 and 0x64.
 */
#ifndef TTYVM_DEV_I8042_H
#define TTYVM_DEV_I8042_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/dev/ps2.h"
#include "vmm/device.h"
#include "vmm/irq.h"
#include "vmm/snap.h"

/* Bytes each device can hold before input is dropped. */
#define I8042_QUEUE_SIZE PS2_QUEUE_SIZE

/* status register (port 0x64, read) */
#define I8042_STR_OBF     0x01
#define I8042_STR_IBF     0x02
#define I8042_STR_SYS     0x04
#define I8042_STR_CMD     0x08   /* last write went to port 0x64 */
#define I8042_STR_UNLOCK  0x10
#define I8042_STR_AUXOBF  0x20

/* command byte (controller RAM byte 0) */
#define I8042_CTR_KBDINT  0x01
#define I8042_CTR_AUXINT  0x02
#define I8042_CTR_SYS     0x04
#define I8042_CTR_KBDDIS  0x10
#define I8042_CTR_AUXDIS  0x20
#define I8042_CTR_XLATE   0x40

/* mouse buttons for i8042_mouse_input(), in PS/2 packet order */
#define I8042_BTN_LEFT    PS2_BTN_LEFT
#define I8042_BTN_RIGHT   PS2_BTN_RIGHT
#define I8042_BTN_MIDDLE  PS2_BTN_MIDDLE

struct i8042;

/*
 * Creates a controller in its reset state (command byte 0x45: keyboard
 * interrupt, system flag, set 2 to set 1 translation).  kbd is IRQ 1, aux
 * IRQ 12; req receives VM_REQ_RESET when the guest pulses the reset line.
 * All three are copied and may be NULL.  Returns NULL when out of memory.
 * Free with i8042_destroy().
 */
struct i8042 *i8042_create(const struct irq_line *kbd, const struct irq_line *aux,
			   const struct vm_request_cb *req);
void i8042_destroy(struct i8042 *c);

/* Port 0x60: output buffer (read) and device / parameter data (write). */
uint8_t i8042_read_data(struct i8042 *c);
void i8042_write_data(struct i8042 *c, uint8_t val);
/* Port 0x64: status (read) and controller command (write). */
uint8_t i8042_read_status(struct i8042 *c);
void i8042_write_cmd(struct i8042 *c, uint8_t val);

/*
 * Host keyboard input: scancode set 2 bytes of one key event (e.g. "E0 F0
 * 74" for releasing Right).  The keyboard converts them if the guest chose
 * set 1; the controller converts set 2 to set 1 on the way out when the
 * command byte's translation bit is on.  The whole event is dropped when
 * the keyboard's queue cannot hold it (the first such event leaves an
 * overrun code) or scanning is disabled; while a keyboard command awaits
 * its argument the event is queued and delivered after the argument.
 */
void i8042_kbd_input(struct i8042 *c, const uint8_t *set2_bytes, size_t len);

/*
 * Host mouse input: relative motion (dx right, dy down, as SDL and VNC
 * report; dz wheel, positive towards the user) and the buttons now down
 * (I8042_BTN_*).  Large motions are split into several packets; packets
 * that do not fit the queue are dropped, as is everything while the guest
 * has not enabled reporting.
 */
void i8042_mouse_input(struct i8042 *c, int dx, int dy, int dz, unsigned int buttons);

/* System reset: controller, keyboard and mouse to power-on state. */
void i8042_reset(struct i8042 *c);

/* Saves or loads controller, keyboard and mouse state.  0 or -errno. */
int i8042_snapshot(struct i8042 *c, struct snap *s);

#endif
