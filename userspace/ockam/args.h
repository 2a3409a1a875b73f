/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Command-line parsing for ockam: every command declares its options and
 * positional arguments in a table, and one parser (getopt_long, driven by
 * the table) handles them all, together with the global options (-j,
 * --output, -h/--help).
 */
#ifndef OCKAM_CLI_ARGS_H
#define OCKAM_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cli;
struct args;

enum {
	ARGS_OPTS_MAX = 16,
	ARGS_POS_MAX = 4,
	ARGS_ERR_MAX = 256,
	/* Values of all repeatable options together. */
	ARGS_REPEAT_MAX = 32,
};

enum opt_type {
	OPT_FLAG,
	OPT_VALUE,
	OPT_REPEAT,		/* a value; may be given several times */
};

struct opt_spec {
	const char *name;		/* long name, without "--" */
	char short_name;		/* 0 for none */
	enum opt_type type;
	const char *value_name;		/* "NODE", for help */
	const char *help;
};

struct cmd_spec {
	const char *group;		/* "tcp-listener" */
	const char *name;		/* "create" */
	const char *summary;		/* one line */
	const char *description;	/* paragraphs and examples, for --help */
	const char *const *positionals;	/* names, NULL-terminated */
	unsigned int min_pos;		/* how many of them are required */
	const struct opt_spec *opts;	/* terminated by { NULL } */
	int (*run)(struct cli *cli, const struct cmd_spec *cmd,
		   const struct args *args);
};

struct args {
	const char *values[ARGS_OPTS_MAX];	/* by option index; the first
						 * of a repeated option
						 */
	bool given[ARGS_OPTS_MAX];
	/* Every value of the repeatable options, in order, and whose. */
	const char *repeated[ARGS_REPEAT_MAX];
	int repeated_opt[ARGS_REPEAT_MAX];
	unsigned int nrepeated;
	const char *pos[ARGS_POS_MAX];
	unsigned int npos;
	bool help;
	bool json;
};

/*
 * Parse @argv (the words after the command's name) for @cmd. Returns 0,
 * or -1 with a message in @err for a usage error.
 */
int args_parse(const struct cmd_spec *cmd, int argc, char *const *argv,
	       struct args *out, char *err, size_t errlen);

/* The value of option @name, or NULL when it was not given. */
const char *args_value(const struct cmd_spec *cmd, const struct args *args,
		       const char *name);
bool args_flag(const struct cmd_spec *cmd, const struct args *args,
	       const char *name);
/*
 * The values of repeatable option @name in the order given, into @out
 * (room for @max); returns how many there are.
 */
unsigned int args_values(const struct cmd_spec *cmd, const struct args *args,
			 const char *name, const char **out, unsigned int max);

/*
 * Global options given before the command; they may also follow it.
 * Consumes them from the front of @argv; returns how many words, or -1.
 */
int args_parse_global(int argc, char *const *argv, bool *json, bool *help,
		      bool *version, char *err, size_t errlen);

/* Print the --help text of @cmd. */
void args_print_help(const struct cmd_spec *cmd, FILE *out);

#endif /* OCKAM_CLI_ARGS_H */
