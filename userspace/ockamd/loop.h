/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The daemon's single-threaded event loop: poll() over registered file
 * descriptors, plus one timerfd that fires the earliest of a list of
 * timers.
 */
#ifndef OCKAMD_LOOP_H
#define OCKAMD_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;

typedef void (*watch_fn)(struct daemon *d, void *ctx, short revents);
typedef void (*timer_fn)(struct daemon *d, void *ctx);

struct watch {
	int fd;
	short events;
	watch_fn fn;
	void *ctx;
};

struct timer {
	uint64_t deadline_ms;		/* CLOCK_MONOTONIC */
	timer_fn fn;
	void *ctx;
	bool armed;
	struct timer *next;
};

struct loop {
	struct watch *watches;
	size_t count;
	size_t cap;
	bool changed;			/* watches added or removed */
	int timer_fd;
	struct timer *timers;		/* armed, soonest first */
	bool stop;
};

int loop_init(struct loop *loop);
void loop_fini(struct loop *loop);

int loop_watch(struct loop *loop, int fd, short events, watch_fn fn,
	       void *ctx);
void loop_set_events(struct loop *loop, int fd, short events);
void loop_unwatch(struct loop *loop, int fd);

uint64_t loop_now_ms(void);
void timer_init(struct timer *t, timer_fn fn, void *ctx);
void timer_arm(struct loop *loop, struct timer *t, uint64_t delay_ms);
void timer_cancel(struct loop *loop, struct timer *t);

/* Run until loop->stop is set; returns 0, or -errno if poll() fails. */
int loop_run(struct daemon *d, struct loop *loop);

#endif /* OCKAMD_LOOP_H */
