/*
 * cli.h - what the command files share: the command table entry, common
 * options (output format, source) and error reporting with exit codes.
 *
 * Exit codes are the CLI contract: 0 success, 1 partial result (reason on
 * stderr), 2 usage or input error.
 */
#ifndef CP_CLI_CLI_H
#define CP_CLI_CLI_H

#include "cloudprobe.h"

struct cp_cli_command {
	const char *name;
	const char *args;	/* usage line after the name */
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* Options every view command accepts. */
struct cp_cli_common {
	enum cp_out_format format;
	/* --cache-dir, --no-cache, --carve, --isf, --btf, --system-map */
	struct cp_profile_opts profile_opts;
	const char *source;
	char **rest;		/* positional arguments after SOURCE */
	int nrest;
};

/*
 * Parses [--json|--csv|--format F] SOURCE [ARGS...] for command `cmd`.
 * Returns -1 to continue, else an exit status (help printed, or usage
 * error reported).
 */
int cp_cli_parse_common(const struct cp_cli_command *cmd, int argc,
			char **argv, int min_rest, int max_rest,
			struct cp_cli_common *ret);
/* Prints "cloudprobe CMD: message" and returns the exit status. */
int cp_cli_fail(const char *cmd, struct cp_error *err);

/* The command table entry named name (it must exist). */
const struct cp_cli_command *cp_cli_find(const char *name);
/* The options text shared by commands that discover a profile. */
extern const char cp_cli_profile_help[];

struct cp_view;
/* Runs a view from linux/view.c's registry as a command. */
int cp_cli_view(const struct cp_view *view, int argc, char **argv);

int cp_cli_info(int argc, char **argv);
int cp_cli_ksyms(int argc, char **argv);
int cp_cli_types(int argc, char **argv);
int cp_cli_profile(int argc, char **argv);
int cp_cli_sql(int argc, char **argv);
int cp_cli_sweep(int argc, char **argv);

extern const struct cp_cli_command cp_cli_commands[];

#endif /* CP_CLI_CLI_H */
