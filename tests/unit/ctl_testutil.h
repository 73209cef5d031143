/*
 * ctl_testutil.h - what the control-socket unit tests share: a server on
 * a temporary socket with a fake machine, its event loop on a thread of
 * its own (the test is the client), and a small blocking client with a
 * 5 s time limit on every read.  No /dev/kvm.
 */
#ifndef TTYVM_CTL_TESTUTIL_H
#define TTYVM_CTL_TESTUTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "vmm/config.h"
#include "vmm/ctl_server.h"

/* The fake machine: counts what was asked of it. */
#define FAKE_KEYS_MAX 512
struct fake_vm {
	/* keys the server sent (on the loop thread; read them once the
	 * reply that waits for them has come) */
	struct { unsigned int code; bool down; } keys[FAKE_KEYS_MAX];
	unsigned int nkeys;
	unsigned int pointer_x, pointer_y, pointer_buttons;
	bool tablet;             /* pointer: a tablet takes it */
	bool paused;
	int pauses, resumes, powerdowns, resets, stops, screenshots;
	const char *screen;      /* screen_text's answer; NULL: no display
				  * (screenshot then fails too) */
};

extern const struct ctl_machine_ops fake_ops;

struct fixture {
	char dir[64];
	char path[128];          /* the socket */
	struct evloop *el;
	struct ctl_server *srv;
	struct vm_config cfg;    /* name web-1, 2 vCPUs, 64 MiB, ACPI */
	struct fake_vm vm;
	pthread_t thread;
	bool running;
};

/* cmocka setup/teardown: *state is a struct fixture, loop not running. */
int setup(void **state);
int teardown(void **state);
void start_loop(struct fixture *f);
void stop_loop(struct fixture *f);

/* A connected socket to path, reads and writes time out after 5 s. */
int tconnect(const char *path);
/* tconnect to the fixture, greeting read and checked. */
int topen(struct fixture *f);
/* One line without its LF (a static buffer); NULL on end-of-file. */
const char *tline(int fd);
void tsend(int fd, const char *s, size_t len);
/* Sends req (with its LF) and returns the reply line. */
const char *call(int fd, const char *req);
/* true when the server has closed the connection (reads to EOF). */
bool closed_by_server(int fd);

#endif
