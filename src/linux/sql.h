/*
 * sql.h - views as SQLite virtual tables (see sql.c).
 */
#ifndef CP_LINUX_SQL_H
#define CP_LINUX_SQL_H

#include <sqlite3.h>

#include "cloudprobe.h"
#include "linux/view.h"

/* Per table: the view and the profile it reads (aux of the module). */
struct cp_sql_table {
	const struct cp_view *view;
	struct cp_profile *profile;
};

struct cp_sql;

/* An in-memory database with one virtual table per view (both names). */
struct cp_error *cp_sql_open(struct cp_profile *p, struct cp_sql **ret);
void cp_sql_close(struct cp_sql *s);
sqlite3 *cp_sql_db(struct cp_sql *s);

#endif /* CP_LINUX_SQL_H */
