/*
 * task_views.c - the process views: pslist, pstree, psaux, threads and
 * envars (descriptors registered in view.c; columns in docs/views.md).
 *
 * Each view is one cp_tasks_read() (tasks.c) turned into rows; psaux and
 * envars add reads of user memory (task_user.c). Names follow Volatility
 * 3's linux plugins (PID, PPID, TID, COMM, OFFSET (V)); JSON keys are
 * lower case and stable.
 *
 * Not for: reading the guest (tasks.c, task_user.c do that).
 */
#include <stdlib.h>
#include <string.h>

#include "linux/tasks.h"
#include "linux/view.h"
#include "util/cleanup.h"
#include "util/error.h"

/* ----------------------------------------------------- shared columns */

#define PSLIST_COLS                                                           \
	{ "offset", "OFFSET (V)", CP_COL_HEX },                               \
	{ "pid", "PID", CP_COL_INT },                                         \
	{ "ppid", "PPID", CP_COL_INT },                                       \
	{ "tgid", "TGID", CP_COL_INT },                                       \
	{ "comm", "COMM", CP_COL_STR },                                       \
	{ "name", "NAME", CP_COL_STR },                                       \
	{ "state", "S", CP_COL_STR },                                         \
	{ "uid", "UID", CP_COL_UINT },                                        \
	{ "gid", "GID", CP_COL_UINT },                                        \
	{ "euid", "EUID", CP_COL_UINT },                                      \
	{ "egid", "EGID", CP_COL_UINT },                                      \
	{ "threads", "THREADS", CP_COL_INT },                                 \
	{ "start_time", "START", CP_COL_UINT },                               \
	{ "start_ns", "START_NS", CP_COL_UINT },                              \
	{ "utime", "UTIME", CP_COL_UINT },                                    \
	{ "stime", "STIME", CP_COL_UINT },                                    \
	{ "runtime_ns", "RUNTIME_NS", CP_COL_UINT },                          \
	{ "rss_pages", "RSS", CP_COL_UINT },                                  \
	{ "kernel_thread", "KTHREAD", CP_COL_BOOL },                          \
	{ "exe", "EXE", CP_COL_STR },                                         \
	{ "ns_pid", "NSPID", CP_COL_INT },                                    \
	{ "pid_ns", "PIDNS", CP_COL_UINT },                                   \
	{ "mnt_ns", "MNTNS", CP_COL_UINT },                                   \
	{ "net_ns", "NETNS", CP_COL_UINT },                                   \
	{ "uts_ns", "UTSNS", CP_COL_UINT },                                   \
	{ "ipc_ns", "IPCNS", CP_COL_UINT },                                   \
	{ "user_ns", "USERNS", CP_COL_UINT },                                 \
	{ "cgroup_ns", "CGROUPNS", CP_COL_UINT },                             \
	{ "cgroup", "CGROUP", CP_COL_STR }

static void emit_state(struct cp_sink *s, char state)
{
	char st[2] = { state, '\0' };
	cp_sink_str(s, st);
}

static void emit_u64_or_null(struct cp_sink *s, bool ok, uint64_t v)
{
	if (ok)
		cp_sink_u64(s, v);
	else
		cp_sink_null(s);
}

static void emit_pslist_cells(struct cp_sink *s, const struct cp_task *t)
{
	cp_sink_hex(s, t->addr);
	cp_sink_i64(s, t->pid);
	cp_sink_i64(s, t->ppid);
	cp_sink_i64(s, t->tgid);
	cp_sink_str(s, t->comm);
	cp_sink_str(s, t->name);
	emit_state(s, t->state);
	emit_u64_or_null(s, t->has_creds, t->uid);
	emit_u64_or_null(s, t->has_creds, t->gid);
	emit_u64_or_null(s, t->has_creds, t->euid);
	emit_u64_or_null(s, t->has_creds, t->egid);
	if (t->nr_threads >= 0)
		cp_sink_i64(s, t->nr_threads);
	else
		cp_sink_null(s);
	cp_sink_u64(s, cp_ns_to_ticks(t->start_ns));
	cp_sink_u64(s, t->start_ns);
	cp_sink_u64(s, cp_ns_to_ticks(t->utime_ns));
	cp_sink_u64(s, cp_ns_to_ticks(t->stime_ns));
	cp_sink_u64(s, t->runtime_ns);
	emit_u64_or_null(s, t->has_rss, cp_task_rss_pages(t));
	cp_sink_bool(s, t->kthread);
	cp_sink_str(s, t->exe);
	if (t->ns_pid >= 0)
		cp_sink_i64(s, t->ns_pid);
	else
		cp_sink_null(s);
	for (int i = 0; i < CP_NS_COUNT; i++)
		emit_u64_or_null(s, t->ns_inum[i] != 0, t->ns_inum[i]);
	cp_sink_str(s, t->cgroup);
}

/* Ends a view: the sink's error, else the list's partial error. */
static struct cp_error *finish(struct cp_task_list *list,
			       struct cp_error *err, const char *what)
{
	if (!err)
		err = cp_task_list_error(list, what);
	cp_task_list_destroy(list);
	return err;
}

/* -------------------------------------------------------------- pslist */

static const struct cp_out_col pslist_cols[] = { PSLIST_COLS };

static struct cp_error *pslist_produce(struct cp_profile *p,
				       const struct cp_view_args *args,
				       struct cp_sink *sink)
{
	struct cp_task_list *list;
	struct cp_error *err = cp_tasks_read(p, CP_TASK_WANT_DETAILS,
					     args->pid, &list);
	if (err)
		return err;
	for (size_t i = 0; i < list->nprocs && !err; i++) {
		emit_pslist_cells(sink, &list->procs[i]);
		err = cp_sink_row_end(sink);
	}
	return finish(list, err, "pslist");
}

const struct cp_view cp_view_pslist = {
	.name = "pslist",
	.sql_name = "pslist",
	.args = "[--pid PID]",
	.summary = "processes: ids, credentials, times, exe, namespaces, "
		   "cgroup",
	.cols = pslist_cols,
	.ncols = CP_ARRAY_SIZE(pslist_cols),
	.produce = pslist_produce,
};

/* -------------------------------------------------------------- pstree */

static const struct cp_out_col pstree_cols[] = {
	{ "tree", "TREE", CP_COL_STR },
	{ "depth", "DEPTH", CP_COL_UINT },
	PSLIST_COLS,
};

static int by_pid(const void *a, const void *b)
{
	const struct cp_task *x = *(struct cp_task *const *)a;
	const struct cp_task *y = *(struct cp_task *const *)b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static struct cp_error *tree_row(struct cp_sink *sink, const struct cp_task *t,
				 size_t depth)
{
	/* Two spaces a level; deep (forged) trees are capped in print only. */
	size_t indent = depth > 256 ? 256 : depth;
	char tree[2 * 256 + sizeof(t->comm)];
	memset(tree, ' ', 2 * indent);
	strcpy(tree + 2 * indent, t->comm);
	cp_sink_str(sink, tree);
	cp_sink_u64(sink, depth);
	emit_pslist_cells(sink, t);
	return cp_sink_row_end(sink);
}

/*
 * Children follow their parent, in list (creation) order. A process whose
 * parent is not in the list is a root. A ppid cycle (only a forged guest
 * makes one) has no root: its members are printed as roots afterwards, so
 * every process appears exactly once and the walk always ends.
 */
static struct cp_error *pstree_produce(struct cp_profile *p,
				       const struct cp_view_args *args,
				       struct cp_sink *sink)
{
	struct cp_task_list *list;
	struct cp_error *err = cp_tasks_read(p, CP_TASK_WANT_DETAILS, -1,
					     &list);
	if (err)
		return err;
	size_t n = list->nprocs;
	_cleanup_free_ struct cp_task **sorted = calloc(n + 1, sizeof(*sorted));
	_cleanup_free_ size_t *parent = calloc(n + 1, sizeof(*parent));
	_cleanup_free_ size_t *first = calloc(n + 1, sizeof(*first));
	_cleanup_free_ size_t *next = calloc(n + 1, sizeof(*next));
	_cleanup_free_ size_t *last = calloc(n + 1, sizeof(*last));
	_cleanup_free_ size_t *stack = calloc(n + 1, sizeof(*stack));
	_cleanup_free_ size_t *depth = calloc(n + 1, sizeof(*depth));
	_cleanup_free_ bool *done = calloc(n + 1, sizeof(*done));
	if (!sorted || !parent || !first || !next || !last || !stack ||
	    !depth || !done)
		return finish(list, &cp_enomem, "pstree");
	for (size_t i = 0; i < n; i++)
		sorted[i] = &list->procs[i];
	qsort(sorted, n, sizeof(*sorted), by_pid);
	const size_t none = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		first[i] = last[i] = next[i] = none;
		struct cp_task key = { .pid = list->procs[i].ppid };
		struct cp_task *kp = &key, **hit = NULL;
		if (list->procs[i].ppid != list->procs[i].pid)
			hit = bsearch(&kp, sorted, n, sizeof(*sorted), by_pid);
		parent[i] = hit ? (size_t)(*hit - list->procs) : none;
	}
	for (size_t i = 0; i < n; i++) {
		size_t pi = parent[i];
		if (pi == none)
			continue;
		if (first[pi] == none)
			first[pi] = i;
		else
			next[last[pi]] = i;
		last[pi] = i;
	}
	/* Roots: parentless processes (or --pid), then cycle members. */
	for (int pass = 0; pass < 2 && !err; pass++) {
		for (size_t r = 0; r < n && !err; r++) {
			if (done[r])
				continue;
			if (args->pid >= 0 ? list->procs[r].tgid != args->pid
					   : pass == 0 && parent[r] != none)
				continue;
			size_t sp = 0;
			stack[sp++] = r;
			depth[r] = 0;
			while (sp && !err) {
				size_t i = stack[--sp];
				if (done[i])
					continue;
				done[i] = true;
				err = tree_row(sink, &list->procs[i], depth[i]);
				/* Push children in reverse so the first
				 * child is printed first. */
				size_t kids = 0;
				for (size_t c = first[i]; c != none; c = next[c])
					if (!done[c])
						kids++;
				if (sp + kids > n)
					break;	/* cannot happen: done[] */
				size_t at = sp + kids;
				for (size_t c = first[i]; c != none; c = next[c]) {
					if (done[c])
						continue;
					stack[--at] = c;
					depth[c] = depth[i] + 1;
				}
				sp += kids;
			}
		}
		if (args->pid >= 0)
			break;
	}
	return finish(list, err, "pstree");
}

const struct cp_view cp_view_pstree = {
	.name = "pstree",
	.sql_name = "pstree",
	.args = "[--pid PID]",
	.summary = "processes as a tree of parents and children",
	.cols = pstree_cols,
	.ncols = CP_ARRAY_SIZE(pstree_cols),
	.produce = pstree_produce,
};

/* --------------------------------------------------------------- psaux */

static const struct cp_out_col psaux_cols[] = {
	{ "offset", "OFFSET (V)", CP_COL_HEX },
	{ "pid", "PID", CP_COL_INT },
	{ "ppid", "PPID", CP_COL_INT },
	{ "uid", "UID", CP_COL_UINT },
	{ "comm", "COMM", CP_COL_STR },
	{ "cmdline", "ARGS", CP_COL_STR },
	{ "cmdline_complete", "COMPLETE", CP_COL_BOOL },
};

/* Counts failures to read user memory for the view's partial error. */
struct user_problems {
	size_t count;
	char first[200];
};

static void user_problem(struct user_problems *up, const char *what,
			 const struct cp_task *t, struct cp_error *err)
{
	if (!up->count++)
		snprintf(up->first, sizeof(up->first), "%s of %d: %s", what,
			 t->pid, cp_error_message(err));
	cp_error_destroy(err);
}

static struct cp_error *user_finish(struct cp_task_list *list,
				    struct cp_error *err,
				    const struct user_problems *up,
				    const char *what)
{
	if (!err && up->count && !list->stop.partial) {
		cp_task_list_destroy(list);
		return cp_error_create(CP_ERR_PARTIAL, "%s: %zu unreadable, "
				       "first: %s", what, up->count, up->first);
	}
	return finish(list, err, what);
}

static struct cp_error *psaux_produce(struct cp_profile *p,
				      const struct cp_view_args *args,
				      struct cp_sink *sink)
{
	struct cp_task_list *list;
	struct cp_task_user *u;
	struct cp_error *err = cp_tasks_read(p, 0, args->pid, &list);
	if (err)
		return err;
	if ((err = cp_task_user_create(p, &u)))
		return finish(list, err, "psaux");
	struct user_problems up = { 0 };
	for (size_t i = 0; i < list->nprocs && !err; i++) {
		const struct cp_task *t = &list->procs[i];
		_cleanup_free_ char *line = NULL;
		bool complete = true;
		if (t->mm) {
			struct cp_user_bytes b;
			struct cp_error *e = cp_task_cmdline(u, t, &b);
			if (e) {
				user_problem(&up, "cmdline", t, e);
			} else {
				line = cp_argv_escape(b.data, b.len);
				complete = !b.truncated && !b.incomplete;
				cp_user_bytes_free(&b);
				if (!line) {
					err = &cp_enomem;
					break;
				}
			}
		}
		cp_sink_hex(sink, t->addr);
		cp_sink_i64(sink, t->pid);
		cp_sink_i64(sink, t->ppid);
		emit_u64_or_null(sink, t->has_creds, t->uid);
		cp_sink_str(sink, t->comm);
		cp_sink_str(sink, line);
		cp_sink_bool(sink, complete);
		err = cp_sink_row_end(sink);
	}
	cp_task_user_destroy(u);
	return user_finish(list, err, &up, "psaux");
}

const struct cp_view cp_view_psaux = {
	.name = "psaux",
	.sql_name = "psaux",
	.args = "[--pid PID]",
	.summary = "processes with their command lines (from user memory)",
	.cols = psaux_cols,
	.ncols = CP_ARRAY_SIZE(psaux_cols),
	.produce = psaux_produce,
};

/* ------------------------------------------------------------- threads */

static const struct cp_out_col threads_cols[] = {
	{ "offset", "OFFSET (V)", CP_COL_HEX },
	{ "tid", "TID", CP_COL_INT },
	{ "tgid", "PID", CP_COL_INT },
	{ "ppid", "PPID", CP_COL_INT },
	{ "comm", "COMM", CP_COL_STR },
	{ "name", "NAME", CP_COL_STR },
	{ "state", "S", CP_COL_STR },
	{ "uid", "UID", CP_COL_UINT },
	{ "euid", "EUID", CP_COL_UINT },
	{ "start_time", "START", CP_COL_UINT },
	{ "start_ns", "START_NS", CP_COL_UINT },
	{ "utime", "UTIME", CP_COL_UINT },
	{ "stime", "STIME", CP_COL_UINT },
	{ "utime_ns", "UTIME_NS", CP_COL_UINT },
	{ "stime_ns", "STIME_NS", CP_COL_UINT },
	{ "runtime_ns", "RUNTIME_NS", CP_COL_UINT },
	{ "kernel_thread", "KTHREAD", CP_COL_BOOL },
};

static struct cp_error *threads_produce(struct cp_profile *p,
					const struct cp_view_args *args,
					struct cp_sink *sink)
{
	struct cp_task_list *list;
	struct cp_error *err = cp_tasks_read(p, CP_TASK_WANT_THREADS,
					     args->pid, &list);
	if (err)
		return err;
	for (size_t i = 0; i < list->nthreads && !err; i++) {
		const struct cp_task *t = &list->threads[i];
		cp_sink_hex(sink, t->addr);
		cp_sink_i64(sink, t->pid);
		cp_sink_i64(sink, t->tgid);
		cp_sink_i64(sink, t->ppid);
		cp_sink_str(sink, t->comm);
		cp_sink_str(sink, t->name);
		emit_state(sink, t->state);
		emit_u64_or_null(sink, t->has_creds, t->uid);
		emit_u64_or_null(sink, t->has_creds, t->euid);
		cp_sink_u64(sink, cp_ns_to_ticks(t->start_ns));
		cp_sink_u64(sink, t->start_ns);
		cp_sink_u64(sink, cp_ns_to_ticks(t->utime_ns));
		cp_sink_u64(sink, cp_ns_to_ticks(t->stime_ns));
		cp_sink_u64(sink, t->utime_ns);
		cp_sink_u64(sink, t->stime_ns);
		cp_sink_u64(sink, t->runtime_ns);
		cp_sink_bool(sink, t->kthread);
		err = cp_sink_row_end(sink);
	}
	return finish(list, err, "threads");
}

const struct cp_view cp_view_threads = {
	.name = "threads",
	.sql_name = "threads",
	.args = "[--pid PID]",
	.summary = "every thread of every process, with cpu times",
	.cols = threads_cols,
	.ncols = CP_ARRAY_SIZE(threads_cols),
	.produce = threads_produce,
};

/* -------------------------------------------------------------- envars */

static const struct cp_out_col envars_cols[] = {
	{ "pid", "PID", CP_COL_INT },
	{ "ppid", "PPID", CP_COL_INT },
	{ "comm", "COMM", CP_COL_STR },
	{ "key", "KEY", CP_COL_STR },
	{ "value", "VALUE", CP_COL_STR },
};

static struct cp_error *envars_produce(struct cp_profile *p,
				       const struct cp_view_args *args,
				       struct cp_sink *sink)
{
	struct cp_task_list *list;
	struct cp_task_user *u;
	struct cp_error *err = cp_tasks_read(p, 0, args->pid, &list);
	if (err)
		return err;
	if ((err = cp_task_user_create(p, &u)))
		return finish(list, err, "envars");
	struct user_problems up = { 0 };
	for (size_t i = 0; i < list->nprocs && !err; i++) {
		const struct cp_task *t = &list->procs[i];
		if (!t->mm)
			continue;
		struct cp_user_bytes b;
		struct cp_error *e = cp_task_environ(u, t, &b);
		if (e) {
			user_problem(&up, "environment", t, e);
			continue;
		}
		struct cp_env_iter it = { .data = b.data, .len = b.len };
		const char *k, *v;
		size_t kl, vl;
		bool eq;
		while (!err && cp_env_next(&it, &k, &kl, &v, &vl, &eq)) {
			_cleanup_free_ char *key = strndup(k, kl);
			_cleanup_free_ char *val = eq ? strndup(v, vl) : NULL;
			if (!key || (eq && !val)) {
				err = &cp_enomem;
				break;
			}
			cp_sink_i64(sink, t->pid);
			cp_sink_i64(sink, t->ppid);
			cp_sink_str(sink, t->comm);
			cp_sink_str(sink, key);
			cp_sink_str(sink, val);
			err = cp_sink_row_end(sink);
		}
		cp_user_bytes_free(&b);
	}
	cp_task_user_destroy(u);
	return user_finish(list, err, &up, "envars");
}

const struct cp_view cp_view_envars = {
	.name = "envars",
	.sql_name = "envars",
	.args = "[--pid PID]",
	.summary = "environment variables of every process (from user memory)",
	.cols = envars_cols,
	.ncols = CP_ARRAY_SIZE(envars_cols),
	.produce = envars_produce,
};
