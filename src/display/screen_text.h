/*
 * screen_text.h - a text-mode screen as UTF-8 text, for scripts and tests.
 */
#ifndef TTYVM_SCREEN_TEXT_H
#define TTYVM_SCREEN_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define SCREEN_TEXT_MAX_COLS 256
#define SCREEN_TEXT_MAX_ROWS 256

/* The Unicode code point code page 437 shows for byte c (0x00 and 0xFF: space). */
uint32_t screen_text_cp437(uint8_t c);

/*
 * Formats cols x rows cells (character in the low byte, attribute in the
 * high byte, row-major) as UTF-8: one line per row, each ending in '\n',
 * trailing spaces trimmed.  *out is a new NUL-terminated string the
 * caller frees.  Returns 0, -EINVAL (no cells or more than the maximum)
 * or -ENOMEM.
 */
int screen_text_format(const uint16_t *cells, unsigned int cols, unsigned int rows,
		       char **out);

/*
 * Replaces path with text atomically (a temporary file in the same
 * directory, then rename), so a reader sees the old or the new screen,
 * never a mix.  Returns 0 or -errno.
 */
int screen_text_save(const char *path, const char *text, size_t len);

#endif
