/*
 * pidfile.h - the pid file of a VM started in the background
 * (`ttyvm start`): RUNTIME/NAME.pid holds the VM process's pid and is
 * write-locked (an open-file-description lock) by that process for as
 * long as it lives.  The kernel drops the lock when the process ends,
 * however it ends, so "locked" means running and an unlocked pid file is
 * stale - no guessing from pids that may have been reused.
 */
#ifndef TTYVM_PIDFILE_H
#define TTYVM_PIDFILE_H

#include <sys/types.h>

/*
 * Opens (creating, mode 0600) and locks the pid file at path.  Returns 0
 * with *fd holding the lock (inherited by fork(): the lock lives until
 * the last copy of the descriptor is closed); -EBUSY when another process
 * holds it (*holder = the pid it wrote, or 0); or -errno.  *stale is the
 * pid found in a file that was not locked (a VM that crashed), or 0.
 */
int pidfile_lock(const char *path, int *fd, pid_t *holder, pid_t *stale);

/* Writes pid into the locked file.  0 or -errno. */
int pidfile_write(int fd, pid_t pid);

/* Removes the file and then drops the lock (closes fd). */
void pidfile_remove(const char *path, int fd);

/*
 * Is the VM of this pid file running?  1 with *pid set when a process
 * holds the lock, 0 when there is no file or a stale one, or -errno.
 * Takes no lock itself.
 */
int pidfile_query(const char *path, pid_t *pid);

#endif
