/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The daemon's single-threaded event loop: poll() over registered file
 * descriptors, plus one timerfd that fires the earliest of a list of
 * timers.
 */
#ifndef OCKAMD_LOOP_H
#define OCKAMD_LOOP_H

#include <poll.h>
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
	/*
	 * Watches were added or removed: compact them and rebuild @pfds
	 * before the next poll(). Until then @pfds[i + 1] is watches[i].
	 */
	bool changed;
	struct pollfd *pfds;		/* the timerfd, then each watch */
	size_t nfds;
	size_t pfds_cap;
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

/*
 * A listening socket whose accept() failed for want of descriptors or
 * memory still has the connection queued, so a level-triggered poll()
 * would report it again at once and the loop would spin. accept_pause()
 * stops watching it for ACCEPT_PAUSE_MS instead.
 */
struct accept_pause {
	struct timer timer;
	int fd;
};

void accept_pause_init(struct accept_pause *p, int fd);
/* After accept() on @p's socket failed with @err: true if it paused it. */
bool accept_pause(struct loop *loop, struct accept_pause *p, int err);
void accept_pause_cancel(struct loop *loop, struct accept_pause *p);

/* Run until loop->stop is set; returns 0, or -errno if poll() fails. */
int loop_run(struct daemon *d, struct loop *loop);

#endif /* OCKAMD_LOOP_H */
