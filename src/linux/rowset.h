/*
 * rowset.h - a view's rows held in memory: the sink behind SQL tables and
 * sweeps. Cells keep their type (NULL, integer, text); hex and large
 * unsigned values are text, as SQLite and JSON consumers want them.
 */
#ifndef CP_LINUX_ROWSET_H
#define CP_LINUX_ROWSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linux/view.h"
#include "util/vector.h"

struct cp_cell {
	enum { CP_CELL_NULL, CP_CELL_INT, CP_CELL_TEXT } kind;
	int64_t i;
	char *text;
};

CP_DEFINE_VECTOR(cp_cell_vector, struct cp_cell)

struct cp_rowset {
	struct cp_cell_vector cells;	/* row-major, ncols a row */
	size_t ncols, rows;
	bool oom;
};

void cp_rowset_init(struct cp_rowset *r, size_t ncols);
void cp_rowset_deinit(struct cp_rowset *r);
/* A sink appending rows to r. */
void cp_rowset_sink(struct cp_rowset *r, struct cp_sink *sink);
/* Drops the cells of a row that was started but never ended. */
void cp_rowset_trim(struct cp_rowset *r);
static inline const struct cp_cell *cp_rowset_cell(const struct cp_rowset *r,
						   size_t row, size_t col)
{
	return &r->cells.data[row * r->ncols + col];
}

#endif /* CP_LINUX_ROWSET_H */
