// SPDX-License-Identifier: GPL-2.0
/*
 * The "ockam" generic netlink family: node settings, aliases, address
 * dumps, strict validation, and who may change what.
 */
#include <linux/genetlink.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "common.h"

FIXTURE(nl)
{
	struct ockam_nl *nl;
	int a;
	int b;
};

FIXTURE_SETUP(nl)
{
	ASSERT_EQ(0, node_fresh());
	ASSERT_EQ(0, ockam_nl_open(&self->nl, NULL));
	self->a = sock_bound("a");
	self->b = sock_bound("b");
	ASSERT_LE(0, self->a);
	ASSERT_LE(0, self->b);
}

FIXTURE_TEARDOWN(nl)
{
	close(self->a);
	close(self->b);
	ockam_nl_close(self->nl);
}

static int route_add(struct ockam_nl *nl, const char *name, const char *text)
{
	struct ockam_route rt;

	if (ockam_route_parse(&rt, text, NULL, NULL, NULL))
		return -EINVAL;
	return ockam_nl_alias_add(nl, name, &rt, NULL);
}

TEST_F(nl, node_defaults)
{
	struct ockam_node_info info;

	ASSERT_EQ(0, ockam_nl_node_get(self->nl, &info, NULL));
	EXPECT_EQ(ockam_family(), info.family);
	/* The defaults Documentation/netlink.rst gives. */
	EXPECT_EQ(1 << 20, info.max_message);
	EXPECT_EQ(32, info.hop_limit);
	EXPECT_EQ(5000, info.dial_timeout_ms);
	EXPECT_FALSE(info.dial_forwarded);
	EXPECT_EQ(2, info.address_count);
	EXPECT_TRUE(info.stats.present & (1ULL << OCKAM_STAT_DELIVERED));
}

TEST_F(nl, node_settings_and_ranges)
{
	struct ockam_node_settings set = { .max_message = 4096 };
	struct ockam_node_info info;
	char big[5000] = { 0 };

	ASSERT_EQ(0, ockam_nl_node_set(self->nl, &set, NULL));
	ASSERT_EQ(0, ockam_nl_node_get(self->nl, &info, NULL));
	EXPECT_EQ(4096, info.max_message);
	EXPECT_EQ(32, info.hop_limit);
	EXPECT_EQ(-1, send_to(self->a, "0#b", big, sizeof(big)));
	EXPECT_EQ(EMSGSIZE, errno);

	set.max_message = 100;
	EXPECT_EQ(-ERANGE, ockam_nl_node_set(self->nl, &set, NULL));
	set.max_message = OCKAM_MAX_MESSAGE_MAX + 1;
	EXPECT_EQ(-ERANGE, ockam_nl_node_set(self->nl, &set, NULL));
	set.max_message = 0;
	set.hop_limit = OCKAM_ROUTE_HOPS_MAX + 1;
	EXPECT_EQ(-ERANGE, ockam_nl_node_set(self->nl, &set, NULL));
	set.hop_limit = 0;
	set.dial_timeout_ms = 99;
	EXPECT_EQ(-ERANGE, ockam_nl_node_set(self->nl, &set, NULL));
	set.dial_timeout_ms = 250;
	EXPECT_EQ(0, ockam_nl_node_set(self->nl, &set, NULL));
	ASSERT_EQ(0, ockam_nl_node_get(self->nl, &info, NULL));
	EXPECT_EQ(250, info.dial_timeout_ms);
}

TEST_F(nl, alias_add_list_delete)
{
	struct ockam_alias_info *list;
	struct ockam_wire_route w = wire("0#b");
	size_t count;

	ASSERT_EQ(0, route_add(self->nl, "to_b", "0#b"));
	EXPECT_EQ(-EEXIST, route_add(self->nl, "to_b", "0#a"));
	EXPECT_EQ(-EEXIST, route_add(self->nl, "a", "0#b"));
	ASSERT_EQ(0, ockam_nl_alias_list(self->nl, &list, &count, NULL));
	ASSERT_EQ(1, count);
	EXPECT_STREQ("to_b", list[0].address);
	ASSERT_EQ(w.len, list[0].route.len);
	EXPECT_EQ(0, memcmp(w.bytes, list[0].route.bytes, w.len));
	free(list);

	ASSERT_EQ(0, ockam_nl_alias_del(self->nl, "to_b", NULL));
	EXPECT_EQ(-ENOENT, ockam_nl_alias_del(self->nl, "to_b", NULL));
	/* A socket's address is not an alias. */
	EXPECT_EQ(-ENOENT, ockam_nl_alias_del(self->nl, "a", NULL));
	ASSERT_EQ(0, ockam_nl_alias_list(self->nl, &list, &count, NULL));
	EXPECT_EQ(0, count);
	free(list);
}

TEST_F(nl, alias_routes_messages)
{
	ASSERT_EQ(0, route_add(self->nl, "forward_to_b", "0#b"));
	ASSERT_EQ(5, send_to(self->a, "0#forward_to_b", "hello", 5));
	/* The alias pops itself and pushes nothing on the return route. */
	EXPECT_EQ(0, recv_expect(self->b, "hello", "0#a", 0));

	/* Aliases chain. */
	ASSERT_EQ(0, route_add(self->nl, "outer", "0#forward_to_b"));
	ASSERT_EQ(5, send_to(self->a, "0#outer", "again", 5));
	EXPECT_EQ(0, recv_expect(self->b, "again", "0#a", 0));
}

TEST_F(nl, alias_loops_are_stopped)
{
	uint64_t before = node_stat(self->nl, OCKAM_STAT_DROP_HOP_LIMIT);

	ASSERT_EQ(0, route_add(self->nl, "loop", "0#loop"));
	EXPECT_EQ(-1, send_to(self->a, "0#loop", "x", 1));
	EXPECT_EQ(ELOOP, errno);
	/* An alias that grows the route every time round. */
	ASSERT_EQ(0, route_add(self->nl, "grow", "0#grow => 0#b => 0#b"));
	EXPECT_EQ(-1, send_to(self->a, "0#grow", "x", 1));
	EXPECT_EQ(ELOOP, errno);
	EXPECT_EQ(before + 2, node_stat(self->nl, OCKAM_STAT_DROP_HOP_LIMIT));
}

TEST_F(nl, alias_errors)
{
	struct ockam_route rt;

	EXPECT_EQ(-EINVAL, route_add(self->nl, "bad#name", "0#b"));
	ockam_route_init(&rt);
	EXPECT_EQ(-EINVAL, ockam_nl_alias_add(self->nl, "empty", &rt, NULL));
}

TEST_F(nl, address_dump)
{
	struct ockam_address_info *list;
	size_t count, i;
	int seen = 0;

	ASSERT_EQ(0, route_add(self->nl, "alias", "0#b"));
	ASSERT_EQ(0, ockam_nl_address_list(self->nl, &list, &count, NULL));
	ASSERT_EQ(3, count);
	for (i = 0; i < count; i++) {
		if (!strcmp(list[i].address, "a") &&
		    list[i].kind == OCKAM_KIND_SOCKET)
			seen |= 1;
		if (!strcmp(list[i].address, "alias") &&
		    list[i].kind == OCKAM_KIND_ALIAS)
			seen |= 2;
	}
	EXPECT_EQ(3, seen);
	free(list);
}

TEST_F(nl, dump_spans_many_messages)
{
	enum { ALIASES = 600 };
	struct ockam_alias_info *list;
	char name[32];
	size_t count;
	int i;

	for (i = 0; i < ALIASES; i++) {
		snprintf(name, sizeof(name), "alias-%04d", i);
		ASSERT_EQ(0, route_add(self->nl, name, "0#b"));
	}
	ASSERT_EQ(0, ockam_nl_alias_list(self->nl, &list, &count, NULL));
	ASSERT_EQ(ALIASES, count);
	for (i = 0; i < ALIASES; i++) {
		snprintf(name, sizeof(name), "alias-%04d", i);
		EXPECT_STREQ(name, list[i].address);
	}
	free(list);
}

TEST_F(nl, dial_failed_without_dial)
{
	EXPECT_EQ(-ENOENT, ockam_nl_dial_failed(self->nl, "127.0.0.1:9", 111,
						NULL));
}

/* Raw requests show the kernel rejects what libockam never sends. */
TEST_F(nl, strict_validation)
{
	/* An attribute the command does not take, at either level. */
	EXPECT_NE(0, raw_request(OCKAM_CMD_NODE_SET, OCKAM_A_NODE,
				 OCKAM_NODE_A_FAMILY, 3));
	EXPECT_NE(0, raw_request(OCKAM_CMD_NODE_SET, 0, OCKAM_A_TRANSPORT, 3));
	/* Another object's nest, or the right one's attribute outside it. */
	EXPECT_NE(0, raw_request(OCKAM_CMD_NODE_SET, OCKAM_A_TRANSPORT,
				 OCKAM_NODE_A_HOP_LIMIT, 3));
	EXPECT_NE(0, raw_request(OCKAM_CMD_NODE_SET, 0, OCKAM_NODE_A_HOP_LIMIT,
				 3));
	/* An attribute beyond a set's maximum. */
	EXPECT_NE(0, raw_request(OCKAM_CMD_NODE_SET, 0, OCKAM_A_MAX + 1, 3));
	EXPECT_NE(0, raw_request(OCKAM_CMD_NODE_SET, OCKAM_A_NODE,
				 OCKAM_NODE_A_MAX + 1, 3));
	/* Flag bits the kernel does not know. */
	EXPECT_NE(0, raw_request(OCKAM_CMD_TRANSPORT_ATTACH, OCKAM_A_TRANSPORT,
				 OCKAM_TRANSPORT_A_FLAGS, 1u << 31));
	/* A command that does not exist. */
	EXPECT_NE(0, raw_request(OCKAM_CMD_MAX + 1, OCKAM_A_NODE,
				 OCKAM_NODE_A_HOP_LIMIT, 3));
	/* Events are not commands. */
	EXPECT_NE(0, raw_request(OCKAM_CMD_DIAL_REQUEST, OCKAM_A_DIAL,
				 OCKAM_DIAL_A_ERRNO, 3));
	/* A value out of range. */
	EXPECT_NE(0, raw_request(OCKAM_CMD_NODE_SET, OCKAM_A_NODE,
				 OCKAM_NODE_A_DIAL_FORWARDED, 2));
	/* A setting that is only ever read. */
	EXPECT_NE(0, raw_request(OCKAM_CMD_NODE_SET, OCKAM_A_NODE,
				 OCKAM_NODE_A_ADDRESS_COUNT, 2));
	/* No nest at all: nothing to set. */
	EXPECT_NE(0, raw_request(OCKAM_CMD_TRANSPORT_DETACH, 0, 0, 0));
	/* And good ones pass. */
	EXPECT_EQ(0, raw_request(OCKAM_CMD_NODE_SET, OCKAM_A_NODE,
				 OCKAM_NODE_A_HOP_LIMIT, 3));
	EXPECT_EQ(0, raw_request(OCKAM_CMD_NODE_SET, OCKAM_A_NODE,
				 OCKAM_NODE_A_DIAL_FORWARDED, 0));
}

static void drop_privileges(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capset, &hdr, data))
		_exit(3);
}

/* Run @fn in a child and return its exit status. */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (!pid)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int unprivileged_checks(void)
{
	struct ockam_node_settings set = { .hop_limit = 5 };
	struct ockam_node_info info;
	struct ockam_events *ev;
	struct ockam_route rt;
	struct ockam_nl *nl;

	drop_privileges();
	if (ockam_nl_open(&nl, NULL))
		return 4;
	ockam_route_parse(&rt, "0#b", NULL, NULL, NULL);
	/* Reading is allowed; every write and the events group are not. */
	if (ockam_nl_node_get(nl, &info, NULL))
		return 5;
	if (ockam_nl_node_set(nl, &set, NULL) != -EPERM)
		return 6;
	if (ockam_nl_alias_add(nl, "x", &rt, NULL) != -EPERM)
		return 7;
	if (ockam_nl_transport_detach(nl, "x", NULL) != -EPERM)
		return 8;
	if (ockam_nl_dial_failed(nl, "h:1", 1, NULL) != -EPERM)
		return 9;
	if (ockam_events_open(&ev, NULL) != -EPERM)
		return 10;
	return 0;
}

TEST_F(nl, writes_need_cap_net_admin)
{
	EXPECT_EQ(0, in_child(unprivileged_checks));
}

/*
 * Dumps that name peers, routes or addresses are for admins too: a
 * channel's encryptor address is all it takes to send through the
 * channel, and transports and aliases tell who the node talks to.
 */
static int unprivileged_dumps(void)
{
	struct ockam_transport_info *transports;
	struct ockam_channel_info *channels;
	struct ockam_address_info *addrs;
	struct ockam_alias_info *aliases;
	struct ockam_node_info info;
	struct ockam_nl *nl;
	size_t count;

	drop_privileges();
	if (ockam_nl_open(&nl, NULL))
		return 4;
	if (ockam_nl_transport_list(nl, &transports, &count, NULL) != -EPERM)
		return 5;
	if (ockam_nl_channel_list(nl, &channels, &count, NULL) != -EPERM)
		return 6;
	if (ockam_nl_alias_list(nl, &aliases, &count, NULL) != -EPERM)
		return 7;
	if (ockam_nl_address_list(nl, &addrs, &count, NULL) != -EPERM)
		return 8;
	/* Settings, counters and the reserved names stay open. */
	if (ockam_nl_node_get(nl, &info, NULL) || !info.address_count)
		return 9;
	if (ockam_nl_reserved_list(nl, &addrs, &count, NULL) || !count)
		return 10;
	free(addrs);
	return 0;
}

TEST_F(nl, dumps_that_name_peers_need_cap_net_admin)
{
	ASSERT_EQ(0, route_add(self->nl, "fwd", "0#b"));
	EXPECT_EQ(0, in_child(unprivileged_dumps));
}

static bool reserved_has(struct ockam_nl *nl, const char *name)
{
	struct ockam_address_info *list;
	size_t count, i;
	bool found = false;

	if (ockam_nl_reserved_list(nl, &list, &count, NULL))
		return false;
	for (i = 0; i < count; i++)
		found |= !strcmp(list[i].address, name);
	free(list);
	return found;
}

/* bind() of each name in turn; a bit set in the result for each refusal. */
static int bind_refusals(void)
{
	static const char *const names[] = {
		"api", "echo", "uppercase", "mine", "free",
	};
	int fd, i, refused = 0;

	for (i = 0; i < 5; i++) {
		fd = socket(ockam_family(), SOCK_DGRAM, 0);
		if (fd < 0)
			return 1 << 7;
		if (ockam_bind(fd, names[i]) == -EACCES)
			refused |= 1 << i;
		close(fd);
	}
	return refused;
}

static int bind_refusals_unprivileged(void)
{
	drop_privileges();
	return bind_refusals();
}

/*
 * A node's own names (its listeners and services) are bound by an admin
 * only, as ports below 1024 are: otherwise any local user could bind "api"
 * before the daemon and read what peers meant for it.
 */
TEST_F(nl, reserved_names_need_cap_net_admin)
{
	struct ockam_err err;

	/* Ockam's service names come reserved. */
	EXPECT_TRUE(reserved_has(self->nl, "api"));
	EXPECT_TRUE(reserved_has(self->nl, "echo"));
	EXPECT_TRUE(reserved_has(self->nl, "uppercase"));
	EXPECT_FALSE(reserved_has(self->nl, "mine"));
	ASSERT_EQ(0, ockam_nl_reserved_add(self->nl, "mine", NULL));
	EXPECT_TRUE(reserved_has(self->nl, "mine"));
	EXPECT_EQ(-EEXIST, ockam_nl_reserved_add(self->nl, "mine", &err));
	EXPECT_EQ(-EINVAL, ockam_nl_reserved_add(self->nl, "bad/name", NULL));

	/* Without CAP_NET_ADMIN: refused for the four, "free" is free. */
	EXPECT_EQ(0x0f, in_child(bind_refusals_unprivileged));
	/* An admin binds them all. */
	EXPECT_EQ(0, in_child(bind_refusals));

	ASSERT_EQ(0, ockam_nl_reserved_del(self->nl, "mine", NULL));
	ASSERT_EQ(0, ockam_nl_reserved_del(self->nl, "echo", NULL));
	EXPECT_EQ(-ENOENT, ockam_nl_reserved_del(self->nl, "mine", NULL));
	EXPECT_EQ(0x05, in_child(bind_refusals_unprivileged));
}

static int unprivileged_reserve(void)
{
	struct ockam_nl *nl;

	drop_privileges();
	if (ockam_nl_open(&nl, NULL))
		return 4;
	if (ockam_nl_reserved_add(nl, "taken", NULL) != -EPERM)
		return 5;
	if (ockam_nl_reserved_del(nl, "api", NULL) != -EPERM)
		return 6;
	return 0;
}

TEST_F(nl, reserving_needs_cap_net_admin)
{
	EXPECT_EQ(0, in_child(unprivileged_reserve));
	EXPECT_TRUE(reserved_has(self->nl, "api"));
	EXPECT_FALSE(reserved_has(self->nl, "taken"));
}

/*
 * In a user namespace of its own, a user is the admin of its own node:
 * it may bind every name there, and none in the node it came from.
 */
static int reserved_in_own_namespace(void)
{
	int ret;

	if (setresuid(65534, 65534, 65534))
		return 30;
	ret = bind_refusals();
	if (ret != 0x07)
		return 31;
	if (unshare(CLONE_NEWUSER) || node_fresh())
		return 32;
	return bind_refusals() ? 33 : 0;
}

TEST_F(nl, reserved_names_and_user_namespaces)
{
	EXPECT_EQ(0, in_child(reserved_in_own_namespace));
}

/*
 * Full capabilities in a new user namespace do not cover a network
 * namespace that user namespace does not own; they do cover one it owns.
 */
static int user_namespace_checks(void)
{
	struct ockam_route rt;
	struct ockam_nl *nl;

	if (unshare(CLONE_NEWUSER))
		return 20;
	ockam_route_parse(&rt, "0#b", NULL, NULL, NULL);
	if (ockam_nl_open(&nl, NULL))
		return 21;
	if (ockam_nl_alias_add(nl, "x", &rt, NULL) != -EPERM)
		return 22;
	ockam_nl_close(nl);
	if (node_fresh())
		return 23;
	if (ockam_nl_open(&nl, NULL))
		return 24;
	if (ockam_nl_alias_add(nl, "x", &rt, NULL))
		return 25;
	return 0;
}

TEST_F(nl, user_namespace_owns_its_node)
{
	EXPECT_EQ(0, in_child(user_namespace_checks));
}

TEST_HARNESS_MAIN
