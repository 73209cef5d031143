/*
 * boot_bench.c - how fast a VM starts and how much memory its VMM takes.
 *
 * For each command it runs N times: time from exec to the first byte the
 * guest writes on its serial console (stdout), total wall time until the
 * VMM exits, and the VMM's peak RSS (wait4 ru_maxrss).  The reference is
 * QEMU booting the same PVH test kernel in the same run, when
 * qemu-system-x86_64 is installed; ratios are printed against it.  This is
 * a benchmark: it prints figures, it passes or fails nothing.
 *
 * usage: boot_bench TTYVM_BIN GUEST_DIR [RUNS]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct sample {
	double first_byte_ms;
	double total_ms;
	long maxrss_kib;
	int status;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int run_once(char *const *argv, struct sample *s)
{
	int out[2];
	struct rusage ru;
	int st;
	char buf[4096];

	if (pipe(out) < 0)
		return -1;
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(out[1], 1);
		dup2(null, 2);
		close(out[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	s->first_byte_ms = -1;
	for (;;) {
		ssize_t n = read(out[0], buf, sizeof(buf));
		if (n > 0 && s->first_byte_ms < 0)
			s->first_byte_ms = now_ms() - t0;
		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	close(out[0]);
	while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	s->total_ms = now_ms() - t0;
	s->maxrss_kib = ru.ru_maxrss;
	s->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct result {
	const char *name;
	double first_byte_ms, total_ms;
	long maxrss_kib;
	int ok;
};

static struct result bench(const char *name, char *const *argv, int runs)
{
	double fb[64], tot[64];
	long rss = 0;
	struct result r = { name, 0, 0, 0, 0 };

	for (int i = 0; i < runs; i++) {
		struct sample s;
		if (run_once(argv, &s) < 0 || s.status != 0 || s.first_byte_ms < 0) {
			printf("  %-28s run %d failed (status %d)\n", name, i, s.status);
			return r;
		}
		fb[i] = s.first_byte_ms;
		tot[i] = s.total_ms;
		if (s.maxrss_kib > rss)
			rss = s.maxrss_kib;
	}
	qsort(fb, (size_t)runs, sizeof(double), cmp_double);
	qsort(tot, (size_t)runs, sizeof(double), cmp_double);
	r.first_byte_ms = fb[runs / 2];
	r.total_ms = tot[runs / 2];
	r.maxrss_kib = rss;
	r.ok = 1;
	return r;
}

int main(int argc, char **argv)
{
	char bz[4096], pvh[4096];
	int runs = argc > 3 ? atoi(argv[3]) : 5;

	if (argc < 3) {
		fprintf(stderr, "usage: boot_bench TTYVM_BIN GUEST_DIR [RUNS]\n");
		return 2;
	}
	if (runs < 1 || runs > 64)
		runs = 5;
	snprintf(bz, sizeof(bz), "%s/testkernel.bzImage", argv[2]);
	snprintf(pvh, sizeof(pvh), "%s/testkernel.pvh", argv[2]);

	char *tv_bz[] = { argv[1], "run", "--kernel", bz, "--memory", "64M", NULL };
	char *tv_pvh[] = { argv[1], "run", "--kernel", pvh, "--memory", "64M", NULL };
	char *qemu[] = { "qemu-system-x86_64", "-accel", "kvm", "-M", "pc", "-m", "64M",
			 "-kernel", pvh, "-nodefaults", "-display", "none", "-serial", "stdio",
			 "-no-reboot", NULL };

	printf("boot benchmark: test kernel (report + ACPI poweroff), 64 MiB, 1 vCPU, "
	       "median of %d runs\n", runs);
	struct result res[3];
	res[0] = bench("ttyvm bzImage", tv_bz, runs);
	res[1] = bench("ttyvm PVH", tv_pvh, runs);
	int have_qemu = access("/usr/bin/qemu-system-x86_64", X_OK) == 0;
	if (have_qemu)
		res[2] = bench("qemu -M pc PVH (reference)", qemu, runs);
	printf("  %-28s %14s %12s %12s\n", "", "first byte ms", "total ms", "peak RSS KiB");
	for (int i = 0; i < (have_qemu ? 3 : 2); i++) {
		if (!res[i].ok)
			continue;
		printf("  %-28s %14.1f %12.1f %12ld", res[i].name, res[i].first_byte_ms,
		       res[i].total_ms, res[i].maxrss_kib);
		if (have_qemu && res[2].ok && i < 2)
			printf("   (x%.2f first byte, x%.2f RSS vs QEMU)",
			       res[i].first_byte_ms / res[2].first_byte_ms,
			       (double)res[i].maxrss_kib / (double)res[2].maxrss_kib);
		printf("\n");
	}
	if (!have_qemu)
		printf("  (no qemu-system-x86_64: install it for the reference run)\n");
	return 0;
}
