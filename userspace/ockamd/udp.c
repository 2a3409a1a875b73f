// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * UDP binds. The daemon binds the socket and hands it to the kernel,
 * which from then on does all the sending and receiving; like our
 * transports, each bind belongs to our netlink socket and goes with it.
 * We keep only the address we bound and the kernel's name for the bind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

struct udp_bind {
	struct udp_bind *next;
	char address[OCKAM_HOSTPORT_MAX + 1];	/* as bound */
	char name[OCKAM_NAME_MAX];		/* the kernel's local address */
};

int udp_bind_create(struct daemon *d, const char *hostport,
		    const struct udp_bind **out, struct ockam_err *err)
{
	char host[OCKAM_HOST_MAX + 1];
	struct ockam_udp_info info;
	struct udp_bind *b, **tail;
	unsigned int count = 0;
	uint16_t port;
	int fd = -1, ret;

	ret = ockam_hostport_split(hostport, host, sizeof(host), &port, true,
				   err);
	if (ret < 0)
		return ret;
	for (tail = &d->udp_binds; *tail; tail = &(*tail)->next)
		count++;
	if (count >= UDP_BINDS_MAX)
		return ockam_err_set(err, -ENOSPC,
				     "a node has at most %d UDP binds",
				     UDP_BINDS_MAX);
	b = calloc(1, sizeof(*b));
	if (!b)
		return ockam_err_set(err, -ENOMEM, "out of memory");
	ret = bound_socket(host, port, SOCK_DGRAM, &fd, b->address,
			   sizeof(b->address), err);
	if (ret < 0) {
		free(b);
		return ret;
	}
	ret = ockam_nl_udp_attach(d->nl, fd, NULL, &info, err);
	/* The kernel holds its own reference now. */
	close(fd);
	if (ret < 0) {
		free(b);
		return ret;
	}
	snprintf(b->name, sizeof(b->name), "%s", info.address);
	*tail = b;
	log_info("UDP bind on %s (address %s)", b->address, b->name);
	if (out)
		*out = b;
	return 0;
}

/* By the address it is bound to, as listed, or by its local address. */
int udp_bind_delete(struct daemon *d, const char *address,
		    struct ockam_err *err)
{
	struct udp_bind **pp, *b;
	int ret;

	for (pp = &d->udp_binds; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->address, address) ||
		    !strcmp((*pp)->name, address))
			break;
	b = *pp;
	if (!b)
		return ockam_err_set(err, -ENOENT, "no UDP bind at %s", address);
	ret = ockam_nl_udp_detach(d->nl, b->name, err);
	/* Gone from the kernel already (detached by hand): forget it too. */
	if (ret < 0 && ret != -ENOENT)
		return ret;
	*pp = b->next;
	log_info("UDP bind on %s closed", b->address);
	free(b);
	ockam_err_clear(err);
	return 0;
}

static void bind_record(struct ockam_ctl_writer *w, const struct udp_bind *b,
			const struct ockam_udp_info *info)
{
	const uint64_t *stat = info ? info->stats.value : NULL;

	ockam_ctl_record_begin(w);
	ockam_ctl_field(w, "kind", "udp-bind");
	ockam_ctl_field(w, "address", "%s", b->address);
	ockam_ctl_field(w, "name", "%s", b->name);
	if (info) {
		ockam_ctl_field(w, "peers", "%u", info->peers);
		ockam_ctl_field(w, "reasm-bytes", "%u", info->reasm_bytes);
		ockam_ctl_field(w, "rx-messages", "%llu",
				(unsigned long long)stat[OCKAM_STAT_RX_MESSAGES]);
		ockam_ctl_field(w, "tx-messages", "%llu",
				(unsigned long long)stat[OCKAM_STAT_TX_MESSAGES]);
		ockam_ctl_field(w, "reassembled", "%llu",
				(unsigned long long)
				stat[OCKAM_STAT_UDP_REASSEMBLED]);
	}
	ockam_ctl_record_end(w);
}

void udp_binds_report(struct daemon *d, const struct udp_bind *only,
		      struct ockam_ctl_writer *w)
{
	struct ockam_udp_info *list = NULL;
	const struct udp_bind *b;
	struct ockam_err err;
	size_t count = 0, i;

	/* Without the counters (a dump cut short), still the binds. */
	if (d->udp_binds && ockam_nl_udp_list(d->nl, &list, &count, &err) < 0)
		log_warn("UDP bind list: %s", ockam_err_msg(&err));
	for (b = d->udp_binds; b; b = b->next) {
		const struct ockam_udp_info *info = NULL;

		if (only && b != only)
			continue;
		for (i = 0; i < count && !info; i++)
			if (!strcmp(list[i].address, b->name))
				info = &list[i];
		bind_record(w, b, info);
	}
	free(list);
}

void udp_binds_close(struct daemon *d)
{
	/* The kernel closes the binds with our netlink socket. */
	while (d->udp_binds) {
		struct udp_bind *b = d->udp_binds;

		d->udp_binds = b->next;
		free(b);
	}
}
