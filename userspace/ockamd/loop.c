// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * poll() loop with a timerfd for timers. Watches stay at their index while
 * callbacks run: removal only marks a slot free, and the array is compacted
 * before the next poll(), so a callback may add or remove watches freely.
 * The pollfd array is kept between wakeups and rebuilt only when watches
 * come or go.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

int loop_init(struct loop *loop)
{
	memset(loop, 0, sizeof(*loop));
	loop->changed = true;
	loop->timer_fd = timerfd_create(CLOCK_MONOTONIC,
					TFD_NONBLOCK | TFD_CLOEXEC);
	if (loop->timer_fd < 0)
		return -errno;
	return 0;
}

void loop_fini(struct loop *loop)
{
	if (loop->timer_fd >= 0)
		close(loop->timer_fd);
	free(loop->watches);
	free(loop->pfds);
	memset(loop, 0, sizeof(*loop));
	loop->timer_fd = -1;
}

int loop_watch(struct loop *loop, int fd, short events, watch_fn fn,
	       void *ctx)
{
	if (loop->count == loop->cap) {
		size_t cap = loop->cap ? 2 * loop->cap : 16;
		struct watch *grown = realloc(loop->watches,
					      cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		loop->watches = grown;
		loop->cap = cap;
	}
	loop->watches[loop->count++] = (struct watch){
		.fd = fd, .events = events, .fn = fn, .ctx = ctx,
	};
	loop->changed = true;
	return 0;
}

static struct watch *find_watch(struct loop *loop, int fd)
{
	size_t i;

	for (i = 0; i < loop->count; i++)
		if (loop->watches[i].fd == fd)
			return &loop->watches[i];
	return NULL;
}

void loop_set_events(struct loop *loop, int fd, short events)
{
	struct watch *w = find_watch(loop, fd);

	if (!w)
		return;
	w->events = events;
	/* Otherwise the rebuild before the next poll() picks it up. */
	if (!loop->changed)
		loop->pfds[w - loop->watches + 1].events = events;
}

void loop_unwatch(struct loop *loop, int fd)
{
	struct watch *w = find_watch(loop, fd);

	if (w) {
		w->fd = -1;
		loop->changed = true;
	}
}

/* Drop freed slots and make @pfds mirror the watches again. */
static int rebuild(struct loop *loop)
{
	size_t i, j = 0;

	for (i = 0; i < loop->count; i++)
		if (loop->watches[i].fd >= 0)
			loop->watches[j++] = loop->watches[i];
	loop->count = j;
	if (loop->pfds_cap < loop->count + 1) {
		size_t cap = loop->count + 16;
		struct pollfd *grown = realloc(loop->pfds, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		loop->pfds = grown;
		loop->pfds_cap = cap;
	}
	loop->pfds[0] = (struct pollfd){ .fd = loop->timer_fd,
					 .events = POLLIN };
	for (i = 0; i < loop->count; i++)
		loop->pfds[i + 1] = (struct pollfd){
			.fd = loop->watches[i].fd,
			.events = loop->watches[i].events,
		};
	loop->nfds = loop->count + 1;
	loop->changed = false;
	return 0;
}

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rearm_timerfd(struct loop *loop)
{
	struct itimerspec its = { 0 };

	if (loop->timers) {
		uint64_t at = loop->timers->deadline_ms;

		its.it_value.tv_sec = at / 1000;
		its.it_value.tv_nsec = (at % 1000) * 1000000;
		/* Zero would disarm: the deadline may be now or past. */
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(loop->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_err("timerfd_settime: %s", strerror(errno));
}

void timer_init(struct timer *t, timer_fn fn, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->ctx = ctx;
}

static void unlink_timer(struct loop *loop, struct timer *t)
{
	slist_remove(&loop->timers, t);
	t->next = NULL;
	t->armed = false;
}

void timer_arm(struct loop *loop, struct timer *t, uint64_t delay_ms)
{
	struct timer **pp;

	if (t->armed)
		unlink_timer(loop, t);
	t->deadline_ms = loop_now_ms() + delay_ms;
	for (pp = &loop->timers; *pp && (*pp)->deadline_ms <= t->deadline_ms;
	     pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	t->armed = true;
	if (loop->timers == t)
		rearm_timerfd(loop);
}

void timer_cancel(struct loop *loop, struct timer *t)
{
	bool was_first = loop->timers == t;

	if (!t->armed)
		return;
	unlink_timer(loop, t);
	if (was_first)
		rearm_timerfd(loop);
}

static void fire_timers(struct daemon *d, struct loop *loop)
{
	uint64_t expirations, now = loop_now_ms();

	if (read(loop->timer_fd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		log_err("reading timerfd: %s", strerror(errno));
	while (loop->timers && loop->timers->deadline_ms <= now) {
		struct timer *t = loop->timers;

		unlink_timer(loop, t);
		t->fn(d, t->ctx);
	}
	rearm_timerfd(loop);
}

static void resume_accepting(struct daemon *d, void *ctx)
{
	struct accept_pause *p = ctx;

	loop_set_events(&d->loop, p->fd, POLLIN);
}

void accept_pause_init(struct accept_pause *p, int fd)
{
	timer_init(&p->timer, resume_accepting, p);
	p->fd = fd;
}

bool accept_pause(struct loop *loop, struct accept_pause *p, int err)
{
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)
		return false;
	loop_set_events(loop, p->fd, 0);
	timer_arm(loop, &p->timer, ACCEPT_PAUSE_MS);
	return true;
}

void accept_pause_cancel(struct loop *loop, struct accept_pause *p)
{
	timer_cancel(loop, &p->timer);
}

int loop_run(struct daemon *d, struct loop *loop)
{
	while (!loop->stop) {
		size_t i, n;
		int ret;

		if (loop->changed && rebuild(loop) < 0)
			return -ENOMEM;
		n = loop->nfds;
		ret = poll(loop->pfds, n, -1);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (loop->pfds[0].revents)
			fire_timers(d, loop);
		for (i = 1; i < n && !loop->stop; i++) {
			struct pollfd *pfd = &loop->pfds[i];
			struct watch *w;

			if (!pfd->revents)
				continue;
			/* Slots keep their index until the next rebuild;
			 * one removed by an earlier callback has fd -1.
			 */
			w = &loop->watches[i - 1];
			if (w->fd != pfd->fd)
				continue;
			w->fn(d, w->ctx, pfd->revents);
		}
	}
	return 0;
}
