/*
 * errmsg.h - the one-line error message a library call hands back.
 *
 * Library code returns -errno and, where the caller needs more than
 * strerror() to tell the user what went wrong, fills a caller-supplied
 * buffer with "PATH: what happened".  The caller prints it.
 */
#ifndef TTYVM_UTIL_ERRMSG_H
#define TTYVM_UTIL_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Writes "path: " (when path is not NULL) and the formatted message into
 * err[0..errlen) (nothing when err is NULL or errlen 0), always
 * NUL-terminated, and returns rc so a caller can `return errmsg_set(...)`.
 */
int errmsg_set(char *err, size_t errlen, int rc, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int errmsg_vset(char *err, size_t errlen, int rc, const char *path, const char *fmt,
		va_list ap) __attribute__((format(printf, 5, 0)));

#endif
