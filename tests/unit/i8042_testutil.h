/*
 * i8042_testutil.h - a real i8042 (with its PS/2 keyboard and mouse) for
 * unit tests, its IRQ lines and VM requests recorded, and the polling
 * read a driver does.  Used by i8042_test.c, ps2_test.c and input_test.c.
 */
#ifndef TTYVM_I8042_TESTUTIL_H
#define TTYVM_I8042_TESTUTIL_H

#include "vmm/dev/i8042.h"

struct i8042_fx {
	int kbd_level, aux_level;          /* IRQ 1 and 12 now */
	unsigned int kbd_rises, aux_rises; /* rising edges seen */
	unsigned int resets, other_req;    /* VM_REQ_RESET, anything else */
	struct i8042 *c;
};

/* A new i8042 whose lines and requests f records (f->c is not set). */
struct i8042 *i8042_fx_make(struct i8042_fx *f);
/* cmocka set-up and tear-down: *state is a struct i8042_fx *. */
int i8042_fx_setup(void **state);
int i8042_fx_teardown(void **state);

/* One byte as a polling driver reads it (status, then data); -1 when nothing waits. */
int i8042_fx_read(struct i8042 *c);

#endif
