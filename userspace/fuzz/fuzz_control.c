// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for the ockamd control protocol: the request parser the
 * daemon runs on every packet, and the reply parser the CLI runs on every
 * answer. Invariants: no crash on any input; a request that parses is
 * rebuilt by ockam_ctl_request_build() into the same bytes (less an
 * optional final newline).
 */
#include <stdlib.h>
#include <string.h>

#include <ockam/ockam.h>

#include "util.h"
#include "fuzz.h"

static void check_request(const uint8_t *data, size_t size)
{
	static struct ockam_ctl_request req;
	static char buf[OCKAM_CTL_REQUEST_MAX + 2];
	size_t len = size;
	ssize_t built;

	if (ockam_ctl_request_parse(&req, data, size, NULL) < 0)
		return;
	ASSERT(req.argc <= OCKAM_CTL_ARGS_MAX);
	built = ockam_ctl_request_build(buf, sizeof(buf), req.verb, req.argc,
					req.argv);
	if (len && data[len - 1] == '\n')
		len--;
	ASSERT(built >= 0 && (size_t)built == len);
	ASSERT(!memcmp(buf, data, len));
}

static void check_reply(const uint8_t *data, size_t size)
{
	struct ockam_ctl_reply reply;
	char *buf, *rec, val[64];

	if (size > OCKAM_CTL_REPLY_MAX)
		return;
	buf = malloc(size + 1);
	if (!buf)
		return;
	memcpy(buf, data, size);
	if (ockam_ctl_reply_parse(&reply, buf, size, NULL) == 0) {
		ASSERT(reply.errnum >= 0 && reply.errnum <= OCKAM_ERRNO_MAX);
		while ((rec = ockam_ctl_record_next(&reply)))
			ockam_ctl_record_get(rec, "address", val, sizeof(val));
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_request(data, size);
	check_reply(data, size);
	return 0;
}
