/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The ockam command: shared context, exit codes and helpers.
 */
#ifndef OCKAM_CLI_H
#define OCKAM_CLI_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <ockam/ockam.h>

#include "args.h"
#include "control_protocol.h"
#include "json.h"

enum cli_status {
	CLI_OK = 0,
	CLI_ERROR = 1,		/* runtime error, "error: ..." on stderr */
	CLI_USAGE = 2,		/* usage error */
};

struct cli {
	bool json;
	struct json j;
};

struct cmd_group {
	const char *name;
	const char *summary;
	const struct cmd_spec *cmds;	/* terminated by { NULL } */
};

/* commands.c */
extern const struct cmd_group cli_groups[];
const struct cmd_group *cli_find_group(const char *name);
const struct cmd_spec *cli_find_command(const struct cmd_group *group,
					const char *name);

/*
 * --at NODE. A command its daemon serves needs a node, by default the one
 * in this network namespace; one that only reads or changes the kernel
 * works in this network namespace whether or not a node runs there.
 */
#define CLI_OPT_AT_NODE							\
	{ "at", 0, OPT_VALUE, "NODE",					\
	  "the node (default: the one in this network namespace)" }
/* --at alone, for the two kinds of command. */
extern const struct opt_spec cli_at_node_opts[];
extern const struct opt_spec cli_at_netns_opts[];

/* Each group's commands. */
extern const struct cmd_spec node_cmds[];
extern const struct cmd_spec tcp_listener_cmds[];
extern const struct cmd_spec udp_bind_cmds[];
extern const struct cmd_spec tcp_connection_cmds[];
extern const struct cmd_spec route_cmds[];
extern const struct cmd_spec message_cmds[];
extern const struct cmd_spec identity_cmds[];
extern const struct cmd_spec secure_channel_listener_cmds[];
extern const struct cmd_spec secure_channel_cmds[];
extern const struct cmd_spec tcp_inlet_cmds[];
extern const struct cmd_spec tcp_outlet_cmds[];
extern const struct cmd_spec relay_cmds[];

/* cli.c: "error: ..." on stderr; return CLI_ERROR. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_fail_err(const struct ockam_err *err);
/* A usage error for @cmd: the message and a pointer to --help. */
int cli_usage(const struct cmd_spec *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A route or address argument that failed: a usage error when it is
 * malformed, a runtime error when it is well-formed but cannot be resolved
 * (/node/NAME of a node that is not running).
 */
int cli_arg_fail(const struct cmd_spec *cmd, const char *what,
		 const struct ockam_err *err);

/* "10", "10s", "1500ms", "2m" into milliseconds; -1 if malformed. */
long cli_parse_duration_ms(const char *text);
/* Hex text into bytes; returns the byte count or -1. */
ssize_t cli_hex_decode(const char *hex, uint8_t *out, size_t size);
/* Bytes as lower-case hex, in a malloc()ed string; NULL without memory. */
char *cli_hex_encode(const uint8_t *data, size_t len);

/* "I" and 64 hex digits: an identity's identifier. */
bool cli_identifier_ok(const char *text);
/* A number field of a daemon's reply record; 0 when it has none. */
unsigned long long cli_record_number(const char *rec, const char *key);
/* Does field @key of a daemon's reply record hold exactly @value? */
bool cli_record_has(const char *rec, const char *key, const char *value);
/*
 * The values of repeatable option --authorized as "I..,I.." in @buf
 * (empty when none): 0, or a usage error's status for one that is not an
 * identifier.
 */
int cli_authorized_arg(const struct cmd_spec *cmd, const struct args *a,
		       char *buf, size_t size);
/* The same for repeatable option @opt. */
int cli_identifiers_arg(const struct cmd_spec *cmd, const struct args *a,
			const char *opt, char *buf, size_t size);
/* Room for every --authorized value, commas and the NUL. */
enum { CLI_AUTHORIZED_MAX = ARGS_REPEAT_MAX * (OCKAM_IDENTIFIER_LEN + 1) + 1 };

/* "WHAT NAME deleted", or {"deleted":NAME} with -j; returns CLI_OK. */
int cli_print_deleted(struct cli *cli, const char *what, const char *name);

/*
 * Counter @name ("rx-messages") as a JSON member with underscores for
 * dashes ("rx_messages"), as is usual for JSON keys.
 */
void cli_json_counter(struct json *j, const char *name, uint64_t value);
/* Counters as JSON members or "name value" text, skipping absent ones. */
void cli_stats_json(struct json *j, const char *key,
		    const struct ockam_stats *stats);
void cli_stats_text(FILE *out, const char *indent,
		    const struct ockam_stats *stats);

/* target.c */
struct target {
	char name[OCKAM_NODE_NAME_MAX + 1];
	pid_t pid;			/* its ockamd */
};

/*
 * The node a daemon command goes to: @opt ("n1" or "/node/n1") or, when
 * NULL, the node running in the caller's network namespace.
 */
int target_node(const char *opt, struct target *t, struct ockam_err *err);

/*
 * Kernel commands act on a network namespace: @opt names a node whose
 * namespace to enter; NULL stays in the caller's.
 */
int target_enter(const char *opt, struct ockam_err *err);
/* Enter the namespace of @t, found by target_node(). */
int target_enter_node(const struct target *t, struct ockam_err *err);
/* target_enter(), then a netlink socket to that namespace's node. */
int target_nl_open(const char *opt, struct ockam_nl **nl,
		   struct ockam_err *err);

/*
 * Send a request to @t's daemon; the reply is parsed into @reply, which
 * points into a buffer that the next call reuses.
 */
int target_call(const struct target *t, const char *verb, unsigned int argc,
		const char *const *argv, int timeout_ms,
		struct ockam_ctl_reply *reply, struct ockam_err *err);
/* target_node(@opt, @t), then target_call(). */
int target_daemon_call(const char *opt, struct target *t, const char *verb,
		       unsigned int argc, const char *const *argv,
		       int timeout_ms, struct ockam_ctl_reply *reply,
		       struct ockam_err *err);

/*
 * How long a daemon may take over a request that waits for nothing on the
 * network; creating a connection or a channel waits longer.
 */
enum { CLI_CALL_TIMEOUT_MS = 10000 };

/*
 * target_daemon_call() to the node of the command's --at option: CLI_OK
 * with the reply, or CLI_ERROR once the failure is reported. @t, unless
 * NULL, gets the node, for messages that name it.
 */
int cli_call_at(const struct cmd_spec *cmd, const struct args *a,
		const char *verb, unsigned int argc, const char *const *argv,
		struct ockam_ctl_reply *reply, struct target *t);

/*
 * Delete @address on the node of @opt with request @verb to its daemon,
 * which then forgets it too. Where no daemon runs, @kernel_del can still
 * delete it through netlink, in this network namespace (no @opt) only.
 */
int target_delete(const char *opt, const char *verb, const char *address,
		  int (*kernel_del)(struct ockam_nl *nl, const char *address,
				    struct ockam_err *err),
		  struct ockam_err *err);

/*
 * A route argument: MultiAddr or plain text, with /node/NAME resolved from
 * the registry and host names of UDP hops resolved to addresses. A leading
 * "-" stands for the route @piped (what standard input held), followed by
 * the rest of @text.
 */
int cli_route_compose(const char *text, const char *piped,
		      struct ockam_route *rt, struct ockam_err *err);
/* The same, reading standard input when @text starts with "-". */
int cli_route_arg(const char *text, struct ockam_route *rt,
		  struct ockam_err *err);

/*
 * A daemon verb that opens a secure channel takes the route in hex, then
 * "identity=NAME" and "authorized=ID,..." when --identity and
 * --authorized were given: checks those options and the route @route
 * (the value of option --@flag), and appends the arguments to @argv at
 * *@argc. CLI_OK, or a usage or failure status. @o holds the strings;
 * cli_channel_args_free() frees the route's.
 */
struct cli_channel_args {
	char *hex;
	char identity[OCKAM_NODE_NAME_MAX + 16];
	char authorized[CLI_AUTHORIZED_MAX + 16];
};

int cli_channel_args(const struct cmd_spec *cmd, const struct args *a,
		     const char *flag, const char *route,
		     struct cli_channel_args *o, const char **argv,
		     unsigned int *argc);
void cli_channel_args_free(struct cli_channel_args *o);

/*
 * --rendezvous ROUTE (a route to a rendezvous service, starting with a
 * UDP address) as the daemon's "rendezvous=HEX" option, in *@opt
 * (malloc()ed; NULL when the option was not given). Needs --udp.
 */
int cli_rendezvous_arg(const struct cmd_spec *cmd, const struct args *a,
		       char **opt);

#endif /* OCKAM_CLI_H */
