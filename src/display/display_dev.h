/*
 * display_dev.h - the running displays of a machine (the device
 * "display", machine_find(m, "display")); see display_dev.c.
 */
#ifndef TTYVM_DISPLAY_DEV_H
#define TTYVM_DISPLAY_DEV_H

struct display;

/* "HOST:PORT" of the VNC server, or NULL when there is none. */
const char *display_vnc_address(struct display *d);

#endif
