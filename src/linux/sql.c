/*
 * sql.c - every view as an SQLite virtual table, osquery style.
 *
 *   SELECT p.pid, p.comm, s.local, s.state
 *   FROM pslist p JOIN sockstat s ON s.pid = p.pid;
 *
 * One module serves all views: a table is named by the view's sql_name
 * (and its CLI name), its columns are the view's columns. A scan runs the
 * view's walker into a sink that buffers the rows, then SQLite iterates
 * them. The first full scan of a table is kept for the life of the
 * connection: the inner side of a join is scanned once per outer row, and
 * must neither re-walk the guest each time nor see a different guest each
 * time (one snapshot per view per query run). Before a full scan exists,
 * an equality constraint on `pid` is pushed down to the walker (--pid),
 * so `WHERE pid = 1` reads one process, not all.
 *
 * Hex columns (kernel addresses, above 2^63) are TEXT '0x...'; SQLite's
 * integers are signed 64-bit. Guest strings are stored as they are (SQL
 * is not a terminal); the CLI escapes them on output.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "linux/sql.h"
#include "linux/rowset.h"
#include "linux/view.h"
#include "util/error.h"

/* -------------------------------------------------------- the module */

struct vtab {
	sqlite3_vtab base;
	const struct cp_view *view;
	struct cp_profile *profile;
	int pid_col;		/* index of a column named "pid", or -1 */
	struct cp_rowset *all;	/* the full scan, once made */
};

struct cursor {
	sqlite3_vtab_cursor base;
	struct cp_rowset own;	/* a pid-filtered scan of our own */
	const struct cp_rowset *rows;	/* own, or the table's full scan */
	int64_t pid;		/* filter on a full scan; -1 for none */
	size_t row;
};

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
		      sqlite3_vtab **ret, char **errmsg)
{
	(void)argc;
	(void)argv;
	(void)errmsg;
	const struct cp_sql_table *t = aux;
	const struct cp_view *view = t->view;
	/* CREATE TABLE x(col1, col2 INTEGER, ...) from the view's columns. */
	size_t len = 32;
	for (size_t i = 0; i < view->ncols; i++)
		len += strlen(view->cols[i].name) + 16;
	char *sql = malloc(len), *p = sql;
	if (!sql)
		return SQLITE_NOMEM;
	p += sprintf(p, "CREATE TABLE x(");
	int pid_col = -1;
	for (size_t i = 0; i < view->ncols; i++) {
		const struct cp_out_col *col = &view->cols[i];
		bool integer = col->type == CP_COL_INT ||
			       col->type == CP_COL_UINT ||
			       col->type == CP_COL_BOOL;
		p += sprintf(p, "%s\"%s\" %s", i ? ", " : "", col->name,
			     integer ? "INTEGER" : "TEXT");
		if (!strcmp(col->name, "pid"))
			pid_col = (int)i;
	}
	strcpy(p, ")");
	int rc = sqlite3_declare_vtab(db, sql);
	free(sql);
	if (rc != SQLITE_OK)
		return rc;
	struct vtab *vt = sqlite3_malloc(sizeof(*vt));
	if (!vt)
		return SQLITE_NOMEM;
	memset(vt, 0, sizeof(*vt));
	vt->view = view;
	vt->profile = t->profile;
	vt->pid_col = pid_col;
	*ret = &vt->base;
	return SQLITE_OK;
}

static int vt_disconnect(sqlite3_vtab *base)
{
	struct vtab *vt = (struct vtab *)base;
	if (vt->all) {
		cp_rowset_deinit(vt->all);
		free(vt->all);
	}
	sqlite3_free(base);
	return SQLITE_OK;
}

/* idxNum 1: pid = ? pushed down (argv[0] in xFilter). */
static int vt_best_index(sqlite3_vtab *base, sqlite3_index_info *info)
{
	struct vtab *vt = (struct vtab *)base;
	info->estimatedCost = 1e6;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		if (c->usable && c->iColumn == vt->pid_col && vt->pid_col >= 0 &&
		    c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
			info->aConstraintUsage[i].argvIndex = 1;
			/* SQLite re-checks: the walker's filter is by tgid. */
			info->aConstraintUsage[i].omit = 0;
			info->idxNum = 1;
			info->estimatedCost = 10;
			break;
		}
	}
	return SQLITE_OK;
}

static int vt_open(sqlite3_vtab *base, sqlite3_vtab_cursor **ret)
{
	(void)base;
	struct cursor *c = sqlite3_malloc(sizeof(*c));
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	cp_rowset_init(&c->own, 0);
	*ret = &c->base;
	return SQLITE_OK;
}

static int vt_close(sqlite3_vtab_cursor *base)
{
	struct cursor *c = (struct cursor *)base;
	cp_rowset_deinit(&c->own);
	sqlite3_free(c);
	return SQLITE_OK;
}

/* Runs the view into r; SQLITE_OK, or an error set on the vtab. */
static int scan(struct vtab *vt, int64_t pid, struct cp_rowset *r)
{
	cp_rowset_deinit(r);
	cp_rowset_init(r, vt->view->ncols);
	struct cp_view_args args = { .pid = pid };
	struct cp_sink sink;
	cp_rowset_sink(r, &sink);
	struct cp_error *err = vt->view->produce(vt->profile, &args, &sink);
	/* A partial view still answers; say so on stderr. */
	if (err && cp_error_code(err) == CP_ERR_PARTIAL) {
		fprintf(stderr, "cloudprobe sql: %s: %s\n", vt->view->name,
			cp_error_message(err));
		cp_error_destroy(err);
		err = NULL;
	}
	/* Cells of a row cut short by an error are dropped. */
	cp_rowset_trim(r);
	if (err) {
		sqlite3_free(vt->base.zErrMsg);
		vt->base.zErrMsg = sqlite3_mprintf("%s: %s", vt->view->name,
						   cp_error_message(err));
		cp_error_destroy(err);
		return SQLITE_ERROR;
	}
	return SQLITE_OK;
}

static bool row_matches(const struct cursor *c, const struct vtab *vt)
{
	if (c->pid < 0 || vt->pid_col < 0)
		return true;
	const struct cp_cell *cell =
		cp_rowset_cell(c->rows, c->row, (size_t)vt->pid_col);
	return cell->kind == CP_CELL_INT && cell->i == c->pid;
}

static void skip_to_match(struct cursor *c, const struct vtab *vt)
{
	while (c->row < c->rows->rows && !row_matches(c, vt))
		c->row++;
}

static int vt_filter(sqlite3_vtab_cursor *base, int idx_num,
		     const char *idx_str, int argc, sqlite3_value **argv)
{
	(void)idx_str;
	struct cursor *c = (struct cursor *)base;
	struct vtab *vt = (struct vtab *)base->pVtab;
	int64_t pid = -1;
	c->row = 0;
	c->pid = -1;
	c->rows = &c->own;
	cp_rowset_deinit(&c->own);
	if (idx_num == 1 && argc == 1) {
		/* pid = 'x' or a negative pid matches nothing. */
		if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER ||
		    (pid = sqlite3_value_int64(argv[0])) < 0)
			return SQLITE_OK;
	}
	if (pid >= 0 && !vt->all)
		return scan(vt, pid, &c->own);
	if (!vt->all) {
		struct cp_rowset *all = calloc(1, sizeof(*all));
		if (!all)
			return SQLITE_NOMEM;
		int rc = scan(vt, -1, all);
		if (rc != SQLITE_OK) {
			cp_rowset_deinit(all);
			free(all);
			return rc;
		}
		vt->all = all;
	}
	c->rows = vt->all;
	c->pid = pid;
	skip_to_match(c, vt);
	return SQLITE_OK;
}

static int vt_next(sqlite3_vtab_cursor *base)
{
	struct cursor *c = (struct cursor *)base;
	c->row++;
	skip_to_match(c, (struct vtab *)base->pVtab);
	return SQLITE_OK;
}

static int vt_eof(sqlite3_vtab_cursor *base)
{
	struct cursor *c = (struct cursor *)base;
	return c->row >= c->rows->rows;
}

static int vt_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int i)
{
	struct cursor *c = (struct cursor *)base;
	const struct cp_cell *cell = cp_rowset_cell(c->rows, c->row, (size_t)i);
	switch (cell->kind) {
	case CP_CELL_INT:
		sqlite3_result_int64(ctx, cell->i);
		break;
	case CP_CELL_TEXT:
		sqlite3_result_text(ctx, cell->text, -1, SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_result_null(ctx);
	}
	return SQLITE_OK;
}

static int vt_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid)
{
	*rowid = (sqlite3_int64)((struct cursor *)base)->row;
	return SQLITE_OK;
}

static const sqlite3_module module = {
	.iVersion = 0,
	.xCreate = vt_connect,
	.xConnect = vt_connect,
	.xBestIndex = vt_best_index,
	.xDisconnect = vt_disconnect,
	.xDestroy = vt_disconnect,
	.xOpen = vt_open,
	.xClose = vt_close,
	.xFilter = vt_filter,
	.xNext = vt_next,
	.xEof = vt_eof,
	.xColumn = vt_column,
	.xRowid = vt_rowid,
};

struct cp_sql {
	sqlite3 *db;
	struct cp_sql_table *tables;
	size_t ntables;
};

struct cp_error *cp_sql_open(struct cp_profile *p, struct cp_sql **ret)
{
	struct cp_sql *s = calloc(1, sizeof(*s));
	if (!s)
		return &cp_enomem;
	size_t n = 0;
	while (cp_views[n])
		n++;
	s->tables = calloc(n ? 2 * n : 1, sizeof(*s->tables));
	if (!s->tables || sqlite3_open(":memory:", &s->db) != SQLITE_OK) {
		cp_sql_close(s);
		return &cp_enomem;
	}
	for (size_t i = 0; i < n; i++) {
		/* Both names: the SQL one (processes) and the CLI one (pslist). */
		const char *names[2] = { cp_views[i]->sql_name, cp_views[i]->name };
		for (int k = 0; k < 2; k++) {
			if (!names[k] || (k == 1 && names[0] &&
					  !strcmp(names[0], names[1])))
				continue;
			struct cp_sql_table *t = &s->tables[s->ntables++];
			t->view = cp_views[i];
			t->profile = p;
			if (sqlite3_create_module(s->db, names[k], &module, t) !=
				    SQLITE_OK) {
				struct cp_error *err = cp_error_create(
					CP_ERR_UNSUPPORTED, "sql: module %s: %s",
					names[k], sqlite3_errmsg(s->db));
				cp_sql_close(s);
				return err;
			}
			char *sql = sqlite3_mprintf(
				"CREATE VIRTUAL TABLE temp.\"%w\" USING \"%w\"",
				names[k], names[k]);
			int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
			sqlite3_free(sql);
			if (rc != SQLITE_OK) {
				struct cp_error *err = cp_error_create(
					CP_ERR_UNSUPPORTED, "sql: table %s: %s",
					names[k], sqlite3_errmsg(s->db));
				cp_sql_close(s);
				return err;
			}
		}
	}
	*ret = s;
	return NULL;
}

void cp_sql_close(struct cp_sql *s)
{
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s->tables);
	free(s);
}

sqlite3 *cp_sql_db(struct cp_sql *s)
{
	return s->db;
}
