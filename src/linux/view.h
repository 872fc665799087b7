/*
 * view.h - what every Linux view is, for the CLI, SQL and sweeps alike.
 *
 * A view has two halves. The walker (tasks.c, files.c, sockets.c, ...)
 * reads guest kernel structures and yields plain C records (struct
 * cp_task, ...) that later layers (features, detectors) consume directly.
 * The table (a struct cp_view in the same file) turns those records into
 * rows of typed cells: one description of the columns serves the CLI's
 * table/JSON/CSV output (util/output.c) and SQLite virtual tables, so no
 * view is formatted twice.
 *
 * Rows go to a sink: a small table of cell functions. The CLI's sink
 * writes a cp_out; the SQL sink fills a virtual table's row buffer.
 * Column names are the stable JSON keys (docs/views.md lists them).
 *
 * A view that could not read everything still returns what it read, and
 * a CP_ERR_PARTIAL error saying what was skipped and why; a view never
 * invents a record to fill a gap.
 */
#ifndef CP_LINUX_VIEW_H
#define CP_LINUX_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudprobe.h"

/* ---------------------------------------------------------------- sinks */

struct cp_sink_ops {
	void (*str)(void *ctx, const char *value);	/* NULL -> null */
	void (*i64)(void *ctx, int64_t value);
	void (*u64)(void *ctx, uint64_t value);
	void (*hex)(void *ctx, uint64_t value);
	void (*boolean)(void *ctx, bool value);
	void (*null)(void *ctx);
	/* Ends a row; an error (e.g. output failed) stops the view. */
	struct cp_error *(*row_end)(void *ctx);
};

struct cp_sink {
	const struct cp_sink_ops *ops;
	void *ctx;
};

static inline void cp_sink_str(struct cp_sink *s, const char *v)
{
	s->ops->str(s->ctx, v);
}

static inline void cp_sink_i64(struct cp_sink *s, int64_t v)
{
	s->ops->i64(s->ctx, v);
}

static inline void cp_sink_u64(struct cp_sink *s, uint64_t v)
{
	s->ops->u64(s->ctx, v);
}

static inline void cp_sink_hex(struct cp_sink *s, uint64_t v)
{
	s->ops->hex(s->ctx, v);
}

static inline void cp_sink_bool(struct cp_sink *s, bool v)
{
	s->ops->boolean(s->ctx, v);
}

static inline void cp_sink_null(struct cp_sink *s)
{
	s->ops->null(s->ctx);
}

static inline struct cp_error *cp_sink_row_end(struct cp_sink *s)
{
	return s->ops->row_end(s->ctx);
}

/* A sink writing to a cp_out (table, JSON Lines, CSV). */
void cp_sink_for_out(struct cp_sink *sink, struct cp_out *out);

/* ---------------------------------------------------------------- views */

/* What the user narrowed a view to. */
struct cp_view_args {
	int64_t pid;		/* only this process (tgid); -1 for all */
	/* Positional arguments after SOURCE (e.g. `maps PID`). */
	char **rest;
	int nrest;
};

struct cp_view {
	const char *name;	/* CLI command, Volatility's plugin name */
	const char *sql_name;	/* SQLite table name */
	const char *args;	/* usage after SOURCE, e.g. "[--pid PID]" */
	const char *summary;
	const struct cp_out_col *cols;
	size_t ncols;
	/*
	 * Emits every row into sink, cells in column order. Returns NULL,
	 * a CP_ERR_PARTIAL error (rows were emitted; the message says what
	 * was skipped), or another error (nothing usable).
	 */
	struct cp_error *(*produce)(struct cp_profile *p,
				    const struct cp_view_args *args,
				    struct cp_sink *sink);
};

/* Every view, in the order `cloudprobe --help` lists them; NULL-ended. */
extern const struct cp_view *const cp_views[];
const struct cp_view *cp_view_find(const char *name);

#endif /* CP_LINUX_VIEW_H */
