/*
 * ctl_keys.h - the control socket's keyboard: `sendkey` combinations and
 * `type` text turned into key presses and releases (KEY_* codes, see
 * display/keymap.h), played to the guest one at a time at a pace that
 * firmware keeps up with.
 *
 * The parsers are pure functions.  The player runs on the event loop:
 * jobs queue in order, each event goes out after the previous one plus
 * the job's delay (an evloop timer), and a job's done callback runs on the
 * loop once its last event went out.
 */
#ifndef TTYVM_CTL_KEYS_H
#define TTYVM_CTL_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;

struct ctl_key_event {
	uint16_t code;       /* KEY_* */
	bool down;
};

/* Most keys one combination holds ("ctrl-alt-delete" is 3). */
#define CTL_KEYS_COMBO_MAX 8
/* Pause between two events of a job, and how long a combination is held. */
#define CTL_KEYS_DELAY_MS 20
#define CTL_KEYS_HOLD_MS 100
/* Most events queued at once over all jobs (bounds memory). */
#define CTL_KEYS_QUEUE_MAX 65536

/*
 * A combination as QEMU's sendkey spells it: key names joined by '-'
 * ("ctrl-alt-delete", "shift-a", "ret", "f2"; a lone "-" or a trailing
 * "--" names the minus key).  Writes the presses in order, then the
 * releases in reverse order: 2 * keys events into ev (room for
 * 2 * CTL_KEYS_COMBO_MAX).  Returns the number of events, or -EINVAL
 * with the offending name copied into bad (empty name, unknown name, the
 * same key twice, more than CTL_KEYS_COMBO_MAX keys).
 */
int ctl_keys_combo(const char *combo, struct ctl_key_event *ev, char *bad, size_t badlen);

/*
 * ASCII text as a US keyboard types it: each character's key, with Shift
 * held around the characters that need it (kept down across a run of
 * them).  '\n' is Return, '\t' Tab.  Returns the number of events written
 * into ev (at most max; a text needs at most 4 per character), -E2BIG
 * when max is too small, or -EINVAL with *bad_at the index of a
 * character no key types.
 */
int ctl_keys_text(const char *text, struct ctl_key_event *ev, size_t max, size_t *bad_at);

/* --- the player ------------------------------------------------------------ */

struct ctl_keys;

typedef void (*ctl_keys_send_fn)(void *ctx, unsigned int code, bool down);
typedef void (*ctl_keys_done_fn)(void *opaque);

/* A player that sends through send(ctx, ...) on el.  0 or -ENOMEM. */
int ctl_keys_create(struct ctl_keys **out, struct evloop *el, ctl_keys_send_fn send,
		    void *ctx);
/* Drops what is queued (keys still down stay down: the guest sees no
 * release; call only when the VM ends).  NULL is fine. */
void ctl_keys_destroy(struct ctl_keys *k);

/*
 * Queues n events (copied).  After event i the next waits delay_ms, or
 * hold_ms when event i was the last press before releases begin (a
 * combination held); the first goes at once when nothing else is
 * queued.  done(opaque) runs on the loop after the last one went out
 * (not from inside this call).  Returns 0, -EINVAL for n 0, -ENOSPC when
 * the queue would pass CTL_KEYS_QUEUE_MAX, -ENOMEM.
 */
int ctl_keys_play(struct ctl_keys *k, const struct ctl_key_event *ev, size_t n,
		  unsigned int delay_ms, unsigned int hold_ms, ctl_keys_done_fn done,
		  void *opaque);

/* The jobs of opaque will not call done (its client went away); their
 * keys still go out, so no key is left pressed. */
void ctl_keys_forget(struct ctl_keys *k, void *opaque);

/* Events queued and not yet sent. */
size_t ctl_keys_pending(const struct ctl_keys *k);

#endif
