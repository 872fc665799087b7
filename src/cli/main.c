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
#include "linux/view.h"

const struct cp_cli_command cp_cli_commands[] = {
	{ "info", "SOURCE [--json|--csv]",
	  "identify the guest kernel: release, KASLR, page tables, steps",
	  cp_cli_info },
	{ "ksyms", "SOURCE [NAME...] [--json|--csv]",
	  "kernel symbols (name, type, runtime address)", cp_cli_ksyms },
	{ "types", "SOURCE STRUCT...",
	  "struct layouts from the guest's BTF, as pahole prints",
	  cp_cli_types },
	{ "profile", "SOURCE --isf OUT.json",
	  "write the kernel profile as a Volatility 3 ISF", cp_cli_profile },
	{ "sql", "SOURCE \"SELECT ...\"|.tables",
	  "SQL over every view (SQLite virtual tables, joins)", cp_cli_sql },
	{ "sweep", "SOURCE [--count N] [--interval MS]",
	  "every view at one instant: rows, time, pages touched", cp_cli_sweep },
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
		fprintf(f, "  %-8s %-32s %s\n", c->name, c->args, c->summary);
	if (cp_views[0])
		fprintf(f, "\nViews (what the guest kernel knows; --pid PID narrows):\n");
	for (size_t i = 0; cp_views[i]; i++)
		fprintf(f, "  %-8s %-32s %s\n", cp_views[i]->name,
			cp_views[i]->args, cp_views[i]->summary);
	fprintf(f,
		"\n"
		"Sources:\n"
		"  raw:PATH    raw physical image (pmemsave, dd of a RAM file)\n"
		"  elf:PATH    ELF core (QEMU dump-guest-memory, vmcore)\n"
		"  lime:PATH   LiME dump\n"
		"  shm:PATH[,machine=q35|pc]\n"
		"              a running QEMU's memory-backend-file (live)\n"
		"  qemu:PID[,qmp=SOCKET|off][,read=auto|mmap|readv]\n"
		"              a running QEMU process (live; process_vm_readv,\n"
		"              or its RAM file mapped when it has one)\n"
		"  qmp:SOCKET  the QEMU behind a QMP socket (live)\n"
		"  libvirt:NAME  a libvirt domain's QEMU (live)\n"
		"  PATH        sniffed: ELF, LiME, else raw\n"
		"\n"
		"Output: aligned table by default; --json prints JSON Lines,\n"
		"--csv prints CSV with a header.\n"
		"Exit status: 0 success, 1 partial result, 2 usage or input error.\n\n%s",
		cp_cli_profile_help);
}

const char cp_cli_profile_help[] =
	"Profile options (how the kernel is learned):\n"
	"  --cache-dir DIR   profile cache (default ~/.cache/cloudprobe/profiles)\n"
	"  --no-cache        neither read nor write the profile cache\n"
	"  --carve           ignore VMCOREINFO; carve symbols and types by shape\n"
	"  --isf FILE        types and symbols from a Volatility 3 ISF\n"
	"  --btf FILE        types from a BTF file (with --system-map FILE)\n";

const struct cp_cli_command *cp_cli_find(const char *name)
{
	for (const struct cp_cli_command *c = cp_cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	abort();
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
		{ "cache-dir", required_argument, NULL, 'C' },
		{ "no-cache", no_argument, NULL, 'N' },
		{ "carve", no_argument, NULL, 'V' },
		{ "isf", required_argument, NULL, 'I' },
		{ "btf", required_argument, NULL, 'B' },
		{ "system-map", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct cp_profile_opts *po = &ret->profile_opts;
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
		case 'C':
			po->cache_dir = optarg;
			break;
		case 'N':
			po->no_cache = true;
			break;
		case 'V':
			po->ignore_vmcoreinfo = true;
			break;
		case 'I':
			po->isf_path = optarg;
			break;
		case 'B':
			po->btf_path = optarg;
			break;
		case 'S':
			po->system_map_path = optarg;
			break;
		case 'h':
			printf("usage: cloudprobe %s %s\n%s\n\n%s", cmd->name,
			       cmd->args, cmd->summary, cp_cli_profile_help);
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
	const struct cp_view *view = cp_view_find(name);
	if (view)
		return cp_cli_view(view, argc - 1, argv + 1);
	fprintf(stderr, "cloudprobe: unknown command '%s' (try --help)\n",
		name);
	return 2;
}
