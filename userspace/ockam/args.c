// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * One parser for every command. Rules, as in most Unix tools:
 *  - "--name value", "--name=value" and "-x value" set options; an option
 *    value may start with '-' (so "--to -/service/echo" works);
 *  - "--" ends the options; a lone "-" is an ordinary argument;
 *  - -j, --output json|plain and -h/--help are accepted everywhere;
 *  - an option given twice (unless it is repeatable, like --authorized),
 *    an unknown option, a missing value and a wrong number of arguments
 *    are usage errors.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "args.h"

static int usage_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int usage_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int find_long(const struct cmd_spec *cmd, const char *name, size_t len)
{
	int i;

	for (i = 0; cmd->opts && cmd->opts[i].name; i++)
		if (strlen(cmd->opts[i].name) == len &&
		    !strncmp(cmd->opts[i].name, name, len))
			return i;
	return -1;
}

static int find_short(const struct cmd_spec *cmd, char c)
{
	int i;

	for (i = 0; cmd->opts && cmd->opts[i].name; i++)
		if (cmd->opts[i].short_name == c)
			return i;
	return -1;
}

/* --output FORMAT */
static int set_output(const char *value, bool *json, char *err, size_t errlen)
{
	if (!strcmp(value, "json")) {
		*json = true;
		return 0;
	}
	if (!strcmp(value, "plain")) {
		*json = false;
		return 0;
	}
	return usage_error(err, errlen,
			   "--output takes json or plain, not '%s'", value);
}

/*
 * A global option at argv[*i]: 1 if it was one (consumed), 0 if not,
 * -1 on error.
 */
static int take_global(int argc, char *const *argv, int *i, bool *json,
		       bool *help, char *err, size_t errlen)
{
	const char *arg = argv[*i];

	if (!strcmp(arg, "-j") || !strcmp(arg, "--json")) {
		*json = true;
		return 1;
	}
	if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
		*help = true;
		return 1;
	}
	if (!strncmp(arg, "--output=", 9))
		return set_output(arg + 9, json, err, errlen) < 0 ? -1 : 1;
	if (!strcmp(arg, "--output")) {
		if (*i + 1 >= argc)
			return usage_error(err, errlen,
					   "--output needs a value (json or plain)");
		(*i)++;
		return set_output(argv[*i], json, err, errlen) < 0 ? -1 : 1;
	}
	return 0;
}

int args_parse_global(int argc, char *const *argv, bool *json, bool *help,
		      bool *version, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < argc; i++) {
		int ret;

		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			*version = true;
			continue;
		}
		ret = take_global(argc, argv, &i, json, help, err, errlen);
		if (ret < 0)
			return -1;
		if (!ret)
			break;
	}
	if (i < argc && argv[i][0] == '-' && argv[i][1])
		return usage_error(err, errlen, "unknown option %s", argv[i]);
	return i;
}

static int set_option(const struct cmd_spec *cmd, struct args *out, int idx,
		      const char *value, char *err, size_t errlen)
{
	if (cmd->opts[idx].type == OPT_REPEAT) {
		if (out->nrepeated == ARGS_REPEAT_MAX)
			return usage_error(err, errlen,
					   "--%s given more than %d times",
					   cmd->opts[idx].name, ARGS_REPEAT_MAX);
		out->repeated[out->nrepeated] = value;
		out->repeated_opt[out->nrepeated++] = idx;
		if (!out->given[idx])
			out->values[idx] = value;
		out->given[idx] = true;
		return 0;
	}
	if (out->given[idx])
		return usage_error(err, errlen, "--%s given twice",
				   cmd->opts[idx].name);
	out->given[idx] = true;
	out->values[idx] = value;
	return 0;
}

int args_parse(const struct cmd_spec *cmd, int argc, char *const *argv,
	       struct args *out, char *err, size_t errlen)
{
	unsigned int max_pos = 0;
	bool options_done = false;
	int i;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	while (cmd->positionals && cmd->positionals[max_pos])
		max_pos++;

	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];
		int idx, ret;

		if (!options_done && arg[0] == '-' && arg[1]) {
			if (!strcmp(arg, "--")) {
				options_done = true;
				continue;
			}
			ret = take_global(argc, argv, &i, &out->json, &out->help,
					  err, errlen);
			if (ret < 0)
				return -1;
			if (ret)
				continue;
			if (arg[1] == '-') {
				const char *name = arg + 2;
				const char *eq = strchr(name, '=');
				size_t len = eq ? (size_t)(eq - name) : strlen(name);

				idx = find_long(cmd, name, len);
				if (idx < 0)
					return usage_error(err, errlen,
							   "unknown option --%.*s",
							   (int)len, name);
				if (cmd->opts[idx].type == OPT_FLAG) {
					if (eq)
						return usage_error(err, errlen,
								   "--%s takes no value",
								   cmd->opts[idx].name);
					ret = set_option(cmd, out, idx, "",
							 err, errlen);
				} else if (eq) {
					ret = set_option(cmd, out, idx,
							 eq + 1, err, errlen);
				} else {
					if (i + 1 >= argc)
						return usage_error(err, errlen,
								   "--%s needs a value (%s)",
								   cmd->opts[idx].name,
								   cmd->opts[idx].value_name);
					ret = set_option(cmd, out, idx,
							 argv[++i], err, errlen);
				}
			} else {
				if (arg[2])
					return usage_error(err, errlen,
							   "unknown option %s", arg);
				idx = find_short(cmd, arg[1]);
				if (idx < 0)
					return usage_error(err, errlen,
							   "unknown option %s", arg);
				if (cmd->opts[idx].type == OPT_FLAG) {
					ret = set_option(cmd, out, idx, "",
							 err, errlen);
				} else {
					if (i + 1 >= argc)
						return usage_error(err, errlen,
								   "%s needs a value (%s)",
								   arg,
								   cmd->opts[idx].value_name);
					ret = set_option(cmd, out, idx,
							 argv[++i], err, errlen);
				}
			}
			if (ret < 0)
				return -1;
			continue;
		}
		if (out->npos >= max_pos || out->npos >= ARGS_POS_MAX)
			return usage_error(err, errlen,
					   "unexpected argument '%s'", arg);
		out->pos[out->npos++] = arg;
	}
	if (out->help)
		return 0;
	if (out->npos < cmd->min_pos)
		return usage_error(err, errlen, "missing %s",
				   out->npos < max_pos ?
				   cmd->positionals[out->npos] : "argument");
	return 0;
}

const char *args_value(const struct cmd_spec *cmd, const struct args *args,
		       const char *name)
{
	int idx = find_long(cmd, name, strlen(name));

	return idx >= 0 && args->given[idx] ? args->values[idx] : NULL;
}

bool args_flag(const struct cmd_spec *cmd, const struct args *args,
	       const char *name)
{
	int idx = find_long(cmd, name, strlen(name));

	return idx >= 0 && args->given[idx];
}

unsigned int args_values(const struct cmd_spec *cmd, const struct args *args,
			 const char *name, const char **out, unsigned int max)
{
	int idx = find_long(cmd, name, strlen(name));
	unsigned int i, n = 0;

	for (i = 0; idx >= 0 && i < args->nrepeated; i++) {
		if (args->repeated_opt[i] != idx)
			continue;
		if (n < max)
			out[n] = args->repeated[i];
		n++;
	}
	return n;
}

void args_print_help(const struct cmd_spec *cmd, FILE *out)
{
	unsigned int i;
	int width = 0;

	fprintf(out, "usage: ockam %s %s", cmd->group, cmd->name);
	for (i = 0; cmd->positionals && cmd->positionals[i]; i++)
		fprintf(out, i < cmd->min_pos ? " %s" : " [%s]",
			cmd->positionals[i]);
	for (i = 0; cmd->opts && cmd->opts[i].name; i++)
		if (cmd->opts[i].type == OPT_VALUE)
			fprintf(out, " [--%s %s]", cmd->opts[i].name,
				cmd->opts[i].value_name);
		else if (cmd->opts[i].type == OPT_REPEAT)
			fprintf(out, " [--%s %s]...", cmd->opts[i].name,
				cmd->opts[i].value_name);
		else
			fprintf(out, " [--%s]", cmd->opts[i].name);
	fprintf(out, "\n\n%s\n", cmd->summary);
	if (cmd->description)
		fprintf(out, "\n%s", cmd->description);

	for (i = 0; cmd->opts && cmd->opts[i].name; i++) {
		int w = (int)strlen(cmd->opts[i].name) + 2 +
			(cmd->opts[i].type != OPT_FLAG ?
			 (int)strlen(cmd->opts[i].value_name) + 1 : 0);

		if (w > width)
			width = w;
	}
	if (width < 16)
		width = 16;
	fprintf(out, "\nOptions:\n");
	for (i = 0; cmd->opts && cmd->opts[i].name; i++) {
		char spelled[64];

		snprintf(spelled, sizeof(spelled), "--%s%s%s",
			 cmd->opts[i].name,
			 cmd->opts[i].type != OPT_FLAG ? " " : "",
			 cmd->opts[i].type != OPT_FLAG ?
			 cmd->opts[i].value_name : "");
		if (cmd->opts[i].short_name)
			fprintf(out, "  -%c, %-*s  %s\n", cmd->opts[i].short_name,
				width, spelled, cmd->opts[i].help);
		else
			fprintf(out, "      %-*s  %s\n", width, spelled,
				cmd->opts[i].help);
	}
	fprintf(out, "  -j, %-*s  %s\n", width, "--output json",
		"print JSON (also --output plain)");
	fprintf(out, "  -h, %-*s  %s\n", width, "--help", "this text");
}
