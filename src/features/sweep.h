/*
 * sweep.h - all views of one VM at one instant (see sweep.c).
 */
#ifndef CP_FEATURES_SWEEP_H
#define CP_FEATURES_SWEEP_H

#include "cloudprobe.h"
#include "linux/rowset.h"
#include "linux/view.h"

struct cp_sweep_view {
	const struct cp_view *view;
	struct cp_rowset rows;
	double ms;
	char *partial;		/* why rows are missing, or NULL */
	char *error;		/* why the view produced nothing, or NULL */
};

struct cp_sweep {
	struct cp_sweep_view *views;
	size_t nviews;
	double started;		/* CLOCK_REALTIME seconds */
	double ms;		/* wall time of the whole sweep */
	struct cp_read_stats stats;
};

/* Takes every registered view of p's guest into a new sweep. */
struct cp_error *cp_sweep_take(struct cp_profile *p, struct cp_sweep **ret);
void cp_sweep_destroy(struct cp_sweep *s);
const struct cp_sweep_view *cp_sweep_find(const struct cp_sweep *s,
					  const char *view_name);

#endif /* CP_FEATURES_SWEEP_H */
