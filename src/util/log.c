/*
 * log.c - stderr messages with the program name in front.
 *
 * The only state is the program name and the debug switch, set once by
 * log_init() before any thread starts and read-only afterwards.  Each
 * message is written with one write(2) so lines from vCPU threads do not
 * interleave.
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
	const char *prog;
	bool debug;
} log_cfg = { "ttyvm", false };

void log_init(const char *progname)
{
	const char *d = getenv("TTYVM_DEBUG");

	if (progname && *progname)
		log_cfg.prog = progname;
	log_cfg.debug = d && *d && strcmp(d, "0") != 0;
}

bool log_debug_enabled(void)
{
	return log_cfg.debug;
}

static size_t min_len(size_t a, size_t b)
{
	return a < b ? a : b;
}

static void log_v(const char *level, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%s: %s", log_cfg.prog, level);

	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	if (m < 0)
		m = 0;
	size_t len = min_len((size_t)n + (size_t)m, sizeof(buf) - 2);
	if (len == 0 || buf[len - 1] != '\n')
		buf[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, buf, len);
	(void)w;
}

#define LOG_FN(fn, level, cond)                       \
	void fn(const char *fmt, ...)                  \
	{                                              \
		va_list ap;                            \
		if (!(cond))                           \
			return;                        \
		va_start(ap, fmt);                     \
		log_v(level, fmt, ap);                 \
		va_end(ap);                            \
	}

LOG_FN(log_error, "error: ", true)
LOG_FN(log_warn, "warning: ", true)
LOG_FN(log_info, "", true)
LOG_FN(log_debug, "debug: ", log_cfg.debug)
