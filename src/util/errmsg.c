/*
 * errmsg.c - "PATH: message" into a caller's buffer (see errmsg.h).
 */
#include "util/errmsg.h"

#include <stdio.h>

int errmsg_vset(char *err, size_t errlen, int rc, const char *path, const char *fmt,
		va_list ap)
{
	int n = 0;

	if (!err || errlen == 0)
		return rc;
	if (path)
		n = snprintf(err, errlen, "%s: ", path);
	if (n < 0)
		n = 0;
	if ((size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	return rc;
}

int errmsg_set(char *err, size_t errlen, int rc, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = errmsg_vset(err, errlen, rc, path, fmt, ap);
	va_end(ap);
	return rc;
}
