/*
 * ctl_client.h - talking to a VM's control socket (ttyvm-control(7)):
 * connect, send a request, read its reply, each within a time limit.
 *
 * Used by the CLI verbs (and later the TUI).  Nothing here prints; every
 * failure is a negative errno the caller turns into a message.  A client
 * is used by one thread at a time.
 */
#ifndef TTYVM_CTL_CLIENT_H
#define TTYVM_CTL_CLIENT_H

#include "ui/ctl_proto.h"

struct ctl_client;

/*
 * Connects to the socket at path and reads the greeting.  Returns 0, or:
 *   -ENOENT        no socket there (the VM is not running)
 *   -ECONNREFUSED  a socket nobody serves (left by a VM that crashed)
 *   -ENOTSOCK      the path is something else
 *   -EACCES        not ours
 *   -ETIMEDOUT     no greeting within timeout_ms
 *   -EPROTO        the other side does not speak the protocol
 *   -EBUSY         the VM serves too many connections already
 *   -EPROTONOSUPPORT  it speaks another version (*version says which,
 *                  when version is not NULL)
 *   -ENAMETOOLONG  path too long for a socket
 */
int ctl_client_open(struct ctl_client **out, const char *path, int timeout_ms,
		    unsigned int *version);
void ctl_client_close(struct ctl_client *c);

/*
 * Sends the request made of words (NULL-terminated; words[0] is the
 * command; each is quoted as needed) and reads one reply into r.
 * Returns 0 when a reply arrived (ok or error: see r->ok), or
 * -ECONNRESET when the VM closed the connection first (it went away),
 * -ETIMEDOUT, -EPROTO for a malformed reply, -E2BIG for a request
 * over CTL_REQUEST_MAX.
 */
int ctl_client_call(struct ctl_client *c, const char *const *words, struct ctl_reply *r,
		    int timeout_ms);

/*
 * Waits until the VM closes the connection (after `stop`, or when it
 * powers off), discarding anything it sends.  0, or -ETIMEDOUT.
 */
int ctl_client_wait_closed(struct ctl_client *c, int timeout_ms);

/*
 * Ends the client but keeps its socket: returns the descriptor (the
 * caller closes it) after copying the bytes already read past the last
 * reply into buf (*len of them; at most CTL_REPLY_MAX, so cap that much).
 * For `console`, whose raw stream may start in the same read as its
 * "ok".  The socket stays non-blocking.
 */
int ctl_client_release(struct ctl_client *c, void *buf, size_t cap, size_t *len);

/* A short English text for the errors above, as they concern a VM's
 * control socket ("the VM is not running", ...). */
const char *ctl_client_strerror(int err);

#endif
