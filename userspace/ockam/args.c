// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * One parser for every command, on getopt_long(3): each command's table
 * becomes getopt's option array and option string when it is parsed.
 * Rules, as in most Unix tools:
 *  - "--name value", "--name=value", "-x value" and "-xvalue" set
 *    options, and short flags combine ("-jf"); an option value may start
 *    with '-' (so "--to -/service/echo" works);
 *  - "--" ends the options; a lone "-" is an ordinary argument;
 *  - -j, --output json|plain and -h/--help are accepted everywhere;
 *  - long names are spelled in full: getopt's unambiguous abbreviations
 *    are refused, so that a new option never breaks a script that used a
 *    prefix of an old one;
 *  - an option given twice (unless it is repeatable, like --authorized),
 *    an unknown option, a missing value and a wrong number of arguments
 *    are usage errors.
 *
 * getopt keeps its state in globals (optind, optarg, optopt); every parse
 * starts with optind = 0, which makes glibc's getopt start afresh, so one
 * process may parse several argument lists (the unit tests do). Not
 * thread-safe, which the CLI does not need.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

/* The global options; the first GLOBAL_CMD_COUNT also follow a command. */
enum global_opt {
	GLOBAL_JSON,		/* -j, --json */
	GLOBAL_OUTPUT,		/* --output json|plain */
	GLOBAL_HELP,		/* -h, --help */
	GLOBAL_CMD_COUNT,
	GLOBAL_VERSION = GLOBAL_CMD_COUNT,	/* -V, --version */
	GLOBAL_COUNT,
};

static const struct opt_spec global_opts[GLOBAL_COUNT] = {
	[GLOBAL_JSON] = { "json", 'j', OPT_FLAG, NULL, NULL },
	[GLOBAL_OUTPUT] = { "output", 0, OPT_VALUE, "json or plain", NULL },
	[GLOBAL_HELP] = { "help", 'h', OPT_FLAG, NULL, NULL },
	[GLOBAL_VERSION] = { "version", 'V', OPT_FLAG, NULL, NULL },
};

enum {
	TABLE_MAX = GLOBAL_COUNT + ARGS_OPTS_MAX,
	/* getopt_long returns this plus the index for a long option, out
	 * of the range of the characters a short option returns.
	 */
	OPT_VAL_BASE = 256,
	/* Ordering and error mode, then a letter and ':' per option. */
	OPTSTRING_MAX = 2 + 2 * TABLE_MAX + 1,
};

/*
 * The options getopt_long looks for: the global ones first (entries
 * 0..nglobal-1), then the command's (entry nglobal + i is cmd->opts[i]).
 */
struct opt_table {
	const struct opt_spec *spec[TABLE_MAX];
	unsigned int n, nglobal;
	struct option longopts[TABLE_MAX + 1];
	char optstring[OPTSTRING_MAX];
};

/* What next_option() found. */
enum next_kind {
	NEXT_ERROR = -1,
	NEXT_END,		/* no more options; operands from optind */
	NEXT_OPTION,		/* table entry *idx, value in optarg */
	NEXT_OPERAND,		/* an argument, in optarg */
};

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

static int table_add(struct opt_table *t, const struct opt_spec *spec)
{
	size_t len = strlen(t->optstring);

	if (t->n == TABLE_MAX)
		return -1;
	t->spec[t->n] = spec;
	t->longopts[t->n] = (struct option){
		.name = spec->name,
		.has_arg = spec->type == OPT_FLAG ? no_argument :
						    required_argument,
		.val = OPT_VAL_BASE + (int)t->n,
	};
	if (spec->short_name) {
		t->optstring[len++] = spec->short_name;
		if (spec->type != OPT_FLAG)
			t->optstring[len++] = ':';
		t->optstring[len] = '\0';
	}
	t->n++;
	return 0;
}

/*
 * The table for @nglobal global options and the options of @cmd (none
 * for NULL). @mode begins the option string: "-" returns operands in
 * order (and ignores POSIXLY_CORRECT), "+" stops at the first one; the
 * ':' after it makes getopt print nothing and tell a missing value
 * (':') from an unknown option ('?').
 */
static int table_build(struct opt_table *t, const struct cmd_spec *cmd,
		       unsigned int nglobal, const char *mode, char *err,
		       size_t errlen)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	snprintf(t->optstring, sizeof(t->optstring), "%s:", mode);
	for (i = 0; i < nglobal; i++)
		table_add(t, &global_opts[i]);
	t->nglobal = nglobal;
	for (i = 0; cmd && cmd->opts && cmd->opts[i].name; i++)
		if (i == ARGS_OPTS_MAX || table_add(t, &cmd->opts[i]) < 0)
			return usage_error(err, errlen,
					   "ockam %s %s has more than %d options",
					   cmd->group, cmd->name, ARGS_OPTS_MAX);
	return 0;
}

static int table_find_short(const struct opt_table *t, int c)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (t->spec[i]->short_name && t->spec[i]->short_name == c)
			return i;
	return -1;
}

/* The entry whose long name is exactly the @len bytes at @name. */
static int table_find_long(const struct opt_table *t, const char *name,
			   size_t len)
{
	unsigned int i;

	for (i = 0; i < t->n; i++)
		if (strlen(t->spec[i]->name) == len &&
		    !strncmp(t->spec[i]->name, name, len))
			return i;
	return -1;
}

/*
 * getopt wants argv[0], the program's name, before the words: a copy
 * with one. (getopt may reorder the array it is given; in the modes used
 * here it does not, and the caller's stays untouched either way.)
 */
static char **words_copy(int argc, char *const *argv)
{
	char **words = calloc((size_t)argc + 2, sizeof(*words));
	int i;

	if (!words)
		return NULL;
	words[0] = (char *)"ockam";
	for (i = 0; i < argc; i++)
		words[i + 1] = argv[i];
	return words;
}

static bool is_long_option(const char *word)
{
	return word && word[0] == '-' && word[1] == '-' && word[2];
}

/*
 * Why getopt refused an option, the way this program has always said it.
 * @word is the word getopt read; a long option in it is spelled in full.
 */
static int refused(const struct opt_table *t, const char *word, int ret,
		   char *err, size_t errlen)
{
	int idx;

	if (is_long_option(word)) {
		idx = table_find_long(t, word + 2, strcspn(word + 2, "="));
		if (ret == ':')
			return usage_error(err, errlen, "--%s needs a value (%s)",
					   t->spec[idx]->name,
					   t->spec[idx]->value_name);
		return usage_error(err, errlen, "--%s takes no value",
				   t->spec[idx]->name);
	}
	idx = table_find_short(t, optopt);
	if (ret == ':' && idx >= 0)
		return usage_error(err, errlen, "-%c needs a value (%s)",
				   optopt, t->spec[idx]->value_name);
	return usage_error(err, errlen, "unknown option -%c", optopt);
}

/*
 * The next option or operand in @words, by getopt_long(). Sets *idx to
 * the option's table entry; its value, or the operand, is in optarg.
 */
static enum next_kind next_option(const struct opt_table *t, int argc,
				  char **words, int *idx, char *err,
				  size_t errlen)
{
	/*
	 * The word getopt is about to read: nothing is reordered in the
	 * two modes used here, so it is words[optind] (which is still the
	 * word of a group of short options getopt is inside).
	 */
	const char *word = words[optind ? optind : 1];
	int ret = getopt_long(argc, words, t->optstring, t->longopts, NULL);

	if (ret == -1)
		return NEXT_END;
	if (ret == 1)
		return NEXT_OPERAND;
	/* An abbreviation, an ambiguous one, or no such option. */
	if (is_long_option(word) &&
	    table_find_long(t, word + 2, strcspn(word + 2, "=")) < 0)
		return usage_error(err, errlen, "unknown option --%.*s",
				   (int)strcspn(word + 2, "="), word + 2);
	if (ret == '?' || ret == ':')
		return refused(t, word, ret, err, errlen);
	*idx = ret >= OPT_VAL_BASE ? ret - OPT_VAL_BASE :
				     table_find_short(t, ret);
	return NEXT_OPTION;
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

static int set_global(enum global_opt g, const char *value, bool *json,
		      bool *help, bool *version, char *err, size_t errlen)
{
	switch (g) {
	case GLOBAL_JSON:
		*json = true;
		return 0;
	case GLOBAL_OUTPUT:
		return set_output(value, json, err, errlen);
	case GLOBAL_HELP:
		*help = true;
		return 0;
	case GLOBAL_VERSION:
		*version = true;
		return 0;
	default:
		return usage_error(err, errlen, "unknown global option");
	}
}

int args_parse_global(int argc, char *const *argv, bool *json, bool *help,
		      bool *version, char *err, size_t errlen)
{
	struct opt_table t;
	char **words;
	int idx, ret;

	err[0] = '\0';
	table_build(&t, NULL, GLOBAL_COUNT, "+", err, errlen);
	words = words_copy(argc, argv);
	if (!words)
		return usage_error(err, errlen, "out of memory");
	optind = 0;
	opterr = 0;
	while ((ret = next_option(&t, argc + 1, words, &idx, err,
				  errlen)) == NEXT_OPTION)
		if (set_global(idx, optarg, json, help, version, err,
			       errlen) < 0) {
			ret = NEXT_ERROR;
			break;
		}
	free(words);
	/* "+" stops at the command, at words[optind]. */
	return ret == NEXT_ERROR ? -1 : optind - 1;
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
	out->values[idx] = value ? value : "";
	return 0;
}

static int add_operand(struct args *out, unsigned int max_pos,
		       const char *word, char *err, size_t errlen)
{
	if (out->npos >= max_pos || out->npos >= ARGS_POS_MAX)
		return usage_error(err, errlen, "unexpected argument '%s'",
				   word);
	out->pos[out->npos++] = word;
	return 0;
}

/* Every option and operand of @words into @out. */
static int parse_words(const struct cmd_spec *cmd, const struct opt_table *t,
		       int argc, char **words, struct args *out,
		       unsigned int max_pos, char *err, size_t errlen)
{
	bool version = false;
	int idx, ret, i;

	optind = 0;
	opterr = 0;
	while ((ret = next_option(t, argc, words, &idx, err, errlen)) !=
	       NEXT_END) {
		if (ret == NEXT_ERROR)
			return -1;
		if (ret == NEXT_OPERAND)
			ret = add_operand(out, max_pos, optarg, err, errlen);
		else if ((unsigned int)idx < t->nglobal)
			ret = set_global(idx, optarg, &out->json, &out->help,
					 &version, err, errlen);
		else
			ret = set_option(cmd, out, idx - t->nglobal, optarg,
					 err, errlen);
		if (ret < 0)
			return -1;
	}
	/* After "--", the rest are operands. */
	for (i = optind; i < argc; i++)
		if (add_operand(out, max_pos, words[i], err, errlen) < 0)
			return -1;
	return 0;
}

int args_parse(const struct cmd_spec *cmd, int argc, char *const *argv,
	       struct args *out, char *err, size_t errlen)
{
	unsigned int max_pos = 0;
	struct opt_table t;
	char **words;
	int ret;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	while (cmd->positionals && cmd->positionals[max_pos])
		max_pos++;
	if (table_build(&t, cmd, GLOBAL_CMD_COUNT, "-", err, errlen) < 0)
		return -1;
	words = words_copy(argc, argv);
	if (!words)
		return usage_error(err, errlen, "out of memory");
	ret = parse_words(cmd, &t, argc + 1, words, out, max_pos, err, errlen);
	free(words);
	if (ret < 0)
		return -1;
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
