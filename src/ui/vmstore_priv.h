/*
 * vmstore_priv.h - what vmstore.c, vmstore_ops.c and vmstore_start.c
 * share; not for users of vmstore.h.
 */
#ifndef TTYVM_VMSTORE_PRIV_H
#define TTYVM_VMSTORE_PRIV_H

#include <stdint.h>

#include "ui/vmstore.h"
#include "vmm/vmm.h"

#define VMSTORE_EXIT_GUEST_CRASH VMM_EXIT_GUEST_CRASH

/* Formats err (when not NULL) and returns r. */
int vmstore_fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

int64_t vmstore_now_ms(void);
/* Milliseconds until deadline (vmstore_now_ms() based), 0 when past. */
int vmstore_left_ms(int64_t deadline);

/* vmstore_files() into a new struct (free()), or NULL with *r and err. */
struct vmstore_files *vmstore_files_new(const char *name, char *err, size_t errlen, int *r);

/* The status in an exit file, or -1 when there is none or it is garbage. */
int vmstore_read_exit(const char *path);

/* Creates a VM's data directory dir (0700) and its parents (0755). */
int vmstore_mkdir_data(const char *dir, char *err, size_t errlen);

/*
 * Takes the pid-file lock of VM name (files f) so it cannot start while
 * its files change, and makes sure no process serves its socket.  Returns
 * 0 with *fd holding the lock (vmstore_unlock() it), or -EBUSY while the
 * VM runs, or -errno, with err.
 */
int vmstore_lock(const char *name, const struct vmstore_files *f, int *fd, char *err,
		 size_t errlen);
/* Drops the lock, removing the pid file. */
void vmstore_unlock(const struct vmstore_files *f, int fd);

/*
 * Writes cfg as a new definition at def: claims the name first (O_EXCL,
 * so of two writers one wins, -EEXIST for the other), then saves; on
 * failure nothing is left at def.
 */
int vmstore_write_new_def(const char *def, const struct vm_config *cfg, char *err,
			  size_t errlen);

/* Removes what a finished or crashed run left: stale socket, exit file. */
void vmstore_clean_runtime(const struct vmstore_files *f);

#endif
