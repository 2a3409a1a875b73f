// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The daemon's record of the secure channels it installed: which of our
 * identities and which listener each one used, which the kernel does not
 * know. The kernel owns the channels themselves (they belong to our
 * netlink socket); a record goes when the kernel reports the channel
 * closed, or is found missing after lost events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "secure.h"
#include "util.h"

struct channel_record *channel_record_add(struct daemon *d,
					  const struct ockam_channel_info *ch,
					  const struct handshake *hs,
					  const char *listener, uint32_t role)
{
	struct channel_record *rec = calloc(1, sizeof(*rec));

	if (!rec)
		return NULL;
	snprintf(rec->encryptor, sizeof(rec->encryptor), "%s", ch->encryptor);
	snprintf(rec->decryptor, sizeof(rec->decryptor), "%s", ch->decryptor);
	snprintf(rec->identity, sizeof(rec->identity), "%s", hs->identity);
	snprintf(rec->peer, sizeof(rec->peer), "%s", hs->peer);
	snprintf(rec->listener, sizeof(rec->listener), "%s", listener);
	rec->role = role;
	rec->created = time(NULL);
	/* The kernel's reply says so when it knows of states. */
	rec->state = ch->state ? ch->state : OCKAM_CHANNEL_UP;
	rec->state_reason = ch->state ? ch->state_reason :
					OCKAM_STATE_R_INSTALLED;
	timer_init(&rec->retry, NULL, NULL);
	rec->next = d->channels;
	d->channels = rec;
	return rec;
}

struct channel_record *channel_record_find(struct daemon *d,
					   const char *encryptor)
{
	struct channel_record *rec;

	for (rec = d->channels; rec; rec = rec->next)
		if (!strcmp(rec->encryptor, encryptor))
			return rec;
	return NULL;
}

static void record_drop(struct daemon *d, struct channel_record *rec)
{
	channel_recovery_stop(d, rec);
	slist_remove(&d->channels, rec);
	free(rec->origin);
	free(rec);
}

void channels_on_event(struct daemon *d, const struct ockam_event *ev)
{
	struct channel_record *rec = channel_record_find(d, ev->address);

	if (!rec)
		return;
	/* Peers close channels at will: rate-limited. */
	log_info_limited("secure channel %s with %s closed: %s", rec->encryptor,
			 rec->peer, ockam_close_reason_name(ev->reason));
	record_drop(d, rec);
}

static const struct ockam_channel_info *
listed(const struct ockam_channel_info *list, size_t count,
       const char *encryptor)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (!strcmp(list[i].encryptor, encryptor))
			return &list[i];
	return NULL;
}

/*
 * A state change whose event was lost: act on it now. A kernel that does
 * not report states leaves them alone.
 */
static void resync_state(struct daemon *d, struct channel_record *rec,
			 const struct ockam_channel_info *ch)
{
	if (!ch->state || (ch->state == rec->state &&
			   ch->state_reason == rec->state_reason))
		return;
	log_info("secure channel %s with %s is %s (%s)", rec->encryptor,
		 rec->peer, ockam_channel_state_name(ch->state),
		 ockam_channel_state_reason_name(ch->state_reason));
	channel_recovery_update(d, rec, ch->state, ch->state_reason);
}

void channels_resync(struct daemon *d)
{
	const struct ockam_channel_info *ch;
	struct ockam_channel_info *list;
	struct channel_record *rec, *next;
	struct ockam_err err;
	size_t count;

	if (ockam_nl_channel_list(d->nl, &list, &count, &err) < 0) {
		log_err("%s", ockam_err_msg(&err));
		return;
	}
	for (rec = d->channels; rec; rec = next) {
		next = rec->next;
		ch = listed(list, count, rec->encryptor);
		if (ch) {
			/* May drop @rec; @next stays. */
			resync_state(d, rec, ch);
			continue;
		}
		log_info("secure channel %s with %s is gone", rec->encryptor,
			 rec->peer);
		record_drop(d, rec);
	}
	ockam_channel_list_free(list, count);
}

int channel_delete(struct daemon *d, const char *encryptor,
		   struct ockam_err *err)
{
	struct channel_record *rec;
	int ret = ockam_nl_channel_del(d->nl, encryptor, err);

	if (ret < 0)
		return ret;
	log_info("secure channel %s deleted", encryptor);
	rec = channel_record_find(d, encryptor);
	if (rec)
		record_drop(d, rec);
	return 0;
}

void channels_close(struct daemon *d)
{
	struct ockam_err err;

	/*
	 * Closing the netlink socket would close them too, but only after
	 * the transports the CLOSE frames need are gone: close them first,
	 * so the peers hear of it.
	 */
	while (d->channels) {
		struct channel_record *rec = d->channels;

		if (ockam_nl_channel_del(d->nl, rec->encryptor, &err) < 0 &&
		    err.code != -ENOENT)
			log_warn("%s", ockam_err_msg(&err));
		record_drop(d, rec);
	}
}

/* What the kernel says of the channel's state, when it does. */
static void report_state(struct ockam_ctl_writer *w,
			 const struct ockam_channel_info *ch)
{
	if (!ch || !ch->state)
		return;
	ockam_ctl_field(w, "state", "%s", ockam_channel_state_name(ch->state));
	ockam_ctl_field(w, "reason", "%s",
			ockam_channel_state_reason_name(ch->state_reason));
	ockam_ctl_field(w, "since-ms", "%llu",
			(unsigned long long)ch->state_age_ms);
	ockam_ctl_field(w, "heard-ms", "%llu",
			(unsigned long long)ch->heard_age_ms);
	ockam_ctl_field(w, "route-moves", "%llu",
			(unsigned long long)ch->route_moves);
}

void channels_report(struct daemon *d, struct ockam_ctl_writer *w)
{
	struct ockam_channel_info *list = NULL;
	const struct channel_record *rec;
	struct ockam_err err;
	size_t count = 0;

	/* Without the kernel's view the records still say what we know. */
	if (ockam_nl_channel_list(d->nl, &list, &count, &err) < 0)
		log_warn("%s", ockam_err_msg(&err));
	ockam_ctl_reply_ok(w);
	for (rec = d->channels; rec; rec = rec->next) {
		ockam_ctl_record_begin(w);
		ockam_ctl_field(w, "encryptor", "%s", rec->encryptor);
		ockam_ctl_field(w, "decryptor", "%s", rec->decryptor);
		ockam_ctl_field(w, "role", "%s", ockam_role_name(rec->role));
		ockam_ctl_field(w, "identity", "%s", rec->identity);
		ockam_ctl_field(w, "peer", "%s", rec->peer);
		ockam_ctl_field(w, "listener", "%s",
				rec->listener[0] ? rec->listener : "-");
		ockam_ctl_field(w, "created", "%lld", (long long)rec->created);
		report_state(w, listed(list, count, rec->encryptor));
		ockam_ctl_field(w, "route-sets", "%lu", rec->route_sets);
		ockam_ctl_field(w, "handshakes", "%lu", rec->rekeys);
		ockam_ctl_record_end(w);
	}
	ockam_channel_list_free(list, count);
}
