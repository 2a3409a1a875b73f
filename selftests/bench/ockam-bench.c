// SPDX-License-Identifier: GPL-2.0
/*
 * ockam-bench: message throughput and request/response rate over AF_OCKAM
 * routes, and the same over plain TCP for comparison.
 *
 *   ockam-bench sink NAME                  AF_OCKAM receiver at NAME
 *   ockam-bench send ROUTE SIZE SECONDS    stream SIZE-byte messages
 *   ockam-bench rr ROUTE SIZE SECONDS      one request, one reply, repeat
 *   ockam-bench probe ROUTE INTERVAL_MS SECONDS
 *                                          a numbered request every
 *                                          INTERVAL_MS, whatever came
 *                                          back; a line "reply SEQ SENT
 *                                          RECEIVED" (wall-clock ms) per
 *                                          reply, as a test of outages
 *                                          needs
 *   ockam-bench tcp-sink PORT              TCP receiver
 *   ockam-bench tcp-send HOST:PORT SIZE SECONDS
 *   ockam-bench tcp-echo PORT              TCP server that echoes
 *   ockam-bench tcp-connect HOST:PORT SECONDS
 *                                          new connections, one after
 *                                          another: connect, one byte
 *                                          there and back, close
 *   ockam-bench tcp-recv HOST:PORT        read to the end; exit 0 for an
 *                                          orderly end, 3 for an error
 *                                          (a reset), as tests need
 *
 * AF_OCKAM carries datagrams: a sender faster than its receiver loses
 * messages at the receiver, as on UDP. So "send" keeps a window of
 * messages in flight and the sink acknowledges every quarter window, as
 * an application would. An acknowledgement names the highest message
 * number received: whatever was sent before it has arrived or is taken
 * as lost, and leaves the window, so a loss costs the window nothing
 * for the rest of the run. The rate counted is what the sink received,
 * measured from the first send to the sink's final report. Over a route
 * with a UDP hop the end marker may overtake the last messages (their
 * datagrams wait on another CPU's backlog): the sink tells the sender of
 * each one that comes after its final report, and the sender counts
 * those as late, not lost, for a short while. "tcp-send"
 * writes SIZE-byte chunks down a TCP stream and counts the same way, so
 * the two are compared message for message.
 *
 * Every result is one line: "result kind=... size=... messages=...
 * seconds=... msgs_per_s=... mbytes_per_s=... lost=... late=...
 * queue_full=...", queue_full counting the sends that found a queue full
 * and waited.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ockam/ockam.h>

enum bench_kind {
	BENCH_DATA = 'D',	/* D, u32 ack_every, u32 run, u64 seq, payload */
	BENCH_END = 'E',	/* E, u32 unused, u32 run: the sender is done */
	BENCH_ACK = 'A',	/* A, u64 messages received so far, u64 seq
				 * past the highest received
				 */
	BENCH_FINAL = 'F',	/* F, u64 messages, u64 bytes */
	BENCH_LATE = 'L',	/* L, u64 messages after the final report */
	BENCH_REQUEST = 'R',	/* echoed back as it is */
};

enum bench_limits {
	BENCH_HEADER = 17,
	BENCH_WINDOW_BYTES = 8 << 20,
	BENCH_WINDOW_MIN = 16,
	BENCH_WINDOW_MAX = 4096,
	BENCH_ACK_TIMEOUT_MS = 1000,
	BENCH_FINAL_TIMEOUT_MS = 10000,
	/* For the sink's final count: what is still in flight has to
	 * arrive first, and on a debug kernel 4096 messages over three
	 * hops took 55 s.
	 */
	BENCH_DRAIN_TIMEOUT_MS = 180000,
	/* How long the sender listens for messages that came after the
	 * sink's final report, when that report is short.
	 */
	BENCH_LATE_TIMEOUT_MS = 250,
	BENCH_RCVBUF = 32 << 20,
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static _Noreturn void die(const char *what, int err)
{
	fprintf(stderr, "ockam-bench: %s: %s\n", what, strerror(err));
	exit(1);
}

/* Sends that found a queue on the way full and waited (ENOBUFS). */
static uint64_t queue_full;

static void report(const char *kind, size_t size, uint64_t messages,
		   double seconds, uint64_t lost, uint64_t late)
{
	printf("result kind=%s size=%zu messages=%llu seconds=%.3f "
	       "msgs_per_s=%.1f mbytes_per_s=%.3f lost=%llu late=%llu "
	       "queue_full=%llu\n",
	       kind, size, (unsigned long long)messages, seconds,
	       messages / seconds, messages * (double)size / seconds / 1e6,
	       (unsigned long long)lost, (unsigned long long)late,
	       (unsigned long long)queue_full);
}

static void put_u64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void set_timeout(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = ms % 1000 * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int ockam_open(const char *name)
{
	int fd = ockam_socket(0), size = BENCH_RCVBUF, ret;

	if (fd < 0)
		die("socket", -fd);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* Return routes over several hops do not fit in a sockaddr. */
	ret = ockam_set_recvroute(fd, true);
	if (ret)
		die("OCKAM_SO_RECVROUTE", -ret);
	if (name) {
		ret = ockam_bind(fd, name);
		if (ret)
			die(name, -ret);
	}
	return fd;
}

static void reply(int fd, const struct ockam_wire_route *ret,
		  const void *buf, size_t len)
{
	ssize_t n = ockam_send_wire(fd, buf, len, ret->bytes, ret->len, 0);

	if (n < 0)
		fprintf(stderr, "ockam-bench: reply: %s\n", strerror(-n));
}

struct sink {
	int fd;
	uint64_t messages;
	uint64_t bytes;
	uint32_t run;
	/* Past the highest message number of the run received. */
	uint64_t next;
	/* The run's final report went out: what comes now is late. */
	bool ended;
	uint64_t late;
};

static void sink_handle(struct sink *s, const unsigned char *buf, size_t n,
			const struct ockam_wire_route *ret)
{
	unsigned char out[17];
	uint32_t ack_every, run;
	uint64_t seq;

	if (n < BENCH_HEADER) {
		if (n && buf[0] == BENCH_REQUEST)
			reply(s->fd, ret, buf, n);
		return;
	}
	memcpy(&ack_every, buf + 1, sizeof(ack_every));
	memcpy(&run, buf + 5, sizeof(run));
	switch (buf[0]) {
	case BENCH_DATA:
		/* A new sender: forget what a previous one left. */
		if (run != s->run) {
			s->run = run;
			s->messages = 0;
			s->bytes = 0;
			s->next = 0;
			s->ended = false;
		}
		if (s->ended) {
			out[0] = BENCH_LATE;
			put_u64(out + 1, ++s->late);
			reply(s->fd, ret, out, 9);
			break;
		}
		s->messages++;
		s->bytes += n;
		seq = get_u64(buf + 9);
		if (seq >= s->next)
			s->next = seq + 1;
		if (ack_every && s->messages % ack_every == 0) {
			out[0] = BENCH_ACK;
			put_u64(out + 1, s->messages);
			put_u64(out + 9, s->next);
			reply(s->fd, ret, out, 17);
		}
		break;
	case BENCH_END:
		if (run != s->run)
			break;
		out[0] = BENCH_FINAL;
		put_u64(out + 1, s->messages);
		put_u64(out + 9, s->bytes);
		reply(s->fd, ret, out, 17);
		s->messages = 0;
		s->bytes = 0;
		s->ended = true;
		s->late = 0;
		break;
	case BENCH_REQUEST:
		reply(s->fd, ret, buf, n);
		break;
	}
}

/*
 * The sink takes messages in batches with recvmmsg(), as a datagram
 * application that cares about rate would.
 */
static _Noreturn void run_sink(const char *name)
{
	enum {
		BATCH = 32,
		SLOT = 256 << 10,
		CONTROL = CMSG_SPACE(OCKAM_ROUTE_BYTES_MAX),
	};
	struct mmsghdr *msgs = calloc(BATCH, sizeof(*msgs));
	struct iovec *iov = calloc(BATCH, sizeof(*iov));
	unsigned char *bufs = malloc((size_t)BATCH * SLOT);
	char *control = malloc((size_t)BATCH * CONTROL);
	struct ockam_wire_route *ret = malloc(sizeof(*ret));
	struct sink s = { .fd = ockam_open(name) };
	int i, n;

	if (!msgs || !iov || !bufs || !control || !ret)
		die("malloc", ENOMEM);
	for (;;) {
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs + (size_t)i * SLOT;
			iov[i].iov_len = SLOT;
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = control + (size_t)i * CONTROL;
			msgs[i].msg_hdr.msg_controllen = CONTROL;
		}
		n = recvmmsg(s.fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		/* A reply that went down a connection since reset is
		 * reported here (ECONNRESET and the like): a sink keeps
		 * serving, as the channel under it recovers.
		 */
		if (n < 0 && (errno == EBADF || errno == EFAULT ||
			      errno == EINVAL || errno == ENOTSOCK))
			die("recvmmsg", errno);
		if (n < 0)
			continue;
		/* Bounds-checked: a route the buffer cannot hold is skipped. */
		for (i = 0; i < n; i++) {
			if (ockam_cmsg_return_route(&msgs[i].msg_hdr, ret) == 1)
				sink_handle(&s, iov[i].iov_base, msgs[i].msg_len,
					    ret);
		}
	}
}

static struct ockam_wire_route *parse_route(const char *text)
{
	struct ockam_wire_route *w = calloc(1, sizeof(*w));
	struct ockam_route *rt = calloc(1, sizeof(*rt));
	struct ockam_err err = { 0 };
	ssize_t len;

	if (!w || !rt)
		die("malloc", ENOMEM);
	if (ockam_route_parse(rt, text, NULL, NULL, &err)) {
		fprintf(stderr, "ockam-bench: %s\n", ockam_err_msg(&err));
		exit(2);
	}
	len = ockam_route_to_wire(rt, w->bytes, sizeof(w->bytes));
	if (len < 0)
		die("route", -len);
	w->len = len;
	free(rt);
	return w;
}

/* Wait for a message of @kind; returns its length or -errno. */
static ssize_t wait_for(int fd, int kind, unsigned char *buf, size_t cap,
			int timeout_ms)
{
	ssize_t n;

	set_timeout(fd, timeout_ms);
	do {
		n = ockam_recv(fd, buf, cap, 0, NULL, NULL);
	} while (n >= 0 && (n < 1 || buf[0] != kind));
	return n;
}

/* @size was checked by main(): at least BENCH_HEADER. */
static int run_send(const char *route, size_t size, double seconds)
{
	struct ockam_wire_route *w = parse_route(route);
	uint32_t window = BENCH_WINDOW_BYTES / size, ack_every, run;
	unsigned char *msg = calloc(1, size + BENCH_HEADER), in[64];
	uint64_t sent = 0, acked = 0, received, late = 0;
	int fd = ockam_open(NULL);
	double start, end, report_time;
	ssize_t n;

	if (!msg)
		die("malloc", ENOMEM);
	window = window < BENCH_WINDOW_MIN ? BENCH_WINDOW_MIN : window;
	window = window > BENCH_WINDOW_MAX ? BENCH_WINDOW_MAX : window;
	ack_every = window / 4;
	run = (uint32_t)getpid() ^ (uint32_t)(now_s() * 1e6);
	msg[0] = BENCH_DATA;
	memcpy(msg + 1, &ack_every, sizeof(ack_every));
	memcpy(msg + 5, &run, sizeof(run));

	start = now_s();
	end = start + seconds;
	while (now_s() < end) {
		while (sent - acked < window) {
			put_u64(msg + 9, sent);
			n = ockam_send_wire(fd, msg, size, w->bytes, w->len, 0);
			/* A full queue on the way (a dial still under way, a
			 * busy transport): wait a little, as for UDP.
			 */
			if (n == -ENOBUFS) {
				queue_full++;
				usleep(1000);
				continue;
			}
			if (n < 0)
				die("send", -n);
			sent++;
		}
		n = wait_for(fd, BENCH_ACK, in, sizeof(in),
			     BENCH_ACK_TIMEOUT_MS);
		if (n >= 17 && get_u64(in + 9) > acked) {
			acked = get_u64(in + 9);
		} else if (n < 0) {
			/* Acks or data went missing: start a new window. */
			acked = sent;
		}
	}
	msg[0] = BENCH_END;
	n = ockam_send_wire(fd, msg, BENCH_HEADER, w->bytes, w->len, 0);
	if (n < 0)
		die("send", -n);
	n = wait_for(fd, BENCH_FINAL, in, sizeof(in), BENCH_DRAIN_TIMEOUT_MS);
	if (n < 17)
		die("no final report from the sink", n < 0 ? -n : EPROTO);
	received = get_u64(in + 1);
	report_time = now_s() - start;
	/* Late messages count as neither received nor lost. */
	while (received + late < sent) {
		n = wait_for(fd, BENCH_LATE, in, sizeof(in),
			     BENCH_LATE_TIMEOUT_MS);
		if (n < 9)
			break;
		if (get_u64(in + 1) > late)
			late = get_u64(in + 1);
	}
	report("ockam", size, received, report_time,
	       sent - received - late, late);
	return 0;
}

static int run_rr(const char *route, size_t size, double seconds)
{
	struct ockam_wire_route *w = parse_route(route);
	unsigned char *msg = calloc(1, size), *in = malloc(size + 1);
	uint64_t done = 0;
	double start, end;
	int fd = ockam_open(NULL);
	ssize_t n;

	if (!msg || !in)
		die("malloc", ENOMEM);
	msg[0] = BENCH_REQUEST;
	start = now_s();
	end = start + seconds;
	while (now_s() < end) {
		n = ockam_send_wire(fd, msg, size, w->bytes, w->len, 0);
		if (n < 0)
			die("send", -n);
		n = wait_for(fd, BENCH_REQUEST, in, size + 1,
			     BENCH_FINAL_TIMEOUT_MS);
		if (n < 0)
			die("no reply", -n);
		done++;
	}
	report("ockam-rr", size, done, now_s() - start, 0, 0);
	return 0;
}

static double wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Probe a route for outages: a 17-byte request (kind, sequence number,
 * wall-clock time sent in microseconds) every @interval_ms, open loop, so
 * a lost request or reply delays the next by nothing; each reply, late
 * ones too, is printed when it comes with the time it was sent. Sends
 * that fail (a channel recovering, a dial under way) are counted and
 * tried again with the next number.
 */
static int run_probe(const char *route, double interval_ms, double seconds)
{
	struct ockam_wire_route *w = parse_route(route);
	uint64_t seq = 0, got_seq, sent_us, replies = 0, send_errors = 0;
	unsigned char msg[17], in[64];
	double next, end, left;
	int fd = ockam_open(NULL);
	ssize_t n;

	next = wall_ms();
	end = next + seconds * 1e3;
	while (next < end) {
		msg[0] = BENCH_REQUEST;
		put_u64(msg + 1, ++seq);
		put_u64(msg + 9, (uint64_t)(wall_ms() * 1e3));
		n = ockam_send_wire(fd, msg, sizeof(msg), w->bytes, w->len, 0);
		if (n < 0)
			send_errors++;
		next += interval_ms;
		/* Replies until the next send is due. */
		while ((left = next - wall_ms()) > 0) {
			set_timeout(fd, left < 1 ? 1 : (int)left);
			n = ockam_recv(fd, in, sizeof(in), 0, NULL, NULL);
			if (n < 0)
				continue;
			if (n != sizeof(msg) || in[0] != BENCH_REQUEST)
				continue;
			got_seq = get_u64(in + 1);
			sent_us = get_u64(in + 9);
			replies++;
			printf("reply %llu %.1f %.1f\n",
			       (unsigned long long)got_seq, sent_us / 1e3,
			       wall_ms());
		}
		/* Behind (a slow machine): no burst to catch up. */
		if (next < wall_ms())
			next = wall_ms();
	}
	printf("result kind=probe sent=%llu replies=%llu send_errors=%llu\n",
	       (unsigned long long)seq, (unsigned long long)replies,
	       (unsigned long long)send_errors);
	return 0;
}

static int tcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		die("socket", errno);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return fd;
}

static _Noreturn void run_tcp_sink(const char *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char *buf = malloc(1 << 20);
	int lfd = tcp_socket(), fd;
	uint64_t bytes;
	ssize_t n;

	sin.sin_port = htons(atoi(port));
	if (!buf)
		die("malloc", ENOMEM);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) || listen(lfd, 8))
		die("listen", errno);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			die("accept", errno);
		bytes = 0;
		while ((n = read(fd, buf, 1 << 20)) > 0)
			bytes += n;
		if (write(fd, &bytes, sizeof(bytes)) != sizeof(bytes))
			perror("ockam-bench: write");
		close(fd);
	}
}

/* Echoes each connection until it ends, one connection at a time. */
static _Noreturn void run_tcp_echo(const char *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int lfd = tcp_socket(), fd, one = 1;
	char buf[4096];
	ssize_t n;

	sin.sin_port = htons(atoi(port));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) || listen(lfd, 64))
		die("listen", errno);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			die("accept", errno);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (write(fd, buf, n) != n)
				break;
		close(fd);
	}
}

static void tcp_address(const char *hostport, struct sockaddr_in *sin)
{
	char host[OCKAM_HOST_MAX + 1];
	uint16_t port;

	*sin = (struct sockaddr_in){ .sin_family = AF_INET };
	if (ockam_hostport_split(hostport, host, sizeof(host), &port, false,
				 NULL) ||
	    inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		die(hostport, EINVAL);
	sin->sin_port = htons(port);
}

/*
 * Time to first byte of new connections: each one is opened, carries one
 * byte to the echo server and back, and is closed before the next.
 */
static int run_tcp_connect(const char *hostport, double seconds)
{
	struct sockaddr_in sin;
	uint64_t done = 0;
	double start, end;
	char byte = 'x';
	int fd, one = 1;

	tcp_address(hostport, &sin);
	start = now_s();
	end = start + seconds;
	while (now_s() < end) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket", errno);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
			die("connect", errno);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		set_timeout(fd, BENCH_FINAL_TIMEOUT_MS);
		if (write(fd, &byte, 1) != 1)
			die("write", errno);
		if (read(fd, &byte, 1) != 1)
			die("no echo", errno ? errno : EPROTO);
		close(fd);
		done++;
	}
	report("tcp-connect", 1, done, now_s() - start, 0, 0);
	return 0;
}

/*
 * Read a stream to its end and say how it ended: a test of resets needs
 * to tell a reset from an orderly end, which tools like socat blur.
 */
static int run_tcp_recv(const char *hostport)
{
	struct sockaddr_in sin;
	uint64_t bytes = 0;
	int fd = tcp_socket();
	char buf[65536];
	ssize_t n;

	tcp_address(hostport, &sin);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect", errno);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		bytes += n;
	printf("result kind=tcp-recv bytes=%llu end=%s\n",
	       (unsigned long long)bytes, n ? strerror(errno) : "eof");
	return n ? 3 : 0;
}

static int run_tcp_send(const char *hostport, size_t size, double seconds)
{
	struct sockaddr_in sin;
	char *msg = calloc(1, size);
	int fd = tcp_socket(), one = 1;
	uint64_t bytes = 0, received;
	double start, end;
	ssize_t n;
	size_t off;

	if (!msg)
		die("calloc", ENOMEM);
	tcp_address(hostport, &sin);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect", errno);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	start = now_s();
	end = start + seconds;
	while (now_s() < end) {
		for (off = 0; off < size; off += n) {
			n = write(fd, msg + off, size - off);
			if (n <= 0)
				die("write", errno);
		}
		bytes += size;
	}
	shutdown(fd, SHUT_WR);
	if (read(fd, &received, sizeof(received)) != sizeof(received))
		die("no count from the sink", errno ? errno : EPROTO);
	report("tcp", size, received / size, now_s() - start,
	       (bytes - received) / size, 0);
	return 0;
}

static _Noreturn void usage(void)
{
	fprintf(stderr,
		"usage: ockam-bench sink NAME\n"
		"       ockam-bench send ROUTE SIZE SECONDS\n"
		"       ockam-bench rr ROUTE SIZE SECONDS\n"
		"       ockam-bench probe ROUTE INTERVAL_MS SECONDS\n"
		"       ockam-bench tcp-sink PORT\n"
		"       ockam-bench tcp-send HOST:PORT SIZE SECONDS\n"
		"       ockam-bench tcp-echo PORT\n"
		"       ockam-bench tcp-connect HOST:PORT SECONDS\n"
		"       ockam-bench tcp-recv HOST:PORT\n");
	exit(2);
}

/* SIZE and SECONDS, checked before anything divides by them. */
static void parse_load(const char *size_text, const char *seconds_text,
		       size_t min_size, size_t *size, double *seconds)
{
	unsigned long long value;
	char *end;

	errno = 0;
	value = strtoull(size_text, &end, 10);
	if (errno || end == size_text || *end || size_text[0] == '-' ||
	    value < min_size || value > OCKAM_MAX_MESSAGE_MAX) {
		fprintf(stderr, "ockam-bench: SIZE must be %zu to %d bytes, not '%s'\n",
			min_size, OCKAM_MAX_MESSAGE_MAX, size_text);
		exit(2);
	}
	*size = value;
	*seconds = strtod(seconds_text, &end);
	if (end == seconds_text || *end || !(*seconds > 0 && *seconds < 1e6)) {
		fprintf(stderr, "ockam-bench: SECONDS must be a positive number, not '%s'\n",
			seconds_text);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	double seconds;
	size_t size;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "sink"))
		run_sink(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "tcp-sink"))
		run_tcp_sink(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "tcp-echo"))
		run_tcp_echo(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "tcp-recv"))
		return run_tcp_recv(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "tcp-connect")) {
		parse_load("1", argv[3], 1, &size, &seconds);
		return run_tcp_connect(argv[2], seconds);
	}
	if (argc != 5)
		usage();
	if (!strcmp(argv[1], "send")) {
		/* Each message carries the header the sink counts by. */
		parse_load(argv[3], argv[4], BENCH_HEADER, &size, &seconds);
		return run_send(argv[2], size, seconds);
	}
	if (!strcmp(argv[1], "rr")) {
		parse_load(argv[3], argv[4], 1, &size, &seconds);
		return run_rr(argv[2], size, seconds);
	}
	if (!strcmp(argv[1], "probe")) {
		double interval_ms = strtod(argv[3], NULL);

		if (!(interval_ms >= 1 && interval_ms <= 10000)) {
			fprintf(stderr, "ockam-bench: INTERVAL_MS must be 1 to 10000, not '%s'\n",
				argv[3]);
			exit(2);
		}
		parse_load("1", argv[4], 1, &size, &seconds);
		return run_probe(argv[2], interval_ms, seconds);
	}
	if (!strcmp(argv[1], "tcp-send")) {
		parse_load(argv[3], argv[4], 1, &size, &seconds);
		return run_tcp_send(argv[2], size, seconds);
	}
	usage();
	return 2;
}
