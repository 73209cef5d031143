/*
 * paths.h - where ttyvm keeps a user's VMs (XDG base directories).
 *
 *   definitions  $XDG_CONFIG_HOME/ttyvm/vms/NAME.ini  (~/.config)
 *   VM data      $XDG_DATA_HOME/ttyvm/NAME/           (~/.local/share)
 *   runtime      $XDG_RUNTIME_DIR/ttyvm/NAME.sock ... (/tmp/ttyvm-UID)
 *
 * TTYVM_HOME=DIR replaces the three ttyvm directories with DIR/config,
 * DIR/data and DIR/run (tests use it).  Every function writes into the
 * caller's buffer and returns 0 or a negative errno: -ENAMETOOLONG when
 * the buffer is too small, -EINVAL for a bad VM name, -ENOENT when no
 * home directory can be found.  Only paths_runtime_dir(), paths_mkdirs()
 * and paths_private_dir() touch the file system.
 */
#ifndef TTYVM_PATHS_H
#define TTYVM_PATHS_H

#include <stddef.h>
#include <sys/types.h>

/* ttyvm's configuration directory: $XDG_CONFIG_HOME/ttyvm or DIR/config. */
int paths_config_dir(char *buf, size_t len);

/* Where VM definitions live: paths_config_dir()/vms. */
int paths_vms_dir(char *buf, size_t len);

/* The definition of VM name: paths_vms_dir()/NAME.ini. */
int paths_definition(const char *name, char *buf, size_t len);

/* ttyvm's data directory: $XDG_DATA_HOME/ttyvm or DIR/data. */
int paths_data_dir(char *buf, size_t len);

/* The directory of VM name's disks and snapshots: paths_data_dir()/NAME. */
int paths_vm_data_dir(const char *name, char *buf, size_t len);

/*
 * ttyvm's runtime directory for sockets, pid files and logs:
 * $XDG_RUNTIME_DIR/ttyvm (used when that is an existing directory of
 * ours), else /tmp/ttyvm-UID, or DIR/run.  It is created mode 0700 if
 * missing and checked as paths_private_dir() does, so a path returned
 * here is safe to put sockets in.
 */
int paths_runtime_dir(char *buf, size_t len);

/* A runtime file of VM name: paths_runtime_dir()/NAME.SUFFIX, suffix
 * such as ".sock", ".pid" or ".log". */
int paths_runtime_file(const char *name, const char *suffix, char *buf, size_t len);

/*
 * Where the presets shipped with ttyvm are: $TTYVM_PRESETS_DIR when set
 * (tests point it into the source tree), else PKGDATADIR/presets, or,
 * when ttyvm is not installed there, data/presets of the source tree it
 * was built from.
 */
int paths_presets_dir(char *buf, size_t len);

/*
 * mkdir -p: creates path and its missing parents, each with mode (as
 * modified by the umask).  Existing components must be directories
 * (symbolic links to directories are followed).  Returns 0 or -errno.
 */
int paths_mkdirs(const char *path, mode_t mode);

/*
 * Makes path a private directory: created 0700 if missing (its parent
 * must exist); it must not be a symbolic link (-ELOOP), must be a
 * directory (-ENOTDIR), owned by us and not writable by others
 * (-EPERM); group or other read access is removed.  Returns 0 or -errno.
 */
int paths_private_dir(const char *path);

#endif
