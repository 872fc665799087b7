/*
 * sweep.c - `cloudprobe sweep SOURCE [--count N] [--interval MS]`: take
 * every view at once, N times, and report per view the rows, time and
 * status, with the sweep's bytes read and kernel pages touched. After
 * each sweep's views comes a row with view "(sweep)": its `rows` is the
 * number of kernel pages touched, its `ms` the whole sweep. The command
 * behind the churn test and the sweep benchmark.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "features/sweep.h"

static const struct cp_out_col cols[] = {
	{ "sweep", NULL, CP_COL_UINT },
	{ "view", NULL, CP_COL_STR },
	{ "rows", NULL, CP_COL_UINT },
	{ "ms", NULL, CP_COL_DOUBLE },
	{ "status", NULL, CP_COL_STR },
	{ "reason", NULL, CP_COL_STR },
};

/* Pulls "--NAME N" out of argv. */
static long take_num(int *argc, char **argv, const char *name, long dflt)
{
	for (int i = 1; i + 1 < *argc; i++) {
		if (strcmp(argv[i], name))
			continue;
		long v = strtol(argv[i + 1], NULL, 10);
		memmove(argv + i, argv + i + 2,
			(size_t)(*argc - i - 1) * sizeof(*argv));
		*argc -= 2;
		return v;
	}
	return dflt;
}

int cp_cli_sweep(int argc, char **argv)
{
	long count = take_num(&argc, argv, "--count", 1);
	long interval = take_num(&argc, argv, "--interval", 0);
	struct cp_cli_common o;
	int r = cp_cli_parse_common(cp_cli_find("sweep"), argc, argv, 0, 0, &o);
	if (r >= 0)
		return r;
	if (count < 1 || interval < 0) {
		fprintf(stderr, "cloudprobe sweep: bad --count or --interval\n");
		return 2;
	}
	struct cp_mem *mem;
	struct cp_profile *p;
	struct cp_error *err = cp_mem_open(o.source, &mem);
	if (err)
		return cp_cli_fail("sweep", err);
	if ((err = cp_profile_discover_opts(mem, &o.profile_opts, &p))) {
		cp_mem_close(mem);
		return cp_cli_fail("sweep", err);
	}
	struct cp_out *out;
	if ((err = cp_out_new(stdout, o.format, cols, 6, &out))) {
		cp_profile_destroy(p);
		cp_mem_close(mem);
		return cp_cli_fail("sweep", err);
	}
	bool partial = false;
	for (long n = 0; !err && n < count; n++) {
		struct cp_sweep *s;
		if ((err = cp_sweep_take(p, &s)))
			break;
		for (size_t i = 0; !err && i < s->nviews; i++) {
			const struct cp_sweep_view *v = &s->views[i];
			cp_out_uint(out, (uint64_t)n);
			cp_out_str(out, v->view->name);
			cp_out_uint(out, v->rows.rows);
			cp_out_double(out, v->ms);
			cp_out_str(out, v->error ? "error" :
					v->partial ? "partial" : "ok");
			cp_out_str(out, v->error ? v->error : v->partial);
			partial |= v->error || v->partial;
			err = cp_out_row_end(out);
		}
		if (!err) {
			cp_out_uint(out, (uint64_t)n);
			cp_out_str(out, "(sweep)");
			cp_out_uint(out, s->stats.pages_touched);
			cp_out_double(out, s->ms);
			cp_out_str(out, "total");
			char why[128];
			snprintf(why, sizeof(why),
				 "%llu bytes read, %llu kernel pages, %llu walks",
				 (unsigned long long)s->stats.bytes_read,
				 (unsigned long long)s->stats.pages_touched,
				 (unsigned long long)s->stats.walks);
			cp_out_str(out, why);
			err = cp_out_row_end(out);
		}
		cp_sweep_destroy(s);
		if (o.format != CP_OUT_TABLE)
			fflush(stdout);
		if (interval && n + 1 < count) {
			struct timespec ts = { interval / 1000,
					       (interval % 1000) * 1000000 };
			nanosleep(&ts, NULL);
		}
	}
	struct cp_error *ferr = cp_out_finish(out);
	cp_profile_destroy(p);
	cp_mem_close(mem);
	if (err) {
		cp_error_destroy(ferr);
		return cp_cli_fail("sweep", err);
	}
	if (ferr)
		return cp_cli_fail("sweep", ferr);
	return partial ? 1 : 0;
}
