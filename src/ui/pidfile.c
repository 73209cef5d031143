/*
 * pidfile.c - pid files locked for the life of a VM process; see
 * pidfile.h for the rule.
 *
 * Locks are Linux open-file-description locks (F_OFD_SETLK): unlike
 * POSIX record locks they belong to the open file, so a lock taken by
 * `ttyvm start` before it forks is held by the daemon it becomes, and
 * closing an unrelated descriptor of the same file elsewhere in the
 * process does not drop it.  F_OFD_GETLK asks about the lock without
 * taking it, so a query never makes a concurrent start fail.
 *
 * Removal unlinks before unlocking; a start that opened the old file
 * just before the unlink notices (the locked file is no longer the one
 * at the path) and opens again.  Nothing here prints or keeps state.
 */
#include "ui/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* The pid written in the file, or 0. */
static pid_t pidfile_read(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	long v = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || v <= 0 || v > 0x7fffffff)
		return 0;
	return (pid_t)v;
}

int pidfile_lock(const char *path, int *fdp, pid_t *holder, pid_t *stale)
{
	*stale = 0;
	for (int tries = 0; tries < 10; tries++) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		struct stat a, b;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0)
			return -errno;
		if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
			int e = errno;
			if (e == EAGAIN || e == EACCES) {
				if (holder)
					*holder = pidfile_read(fd);
				e = EBUSY;
			}
			close(fd);
			return -e;
		}
		/* still the file at path (not one its owner just removed)? */
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			*stale = pidfile_read(fd);
			*fdp = fd;
			return 0;
		}
		close(fd);
	}
	return -EAGAIN;
}

int pidfile_write(int fd, pid_t pid)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);

	if (ftruncate(fd, 0) < 0)
		return -errno;
	if (pwrite(fd, buf, (size_t)n, 0) != n)
		return -EIO;
	return 0;
}

void pidfile_remove(const char *path, int fd)
{
	unlink(path);
	close(fd);
}

int pidfile_query(const char *path, pid_t *pid)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int r;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0) {
		r = -errno;
	} else if (fl.l_type == F_UNLCK) {
		r = 0;
	} else {
		*pid = pidfile_read(fd);
		r = 1;
	}
	close(fd);
	return r;
}
