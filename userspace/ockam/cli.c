// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Helpers shared by the commands: error reporting, durations, hex, and
 * counters.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "text.h"

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_ERROR;
}

int cli_fail_err(const struct ockam_err *err)
{
	return cli_fail("%s", ockam_err_msg(err));
}

int cli_usage(const struct cmd_spec *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\ntry 'ockam %s %s --help'\n", cmd->group,
			cmd->name);
	else
		fprintf(stderr, "\ntry 'ockam --help'\n");
	return CLI_USAGE;
}

int cli_arg_fail(const struct cmd_spec *cmd, const char *what,
		 const struct ockam_err *err)
{
	if (err->code == -EINVAL || err->code == -E2BIG)
		return cli_usage(cmd, "%s%s", what, ockam_err_msg(err));
	return cli_fail("%s%s", what, ockam_err_msg(err));
}

long cli_parse_duration_ms(const char *text)
{
	uint32_t ms;

	/* Every option that takes one needs more than nothing. */
	if (ockam_duration_parse_ms(text, &ms) < 0 || !ms)
		return -1;
	return ms;
}

ssize_t cli_hex_decode(const char *hex, uint8_t *out, size_t size)
{
	size_t len = strlen(hex), i;

	if (len % 2 || len / 2 > size)
		return -1;
	for (i = 0; i < len; i += 2) {
		int hi = ockam_hex_digit(hex[i]), lo = ockam_hex_digit(hex[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = hi << 4 | lo;
	}
	return len / 2;
}

char *cli_hex_encode(const uint8_t *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *hex = malloc(2 * len + 1);
	size_t i;

	if (!hex)
		return NULL;
	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[data[i] >> 4];
		hex[2 * i + 1] = digits[data[i] & 0xf];
	}
	hex[2 * len] = '\0';
	return hex;
}

bool cli_identifier_ok(const char *text)
{
	size_t i;

	if (text[0] != 'I' || strlen(text) != OCKAM_IDENTIFIER_LEN)
		return false;
	for (i = 1; i < OCKAM_IDENTIFIER_LEN; i++)
		if (ockam_hex_digit(text[i]) < 0)
			return false;
	return true;
}

int cli_identifiers_arg(const struct cmd_spec *cmd, const struct args *a,
			const char *opt, char *buf, size_t size)
{
	const char *ids[ARGS_REPEAT_MAX];
	unsigned int n, i;
	size_t len = 0;

	n = args_values(cmd, a, opt, ids, ARGS_REPEAT_MAX);
	buf[0] = '\0';
	for (i = 0; i < n && i < ARGS_REPEAT_MAX; i++) {
		if (!cli_identifier_ok(ids[i]))
			return cli_usage(cmd,
					 "--%s: '%s' is not an identifier (I and 64 hex digits)",
					 opt, ids[i]);
		len += snprintf(buf + len, size - len, "%s%s", i ? "," : "",
				ids[i]);
		if (len >= size)
			return cli_usage(cmd, "too many --%s identifiers", opt);
	}
	return 0;
}

int cli_authorized_arg(const struct cmd_spec *cmd, const struct args *a,
		       char *buf, size_t size)
{
	return cli_identifiers_arg(cmd, a, "authorized", buf, size);
}

unsigned long long cli_record_number(const char *rec, const char *key)
{
	char buf[32];

	if (ockam_ctl_record_get(rec, key, buf, sizeof(buf)) < 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

bool cli_record_has(const char *rec, const char *key, const char *value)
{
	/* Names, kinds and identifiers: a longer field is another value. */
	char buf[OCKAM_NAME_MAX + OCKAM_IDENTIFIER_LEN + 1];

	return ockam_ctl_record_get(rec, key, buf, sizeof(buf)) == 0 &&
	       !strcmp(buf, value);
}

int cli_print_deleted(struct cli *cli, const char *what, const char *name)
{
	if (cli->json) {
		json_object_begin(&cli->j, NULL);
		json_string(&cli->j, "deleted", name);
		json_object_end(&cli->j);
		json_finish(&cli->j);
	} else {
		printf("%s %s deleted\n", what, name);
	}
	return CLI_OK;
}

void cli_json_counter(struct json *j, const char *name, uint64_t value)
{
	char key[48];
	size_t k;

	snprintf(key, sizeof(key), "%s", name);
	for (k = 0; key[k]; k++)
		if (key[k] == '-')
			key[k] = '_';
	json_uint(j, key, value);
}

void cli_stats_json(struct json *j, const char *key,
		    const struct ockam_stats *stats)
{
	unsigned int i;

	json_object_begin(j, key);
	for (i = 0; i <= OCKAM_STAT_MAX; i++)
		if (stats->present & (1ULL << i))
			cli_json_counter(j, ockam_stat_name(i),
					 stats->value[i]);
	json_object_end(j);
}

void cli_stats_text(FILE *out, const char *indent,
		    const struct ockam_stats *stats)
{
	unsigned int i;

	for (i = 0; i <= OCKAM_STAT_MAX; i++)
		if (stats->present & (1ULL << i))
			fprintf(out, "%s%-22s %llu\n", indent,
				ockam_stat_name(i),
				(unsigned long long)stats->value[i]);
}
