/*
 * sweep.c - a sweep: every view of one VM at one instant, the unit that
 * features and detectors consume.
 *
 * The guest is not paused: "one instant" means one pass, as short as we
 * can make it, with the kernel translation cache flushed first (the guest
 * moved since the last sweep) and the cost recorded: wall time per view
 * and in all, bytes read and kernel pages touched. A view that fails or
 * stops early does not end the sweep: its reason is kept beside its rows,
 * and no row is ever made up to fill a gap.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "features/sweep.h"
#include "util/error.h"

static double clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct cp_error *cp_sweep_take(struct cp_profile *p, struct cp_sweep **ret)
{
	size_t n = 0;
	while (cp_views[n])
		n++;
	struct cp_sweep *s = calloc(1, sizeof(*s));
	if (!s || !(s->views = calloc(n ? n : 1, sizeof(*s->views)))) {
		free(s);
		return &cp_enomem;
	}
	s->nviews = n;
	cp_profile_new_sweep(p);
	s->started = clock_ms(CLOCK_REALTIME) / 1e3;
	double t0 = clock_ms(CLOCK_MONOTONIC);
	struct cp_view_args args = { .pid = -1 };
	for (size_t i = 0; i < n; i++) {
		struct cp_sweep_view *v = &s->views[i];
		v->view = cp_views[i];
		cp_rowset_init(&v->rows, v->view->ncols);
		struct cp_sink sink;
		cp_rowset_sink(&v->rows, &sink);
		double v0 = clock_ms(CLOCK_MONOTONIC);
		struct cp_error *err = v->view->produce(p, &args, &sink);
		v->ms = clock_ms(CLOCK_MONOTONIC) - v0;
		cp_rowset_trim(&v->rows);
		if (err && cp_error_code(err) == CP_ERR_NOMEM) {
			cp_sweep_destroy(s);
			return err;
		}
		if (err) {
			char *msg = strdup(cp_error_message(err));
			if (cp_error_code(err) == CP_ERR_PARTIAL)
				v->partial = msg;
			else
				v->error = msg;
			cp_error_destroy(err);
		}
	}
	s->ms = clock_ms(CLOCK_MONOTONIC) - t0;
	cp_profile_read_stats(p, &s->stats);
	*ret = s;
	return NULL;
}

void cp_sweep_destroy(struct cp_sweep *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nviews; i++) {
		cp_rowset_deinit(&s->views[i].rows);
		free(s->views[i].partial);
		free(s->views[i].error);
	}
	free(s->views);
	free(s);
}

const struct cp_sweep_view *cp_sweep_find(const struct cp_sweep *s,
					  const char *view_name)
{
	for (size_t i = 0; i < s->nviews; i++)
		if (!strcmp(s->views[i].view->name, view_name))
			return &s->views[i];
	return NULL;
}
