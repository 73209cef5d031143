/*
 * tui_worker.c - the TUI's background threads, so that nothing the UI
 * thread does waits on a VM.
 *
 * Threads and data flow: one poller thread calls vmstore_list() every
 * interval (or at once when poked) with a short per-VM time limit, and
 * leaves the newest list in a mailbox; a stuck VM makes its own refresh
 * late, never the UI.  Each job (tui.h) runs on a detached thread of its
 * own; when run() returns the job goes onto a done list.  The mailbox,
 * the done list, the running list and each job's progress are guarded by
 * one mutex.  Whoever adds something writes a byte to a pipe; the UI
 * thread polls the pipe's read end beside the terminal and, when it is
 * readable, calls tui_worker_dispatch(), which drains the pipe, takes the
 * list and calls done() of finished jobs on the UI thread.
 *
 * Quitting: tui_worker_stop() stops and joins the poller.  A job still
 * running (a VM starting, a disk being created) keeps its thread until
 * the process exits; the worker is then left allocated for it, as the
 * job may still report to it.  VMs are processes of their own, so
 * nothing a job started dies with the TUI.
 */
#include "ui/tui.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct tui_worker {
	void *ui;
	int interval_ms, per_vm_ms;
	int pipe_rd, pipe_wr;
	pthread_t poller;
	bool poller_started;

	pthread_mutex_t lock;
	pthread_cond_t wake;      /* the poller waits on it */
	bool stopping, poked;
	/* the mailbox */
	bool list_new;
	struct vmstore_vm *vms;
	size_t nvms;
	int list_err;
	/* jobs */
	struct tui_job *running, *done;
	unsigned int nrunning;
	char progress_what[128];
	int progress_pct;
	bool detached;            /* stop() was called with jobs running */
};

static void tui_worker_signal(struct tui_worker *w)
{
	char b = 1;

	/* a full pipe already says "something is there" */
	if (write(w->pipe_wr, &b, 1) < 0) {
	}
}

static void tui_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *tui_poller_main(void *arg)
{
	struct tui_worker *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		struct vmstore_vm *vms = NULL;
		size_t n = 0;

		w->poked = false;
		pthread_mutex_unlock(&w->lock);
		int r = vmstore_list(&vms, &n, w->per_vm_ms);
		pthread_mutex_lock(&w->lock);
		free(w->vms);
		w->vms = vms;
		w->nvms = n;
		w->list_err = r;
		w->list_new = true;
		tui_worker_signal(w);

		struct timespec until;
		tui_deadline(&until, w->interval_ms);
		while (!w->stopping && !w->poked)
			if (pthread_cond_timedwait(&w->wake, &w->lock, &until) == ETIMEDOUT)
				break;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int tui_worker_start(struct tui_worker **out, void *ui, int interval_ms, int per_vm_ms)
{
	struct tui_worker *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	int p[2], r;

	if (!w)
		return -ENOMEM;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		free(w);
		return r;
	}
	w->ui = ui;
	w->interval_ms = interval_ms;
	w->per_vm_ms = per_vm_ms;
	w->pipe_rd = p[0];
	w->pipe_wr = p[1];
	w->progress_pct = -1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	r = -pthread_create(&w->poller, NULL, tui_poller_main, w);
	if (r) {
		tui_worker_stop(w);
		return r;
	}
	w->poller_started = true;
	*out = w;
	return 0;
}

void tui_worker_stop(struct tui_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	if (w->poller_started)
		pthread_join(w->poller, NULL);
	pthread_mutex_lock(&w->lock);
	bool jobs = w->nrunning > 0;
	w->detached = jobs;
	while (w->done) {
		struct tui_job *j = w->done;
		w->done = j->next;
		free(j);
	}
	free(w->vms);
	w->vms = NULL;
	pthread_mutex_unlock(&w->lock);
	if (jobs)
		return; /* a job thread may still touch w; the process exit frees it */
	close(w->pipe_rd);
	close(w->pipe_wr);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

int tui_worker_fd(const struct tui_worker *w)
{
	return w->pipe_rd;
}

void tui_worker_poke(struct tui_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->poked = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

static void *tui_job_main(void *arg)
{
	struct tui_job *job = arg;
	struct tui_worker *w = job->worker;

	job->run(job);
	pthread_mutex_lock(&w->lock);
	for (struct tui_job **p = &w->running; *p; p = &(*p)->next)
		if (*p == job) {
			*p = job->next;
			break;
		}
	w->nrunning--;
	if (w->nrunning == 0) {
		w->progress_what[0] = '\0';
		w->progress_pct = -1;
	}
	if (w->detached) {
		free(job); /* nobody will dispatch it */
	} else {
		job->next = w->done;
		w->done = job;
		tui_worker_signal(w);
		/* the poller shows what the job changed at once */
		w->poked = true;
		pthread_cond_signal(&w->wake);
	}
	/* w may be freed as soon as the lock is released */
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int tui_worker_submit(struct tui_worker *w, struct tui_job *job)
{
	pthread_attr_t a;
	pthread_t t;
	int r;

	job->worker = w;
	pthread_mutex_lock(&w->lock);
	job->next = w->running;
	w->running = job;
	w->nrunning++;
	snprintf(w->progress_what, sizeof(w->progress_what), "%s", job->what);
	w->progress_pct = -1;
	pthread_mutex_unlock(&w->lock);

	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	r = -pthread_create(&t, &a, tui_job_main, job);
	pthread_attr_destroy(&a);
	if (r) {
		pthread_mutex_lock(&w->lock);
		w->running = job->next;
		w->nrunning--;
		pthread_mutex_unlock(&w->lock);
		free(job);
	}
	return r;
}

void tui_job_progress(struct tui_job *job, int percent, const char *text)
{
	struct tui_worker *w = job->worker;

	pthread_mutex_lock(&w->lock);
	w->progress_pct = percent;
	snprintf(w->progress_what, sizeof(w->progress_what), "%s", text ? text : job->what);
	tui_worker_signal(w);
	pthread_mutex_unlock(&w->lock);
}

bool tui_worker_dispatch(struct tui_worker *w, struct vmstore_vm **vms, size_t *count,
			 int *err)
{
	char buf[256];
	bool got;

	while (read(w->pipe_rd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&w->lock);
	struct tui_job *done = w->done;
	w->done = NULL;
	got = w->list_new;
	if (got) {
		*vms = w->vms;
		*count = w->nvms;
		*err = w->list_err;
		w->vms = NULL;
		w->nvms = 0;
		w->list_new = false;
	}
	pthread_mutex_unlock(&w->lock);

	/* oldest first: the list was built by pushing at the head */
	struct tui_job *rev = NULL;
	while (done) {
		struct tui_job *j = done;
		done = j->next;
		j->next = rev;
		rev = j;
	}
	while (rev) {
		struct tui_job *j = rev;
		rev = j->next;
		if (j->done)
			j->done(j, w->ui);
		free(j);
	}
	return got;
}

unsigned int tui_worker_busy(struct tui_worker *w, char *what, size_t len, int *percent)
{
	unsigned int n;

	pthread_mutex_lock(&w->lock);
	n = w->nrunning;
	if (what)
		snprintf(what, len, "%s", n ? w->progress_what : "");
	if (percent)
		*percent = n ? w->progress_pct : -1;
	pthread_mutex_unlock(&w->lock);
	return n;
}
