/*
 * png.c - screenshots as PNG files (ISO/IEC 15948, through libpng 1.6).
 *
 * The writer takes the framebuffer's XRGB8888 rows as they are: libpng is
 * told the input has a filler byte after each BGR triple (which is how
 * 0x00RRGGBB lies in memory on a little-endian host) and strips it, so no
 * converted copy of the image is made.  Output is 8-bit RGB, no alpha,
 * default zlib level.  Files are written under a temporary name and
 * renamed into place, so scripts polling for the file never read half a
 * PNG.  The reader exists for tests and tools that compare screenshots.
 *
 * libpng reports errors by longjmp from its error callback; both paths
 * keep every object they must free in variables set before setjmp() and
 * never changed after, and neither prints anything (warnings are
 * swallowed, errors become -EIO).
 */
#include "display/png.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PNG_FILE_MAX_DIM 16384

static void png_file_error(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void png_file_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* Encodes the image to f.  0 or -EIO / -ENOMEM. */
static int png_encode(FILE *f, const uint32_t *pixels, unsigned int width,
		      unsigned int height, unsigned int stride)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
						  png_file_error, png_file_warning);
	png_infop info = png ? png_create_info_struct(png) : NULL;

	if (!png || !info) {
		png_destroy_write_struct(png ? &png : NULL, NULL);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -EIO;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	/* rows in memory: B, G, R, X per pixel (little-endian 0x00RRGGBB) */
	png_set_filler(png, 0, PNG_FILLER_AFTER);
	png_set_bgr(png);
	for (unsigned int y = 0; y < height; y++)
		png_write_row(png, (png_const_bytep)(pixels + (size_t)y * stride));
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

/* Writes the image atomically; see png.h. */
int png_file_save(const char *path, const uint32_t *pixels, unsigned int width,
		  unsigned int height, unsigned int stride)
{
	size_t plen = strlen(path);
	char *tmp;
	FILE *f;
	int fd, r;

	if (!width || !height || width > PNG_FILE_MAX_DIM || height > PNG_FILE_MAX_DIM ||
	    stride < width || !pixels)
		return -EINVAL;
	tmp = malloc(plen + 8);
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
	f = fdopen(fd, "wb");
	if (!f) {
		r = -errno;
		close(fd);
		goto fail;
	}
	r = png_encode(f, pixels, width, height, stride);
	if (fflush(f) != 0 && !r)
		r = -errno;
	if (fchmod(fileno(f), 0644) != 0 && !r)
		r = -errno;
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (r)
		goto fail;
	if (rename(tmp, path) != 0) {
		r = -errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	return r;
}

/* Decodes f into a new XRGB buffer.  0 or -errno. */
static int png_decode(FILE *f, uint32_t **out, unsigned int *width, unsigned int *height)
{
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL,
						 png_file_error, png_file_warning);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	/* set before setjmp, freed on both paths: survives a longjmp */
	uint32_t *volatile pix = NULL;
	png_bytep *volatile rows = NULL;

	if (!png || !info) {
		png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		if (rows)
			png_free(png, rows);
		png_destroy_read_struct(&png, &info, NULL);
		free(pix);
		return -EIO;
	}
	png_init_io(png, f);
	png_read_info(png, info);
	png_uint_32 w = png_get_image_width(png, info);
	png_uint_32 h = png_get_image_height(png, info);
	int ctype = png_get_color_type(png, info);
	int depth = png_get_bit_depth(png, info);
	if (!w || !h || w > PNG_FILE_MAX_DIM || h > PNG_FILE_MAX_DIM) {
		png_destroy_read_struct(&png, &info, NULL);
		return -EINVAL;
	}
	/* everything to 8-bit B, G, R, X in memory */
	if (ctype == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA)
		png_set_gray_to_rgb(png);
	if (depth == 16)
		png_set_strip_16(png);
	if (depth < 8)
		png_set_packing(png);
	if (ctype & PNG_COLOR_MASK_ALPHA)
		png_set_strip_alpha(png);
	png_set_bgr(png);
	png_set_filler(png, 0, PNG_FILLER_AFTER);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	if (png_get_rowbytes(png, info) != (size_t)w * 4)
		png_error(png, "unexpected row size");
	pix = malloc((size_t)w * h * sizeof(uint32_t));
	if (!pix)
		png_error(png, "out of memory");
	rows = png_malloc(png, h * sizeof(png_bytep));
	for (png_uint_32 y = 0; y < h; y++)
		rows[y] = (png_bytep)(pix + (size_t)y * w);
	png_read_image(png, rows);
	png_free(png, rows);
	rows = NULL;
	png_read_end(png, NULL);
	png_destroy_read_struct(&png, &info, NULL);
	*out = pix;
	*width = w;
	*height = h;
	return 0;
}

/* Reads a PNG file; see png.h. */
int png_file_load(const char *path, uint32_t **pixels, unsigned int *width,
		  unsigned int *height)
{
	uint8_t sig[8];
	FILE *f = fopen(path, "rb");
	int r;

	if (!f)
		return -errno;
	if (fread(sig, 1, sizeof(sig), f) != sizeof(sig) || png_sig_cmp(sig, 0, sizeof(sig))) {
		fclose(f);
		return -EINVAL;
	}
	rewind(f);
	r = png_decode(f, pixels, width, height);
	fclose(f);
	return r;
}
