/*
 * sysctl.h - chipset odds and ends: System Control Port A (0x92) and the
 * Reset Control Register (0xCF9).
 *
 * The core takes a request callback and never the machine; sysctl.c's
 * setup glue claims both ports.
 */
#ifndef TTYVM_DEV_SYSCTL_H
#define TTYVM_DEV_SYSCTL_H

#include <stdint.h>

#include "vmm/device.h"
#include "vmm/snap.h"

/* port 0x92 */
#define SYSCTL_A_RESET 0x01   /* write 1: fast reset */
#define SYSCTL_A_A20   0x02
/* port 0xCF9 */
#define RESET_CTL_SYS_RST  0x02
#define RESET_CTL_RST_CPU  0x04
#define RESET_CTL_FULL_RST 0x08

struct sysctl;

/*
 * Creates the registers in their reset state (A20 on).  req receives
 * VM_REQ_RESET; it is copied and may be NULL.  Returns NULL when out of
 * memory.  Free with sysctl_destroy().
 */
struct sysctl *sysctl_create(const struct vm_request_cb *req);
void sysctl_destroy(struct sysctl *sc);

/*
 * Byte access by port number (PORT_SYSCTL_A or PORT_RESET_CTL); other
 * ports read 0xFF and ignore writes.  A PCI host bridge that claims
 * 0xCF8-0xCFF forwards byte accesses at 0xCF9 here.
 */
uint8_t sysctl_read(struct sysctl *sc, uint16_t port);
void sysctl_write(struct sysctl *sc, uint16_t port, uint8_t val);

void sysctl_reset(struct sysctl *sc);
int sysctl_snapshot(struct sysctl *sc, struct snap *s);

#endif
