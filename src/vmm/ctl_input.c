/*
 * ctl_input.c - the control socket's screen and keyboard requests
 * (ttyvm-control(7)): screenshot, pointer, and the key events of sendkey
 * and type; and the machine side of them (struct ctl_machine_ops's
 * screenshot, key and pointer for a real VM).
 *
 * Not here: the connection that waits while its keys are typed, and the
 * key player (ctl_server.c, ctl_keys.c).  Runs on the event-loop thread,
 * as the server does; the machine calls go to the VGA device and the
 * input router, which take their own locks.
 */
#include "vmm/ctl_input.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "display/fb.h"
#include "display/input.h"
#include "util/parse.h"
#include "vmm/dev/vga.h"
#include "vmm/machine.h"

static uint64_t ctl_input_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* --- requests ------------------------------------------------------------------ */

/* screenshot PATH: the VM process writes the file (it runs as the
 * client's user); a relative path would be the VM's working directory,
 * not the client's, so only absolute ones are taken. */
void ctl_input_screenshot(const struct ctl_machine_ops *ops, void *vm,
			  const struct ctl_request *rq, struct ctl_writer *w)
{
	const char *path = rq->argv[0];
	unsigned int width = 0, height = 0;
	struct stat st;
	int r;

	if (path[0] != '/') {
		ctl_write_error(w, CTL_ERR_BAD_ARGUMENT, "screenshot %.80s: the path must be "
				"absolute (the VM process has its own working directory)", path);
		return;
	}
	r = ops->screenshot ? ops->screenshot(vm, path, &width, &height) : -ENODEV;
	if (r == -ENODEV) {
		ctl_write_error(w, CTL_ERR_NOT_SUPPORTED, "this VM has no display");
		return;
	}
	if (r) {
		ctl_write_error(w, r == -ENOMEM || r == -EIO ? CTL_ERR_INTERNAL
							     : CTL_ERR_BAD_ARGUMENT,
				"cannot write %.80s: %s", path, strerror(-r));
		return;
	}
	ctl_write_word(w, "ok");
	ctl_write_field(w, "path", path);
	ctl_write_field_u64(w, "width", width);
	ctl_write_field_u64(w, "height", height);
	ctl_write_field_u64(w, "bytes", stat(path, &st) == 0 ? (uint64_t)st.st_size : 0);
}


/* pointer X Y [BUTTONS] */
void ctl_input_pointer(const struct ctl_machine_ops *ops, void *vm,
		       const struct ctl_request *rq, struct ctl_writer *w)
{
	uint64_t x, y, b = 0;
	bool absolute = false;
	int r;

	if (parse_uint(rq->argv[0], 0, FB_MAX_DIM, &x) ||
	    parse_uint(rq->argv[1], 0, FB_MAX_DIM, &y) ||
	    (rq->argc > 2 && parse_uint(rq->argv[2], 0, 7, &b))) {
		ctl_write_error(w, CTL_ERR_BAD_ARGUMENT, "usage: pointer X Y [BUTTONS] (pixels; "
				"BUTTONS 0-7: 1 left, 2 right, 4 middle)");
		return;
	}
	if (!ops->pointer) {
		ctl_write_error(w, CTL_ERR_NOT_SUPPORTED, "this VM has no pointer");
		return;
	}
	if (ops->paused(vm)) {
		ctl_write_error(w, CTL_ERR_STATE, "the VM is paused; resume it first");
		return;
	}
	r = ops->pointer(vm, (unsigned int)x, (unsigned int)y, (unsigned int)b,
			    &absolute);
	if (r == -ERANGE) {
		ctl_write_error(w, CTL_ERR_BAD_ARGUMENT, "pointer %llu %llu: outside the "
				"screen", (unsigned long long)x, (unsigned long long)y);
		return;
	}
	if (r) {
		ctl_write_error(w, CTL_ERR_NOT_SUPPORTED, "this VM has no pointer");
		return;
	}
	ctl_write_word(w, "ok");
	ctl_write_field_u64(w, "absolute", absolute);
}

/* sendkey COMBO...: the events of every combination, one after another. */
bool ctl_input_sendkey_events(const struct ctl_request *rq, struct ctl_key_event **out,
			      size_t *count, struct ctl_writer *w)
{
	struct ctl_key_event *ev = malloc(CTL_ARGS_MAX * 2 * CTL_KEYS_COMBO_MAX * sizeof(*ev));
	size_t n = 0;

	if (!ev) {
		ctl_write_error(w, CTL_ERR_INTERNAL, "sendkey: out of memory");
		return false;
	}
	for (unsigned int i = 0; i < rq->argc; i++) {
		char bad[40];
		int r = ctl_keys_combo(rq->argv[i], ev + n, bad, sizeof(bad));
		if (r < 0) {
			ctl_write_error(w, CTL_ERR_BAD_ARGUMENT, "sendkey %.60s: no key '%s' "
					"(or a key twice, or more than %d; `ttyvm sendkey "
					"--list` shows the names)", rq->argv[i], bad,
					CTL_KEYS_COMBO_MAX);
			free(ev);
			return false;
		}
		n += (size_t)r;
	}
	*out = ev;
	*count = n;
	return true;
}

/* type TEXT */
bool ctl_input_type_events(const struct ctl_request *rq, struct ctl_key_event **out,
			   size_t *count, struct ctl_writer *w)
{
	const char *text = rq->argv[0];
	size_t max = 4 * strlen(text) + 2, bad_at = 0;
	struct ctl_key_event *ev;
	int r;

	if (!text[0]) {
		ctl_write_error(w, CTL_ERR_BAD_ARGUMENT, "type: the text is empty");
		return false;
	}
	ev = malloc(max * sizeof(*ev));
	if (!ev) {
		ctl_write_error(w, CTL_ERR_INTERNAL, "type: out of memory");
		return false;
	}
	r = ctl_keys_text(text, ev, max, &bad_at);
	if (r < 0) {
		unsigned char ch = (unsigned char)text[bad_at];
		if (ch >= 0x20 && ch < 0x7f)
			ctl_write_error(w, CTL_ERR_BAD_ARGUMENT, "type: no key types '%c' "
					"(character %zu); type takes ASCII", ch, bad_at + 1);
		else
			ctl_write_error(w, CTL_ERR_BAD_ARGUMENT, "type: no key types byte 0x%02x "
					"(character %zu); type takes printable ASCII, \\n and "
					"\\t", ch, bad_at + 1);
		free(ev);
		return false;
	}
	*out = ev;
	*count = (size_t)r;
	return true;
}

/* --- the machine side ---------------------------------------------------------------- */

/* The size reported is the mode's right after the render, which is the
 * picture's unless the guest switched modes in between. */
int ctl_input_machine_screenshot(void *vm, const char *path, unsigned int *width,
				 unsigned int *height)
{
	struct vga *v = machine_find(vm, "vga");
	struct fb_mode mode;
	int r;

	if (!v)
		return -ENODEV;
	r = vga_screenshot(v, path, ctl_input_now_ns());
	if (r)
		return r;
	fb_get_mode(vga_fb(v), &mode);
	*width = mode.width;
	*height = mode.height;
	return 0;
}

/* Keys go through the machine's input router, to the PS/2 keyboard or
 * the virtio keyboard the guest drives. */
void ctl_input_machine_key(void *vm, unsigned int code, bool down)
{
	struct input *in = machine_find(vm, "input");

	if (in)
		input_key(in, code, down);
}

/* Pixels of the screen as the registers describe it now. */
int ctl_input_machine_pointer(void *vm, unsigned int x, unsigned int y,
			      unsigned int buttons, bool *absolute)
{
	struct input *in = machine_find(vm, "input");
	struct vga *v = machine_find(vm, "vga");
	struct fb_mode mode = { .width = 640, .height = 480 };

	if (!in)
		return -ENODEV;
	if (v)
		vga_get_mode(v, &mode);
	if (x >= mode.width || y >= mode.height)
		return -ERANGE;
	input_pointer_abs(in, (int)x, (int)y, mode.width, mode.height, 0, buttons);
	*absolute = input_abs_active(in);
	return 0;
}
