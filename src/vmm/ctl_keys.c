/*
 * ctl_keys.c - the control socket's key player (ctl_keys.h): the key
 * events of `sendkey` and `type`, sent to the guest at a pace it keeps
 * up with.
 *
 * Why a pace: a guest takes keys from the i8042 one byte per interrupt,
 * and firmware keeps few of them (SeaBIOS's BIOS keyboard buffer holds 15
 * keystrokes; GRUB reads that buffer when it gets round to it).  Sent all
 * at once, a long line would overflow the controller's queue or the
 * firmware's buffer and keys would be lost.  So one event goes out per
 * CTL_KEYS_DELAY_MS (a combination is held CTL_KEYS_HOLD_MS before its
 * releases, as QEMU's sendkey holds its keys), and the request is
 * answered when the last one went out.
 *
 * The player runs on the event loop only: jobs in a FIFO, one timer.
 * The parsers are in ctl_keys_parse.c.
 */
#include "vmm/ctl_keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/evloop.h"

/* --- the player ------------------------------------------------------------- */

struct ctl_keys_job {
	struct ctl_keys_job *next;
	size_t n, pos;
	unsigned int delay_ms, hold_ms;
	ctl_keys_done_fn done;
	void *opaque;
	struct ctl_key_event ev[];
};

struct ctl_keys {
	struct evloop_timer *timer;
	ctl_keys_send_fn send;
	void *ctx;
	struct ctl_keys_job *head, *tail;
	size_t pending;
	bool armed;
	uint64_t quiet_until;    /* ns: a new job's first key waits till then */
};

static uint64_t ctl_keys_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The job in front is finished: done runs, the next one starts. */
static void ctl_keys_pop(struct ctl_keys *k)
{
	struct ctl_keys_job *j = k->head;

	k->head = j->next;
	if (!k->head)
		k->tail = NULL;
	if (j->done)
		j->done(j->opaque);
	free(j);
}

/*
 * Sends the next event, finishes jobs that have nothing more, and arms
 * the timer for the event after.  Jobs with nothing left finish here,
 * never inside ctl_keys_play().
 */
static void ctl_keys_fire(void *opaque)
{
	struct ctl_keys *k = opaque;
	struct ctl_keys_job *j;
	uint64_t wait_ms = 0;

	k->armed = false;
	j = k->head;
	if (j && j->pos < j->n) {
		const struct ctl_key_event *e = &j->ev[j->pos++];
		k->pending--;
		k->send(k->ctx, e->code, e->down);
		if (j->pos < j->n)
			wait_ms = e->down && !j->ev[j->pos].down ? j->hold_ms : j->delay_ms;
		else
			wait_ms = j->delay_ms; /* the next job's first key waits too */
		k->quiet_until = ctl_keys_now_ns() + wait_ms * 1000000ULL;
	}
	while (k->head && k->head->pos == k->head->n)
		ctl_keys_pop(k);
	if (k->head) {
		k->armed = true;
		/* at least 1 ns: 0 would disarm */
		evloop_timer_arm(k->timer, wait_ms ? wait_ms * 1000000ULL : 1, 0);
	}
}

int ctl_keys_create(struct ctl_keys **out, struct evloop *el, ctl_keys_send_fn send,
		    void *ctx)
{
	struct ctl_keys *k = calloc(1, sizeof(*k));

	*out = NULL;
	if (!k)
		return -ENOMEM;
	k->send = send;
	k->ctx = ctx;
	k->timer = evloop_timer_new(el, ctl_keys_fire, k);
	if (!k->timer) {
		free(k);
		return -ENOMEM;
	}
	*out = k;
	return 0;
}

void ctl_keys_destroy(struct ctl_keys *k)
{
	if (!k)
		return;
	evloop_timer_free(k->timer);
	while (k->head) {
		struct ctl_keys_job *j = k->head;
		k->head = j->next;
		free(j);
	}
	free(k);
}

int ctl_keys_play(struct ctl_keys *k, const struct ctl_key_event *ev, size_t n,
		  unsigned int delay_ms, unsigned int hold_ms, ctl_keys_done_fn done,
		  void *opaque)
{
	struct ctl_keys_job *j;

	if (n == 0)
		return -EINVAL;
	if (n > CTL_KEYS_QUEUE_MAX - k->pending)
		return -ENOSPC;
	j = malloc(sizeof(*j) + n * sizeof(j->ev[0]));
	if (!j)
		return -ENOMEM;
	j->next = NULL;
	j->n = n;
	j->pos = 0;
	j->delay_ms = delay_ms;
	j->hold_ms = hold_ms;
	j->done = done;
	j->opaque = opaque;
	memcpy(j->ev, ev, n * sizeof(j->ev[0]));
	if (k->tail)
		k->tail->next = j;
	else
		k->head = j;
	k->tail = j;
	k->pending += n;
	if (!k->armed) {
		uint64_t now = ctl_keys_now_ns();
		k->armed = true;
		/* from the loop, at once or when the last key's pause is over */
		evloop_timer_arm(k->timer, k->quiet_until > now ? k->quiet_until - now : 1, 0);
	}
	return 0;
}

void ctl_keys_forget(struct ctl_keys *k, void *opaque)
{
	if (!k)
		return;
	for (struct ctl_keys_job *j = k->head; j; j = j->next)
		if (j->opaque == opaque)
			j->done = NULL;
}

size_t ctl_keys_pending(const struct ctl_keys *k)
{
	return k->pending;
}
