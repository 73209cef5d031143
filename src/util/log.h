/*
 * log.h - messages for the person running ttyvm, on stderr.
 *
 * Only the edges (CLI, VMM main loop, TUI) report; device and library code
 * returns -errno instead.  log_debug() prints when TTYVM_DEBUG is set.
 */
#ifndef TTYVM_LOG_H
#define TTYVM_LOG_H

#include <stdbool.h>

void log_init(const char *progname);
bool log_debug_enabled(void);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
