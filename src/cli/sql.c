/*
 * sql.c - `cloudprobe sql SOURCE "SELECT ..."`: SQL over a live guest.
 *
 * Every view is a table (linux/sql.c), under its SQL name and its CLI
 * name: `SELECT comm, cmdline FROM psaux WHERE uid = 0`, joins included.
 * `cloudprobe sql SOURCE .tables` lists the tables and their columns.
 * Results go through the output module like any view (table, --json,
 * --csv). One statement per call.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "linux/sql.h"
#include "util/cleanup.h"

static int list_tables(void)
{
	static const struct cp_out_col cols[] = {
		{ "table", NULL, CP_COL_STR },
		{ "view", NULL, CP_COL_STR },
		{ "columns", NULL, CP_COL_STR },
	};
	struct cp_out *out;
	struct cp_error *err = cp_out_new(stdout, CP_OUT_TABLE, cols, 3, &out);
	for (size_t i = 0; !err && cp_views[i]; i++) {
		const struct cp_view *v = cp_views[i];
		char buf[2048] = "";
		for (size_t c = 0; c < v->ncols; c++) {
			strncat(buf, c ? ", " : "", sizeof(buf) - strlen(buf) - 1);
			strncat(buf, v->cols[c].name, sizeof(buf) - strlen(buf) - 1);
		}
		cp_out_str(out, v->sql_name ? v->sql_name : v->name);
		cp_out_str(out, v->name);
		cp_out_str(out, buf);
		err = cp_out_row_end(out);
	}
	struct cp_error *ferr = err ? NULL : cp_out_finish(out);
	if (err)
		cp_out_destroy(out);
	return err || ferr ? cp_cli_fail("sql", err ? err : ferr) : 0;
}

static struct cp_error *run_query(sqlite3 *db, const char *query,
				  enum cp_out_format format)
{
	sqlite3_stmt *st;
	const char *tail;
	if (sqlite3_prepare_v2(db, query, -1, &st, &tail) != SQLITE_OK)
		return cp_error_create(CP_ERR_USAGE, "%s", sqlite3_errmsg(db));
	if (!st)
		return cp_error_create(CP_ERR_USAGE, "empty query");
	while (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';')
		tail++;
	if (*tail) {
		sqlite3_finalize(st);
		return cp_error_create(CP_ERR_USAGE,
				       "one statement per call (extra: '%.20s')",
				       tail);
	}
	int n = sqlite3_column_count(st);
	if (n == 0) {
		sqlite3_finalize(st);
		return cp_error_create(CP_ERR_USAGE, "not a query");
	}
	_cleanup_free_ struct cp_out_col *cols = calloc((size_t)n, sizeof(*cols));
	if (!cols) {
		sqlite3_finalize(st);
		return &cp_enomem;
	}
	for (int i = 0; i < n; i++) {
		const char *decl = sqlite3_column_decltype(st, i);
		cols[i].name = sqlite3_column_name(st, i);
		cols[i].type = decl && !strcasecmp(decl, "INTEGER") ? CP_COL_INT :
								     CP_COL_STR;
	}
	struct cp_out *out;
	struct cp_error *err = cp_out_new(stdout, format, cols, (size_t)n, &out);
	if (err) {
		sqlite3_finalize(st);
		return err;
	}
	int rc;
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++) {
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER:
				cp_out_int(out, sqlite3_column_int64(st, i));
				break;
			case SQLITE_FLOAT:
				cp_out_double(out, sqlite3_column_double(st, i));
				break;
			case SQLITE_NULL:
				cp_out_null(out);
				break;
			default:
				cp_out_str(out, (const char *)
						sqlite3_column_text(st, i));
			}
		}
		err = cp_out_row_end(out);
	}
	if (!err && rc != SQLITE_DONE)
		err = cp_error_create(CP_ERR_CORRUPT, "%s", sqlite3_errmsg(db));
	struct cp_error *ferr = cp_out_finish(out);
	sqlite3_finalize(st);
	if (err) {
		cp_error_destroy(ferr);
		return err;
	}
	return ferr;
}

int cp_cli_sql(int argc, char **argv)
{
	struct cp_cli_common o;
	int r = cp_cli_parse_common(cp_cli_find("sql"), argc, argv, 1, 1, &o);
	if (r >= 0)
		return r;
	if (!strcmp(o.rest[0], ".tables"))
		return list_tables();
	struct cp_mem *mem;
	struct cp_profile *p;
	struct cp_sql *sql;
	struct cp_error *err = cp_mem_open(o.source, &mem);
	if (err)
		return cp_cli_fail("sql", err);
	if ((err = cp_profile_discover_opts(mem, &o.profile_opts, &p))) {
		cp_mem_close(mem);
		return cp_cli_fail("sql", err);
	}
	if (!(err = cp_sql_open(p, &sql))) {
		err = run_query(cp_sql_db(sql), o.rest[0], o.format);
		cp_sql_close(sql);
	}
	cp_profile_destroy(p);
	cp_mem_close(mem);
	return err ? cp_cli_fail("sql", err) : 0;
}
