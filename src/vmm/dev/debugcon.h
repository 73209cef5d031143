/*
 * debugcon.h - QEMU's ISA debug console: a write-only byte port whose
 * output goes to a host file (SeaBIOS prints its debug log there).
 */
#ifndef TTYVM_DEV_DEBUGCON_H
#define TTYVM_DEV_DEBUGCON_H

#include <stdint.h>

#define DEBUGCON_PORT     0x402   /* SeaBIOS's CONFIG_DEBUG_IO port on QEMU */
#define DEBUGCON_READBACK 0xE9    /* what a read returns: "the port exists" */

struct debugcon;

/*
 * Creates a debug console writing to fd, which it owns from now on (closed
 * by debugcon_destroy).  NULL when out of memory (fd is then closed too).
 */
struct debugcon *debugcon_create(int fd);
/* Writes out what is buffered, closes the file and frees dc. */
void debugcon_destroy(struct debugcon *dc);

/* Port access: reads return DEBUGCON_READBACK, a write emits its low byte.
 * Output is written to the file at each newline or when 256 bytes are
 * buffered, so a reader sees whole lines while the guest runs. */
uint8_t debugcon_read(struct debugcon *dc);
void debugcon_write(struct debugcon *dc, uint8_t byte);
/* Writes out a partial line now. */
void debugcon_flush(struct debugcon *dc);

#endif
