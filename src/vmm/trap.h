/*
 * trap.h - the one dispatch API for port I/O and MMIO exits.
 *
 * Devices register a range in one of two address spaces with a pair of
 * callbacks; the vCPU loop hands every KVM_EXIT_IO and KVM_EXIT_MMIO to
 * trap_dispatch().  Reads of unclaimed addresses return all ones and writes
 * are dropped, as on a PC bus.  Callbacks run on vCPU threads (several at
 * once on SMP guests): a device that has state takes its own lock.
 *
 * Ranges may be added and removed while vCPUs run (PCI BAR moves); lookups
 * take a read lock, changes a write lock.  The lock covers the lookup only:
 * trap_dispatch() copies the range it found and drops the lock before it
 * calls the device, so a callback may itself register and unregister
 * ranges (a PCI config write arriving at 0xCFC moves BARs).
 *
 * Lifetime rule that follows: trap_unregister() does not wait for calls
 * already in flight.  An access looked up just before the range went away
 * still reaches the old device, at the offset it had, as if it had
 * happened first - which is how a bus behaves when a BAR moves.  So the
 * opaque of a range must stay valid until no vCPU can be inside one of its
 * callbacks; in ttyvm devices are freed only at machine teardown, after
 * every vCPU thread has been joined.  A device that wants to free its state
 * earlier must first stop the vCPUs (machine_pause()).
 */
#ifndef TTYVM_TRAP_H
#define TTYVM_TRAP_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

enum trap_space { TRAP_PIO = 0, TRAP_MMIO = 1, TRAP_NSPACES };

/*
 * off is relative to the registered base; size is 1, 2, 4 or 8.
 * read returns the value (the dispatcher truncates it to size bytes).
 */
struct trap_ops {
	uint64_t (*read)(void *opaque, uint64_t off, unsigned int size);
	void (*write)(void *opaque, uint64_t off, unsigned int size, uint64_t val);
};

struct trap_range {
	uint64_t base;
	uint64_t len;
	const struct trap_ops *ops;
	void *opaque;
};

struct trap_map {
	pthread_rwlock_t lock;
	struct trap_range *ranges[TRAP_NSPACES]; /* sorted by base */
	unsigned int count[TRAP_NSPACES];
	unsigned int cap[TRAP_NSPACES];
	uint64_t unclaimed[TRAP_NSPACES]; /* accesses nobody claimed */
};

/* Returns 0 or -errno. */
int trap_map_init(struct trap_map *t);
void trap_map_destroy(struct trap_map *t);

/*
 * Claims [base, base+len).  Returns 0, -EINVAL for an empty or wrapping
 * range, -EBUSY when it overlaps a claimed range, -ENOMEM.
 */
int trap_register(struct trap_map *t, enum trap_space sp, uint64_t base,
		  uint64_t len, const struct trap_ops *ops, void *opaque);

/* Releases the range that starts at base.  Returns 0 or -ENOENT. */
int trap_unregister(struct trap_map *t, enum trap_space sp, uint64_t base);

/*
 * Performs one access of size bytes (1..8) at addr.  data is little-endian.
 * An access that straddles the end of a range is delivered to that range's
 * device with the offset it starts at; the device decides.  Returns true when
 * a device claimed the address; false otherwise (reads then yield all ones).
 */
bool trap_dispatch(struct trap_map *t, enum trap_space sp, uint64_t addr,
		   uint8_t *data, unsigned int size, bool is_write);

#endif
