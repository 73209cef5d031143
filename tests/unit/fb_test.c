/*
 * fb_test.c - the shared framebuffer: change counter, per-tile change map,
 * independent consumers, mode changes and clipping.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "display/fb.h"

static const struct fb_mode mode_64x48 = {
	.kind = FB_GRAPHICS, .width = 64, .height = 48, .bpp = 32,
};

static void test_new_fb_is_empty(void **state)
{
	struct fb *fb = fb_create();
	struct fb_view v;
	struct fb_mode m;
	(void)state;

	assert_non_null(fb);
	assert_int_equal(fb_generation(fb), 0);
	fb_get_mode(fb, &m);
	assert_int_equal(m.kind, FB_BLANK);
	assert_int_equal(m.width, 0);
	fb_view_init(&v);
	assert_int_equal(fb_view_sync(fb, &v), 0);
	assert_null(v.pixels);
	fb_view_free(&v);
	fb_destroy(fb);
}

static void test_begin_refuses_bad_sizes(void **state)
{
	struct fb *fb = fb_create();
	struct fb_mode m = mode_64x48;
	(void)state;

	m.width = 0;
	assert_int_equal(fb_begin(fb, &m), -EINVAL);
	m.width = FB_MAX_DIM + 1;
	assert_int_equal(fb_begin(fb, &m), -EINVAL);
	m = mode_64x48;
	m.height = 0;
	assert_int_equal(fb_begin(fb, &m), -EINVAL);
	assert_int_equal(fb_generation(fb), 0);
	fb_destroy(fb);
}

static void test_counter_moves_only_on_change(void **state)
{
	struct fb *fb = fb_create();
	uint32_t px[4] = { 1, 2, 3, 4 };
	(void)state;

	/* the first frame: new size and mode */
	assert_int_equal(fb_begin(fb, &mode_64x48), 0);
	assert_true(fb_end(fb));
	assert_int_equal(fb_generation(fb), 1);
	/* same mode, nothing drawn: no change */
	assert_int_equal(fb_begin(fb, &mode_64x48), 0);
	assert_false(fb_end(fb));
	assert_int_equal(fb_generation(fb), 1);
	/* drawing black on black: no change either */
	assert_int_equal(fb_begin(fb, &mode_64x48), 0);
	fb_fill(fb, 0, 0, 64, 48, 0);
	assert_false(fb_end(fb));
	assert_int_equal(fb_generation(fb), 1);
	/* real pixels: one step, however many tiles */
	assert_int_equal(fb_begin(fb, &mode_64x48), 0);
	fb_put(fb, 14, 3, 4, 1, px, 4);
	fb_put(fb, 40, 40, 4, 1, px, 4);
	assert_true(fb_end(fb));
	assert_int_equal(fb_generation(fb), 2);
	/* the same pixels again: no step */
	assert_int_equal(fb_begin(fb, &mode_64x48), 0);
	fb_put(fb, 14, 3, 4, 1, px, 4);
	assert_false(fb_end(fb));
	assert_int_equal(fb_generation(fb), 2);
	fb_destroy(fb);
}

static void test_view_copies_changed_tiles(void **state)
{
	struct fb *fb = fb_create();
	struct fb_view v;
	uint32_t px[4] = { 0x112233, 0x445566, 0x778899, 0xAABBCC };
	(void)state;

	fb_view_init(&v);
	assert_int_equal(fb_begin(fb, &mode_64x48), 0);
	fb_end(fb);
	/* first sync: everything, as a mode change */
	assert_int_equal(fb_view_sync(fb, &v), 4 * 3);
	assert_true(v.mode_changed);
	assert_int_equal(v.mode.width, 64);
	assert_int_equal(v.tiles_x, 4);
	assert_int_equal(v.tiles_y, 3);
	/* nothing new */
	assert_int_equal(fb_view_sync(fb, &v), 0);
	assert_false(v.mode_changed);
	assert_int_equal(v.ndirty, 0);

	/* a span across the boundary of tiles 0 and 1 in tile row 1 */
	assert_int_equal(fb_begin(fb, &mode_64x48), 0);
	fb_put(fb, 14, 20, 4, 1, px, 4);
	fb_end(fb);
	assert_int_equal(fb_view_sync(fb, &v), 2);
	assert_false(v.mode_changed);
	assert_true(v.dirty[1 * 4 + 0]);
	assert_true(v.dirty[1 * 4 + 1]);
	assert_false(v.dirty[1 * 4 + 2]);
	assert_false(v.dirty[0]);
	assert_int_equal(v.pixels[20 * 64 + 14], 0x112233);
	assert_int_equal(v.pixels[20 * 64 + 17], 0xAABBCC);
	assert_int_equal(v.gen, fb_generation(fb));

	/* dirty rectangles: one run of two tiles */
	unsigned int it = 0;
	struct fb_rect r;
	assert_true(fb_view_next_rect(&v, &it, &r));
	assert_int_equal(r.x, 0);
	assert_int_equal(r.y, 16);
	assert_int_equal(r.w, 32);
	assert_int_equal(r.h, 16);
	assert_false(fb_view_next_rect(&v, &it, &r));
	fb_view_free(&v);
	fb_destroy(fb);
}

static void test_views_are_independent(void **state)
{
	struct fb *fb = fb_create();
	struct fb_view a, b;
	uint32_t one = 7;
	(void)state;

	fb_view_init(&a);
	fb_view_init(&b);
	assert_int_equal(fb_begin(fb, &mode_64x48), 0);
	fb_end(fb);
	assert_true(fb_view_sync(fb, &a) > 0);
	assert_int_equal(fb_begin(fb, &mode_64x48), 0);
	fb_put(fb, 0, 0, 1, 1, &one, 1);
	fb_end(fb);
	assert_int_equal(fb_begin(fb, &mode_64x48), 0);
	fb_put(fb, 63, 47, 1, 1, &one, 1);
	fb_end(fb);
	/* a saw the first frame: two tiles changed since */
	assert_int_equal(fb_view_sync(fb, &a), 2);
	assert_true(a.dirty[0]);
	assert_true(a.dirty[2 * 4 + 3]);
	/* b never synced: it gets everything, and a's sync took nothing from it */
	assert_int_equal(fb_view_sync(fb, &b), 12);
	assert_int_equal(b.pixels[0], 7);
	assert_int_equal(b.pixels[47 * 64 + 63], 7);
	fb_view_free(&a);
	fb_view_free(&b);
	fb_destroy(fb);
}

static void test_resize_and_mode_change(void **state)
{
	struct fb *fb = fb_create();
	struct fb_view v;
	struct fb_mode text = { .kind = FB_TEXT, .width = 64, .height = 48, .cols = 8, .rows = 3 };
	struct fb_mode big = mode_64x48;
	uint32_t one = 9;
	(void)state;

	fb_view_init(&v);
	assert_int_equal(fb_begin(fb, &mode_64x48), 0);
	fb_put(fb, 5, 5, 1, 1, &one, 1);
	fb_end(fb);
	fb_view_sync(fb, &v);
	/* same size, other kind: counts as a change, pixels kept */
	assert_int_equal(fb_begin(fb, &text), 0);
	assert_true(fb_end(fb));
	assert_int_equal(fb_view_sync(fb, &v), 12);
	assert_true(v.mode_changed);
	assert_int_equal(v.mode.kind, FB_TEXT);
	assert_int_equal(v.pixels[5 * 64 + 5], 9);
	/* new size: black, all tiles */
	big.width = 100;
	big.height = 20;
	assert_int_equal(fb_begin(fb, &big), 0);
	assert_true(fb_end(fb));
	assert_int_equal(fb_view_sync(fb, &v), 7 * 2);
	assert_true(v.mode_changed);
	assert_int_equal(v.mode.width, 100);
	for (unsigned int i = 0; i < 100 * 20; i++)
		assert_int_equal(v.pixels[i], 0);
	/* a partial last tile: rectangles are clipped to the screen */
	unsigned int it = 0, n = 0;
	struct fb_rect r;
	while (fb_view_next_rect(&v, &it, &r)) {
		assert_true(r.x + r.w <= 100);
		assert_true(r.y + r.h <= 20);
		n++;
	}
	assert_int_equal(n, 2); /* one run per tile row */
	fb_view_free(&v);
	fb_destroy(fb);
}

static void test_put_and_fill_clip(void **state)
{
	struct fb *fb = fb_create();
	struct fb_view v;
	uint32_t px[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	(void)state;

	fb_view_init(&v);
	assert_int_equal(fb_begin(fb, &mode_64x48), 0);
	fb_put(fb, 60, 47, 8, 1, px, 8);    /* half off the right edge */
	fb_put(fb, 64, 0, 8, 1, px, 8);     /* entirely off */
	fb_put(fb, 0, 48, 8, 1, px, 8);
	fb_fill(fb, 62, 46, 100, 100, 5);   /* clipped fill */
	fb_end(fb);
	fb_view_sync(fb, &v);
	assert_int_equal(v.pixels[47 * 64 + 60], 1);
	assert_int_equal(v.pixels[47 * 64 + 63], 5);
	assert_int_equal(v.pixels[46 * 64 + 62], 5);
	assert_int_equal(v.pixels[0], 0);
	fb_view_free(&v);
	fb_destroy(fb);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_new_fb_is_empty),
	cmocka_unit_test(test_begin_refuses_bad_sizes),
	cmocka_unit_test(test_counter_moves_only_on_change),
	cmocka_unit_test(test_view_copies_changed_tiles),
	cmocka_unit_test(test_views_are_independent),
	cmocka_unit_test(test_resize_and_mode_change),
	cmocka_unit_test(test_put_and_fill_clip),
};
UNIT_SUITE(fb, tests);
