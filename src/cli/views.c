/*
 * views.c - `cloudprobe VIEW SOURCE [--pid PID] [--json|--csv] [ARGS]` for
 * every view in linux/view.c's registry: one runner, so every view gets
 * the same options, output formats and exit codes (0 complete, 1 partial
 * with the reason on stderr, 2 usage or input error).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "linux/view.h"

/* Pulls --pid N out of argv (the common parser does not know it). */
static int take_pid(int *argc, char **argv, int64_t *pid)
{
	*pid = -1;
	for (int i = 1; i < *argc; i++) {
		const char *v = NULL;
		int used = 0;
		if (!strcmp(argv[i], "--pid") && i + 1 < *argc) {
			v = argv[i + 1];
			used = 2;
		} else if (!strncmp(argv[i], "--pid=", 6)) {
			v = argv[i] + 6;
			used = 1;
		}
		if (!v)
			continue;
		char *end;
		long long n = strtoll(v, &end, 10);
		if (*end || n < 0) {
			fprintf(stderr, "cloudprobe: bad --pid '%s'\n", v);
			return 2;
		}
		*pid = n;
		memmove(argv + i, argv + i + used,
			(size_t)(*argc - i - used + 1) * sizeof(*argv));
		*argc -= used;
		i--;
	}
	return -1;
}

int cp_cli_view(const struct cp_view *view, int argc, char **argv)
{
	struct cp_cli_command cmd = {
		.name = view->name,
		.args = view->args,
		.summary = view->summary,
	};
	struct cp_view_args args;
	int r = take_pid(&argc, argv, &args.pid);
	if (r >= 0)
		return r;
	struct cp_cli_common o;
	if ((r = cp_cli_parse_common(&cmd, argc, argv, 0, 16, &o)) >= 0)
		return r;
	args.rest = o.rest;
	args.nrest = o.nrest;
	struct cp_mem *mem;
	struct cp_profile *p;
	struct cp_error *err = cp_mem_open(o.source, &mem);
	if (err)
		return cp_cli_fail(view->name, err);
	if ((err = cp_profile_discover_opts(mem, &o.profile_opts, &p))) {
		cp_mem_close(mem);
		return cp_cli_fail(view->name, err);
	}
	struct cp_out *out;
	if ((err = cp_out_new(stdout, o.format, view->cols, view->ncols,
			      &out))) {
		cp_profile_destroy(p);
		cp_mem_close(mem);
		return cp_cli_fail(view->name, err);
	}
	struct cp_sink sink;
	cp_sink_for_out(&sink, out);
	err = view->produce(p, &args, &sink);
	/* Rows already produced are printed even when the view stopped. */
	struct cp_error *ferr = cp_out_finish(out);
	if (!err)
		err = ferr;
	else
		cp_error_destroy(ferr);
	cp_profile_destroy(p);
	cp_mem_close(mem);
	return err ? cp_cli_fail(view->name, err) : 0;
}
