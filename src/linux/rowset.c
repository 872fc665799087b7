/*
 * rowset.c - buffering a view's rows (see rowset.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/rowset.h"
#include "util/error.h"

void cp_rowset_init(struct cp_rowset *r, size_t ncols)
{
	memset(r, 0, sizeof(*r));
	cp_cell_vector_init(&r->cells);
	r->ncols = ncols;
}

void cp_rowset_deinit(struct cp_rowset *r)
{
	for (size_t i = 0; i < r->cells.size; i++)
		free(r->cells.data[i].text);
	cp_cell_vector_deinit(&r->cells);
	r->rows = 0;
	r->oom = false;
}

void cp_rowset_trim(struct cp_rowset *r)
{
	for (size_t i = r->rows * r->ncols; i < r->cells.size; i++)
		free(r->cells.data[i].text);
	r->cells.size = r->rows * r->ncols;
}

static struct cp_cell *next_cell(struct cp_rowset *r)
{
	struct cp_cell *cell = cp_cell_vector_append_entry(&r->cells);
	if (!cell)
		r->oom = true;
	return cell;
}

static void sink_str(void *ctx, const char *v)
{
	struct cp_rowset *r = ctx;
	struct cp_cell *cell = next_cell(r);
	if (!cell)
		return;
	if (v && !(cell->text = strdup(v)))
		r->oom = true;
	cell->kind = cell->text ? CP_CELL_TEXT : CP_CELL_NULL;
}

static void sink_i64(void *ctx, int64_t v)
{
	struct cp_cell *cell = next_cell(ctx);
	if (cell) {
		cell->kind = CP_CELL_INT;
		cell->i = v;
	}
}

static void sink_u64(void *ctx, uint64_t v)
{
	if (v <= INT64_MAX) {
		sink_i64(ctx, (int64_t)v);
		return;
	}
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	sink_str(ctx, buf);
}

static void sink_hex(void *ctx, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	sink_str(ctx, buf);
}

static void sink_bool(void *ctx, bool v)
{
	sink_i64(ctx, v);
}

static void sink_null(void *ctx)
{
	struct cp_cell *cell = next_cell(ctx);
	if (cell)
		cell->kind = CP_CELL_NULL;
}

static struct cp_error *sink_row_end(void *ctx)
{
	struct cp_rowset *r = ctx;
	if (r->oom)
		return &cp_enomem;
	if (r->cells.size != (r->rows + 1) * r->ncols)
		return cp_error_create(CP_ERR_USAGE,
				       "a view emitted a row of %zu cells, "
				       "not %zu",
				       r->cells.size - r->rows * r->ncols,
				       r->ncols);
	r->rows++;
	return NULL;
}

static const struct cp_sink_ops rowset_ops = {
	.str = sink_str,
	.i64 = sink_i64,
	.u64 = sink_u64,
	.hex = sink_hex,
	.boolean = sink_bool,
	.null = sink_null,
	.row_end = sink_row_end,
};

void cp_rowset_sink(struct cp_rowset *r, struct cp_sink *sink)
{
	sink->ops = &rowset_ops;
	sink->ctx = r;
}
