/*
 * main.c - `cloudprobe COMMAND ...`: the command table and shared option
 * parsing. Each command family lives in its own file; this one only
 * dispatches, so adding a command is a function and a table line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

const struct cp_cli_command cp_cli_commands[] = {
	{ "info", "SOURCE [--json|--csv]",
	  "identify the guest kernel: release, banner, discovery steps",
	  cp_cli_info },
	{ NULL, NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cloudprobe COMMAND SOURCE [OPTIONS]\n"
		"\n"
		"Reads a virtual machine's memory from the outside and shows what\n"
		"its kernel knows. Nothing is written to the guest.\n"
		"\n"
		"Commands:\n");
	for (const struct cp_cli_command *c = cp_cli_commands; c->name; c++)
		fprintf(f, "  %-8s %-24s %s\n", c->name, c->args, c->summary);
	fprintf(f,
		"\n"
		"Sources:\n"
		"  raw:PATH    raw physical image (pmemsave, dd of a RAM file)\n"
		"  elf:PATH    ELF core (QEMU dump-guest-memory, vmcore)\n"
		"  lime:PATH   LiME dump\n"
		"  shm:PATH[,machine=q35|pc]\n"
		"              a running QEMU's memory-backend-file (live)\n"
		"  PATH        sniffed: ELF, LiME, else raw\n"
		"\n"
		"Output: aligned table by default; --json prints JSON Lines,\n"
		"--csv prints CSV with a header.\n"
		"Exit status: 0 success, 1 partial result, 2 usage or input error.\n");
}

int cp_cli_fail(const char *cmd, struct cp_error *err)
{
	int status = cp_error_exit_status(err);
	fprintf(stderr, "cloudprobe %s: %s\n", cmd, cp_error_message(err));
	cp_error_destroy(err);
	return status;
}

int cp_cli_parse_common(const struct cp_cli_command *cmd, int argc,
			char **argv, int min_rest, int max_rest,
			struct cp_cli_common *ret)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(ret, 0, sizeof(*ret));
	ret->format = CP_OUT_TABLE;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		struct cp_error *err;
		switch (c) {
		case 'j':
			ret->format = CP_OUT_JSON;
			break;
		case 'c':
			ret->format = CP_OUT_CSV;
			break;
		case 'f':
			err = cp_out_format_parse(optarg, &ret->format);
			if (err)
				return cp_cli_fail(cmd->name, err);
			break;
		case 'h':
			printf("usage: cloudprobe %s %s\n%s\n", cmd->name,
			       cmd->args, cmd->summary);
			return 0;
		default:
			fprintf(stderr, "usage: cloudprobe %s %s\n", cmd->name,
				cmd->args);
			return 2;
		}
	}
	int npos = argc - optind;
	if (npos < 1 + min_rest || npos > 1 + max_rest) {
		fprintf(stderr, "usage: cloudprobe %s %s\n", cmd->name,
			cmd->args);
		return 2;
	}
	ret->source = argv[optind];
	ret->rest = argv + optind + 1;
	ret->nrest = npos - 1;
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "--help") ||
	    !strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("cloudprobe %s\n", CP_VERSION);
		return 0;
	}
	for (const struct cp_cli_command *c = cp_cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "cloudprobe: unknown command '%s' (try --help)\n",
		name);
	return 2;
}
