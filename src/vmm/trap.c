/*
 * trap.c - port I/O and MMIO dispatch to device models.
 *
 * Two sorted arrays of non-overlapping ranges (one per address space),
 * searched by bisection under a read lock.  The vCPU loop calls
 * trap_dispatch() for each exit; devices never see KVM structures.  The
 * read lock covers only the lookup: the range found is copied and the lock
 * released before the device is called, so a callback may register or
 * unregister ranges (a PCI config write at 0xCFC moving a BAR) without
 * deadlocking on the rwlock.  trap.h states the lifetime rule this needs:
 * a range's opaque outlives every call that may still be in flight.
 */
#include "vmm/trap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

int trap_map_init(struct trap_map *t)
{
	memset(t, 0, sizeof(*t));
	return -pthread_rwlock_init(&t->lock, NULL);
}

void trap_map_destroy(struct trap_map *t)
{
	for (int sp = 0; sp < TRAP_NSPACES; sp++)
		free(t->ranges[sp]);
	pthread_rwlock_destroy(&t->lock);
	memset(t, 0, sizeof(*t));
}

/* Index of the first range whose base is greater than addr. */
static unsigned int trap_upper(const struct trap_range *r, unsigned int n, uint64_t addr)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		if (r[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int trap_register(struct trap_map *t, enum trap_space sp, uint64_t base,
		  uint64_t len, const struct trap_ops *ops, void *opaque)
{
	int ret = 0;

	if ((unsigned int)sp >= TRAP_NSPACES || len == 0 || base + len < base ||
	    !ops)
		return -EINVAL;

	pthread_rwlock_wrlock(&t->lock);
	struct trap_range *r = t->ranges[sp];
	unsigned int n = t->count[sp];
	unsigned int i = trap_upper(r, n, base);

	/* overlap with the range before (it may extend past base) or after */
	if ((i > 0 && r[i - 1].base + r[i - 1].len > base) ||
	    (i < n && r[i].base < base + len)) {
		ret = -EBUSY;
		goto out;
	}
	if (n == t->cap[sp]) {
		unsigned int cap = t->cap[sp] ? t->cap[sp] * 2 : 16;
		struct trap_range *nr = realloc(r, cap * sizeof(*nr));
		if (!nr) {
			ret = -ENOMEM;
			goto out;
		}
		t->ranges[sp] = r = nr;
		t->cap[sp] = cap;
	}
	memmove(&r[i + 1], &r[i], (n - i) * sizeof(*r));
	r[i] = (struct trap_range){ base, len, ops, opaque };
	t->count[sp] = n + 1;
out:
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

int trap_unregister(struct trap_map *t, enum trap_space sp, uint64_t base)
{
	int ret = -ENOENT;

	if ((unsigned int)sp >= TRAP_NSPACES)
		return -EINVAL;
	pthread_rwlock_wrlock(&t->lock);
	struct trap_range *r = t->ranges[sp];
	unsigned int n = t->count[sp];
	unsigned int i = trap_upper(r, n, base);
	if (i > 0 && r[i - 1].base == base) {
		memmove(&r[i - 1], &r[i], (n - i) * sizeof(*r));
		t->count[sp] = n - 1;
		ret = 0;
	}
	pthread_rwlock_unlock(&t->lock);
	return ret;
}

bool trap_dispatch(struct trap_map *t, enum trap_space sp, uint64_t addr,
		   uint8_t *data, unsigned int size, bool is_write)
{
	struct trap_range hit;
	bool claimed = false;

	if ((unsigned int)sp >= TRAP_NSPACES || size == 0 || size > 8)
		return false;

	/* look up under the lock, call the device without it (see above) */
	pthread_rwlock_rdlock(&t->lock);
	unsigned int i = trap_upper(t->ranges[sp], t->count[sp], addr);
	if (i > 0) {
		const struct trap_range *r = &t->ranges[sp][i - 1];
		if (addr - r->base < r->len) {
			hit = *r;
			claimed = true;
		}
	}
	pthread_rwlock_unlock(&t->lock);

	if (claimed) {
		uint64_t off = addr - hit.base;
		if (is_write) {
			uint64_t v = 0;
			memcpy(&v, data, size);
			if (hit.ops->write)
				hit.ops->write(hit.opaque, off, size, v);
		} else {
			uint64_t v = hit.ops->read ? hit.ops->read(hit.opaque, off, size)
						   : ~0ULL;
			memcpy(data, &v, size);
		}
	} else {
		__atomic_add_fetch(&t->unclaimed[sp], 1, __ATOMIC_RELAXED);
		if (!is_write)
			memset(data, 0xff, size);
	}
	return claimed;
}
