// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * poll() loop with a timerfd for timers. Watches stay at their index while
 * callbacks run: removal only marks a slot free, and the array is compacted
 * before the next poll(), so a callback may add or remove watches freely.
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

int loop_init(struct loop *loop)
{
	memset(loop, 0, sizeof(*loop));
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

	if (w)
		w->events = events;
}

void loop_unwatch(struct loop *loop, int fd)
{
	struct watch *w = find_watch(loop, fd);

	if (w) {
		w->fd = -1;
		loop->changed = true;
	}
}

static void compact(struct loop *loop)
{
	size_t i, j = 0;

	for (i = 0; i < loop->count; i++)
		if (loop->watches[i].fd >= 0)
			loop->watches[j++] = loop->watches[i];
	loop->count = j;
	loop->changed = false;
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
	struct timer **pp;

	for (pp = &loop->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
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

int loop_run(struct daemon *d, struct loop *loop)
{
	struct pollfd *pfds = NULL;
	size_t *index = NULL, cap = 0;

	while (!loop->stop) {
		size_t n = 0, i;
		int ret;

		if (loop->changed)
			compact(loop);
		if (cap < loop->count + 1) {
			cap = loop->count + 16;
			free(pfds);
			free(index);
			pfds = calloc(cap, sizeof(*pfds));
			index = calloc(cap, sizeof(*index));
			if (!pfds || !index) {
				free(pfds);
				free(index);
				return -ENOMEM;
			}
		}
		pfds[n++] = (struct pollfd){ .fd = loop->timer_fd,
					     .events = POLLIN };
		for (i = 0; i < loop->count; i++) {
			pfds[n] = (struct pollfd){
				.fd = loop->watches[i].fd,
				.events = loop->watches[i].events,
			};
			index[n++] = i;
		}
		ret = poll(pfds, n, -1);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			free(pfds);
			free(index);
			return ret;
		}
		if (pfds[0].revents)
			fire_timers(d, loop);
		for (i = 1; i < n && !loop->stop; i++) {
			struct watch *w;

			if (!pfds[i].revents)
				continue;
			w = &loop->watches[index[i]];
			/* Removed (or replaced) by an earlier callback. */
			if (w->fd != pfds[i].fd)
				continue;
			w->fn(d, w->ctx, pfds[i].revents);
		}
	}
	free(pfds);
	free(index);
	return 0;
}
