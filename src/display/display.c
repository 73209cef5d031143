/*
 * display.c - the `--display` option and the [display] keys as values,
 * and the VNC password source.
 *
 * What it is not: no drawing and no sockets; vnc.c and sdl.c are the
 * consumers, display_dev.c starts them.
 */
#include "display/display.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/parse.h"

static bool host_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

int display_parse_vnc_listen(const char *s, char *host, size_t hostlen, int *display,
			     char *why, size_t whylen)
{
	static const char rule[] = "expected HOST:DISPLAY, :DISPLAY or HOST (HOST an "
				   "address, a host name, [IPv6] or *; DISPLAY 0-59635, "
				   "port 5900+DISPLAY)";
	const char *colon, *hend, *hstart = s;
	size_t hl;

	*display = -1;
	if (!s || !*s)
		goto bad;
	if (s[0] == '[') {
		hend = strchr(s, ']');
		if (!hend || hend == s + 1)
			goto bad;
		hstart = s + 1;
		colon = hend[1] == ':' ? hend + 1 : NULL;
		if (hend[1] && !colon)
			goto bad;
		for (const char *p = hstart; p < hend; p++)
			if (!(host_char_ok(*p) || *p == ':' || *p == '%'))
				goto bad;
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon)
			goto bad;               /* a bare IPv6 address: use [..] */
		hend = colon ? colon : s + strlen(s);
		if (!(hend - s == 1 && s[0] == '*'))
			for (const char *p = s; p < hend; p++)
				if (!host_char_ok(*p))
					goto bad;
	}
	hl = (size_t)(hend - hstart);
	if (hl == 0) {
		snprintf(host, hostlen, "%s", DISPLAY_VNC_HOST);
	} else {
		if (hl >= hostlen)
			goto bad;
		memcpy(host, hstart, hl);
		host[hl] = '\0';
	}
	if (colon) {
		uint64_t v;
		if (parse_uint(colon + 1, 0, DISPLAY_VNC_MAX, &v))
			goto bad;
		*display = (int)v;
	} else if (hl == 0) {
		goto bad;
	}
	return 0;
bad:
	snprintf(why, whylen, "%s", rule);
	return -EINVAL;
}

static int set_str(char **f, const char *v)
{
	char *d = strdup(v);

	if (!d)
		return -ENOMEM;
	free(*f);
	*f = d;
	return 0;
}

int display_parse_option(const char *val, struct display_config *dc, char *why,
			 size_t whylen)
{
	static const char rule[] = "expected none, sdl, vnc[=HOST:DISPLAY] or sdl,vnc, "
				   "and password-file=PATH for VNC";
	char host[DISPLAY_HOST_MAX], sub[160];
	char *copy = strdup(val ? val : ""), *tok, *save = NULL;
	unsigned int mode = 0;
	bool none = false, any = false;
	int disp, r = 0;

	if (!copy) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		any = true;
		if (strcmp(tok, "none") == 0) {
			none = true;
		} else if (strcmp(tok, "sdl") == 0) {
			mode |= DISPLAY_SDL;
		} else if (strcmp(tok, "vnc") == 0) {
			mode |= DISPLAY_VNC;
		} else if (strncmp(tok, "vnc=", 4) == 0) {
			mode |= DISPLAY_VNC;
			if (display_parse_vnc_listen(tok + 4, host, sizeof(host), &disp, sub,
						     sizeof(sub))) {
				snprintf(why, whylen, "vnc=%s: %s", tok + 4, sub);
				r = -EINVAL;
				break;
			}
			if ((r = set_str(&dc->vnc_listen, tok + 4)))
				break;
		} else if (strncmp(tok, "password-file=", 14) == 0 && tok[14]) {
			if ((r = set_str(&dc->vnc_password_file, tok + 14)))
				break;
		} else {
			snprintf(why, whylen, "unknown '%s'; %s", tok, rule);
			r = -EINVAL;
			break;
		}
	}
	free(copy);
	if (r == -ENOMEM)
		snprintf(why, whylen, "out of memory");
	if (r)
		return r;
	if (!any || (none && mode)) {
		snprintf(why, whylen, "%s", rule);
		return -EINVAL;
	}
	dc->mode = (enum display_mode)mode;
	return 0;
}

void display_config_free(struct display_config *dc)
{
	free(dc->vnc_listen);
	free(dc->vnc_password_file);
	dc->vnc_listen = dc->vnc_password_file = NULL;
}

int display_vnc_password(const struct display_config *dc, char **out)
{
	char buf[256];
	const char *env;

	*out = NULL;
	if (dc->vnc_password_file) {
		FILE *f = fopen(dc->vnc_password_file, "re");
		if (!f)
			return -errno;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		buf[strcspn(buf, "\r\n")] = '\0';
		if (!buf[0])
			return -ENODATA;
		*out = strdup(buf);
		explicit_bzero(buf, sizeof(buf));
		return *out ? 0 : -ENOMEM;
	}
	env = getenv("TTYVM_VNC_PASSWORD");
	if (env && *env) {
		*out = strdup(env);
		return *out ? 0 : -ENOMEM;
	}
	return 0;
}
