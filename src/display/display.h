/*
 * display.h - what shows a VM's screen: parsing the `--display` option
 * and the [display] keys, and (display.c's device "display") starting the
 * SDL window and the VNC server a configuration asks for.
 */
#ifndef TTYVM_DISPLAY_H
#define TTYVM_DISPLAY_H

#include <stddef.h>

#include "vmm/config.h"

/* VNC display N listens on TCP port DISPLAY_VNC_BASE_PORT + N. */
#define DISPLAY_VNC_BASE_PORT 5900
#define DISPLAY_VNC_MAX       59635            /* port 65535 */
#define DISPLAY_VNC_HOST      "127.0.0.1"      /* the default: this host only */
#define DISPLAY_HOST_MAX      256

/*
 * Parses a VNC listen address: "HOST:DISPLAY", ":DISPLAY" (HOST
 * 127.0.0.1) or "HOST" (the first free display from :0 up).  HOST is an
 * IPv4 address, a host name, "[IPv6]" or "*" (every interface).  Writes
 * the host (brackets removed) into host[hostlen] and the display into
 * *display (-1: the first free one).  Returns 0, or -EINVAL with what is
 * wrong and allowed in why.
 */
int display_parse_vnc_listen(const char *s, char *host, size_t hostlen, int *display,
			     char *why, size_t whylen);

/*
 * Parses the value of `--display`: a comma-separated list of "none",
 * "sdl", "vnc", "vnc=HOST:DISPLAY" and "password-file=PATH" into dc
 * (mode, vnc_listen, vnc_password_file; strings replaced and owned by dc).
 * Returns 0, or -EINVAL / -ENOMEM with a message in why.
 */
int display_parse_option(const char *val, struct display_config *dc, char *why,
			 size_t whylen);

/* Frees dc's strings. */
void display_config_free(struct display_config *dc);

/*
 * The VNC password: the first line of dc->vnc_password_file when set,
 * else $TTYVM_VNC_PASSWORD, else none (*out NULL).  RFB's VNC
 * authentication uses 8 characters at most; longer ones are cut (the
 * caller warns).  Returns 0 (*out malloc'ed or NULL) or -errno.
 */
int display_vnc_password(const struct display_config *dc, char **out);

#endif
