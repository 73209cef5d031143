/*
 * png.h - XRGB8888 pixels to and from PNG files, with libpng.
 *
 * Named png_file_* so nothing collides with libpng's own png_* symbols.
 */
#ifndef TTYVM_DISPLAY_PNG_H
#define TTYVM_DISPLAY_PNG_H

#include <stdint.h>

/*
 * Writes width x height XRGB8888 pixels (rows stride pixels apart) as an
 * 8-bit RGB PNG to path, atomically: the data goes to a temporary file in
 * the same directory, which is renamed over path once complete, so a
 * reader never sees half a file.  Returns 0 or -errno (-EINVAL for an
 * empty or oversized image, -EIO when libpng fails).
 */
int png_file_save(const char *path, const uint32_t *pixels, unsigned int width,
		  unsigned int height, unsigned int stride);

/*
 * Reads a PNG of any colour type/depth libpng can convert to 8-bit RGB
 * (alpha is dropped) into a new XRGB8888 buffer, *pixels, width * height
 * with stride width; the caller frees it.  Returns 0 or -errno (-EINVAL
 * for a file that is not a PNG or too large, -EIO on a decoding error).
 */
int png_file_load(const char *path, uint32_t **pixels, unsigned int *width,
		  unsigned int *height);

#endif
