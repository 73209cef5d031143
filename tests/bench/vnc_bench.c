/*
 * vnc_bench.c - bytes and milliseconds of one full 1024x768x32 VNC update
 * per encoding, against Raw measured in the same run.
 *
 * It boots the test kernel with --display vnc, lets it draw its VBE
 * pattern at 1024x768x32 (tk.test=vbe tk.vbe=1024x768: smooth gradients
 * and an XOR texture, so neither trivially compressible nor noise), then
 * for each encoding connects a fresh viewer (tests/integration/rfb_client.c),
 * asks for that encoding only and times a non-incremental full update
 * from the request to its last byte, RUNS times.  Figures, not verdicts.
 *
 * usage: vnc_bench TTYVM_BIN GUEST_DIR [RUNS]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../integration/rfb_client.h"

#define DISPLAY_NR 57

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int32_t enc;
	} encs[] = {
		{ "Raw", RFB_ENC_RAW }, { "RRE", RFB_ENC_RRE }, { "Hextile", RFB_ENC_HEXTILE },
		{ "Zlib", RFB_ENC_ZLIB }, { "Tight", RFB_ENC_TIGHT }, { "ZRLE", RFB_ENC_ZRLE },
	};
	char kernel[512], disp[32];
	int runs = argc > 3 ? atoi(argv[3]) : 3;

	if (argc < 3) {
		fprintf(stderr, "usage: vnc_bench TTYVM_BIN GUEST_DIR [RUNS]\n");
		return 2;
	}
	if (runs < 1)
		runs = 1;
	snprintf(kernel, sizeof(kernel), "%s/testkernel.bzImage", argv[2]);
	snprintf(disp, sizeof(disp), "vnc=127.0.0.1:%d", DISPLAY_NR);
	int pipefd[2];
	if (pipe(pipefd))
		return 1;
	pid_t vm = fork();
	if (vm == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execl(argv[1], "ttyvm", "run", "--kernel", kernel, "--memory", "64M", "--append",
		      "tk.test=vbe tk.vbe=1024x768", "--display", disp, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	/* wait for the guest's "vbe: ... drawn" */
	char buf[8192];
	size_t have = 0;
	double dl = now_ms() + 180000;
	while (!memmem(buf, have, "drawn", 5) && now_ms() < dl && have < sizeof(buf) - 1) {
		ssize_t n = read(pipefd[0], buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	if (!memmem(buf, have, "drawn", 5)) {
		fprintf(stderr, "vnc_bench: the guest did not draw its pattern\n");
		kill(vm, SIGKILL);
		return 1;
	}
	printf("vnc_bench: one full 1024x768x32 update (the test kernel's VBE pattern), "
	       "%d run%s per encoding, median\n", runs, runs > 1 ? "s" : "");
	printf("%-8s %12s %9s %10s %10s\n", "encoding", "bytes", "ms", "bytes/Raw", "ms/Raw");
	double raw_bytes = 0, raw_ms = 0;
	int rc = 0;
	for (size_t e = 0; e < sizeof(encs) / sizeof(encs[0]); e++) {
		double ms[32], bytes = 0;
		int n = 0;
		for (int r = 0; r < runs && r < 32; r++) {
			struct rfb c;
			if (rfb_connect(&c, "127.0.0.1", 5900 + DISPLAY_NR, 20000)) {
				fprintf(stderr, "vnc_bench: connect: %s\n", c.err);
				rc = 1;
				break;
			}
			int32_t list[2] = { encs[e].enc, RFB_ENC_DESKTOP_SIZE };
			rfb_set_encodings(&c, list, 2);
			/* the first update may still be the server's first look;
			 * wait until the screen has the guest's size */
			for (int k = 0; k < 10 && (c.w != 1024 || c.h != 768); k++) {
				rfb_request(&c, false);
				rfb_read_update(&c, 5000);
			}
			uint64_t b0 = c.bytes_in;
			double t0 = now_ms();
			rfb_request(&c, false);
			int got = rfb_read_update(&c, 30000);
			double t1 = now_ms();
			if (got != 1) {
				fprintf(stderr, "vnc_bench: %s: %s\n", encs[e].name,
					got < 0 ? c.err : "no update");
				rfb_close(&c);
				rc = 1;
				break;
			}
			bytes = (double)(c.bytes_in - b0);
			ms[n++] = t1 - t0;
			rfb_close(&c);
		}
		if (!n)
			continue;
		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
				if (ms[j] < ms[i]) {
					double t = ms[i];
					ms[i] = ms[j];
					ms[j] = t;
				}
		double med = ms[n / 2];
		if (encs[e].enc == RFB_ENC_RAW) {
			raw_bytes = bytes;
			raw_ms = med;
		}
		printf("%-8s %12.0f %9.2f %10.3f %10.2f\n", encs[e].name, bytes, med,
		       raw_bytes ? bytes / raw_bytes : 0, raw_ms ? med / raw_ms : 0);
	}
	fflush(stdout);
	kill(vm, SIGKILL);
	waitpid(vm, NULL, 0);
	return rc;
}
