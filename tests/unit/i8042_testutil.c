/*
 * i8042_testutil.c - see i8042_testutil.h.
 */
#include "i8042_testutil.h"

#include <stdlib.h>

static void fx_irq(void *ctx, unsigned int gsi, int level)
{
	struct i8042_fx *f = ctx;
	int *l = gsi == 1 ? &f->kbd_level : &f->aux_level;
	unsigned int *r = gsi == 1 ? &f->kbd_rises : &f->aux_rises;

	if (level && !*l)
		(*r)++;
	*l = level;
}

static void fx_req(void *ctx, enum vm_request req)
{
	struct i8042_fx *f = ctx;

	if (req == VM_REQ_RESET)
		f->resets++;
	else
		f->other_req++;
}

struct i8042 *i8042_fx_make(struct i8042_fx *f)
{
	struct irq_line kbd = { fx_irq, f, 1 };
	struct irq_line aux = { fx_irq, f, 12 };
	struct vm_request_cb req = { fx_req, f };

	return i8042_create(&kbd, &aux, &req);
}

int i8042_fx_setup(void **state)
{
	struct i8042_fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->c = i8042_fx_make(f);
	if (!f->c) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int i8042_fx_teardown(void **state)
{
	struct i8042_fx *f = *state;

	i8042_destroy(f->c);
	free(f);
	return 0;
}

int i8042_fx_read(struct i8042 *c)
{
	if (!(i8042_read_status(c) & I8042_STR_OBF))
		return -1;
	return i8042_read_data(c);
}
