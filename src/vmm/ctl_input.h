/*
 * ctl_input.h - the control socket's screen and keyboard requests
 * (screenshot, pointer, sendkey, type), for ctl_server.c, and the
 * machine side of them.  Each request function writes its reply (ok or
 * error) into w.
 */
#ifndef TTYVM_CTL_INPUT_H
#define TTYVM_CTL_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "ui/ctl_proto.h"
#include "vmm/ctl_keys.h"
#include "vmm/ctl_server.h"

/* screenshot PATH (absolute only: the VM works in its own directory). */
void ctl_input_screenshot(const struct ctl_machine_ops *ops, void *vm,
			  const struct ctl_request *rq, struct ctl_writer *w);
/* pointer X Y [BUTTONS]. */
void ctl_input_pointer(const struct ctl_machine_ops *ops, void *vm,
		       const struct ctl_request *rq, struct ctl_writer *w);

/*
 * The key events of a sendkey / type request into a new array (*out, the
 * caller frees it) of *count; false with an error in w when a name or a
 * character is wrong (nothing allocated then).
 */
bool ctl_input_sendkey_events(const struct ctl_request *rq, struct ctl_key_event **out,
			      size_t *count, struct ctl_writer *w);
bool ctl_input_type_events(const struct ctl_request *rq, struct ctl_key_event **out,
			   size_t *count, struct ctl_writer *w);

/* struct ctl_machine_ops's screenshot, key and pointer for a struct
 * machine: the VGA device and the input router ("vga", "input"). */
int ctl_input_machine_screenshot(void *vm, const char *path, unsigned int *width,
				 unsigned int *height);
void ctl_input_machine_key(void *vm, unsigned int code, bool down);
int ctl_input_machine_pointer(void *vm, unsigned int x, unsigned int y,
			      unsigned int buttons, bool *absolute);

#endif
