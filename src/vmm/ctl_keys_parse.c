/*
 * ctl_keys_parse.c - `sendkey` combinations and `type` text as key
 * events (ctl_keys.h), with the names and characters of the one key table
 * (display/keymap.h).  Pure functions.
 */
#include "vmm/ctl_keys.h"

#include <errno.h>
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <string.h>

#include "display/keymap.h"

/* --- parsing ----------------------------------------------------------------- */

int ctl_keys_combo(const char *combo, struct ctl_key_event *ev, char *bad, size_t badlen)
{
	uint16_t codes[CTL_KEYS_COMBO_MAX];
	unsigned int n = 0;
	const char *p = combo;

	if (badlen)
		bad[0] = '\0';
	for (;;) {
		char name[32];
		const char *end = strchr(p, '-');
		/* "-" alone, or "--" at the end: the minus key */
		if (end == p && (p[1] == '\0'))
			end = p + 1;
		else if (!end)
			end = p + strlen(p);
		size_t len = (size_t)(end - p);
		if (len == 0 || len >= sizeof(name)) {
			snprintf(bad, badlen, "%.*s", (int)(len < 31 ? len : 31), p);
			return -EINVAL;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		unsigned int code = strcmp(name, "-") == 0 ? KEY_MINUS : keymap_from_name(name);
		if (!code || n == CTL_KEYS_COMBO_MAX) {
			snprintf(bad, badlen, "%s", name);
			return -EINVAL;
		}
		for (unsigned int i = 0; i < n; i++) {
			if (codes[i] == code) {
				snprintf(bad, badlen, "%s", name);
				return -EINVAL;
			}
		}
		codes[n++] = (uint16_t)code;
		if (*end == '\0')
			break;
		p = end + 1;
		if (*p == '\0') {     /* a trailing '-' that names nothing */
			snprintf(bad, badlen, "%s", combo);
			return -EINVAL;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		ev[i] = (struct ctl_key_event){ codes[i], true };
		ev[n + i] = (struct ctl_key_event){ codes[n - 1 - i], false };
	}
	return (int)(2 * n);
}

int ctl_keys_text(const char *text, struct ctl_key_event *ev, size_t max, size_t *bad_at)
{
	bool shift = false;
	size_t n = 0;

#define PUT(c, d) do {                                          \
		if (n == max)                                   \
			return -E2BIG;                          \
		ev[n++] = (struct ctl_key_event){ (c), (d) };   \
	} while (0)

	for (size_t i = 0; text[i]; i++) {
		enum keymap_shift sh = KEYMAP_SHIFT_ANY;
		unsigned int code = keymap_ascii((unsigned char)text[i], &sh);
		if (!code) {
			*bad_at = i;
			return -EINVAL;
		}
		/* Return, Tab and the like go without Shift (Shift-Tab is
		 * another key to most programs) */
		bool want = sh == KEYMAP_SHIFT_ON;
		if (want != shift) {
			PUT(KEY_LEFTSHIFT, want);
			shift = want;
		}
		PUT((uint16_t)code, true);
		PUT((uint16_t)code, false);
	}
	if (shift)
		PUT(KEY_LEFTSHIFT, false);
#undef PUT
	return (int)n;
}

