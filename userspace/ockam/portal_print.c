// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Printing the daemon's inlet and outlet records: a table for list, every
 * field for show, or JSON with one member per field (numbers as numbers,
 * "authorized" as an array of identifiers, "-" as null).
 */
#include <stdlib.h>
#include <string.h>

#include "portal_cli.h"

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* "any" or "I..,I..": an array, empty for any. */
static void json_id_list(struct json *j, const char *key, const char *list)
{
	char id[OCKAM_IDENTIFIER_LEN + 1];
	const char *p = list;

	json_array_begin(j, key);
	while (strcmp(list, "any") && *p) {
		size_t len = strcspn(p, ",");

		snprintf(id, sizeof(id), "%.*s", (int)len, p);
		json_string(j, NULL, id);
		p += len + (p[len] == ',');
	}
	json_array_end(j);
}

/* One field of a record as a JSON member, key with '_' for '-'. */
static void json_field(struct json *j, const char *key, const char *value)
{
	char name[64];
	size_t i;

	snprintf(name, sizeof(name), "%s", key);
	for (i = 0; name[i]; i++)
		if (name[i] == '-')
			name[i] = '_';
	if (!strcmp(key, "authorized"))
		json_id_list(j, name, value);
	else if (!strcmp(key, "allow-plaintext"))
		json_bool(j, name, !strcmp(value, "1"));
	else if (all_digits(value))
		json_uint(j, name, strtoull(value, NULL, 10));
	else if (!strcmp(value, "-"))
		json_string(j, name, "");
	else
		json_string(j, name, value);
}

/*
 * Call @fn for each "key=value" field of record @rec, in order. The
 * record is one line of space-separated fields.
 */
static void each_field(const char *rec,
		       void (*fn)(const char *key, const char *value,
				  void *arg),
		       void *arg)
{
	static char key[64], value[OCKAM_CTL_REPLY_MAX];

	while (*rec) {
		size_t len = strcspn(rec, " "), klen = strcspn(rec, "=");

		if (klen < len && klen < sizeof(key)) {
			snprintf(key, sizeof(key), "%.*s", (int)klen, rec);
			snprintf(value, sizeof(value), "%.*s",
				 (int)(len - klen - 1), rec + klen + 1);
			fn(key, value, arg);
		}
		rec += len + (rec[len] == ' ');
	}
}

static void json_member(const char *key, const char *value, void *arg)
{
	json_field(arg, key, value);
}

static void text_member(const char *key, const char *value, void *arg)
{
	(void)arg;
	printf("  %-24s %s\n", key, value);
}

/* Connections refused for any reason. */
static unsigned long long refused_total(const char *rec)
{
	unsigned long long total = 0;
	const char *p = rec;

	while ((p = strstr(p, "refused-"))) {
		p += strcspn(p, "=");
		if (*p)
			total += strtoull(p + 1, NULL, 10);
	}
	return total;
}

static void print_row(const struct portal_print *pp, const char *rec,
		      bool header)
{
	char name[OCKAM_ROUTE_TEXT_MAX], to[OCKAM_ROUTE_TEXT_MAX];

	if (header)
		printf("%-24s %-40s %8s %8s %8s\n", pp->name_title, "TO",
		       "ACTIVE", "ATTACHED", "REFUSED");
	if (ockam_ctl_record_get(rec, pp->name_key, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "?");
	if (ockam_ctl_record_get(rec, pp->to_key, to, sizeof(to)) < 0)
		snprintf(to, sizeof(to), "?");
	printf("%-24s %-40s %8llu %8llu %8llu\n", name, to,
	       cli_record_number(rec, "active"), cli_record_number(rec, "attached"),
	       refused_total(rec));
}

void portal_print_records(struct cli *cli, const struct portal_print *pp,
			  struct ockam_ctl_reply *reply, bool list)
{
	bool header = true;
	char *rec;

	if (cli->json && list)
		json_array_begin(&cli->j, NULL);
	while ((rec = ockam_ctl_record_next(reply))) {
		if (cli->json) {
			json_object_begin(&cli->j, NULL);
			each_field(rec, json_member, &cli->j);
			json_object_end(&cli->j);
		} else if (list) {
			print_row(pp, rec, header);
			header = false;
		} else {
			printf("%s\n", pp->title);
			each_field(rec, text_member, NULL);
		}
	}
	if (cli->json) {
		if (list)
			json_array_end(&cli->j);
		json_finish(&cli->j);
	}
}
