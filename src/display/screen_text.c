/*
 * screen_text.c - the text-mode screen as lines of UTF-8, and the atomic
 * file write that `--screen-text` uses.
 *
 * Characters are translated from code page 437, the VGA ROM font that
 * SeaBIOS, vgabios and GRUB's console assume: the box-drawing and block
 * characters of menus (0xB0-0xDF), the accented letters, and the glyphs
 * IBM put in the control range 0x01-0x1F (arrows, card suits) map to their
 * Unicode equivalents as the Unicode Consortium's CP437 table gives them.
 * NUL and 0xFF (a non-breaking space) become plain spaces so that trailing
 * blanks trim and a script can grep the text.  Attributes (colours) are
 * not represented.  A guest that loaded its own font may mean other
 * shapes; the text shows the CP437 meaning regardless.
 */
#include "display/screen_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint16_t cp437_low[32] = {
	0x0020, 0x263A, 0x263B, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022,
	0x25D8, 0x25CB, 0x25D9, 0x2642, 0x2640, 0x266A, 0x266B, 0x263C,
	0x25BA, 0x25C4, 0x2195, 0x203C, 0x00B6, 0x00A7, 0x25AC, 0x21A8,
	0x2191, 0x2193, 0x2192, 0x2190, 0x221F, 0x2194, 0x25B2, 0x25BC,
};

static const uint16_t cp437_high[128] = {
	0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7,
	0x00EA, 0x00EB, 0x00E8, 0x00EF, 0x00EE, 0x00EC, 0x00C4, 0x00C5,
	0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,
	0x00FF, 0x00D6, 0x00DC, 0x00A2, 0x00A3, 0x00A5, 0x20A7, 0x0192,
	0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA, 0x00BA,
	0x00BF, 0x2310, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
	0x2555, 0x2563, 0x2551, 0x2557, 0x255D, 0x255C, 0x255B, 0x2510,
	0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F,
	0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567,
	0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256B,
	0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
	0x03B1, 0x00DF, 0x0393, 0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4,
	0x03A6, 0x0398, 0x03A9, 0x03B4, 0x221E, 0x03C6, 0x03B5, 0x2229,
	0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248,
	0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2, 0x25A0, 0x0020,
};

uint32_t screen_text_cp437(uint8_t c)
{
	if (c < 0x20)
		return cp437_low[c];
	if (c == 0x7F)
		return 0x2302;
	if (c >= 0x80)
		return cp437_high[c - 0x80];
	return c;
}

/* Appends cp as UTF-8 (cp < 0x10000 here); returns bytes written. */
static size_t utf8_put(char *p, uint32_t cp)
{
	if (cp < 0x80) {
		p[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = (char)(0xC0 | (cp >> 6));
		p[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	p[0] = (char)(0xE0 | (cp >> 12));
	p[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
	p[2] = (char)(0x80 | (cp & 0x3F));
	return 3;
}

/* Formats the cells; see screen_text.h.  The caller frees *out. */
int screen_text_format(const uint16_t *cells, unsigned int cols, unsigned int rows,
		       char **out)
{
	char *buf, *p;

	if (!cells || !cols || !rows || cols > SCREEN_TEXT_MAX_COLS ||
	    rows > SCREEN_TEXT_MAX_ROWS)
		return -EINVAL;
	/* at most 3 bytes per character, a newline per row, the NUL */
	buf = malloc((size_t)rows * (cols * 3 + 1) + 1);
	if (!buf)
		return -ENOMEM;
	p = buf;
	for (unsigned int r = 0; r < rows; r++) {
		const uint16_t *row = cells + (size_t)r * cols;
		unsigned int n = cols;

		while (n && screen_text_cp437((uint8_t)row[n - 1]) == ' ')
			n--;
		for (unsigned int c = 0; c < n; c++)
			p += utf8_put(p, screen_text_cp437((uint8_t)row[c]));
		*p++ = '\n';
	}
	*p = '\0';
	*out = buf;
	return 0;
}

/* Writes text to path through a temporary file and rename. */
int screen_text_save(const char *path, const char *text, size_t len)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 8);
	int fd, r = 0;

	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".XXXXXX", 8);
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	while (len) {
		ssize_t n = write(fd, text, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		text += n;
		len -= (size_t)n;
	}
	if (!r && fchmod(fd, 0644) != 0)
		r = -errno;
	if (close(fd) != 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) != 0)
		r = -errno;
	if (r)
		unlink(tmp);
	free(tmp);
	return r;
}
