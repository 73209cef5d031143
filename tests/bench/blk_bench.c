/*
 * blk_bench.c - sequential throughput of the block layer: raw against
 * qcow2 (64 KiB clusters, fresh and already allocated), through the same
 * blk_pwrite/blk_pread calls the device models make.
 *
 * Per format: a new image of SIZE MiB written front to back in 1 MiB
 * requests and flushed (allocating writes for qcow2), written again
 * (in-place overwrite), then read back twice (page cache warm: this
 * measures the format's CPU and syscall cost, not the disk).  Three
 * rounds, raw and qcow2 alternating, best figure of each.  Figures in
 * MB/s and the ratio qcow2/raw measured in the same run; it passes or
 * fails nothing.
 *
 * usage: blk_bench [DIR [SIZE_MIB]]   (DIR default ".", SIZE 256)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/block/blk.h"
#include "vmm/block/img.h"

#define REQ (1 << 20)

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct figures {
	double alloc_w, over_w, read;
};

static int run(const char *path, enum disk_format fmt, uint64_t size, struct figures *f)
{
	char err[512] = "";
	uint8_t *buf = malloc(REQ);
	struct blk *b;
	double t;

	if (!buf)
		return -1;
	for (size_t i = 0; i < REQ; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	unlink(path);
	if (img_create(path, fmt, size, NULL, NULL, NULL, err, sizeof(err)) < 0 ||
	    blk_open(&b, path, fmt, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "blk_bench: %s\n", err);
		free(buf);
		return -1;
	}
	for (int pass = 0; pass < 2; pass++) {
		t = now();
		for (uint64_t off = 0; off < size; off += REQ)
			if (blk_pwrite(b, buf, REQ, off) < 0)
				goto fail;
		if (blk_flush(b) < 0)
			goto fail;
		t = now() - t;
		*(pass ? &f->over_w : &f->alloc_w) = (double)size / t / 1e6;
	}
	f->read = 0;
	for (int pass = 0; pass < 2; pass++) {
		t = now();
		for (uint64_t off = 0; off < size; off += REQ)
			if (blk_pread(b, buf, REQ, off) < 0)
				goto fail;
		t = now() - t;
		if ((double)size / t / 1e6 > f->read)
			f->read = (double)size / t / 1e6;
	}
	blk_close(b);
	unlink(path);
	free(buf);
	return 0;
fail:
	fprintf(stderr, "blk_bench: %s: an I/O request failed\n", path);
	blk_close(b);
	unlink(path);
	free(buf);
	return -1;
}

static void best(struct figures *b, const struct figures *f)
{
	if (f->alloc_w > b->alloc_w)
		b->alloc_w = f->alloc_w;
	if (f->over_w > b->over_w)
		b->over_w = f->over_w;
	if (f->read > b->read)
		b->read = f->read;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	uint64_t size = (argc > 2 ? strtoull(argv[2], NULL, 10) : 256) << 20;
	char raw[4096], q[4096];
	struct figures fr, fq;

	if (size == 0)
		size = 256 << 20;
	snprintf(raw, sizeof(raw), "%s/blk_bench.raw", dir);
	snprintf(q, sizeof(q), "%s/blk_bench.qcow2", dir);
	/* three rounds, alternating, best of each: the first round warms up */
	memset(&fr, 0, sizeof(fr));
	memset(&fq, 0, sizeof(fq));
	for (int round = 0; round < 3; round++) {
		struct figures r, k;
		if (run(raw, DISK_FMT_RAW, size, &r) < 0 || run(q, DISK_FMT_QCOW2, size, &k) < 0)
			return 1;
		best(&fr, &r);
		best(&fq, &k);
	}
	printf("block layer, %llu MiB sequential, 1 MiB requests, in %s\n",
	       (unsigned long long)(size >> 20), dir);
	printf("%-28s %10s %10s %8s\n", "", "raw MB/s", "qcow2 MB/s", "qcow2/raw");
	printf("%-28s %10.0f %10.0f %8.2f\n", "write, allocating + flush", fr.alloc_w, fq.alloc_w,
	       fq.alloc_w / fr.alloc_w);
	printf("%-28s %10.0f %10.0f %8.2f\n", "write, overwrite + flush", fr.over_w, fq.over_w,
	       fq.over_w / fr.over_w);
	printf("%-28s %10.0f %10.0f %8.2f\n", "read (page cache warm)", fr.read, fq.read,
	       fq.read / fr.read);
	return 0;
}
