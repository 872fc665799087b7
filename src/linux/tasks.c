/*
 * tasks.c - the process and thread walker (see tasks.h).
 *
 * One pass over init_task.tasks; per process one read of its task_struct,
 * signal_struct, cred and mm_struct as whole objects (slab objects in the
 * direct map, so each is one or two page translations), members picked
 * out by the offsets resolved once in struct task_fields. Every pointer
 * is checked before it is followed and every list is walked through
 * cp_list_walk (bounded, cycle- and tear-checked). What fails to read is
 * left out of the record (NULL, false, -1) and counted as a problem; the
 * list itself is never padded with guesses.
 *
 * Kernel-version differences are data: alternatives in the field table
 * (task_struct.__state|state, start_boottime|real_start_time, kernfs_node
 * .__parent|parent, dentry.d_name|__d_name in path.c) and the RSS counter
 * layout picked from the types (struct mm_rss_stat up to 6.1, an array of
 * percpu_counter from 6.2). The state bits of TASK_REPORT have the same
 * values from 4.14 to 7.x (include/linux/sched.h), so they are one table.
 *
 * Not for: user memory (task_user.c) or presenting rows (task_views.c).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/path.h"
#include "linux/tasks.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/vector.h"

CP_DEFINE_VECTOR(cp_task_vector, struct cp_task)

/* include/linux/sched.h, identical 4.14 .. 7.x. */
#define PF_KTHREAD 0x00200000u
#define PF_WQ_WORKER 0x00000020u
#define TASK_REPORT 0x7fu		/* R S D T t X Z P bits */
#define TASK_REPORT_IDLE 0x80u		/* "I": TASK_REPORT + 1 */
#define TASK_UNINTERRUPTIBLE 0x2u
#define TASK_NOLOAD 0x400u
#define TASK_RTLOCK_WAIT 0x1000u
#define TASK_FROZEN 0x8000u
/* include/linux/pid_namespace.h */
#define MAX_PID_NS_LEVEL 32
/* A task_struct and friends are a few KiB; refuse absurd type sizes. */
#define STRUCT_MAX (64u * 1024)

char cp_task_state_letter(uint32_t state, uint32_t exit_state)
{
	/* __task_state_index() and task_index_to_char(). */
	static const char letters[] = "RSDTtXZPI";
	uint32_t s = (state | exit_state) & TASK_REPORT;
	if ((state & (TASK_UNINTERRUPTIBLE | TASK_NOLOAD)) ==
	    (TASK_UNINTERRUPTIBLE | TASK_NOLOAD))
		s = TASK_REPORT_IDLE;
	if (state & (TASK_RTLOCK_WAIT | TASK_FROZEN))
		s = TASK_UNINTERRUPTIBLE;
	unsigned idx = 0;	/* fls() */
	while (s) {
		idx++;
		s >>= 1;
	}
	return idx < sizeof(letters) - 1 ? letters[idx] : '?';
}

/* ------------------------------------------------------------- fields */

struct task_fields {
	uint64_t task_size, signal_size, cred_size, mm_size, upid_size;
	struct cp_resolved_field tasks, pid, tgid, comm, state, exit_state,
		flags, real_parent, real_cred, start, utime, stime, runtime,
		mm, signal, thread_node, thread_pid, nsproxy, cgroups,
		worker_private;
	struct cp_resolved_field kt_data, kt_full_name, wk_desc, wk_current,
		wk_rescue_wq, wq_name;
	struct cp_resolved_field sig_threads, sig_nr_threads, sig_utime,
		sig_stime, sig_runtime;
	struct cp_resolved_field cred_id[8], cred_user_ns;
	struct cp_resolved_field mm_pgd, arg_start, arg_end, env_start,
		env_end, exe_file, rss_stat, rss_count, pcpu_count;
	struct cp_resolved_field pid_level, pid_numbers, upid_nr, upid_ns;
	struct cp_resolved_field nsp[CP_NS_COUNT], ns_inum[CP_NS_COUNT];
	struct cp_resolved_field cset_dfl, cgrp_kn, kn_parent, kn_name;
	/* RSS: counter i is at rss_base + i * rss_stride in mm_struct. */
	bool has_rss;
	uint64_t rss_base, rss_stride;
	int64_t mm_file, mm_anon, mm_shmem;
};

/* cred members in struct cp_task order. */
static const char *const cred_names[8] = {
	"uid", "euid", "suid", "fsuid", "gid", "egid", "sgid", "fsgid",
};

/* Namespace pointers (nsproxy, cred) and their owner types. */
static const struct {
	const char *nsproxy_member;	/* NULL: not via nsproxy */
	const char *type;
} ns_types[CP_NS_COUNT] = {
	[CP_NS_PID] = { NULL, "pid_namespace" },
	[CP_NS_MNT] = { "mnt_ns", "mnt_namespace" },
	[CP_NS_NET] = { "net_ns", "net" },
	[CP_NS_UTS] = { "uts_ns", "uts_namespace" },
	[CP_NS_IPC] = { "ipc_ns", "ipc_namespace" },
	[CP_NS_USER] = { NULL, "user_namespace" },
	[CP_NS_CGROUP] = { "cgroup_ns", "cgroup_namespace" },
};

static struct cp_error *size_of(struct cp_profile *p, const char *type,
				uint64_t *ret)
{
	struct cp_error *err = cp_struct_size(p, type, ret);
	if (!err && (*ret == 0 || *ret > STRUCT_MAX))
		err = cp_error_create(CP_ERR_CORRUPT, "struct %s of %" PRIu64
				      " bytes", type, *ret);
	return err;
}

static struct cp_error *fields_resolve(struct cp_profile *p,
				       struct task_fields *f)
{
	const char *T = "task_struct";
	const struct cp_field_spec specs[] = {
		{ T, "tasks", false, &f->tasks },
		{ T, "pid", false, &f->pid },
		{ T, "tgid", false, &f->tgid },
		{ T, "comm", false, &f->comm },
		{ T, "__state|state", false, &f->state },
		{ T, "exit_state", false, &f->exit_state },
		{ T, "flags", false, &f->flags },
		{ T, "real_parent", false, &f->real_parent },
		{ T, "real_cred|cred", false, &f->real_cred },
		{ T, "start_boottime|real_start_time", true, &f->start },
		{ T, "utime", false, &f->utime },
		{ T, "stime", false, &f->stime },
		{ T, "se.sum_exec_runtime", true, &f->runtime },
		{ T, "mm", false, &f->mm },
		{ T, "signal", false, &f->signal },
		{ T, "thread_node", false, &f->thread_node },
		{ T, "thread_pid", true, &f->thread_pid },
		{ T, "nsproxy", true, &f->nsproxy },
		{ T, "cgroups", true, &f->cgroups },
		{ T, "worker_private", true, &f->worker_private },
		{ "kthread", "data", true, &f->kt_data },
		{ "kthread", "full_name", true, &f->kt_full_name },
		{ "worker", "desc", true, &f->wk_desc },
		{ "worker", "current_work", true, &f->wk_current },
		{ "worker", "rescue_wq", true, &f->wk_rescue_wq },
		{ "workqueue_struct", "name", true, &f->wq_name },
		{ "signal_struct", "thread_head", false, &f->sig_threads },
		{ "signal_struct", "nr_threads", false, &f->sig_nr_threads },
		{ "signal_struct", "utime", true, &f->sig_utime },
		{ "signal_struct", "stime", true, &f->sig_stime },
		{ "signal_struct", "sum_sched_runtime", true, &f->sig_runtime },
		{ "cred", "user_ns", true, &f->cred_user_ns },
		{ "mm_struct", "pgd", false, &f->mm_pgd },
		{ "mm_struct", "arg_start", false, &f->arg_start },
		{ "mm_struct", "arg_end", false, &f->arg_end },
		{ "mm_struct", "env_start", false, &f->env_start },
		{ "mm_struct", "env_end", false, &f->env_end },
		{ "mm_struct", "exe_file", true, &f->exe_file },
		{ "mm_struct", "rss_stat", true, &f->rss_stat },
		{ "mm_struct", "rss_stat.count", true, &f->rss_count },
		{ "percpu_counter", "count", true, &f->pcpu_count },
		{ "pid", "level", true, &f->pid_level },
		{ "pid", "numbers", true, &f->pid_numbers },
		{ "upid", "nr", true, &f->upid_nr },
		{ "upid", "ns", true, &f->upid_ns },
		{ "css_set", "dfl_cgrp", true, &f->cset_dfl },
		{ "cgroup", "kn", true, &f->cgrp_kn },
		{ "kernfs_node", "__parent|parent", true, &f->kn_parent },
		{ "kernfs_node", "name", true, &f->kn_name },
	};
	struct cp_error *err = cp_fields_resolve(p, specs, CP_ARRAY_SIZE(specs));
	if (err)
		return err;
	for (size_t i = 0; i < 8; i++) {
		const struct cp_field_spec s = { "cred", cred_names[i], false,
						 &f->cred_id[i] };
		if ((err = cp_fields_resolve(p, &s, 1)))
			return err;
	}
	for (size_t i = 0; i < CP_NS_COUNT; i++) {
		struct cp_field_spec s[2] = {
			{ "nsproxy", ns_types[i].nsproxy_member, true,
			  &f->nsp[i] },
			{ ns_types[i].type, "ns.inum", true, &f->ns_inum[i] },
		};
		if (ns_types[i].nsproxy_member &&
		    (err = cp_fields_resolve(p, &s[0], 1)))
			return err;
		if ((err = cp_fields_resolve(p, &s[1], 1)))
			return err;
	}
	if ((err = size_of(p, T, &f->task_size)) ||
	    (err = size_of(p, "signal_struct", &f->signal_size)) ||
	    (err = size_of(p, "cred", &f->cred_size)) ||
	    (err = size_of(p, "mm_struct", &f->mm_size)))
		return err;
	if (f->upid_ns.found && (err = size_of(p, "upid", &f->upid_size)))
		return err;

	/* RSS counters: mm_rss_stat.count[] (atomic_long_t) up to 6.1, then
	 * percpu_counter rss_stat[] whose .count is what /proc reads. */
	uint64_t pcpu_size = 0;
	if (f->rss_count.found) {
		f->rss_base = f->rss_count.offset;
		f->rss_stride = 8;
		f->has_rss = true;
	} else if (f->rss_stat.found && f->pcpu_count.found &&
		   !cp_struct_size(p, "percpu_counter", &pcpu_size) &&
		   pcpu_size) {
		f->rss_base = f->rss_stat.offset + f->pcpu_count.offset;
		f->rss_stride = pcpu_size;
		f->has_rss = true;
	}
	struct cp_error *e1 = cp_enum_value(p, "MM_FILEPAGES", &f->mm_file);
	struct cp_error *e2 = cp_enum_value(p, "MM_ANONPAGES", &f->mm_anon);
	struct cp_error *e3 = cp_enum_value(p, "MM_SHMEMPAGES", &f->mm_shmem);
	if (e1 || e2 || e3 || f->mm_file < 0 || f->mm_anon < 0 ||
	    f->mm_shmem < 0 || f->mm_file > 8 || f->mm_anon > 8 ||
	    f->mm_shmem > 8)
		f->has_rss = false;
	cp_error_destroy(e1);
	cp_error_destroy(e2);
	cp_error_destroy(e3);
	return NULL;
}

/* ------------------------------------------------------------ helpers */

/* A member of a struct already read into buf (size bytes). */
static uint64_t get(const uint8_t *buf, uint64_t size,
		    const struct cp_resolved_field *f)
{
	if (!f->found || f->size == 0 || f->size > 8 ||
	    f->offset + f->size > size)
		return 0;
	uint64_t v = 0;
	memcpy(&v, buf + f->offset, (size_t)f->size);
	if (f->bit_size) {
		v >>= f->bit_offset;
		if (f->bit_size < 64)
			v &= (1ull << f->bit_size) - 1;
	}
	return v;
}

struct walk {
	struct cp_profile *p;
	struct task_fields f;
	struct cp_path_ctx *paths;	/* NULL without details */
	unsigned want;
	int64_t tgid;
	struct cp_task_vector procs, threads;
	struct cp_task_list *list;
	uint8_t *task_buf, *sig_buf, *cred_buf, *mm_buf;
	struct cp_error *fatal;		/* out of memory */
};

static void problem(struct walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void problem(struct walk *w, const char *fmt, ...)
{
	w->list->problems++;
	if (w->list->stop.partial)
		return;
	char msg[sizeof(w->list->stop.reason)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cp_walk_stop_set(&w->list->stop, "%s", msg);
}

static struct cp_error *read_obj(struct walk *w, uint64_t va, uint8_t *buf,
				 uint64_t size)
{
	if (!cp_kernel_ptr_ok(va))
		return cp_error_create(CP_ERR_CORRUPT,
				       "0x%" PRIx64 " is not a kernel address",
				       va);
	return cp_kread(w->p, va, buf, (size_t)size);
}

/* ------------------------------------------------------ one task_struct */

/*
 * proc_task_name(): the comm, a kernel thread's full name, or a workqueue
 * worker's comm with its last work's description (wq_worker_comm()). A
 * rescuer's comm "kworker/R-" + a truncated queue name is completed from
 * rescue_wq->name, as format_worker_id() (6.10+) prints it; on older
 * kernels a rescuer's comm is the queue name and stays as it is.
 */
static void task_name(struct walk *w, struct cp_task *t)
{
	const struct task_fields *f = &w->f;
	snprintf(t->name, sizeof(t->name), "%s", t->comm);
	if (!t->kthread || !f->worker_private.found)
		return;
	uint64_t kt = get(w->task_buf, f->task_size, &f->worker_private);
	if (!kt || !cp_kernel_ptr_ok(kt))
		return;
	char buf[CP_TASK_NAME_LEN];
	uint64_t ptr;
	if (!(t->flags & PF_WQ_WORKER)) {
		if (f->kt_full_name.found &&
		    !cp_read_ptr(w->p, kt + f->kt_full_name.offset, &ptr) &&
		    ptr && !cp_read_cstr(w->p, ptr, buf, sizeof(buf) - 1))
			memcpy(t->name, buf, sizeof(buf));
		return;
	}
	uint64_t worker;
	if (!f->kt_data.found || !f->wk_desc.found || !f->wk_current.found ||
	    cp_read_ptr(w->p, kt + f->kt_data.offset, &worker) || !worker)
		return;
	static const char rescuer[] = "kworker/R-";
	if (f->wk_rescue_wq.found && f->wq_name.found &&
	    !strncmp(t->comm, rescuer, sizeof(rescuer) - 1) &&
	    !cp_read_ptr(w->p, worker + f->wk_rescue_wq.offset, &ptr) && ptr &&
	    !cp_read_cstr(w->p, ptr + f->wq_name.offset, buf,
			  f->wq_name.size < sizeof(buf) ? f->wq_name.size
							: sizeof(buf) - 1))
		snprintf(t->name, sizeof(t->name), "%s%.*s", rescuer,
			 (int)(sizeof(t->name) - sizeof(rescuer)), buf);
	char desc[CP_TASK_NAME_LEN];
	uint64_t current;
	size_t dmax = f->wk_desc.size < sizeof(desc) ? (size_t)f->wk_desc.size
						    : sizeof(desc) - 1;
	if (cp_read_cstr(w->p, worker + f->wk_desc.offset, desc, dmax) ||
	    !desc[0] ||
	    cp_read_ptr(w->p, worker + f->wk_current.offset, &current))
		return;
	size_t off = strlen(t->name);
	snprintf(t->name + off, sizeof(t->name) - off, "%c%s",
		 current ? '+' : '-', desc);
}

/* Fills the fields every record has, from the task_struct in w->task_buf. */
static void fill_basic(struct walk *w, uint64_t task, struct cp_task *t)
{
	const struct task_fields *f = &w->f;
	const uint8_t *b = w->task_buf;
	uint64_t n = f->task_size;
	t->addr = task;
	t->pid = (int32_t)get(b, n, &f->pid);
	t->tgid = (int32_t)get(b, n, &f->tgid);
	t->ns_pid = -1;
	t->nr_threads = -1;
	size_t clen = f->comm.size < CP_TASK_COMM_LEN ? (size_t)f->comm.size
						      : CP_TASK_COMM_LEN;
	if (f->comm.offset + clen <= n)
		memcpy(t->comm, b + f->comm.offset, clen);
	t->comm[clen] = '\0';
	t->state_raw = (uint32_t)get(b, n, &f->state);
	t->exit_state = (uint32_t)get(b, n, &f->exit_state);
	t->state = cp_task_state_letter(t->state_raw, t->exit_state);
	t->flags = (uint32_t)get(b, n, &f->flags);
	t->kthread = t->flags & PF_KTHREAD;
	task_name(w, t);
	t->start_ns = get(b, n, &f->start);
	t->utime_ns = get(b, n, &f->utime);
	t->stime_ns = get(b, n, &f->stime);
	t->runtime_ns = get(b, n, &f->runtime);
	t->mm = get(b, n, &f->mm);

	uint64_t parent = get(b, n, &f->real_parent);
	uint32_t ptgid;
	struct cp_error *err = NULL;
	if (parent && parent != task &&
	    !(err = cp_read_u32(w->p, parent + f->tgid.offset, &ptgid)))
		t->ppid = (int32_t)ptgid;
	if (err) {
		problem(w, "task %d: parent 0x%" PRIx64 ": %s", t->pid, parent,
			cp_error_message(err));
		cp_error_destroy(err);
	}

	uint64_t cred = get(b, n, &f->real_cred);
	if ((err = read_obj(w, cred, w->cred_buf, f->cred_size))) {
		problem(w, "task %d: cred: %s", t->pid, cp_error_message(err));
		cp_error_destroy(err);
	} else {
		uint32_t *ids[8] = { &t->uid, &t->euid, &t->suid, &t->fsuid,
				     &t->gid, &t->egid, &t->sgid, &t->fsgid };
		for (size_t i = 0; i < 8; i++)
			*ids[i] = (uint32_t)get(w->cred_buf, f->cred_size,
						&f->cred_id[i]);
		t->has_creds = true;
		uint64_t uns = get(w->cred_buf, f->cred_size, &f->cred_user_ns);
		uint32_t inum;
		if (uns && cp_kernel_ptr_ok(uns) && f->ns_inum[CP_NS_USER].found &&
		    !cp_read_u32(w->p, uns + f->ns_inum[CP_NS_USER].offset,
				 &inum))
			t->ns_inum[CP_NS_USER] = inum;
	}

	/* The pid in the task's own (deepest) pid namespace, and that
	 * namespace: task_active_pid_ns() = thread_pid->numbers[level].ns. */
	uint64_t pid = get(b, n, &f->thread_pid);
	uint32_t level;
	if (pid && cp_kernel_ptr_ok(pid) && f->pid_level.found &&
	    f->pid_numbers.found && f->upid_ns.found &&
	    !cp_read_u32(w->p, pid + f->pid_level.offset, &level) &&
	    level <= MAX_PID_NS_LEVEL) {
		uint64_t upid = pid + f->pid_numbers.offset +
				level * f->upid_size;
		uint32_t nr, inum;
		uint64_t ns;
		if (!cp_read_u32(w->p, upid + f->upid_nr.offset, &nr))
			t->ns_pid = (int32_t)nr;
		if (!cp_read_ptr(w->p, upid + f->upid_ns.offset, &ns) && ns &&
		    f->ns_inum[CP_NS_PID].found &&
		    !cp_read_u32(w->p, ns + f->ns_inum[CP_NS_PID].offset,
				 &inum))
			t->ns_inum[CP_NS_PID] = inum;
	}
}

/* ---------------------------------------------------- process details */

static void read_rss(struct walk *w, struct cp_task *t)
{
	const struct task_fields *f = &w->f;
	if (!f->has_rss)
		return;
	int64_t idx[3] = { f->mm_anon, f->mm_file, f->mm_shmem };
	uint64_t *out[3] = { &t->rss_anon, &t->rss_file, &t->rss_shmem };
	for (size_t i = 0; i < 3; i++) {
		uint64_t off = f->rss_base + (uint64_t)idx[i] * f->rss_stride;
		if (off + 8 > f->mm_size)
			return;
		int64_t v;
		memcpy(&v, w->mm_buf + off, 8);
		/* get_mm_counter(): a transiently negative sum reads as 0. */
		*out[i] = v > 0 ? (uint64_t)v : 0;
	}
	t->has_rss = true;
}

static char *cgroup_path(struct walk *w, uint64_t task, struct cp_task *t)
{
	const struct task_fields *f = &w->f;
	uint64_t cset, cgrp, kn;
	if (!f->cgroups.found || !f->cset_dfl.found || !f->cgrp_kn.found ||
	    !f->kn_parent.found || !f->kn_name.found)
		return NULL;
	struct cp_error *err;
	if ((err = cp_read_ptr(w->p, task + f->cgroups.offset, &cset)) ||
	    !cset ||
	    (err = cp_read_ptr(w->p, cset + f->cset_dfl.offset, &cgrp)) ||
	    !cgrp || (err = cp_read_ptr(w->p, cgrp + f->cgrp_kn.offset, &kn)) ||
	    !kn) {
		if (err)
			problem(w, "task %d: cgroup: %s", t->pid,
				cp_error_message(err));
		cp_error_destroy(err);
		return NULL;
	}
	char buf[CP_CGROUP_PATH_MAX];
	struct cp_prepend b;
	cp_prepend_init(&b, buf, sizeof(buf));
	for (unsigned depth = 0;; depth++) {
		uint64_t parent, namep;
		char name[256];
		if (depth == CP_CGROUP_DEPTH_MAX) {
			problem(w, "task %d: cgroup deeper than %d (a loop?)",
				t->pid, CP_CGROUP_DEPTH_MAX);
			return NULL;
		}
		if ((err = cp_read_ptr(w->p, kn + f->kn_parent.offset,
				       &parent)) ||
		    (err = cp_read_ptr(w->p, kn + f->kn_name.offset, &namep))) {
			problem(w, "task %d: cgroup node 0x%" PRIx64 ": %s",
				t->pid, kn, cp_error_message(err));
			cp_error_destroy(err);
			return NULL;
		}
		if (!parent)	/* the hierarchy's root: "/" */
			break;
		if (!namep ||
		    (err = cp_read_cstr(w->p, namep, name, sizeof(name) - 1))) {
			problem(w, "task %d: cgroup name: %s", t->pid,
				err ? cp_error_message(err) : "NULL");
			cp_error_destroy(err);
			return NULL;
		}
		if (!cp_prepend(&b, name, strlen(name)) ||
		    !cp_prepend(&b, "/", 1)) {
			problem(w, "task %d: cgroup path longer than %zu",
				t->pid, sizeof(buf));
			return NULL;
		}
		kn = parent;
	}
	if (cp_prepend_len(&b) == 0)
		cp_prepend(&b, "/", 1);
	return strdup(cp_prepend_text(&b));
}

static void read_namespaces(struct walk *w, uint64_t task, struct cp_task *t)
{
	const struct task_fields *f = &w->f;
	uint64_t nsproxy = get(w->task_buf, f->task_size, &f->nsproxy);
	if (!nsproxy || !cp_kernel_ptr_ok(nsproxy))
		return;		/* exited: exit_task_namespaces() */
	(void)task;
	for (size_t i = 0; i < CP_NS_COUNT; i++) {
		uint64_t ns;
		uint32_t inum;
		if (!f->nsp[i].found || !f->ns_inum[i].found)
			continue;
		struct cp_error *err =
			cp_read_ptr(w->p, nsproxy + f->nsp[i].offset, &ns);
		if (!err && ns)
			err = cp_read_u32(w->p, ns + f->ns_inum[i].offset,
					  &inum);
		if (err) {
			problem(w, "task %d: namespace: %s", t->pid,
				cp_error_message(err));
			cp_error_destroy(err);
		} else if (ns) {
			t->ns_inum[i] = inum;
		}
	}
}

/* mm_struct members, RSS and exe; w->mm_buf then holds the mm. */
static void read_mm(struct walk *w, struct cp_task *t, bool details)
{
	const struct task_fields *f = &w->f;
	if (!t->mm)
		return;
	struct cp_error *err = read_obj(w, t->mm, w->mm_buf, f->mm_size);
	if (err) {
		problem(w, "task %d: mm 0x%" PRIx64 ": %s", t->pid, t->mm,
			cp_error_message(err));
		cp_error_destroy(err);
		t->mm = 0;
		return;
	}
	t->pgd = get(w->mm_buf, f->mm_size, &f->mm_pgd);
	t->arg_start = get(w->mm_buf, f->mm_size, &f->arg_start);
	t->arg_end = get(w->mm_buf, f->mm_size, &f->arg_end);
	t->env_start = get(w->mm_buf, f->mm_size, &f->env_start);
	t->env_end = get(w->mm_buf, f->mm_size, &f->env_end);
	if (!details)
		return;
	read_rss(w, t);
	uint64_t exe = get(w->mm_buf, f->mm_size, &f->exe_file);
	if (exe && w->paths) {
		char path[CP_PATH_MAX];
		if ((err = cp_path_from_file(w->paths, exe, path, sizeof(path),
					     NULL))) {
			problem(w, "task %d: exe: %s", t->pid,
				cp_error_message(err));
			cp_error_destroy(err);
		} else if (!(t->exe = strdup(path))) {
			w->fatal = &cp_enomem;
		}
	}
}

/* ------------------------------------------------------------- walks */

struct group {
	struct walk *w;
	struct cp_task *proc;	/* totals accumulate here */
	uint64_t leader;
	bool keep;		/* threads wanted */
};

static bool thread_fn(void *arg, uint64_t node)
{
	struct group *g = arg;
	struct walk *w = g->w;
	uint64_t task = node - w->f.thread_node.offset;
	struct cp_task t = { 0 };
	struct cp_error *err = read_obj(w, task, w->task_buf, w->f.task_size);
	if (err) {
		problem(w, "process %d: thread 0x%" PRIx64 ": %s",
			g->proc->tgid, task, cp_error_message(err));
		cp_error_destroy(err);
		return false;
	}
	fill_basic(w, task, &t);
	t.nr_threads = g->proc->nr_threads;
	if (t.tgid != g->proc->tgid)
		problem(w, "process %d: thread %d claims tgid %d",
			g->proc->tgid, t.pid, t.tgid);
	if (task != g->leader) {
		g->proc->utime_ns += t.utime_ns;
		g->proc->stime_ns += t.stime_ns;
		g->proc->runtime_ns += t.runtime_ns;
	}
	if (g->keep) {
		t.mm = g->proc->mm;
		t.pgd = g->proc->pgd;
		struct cp_task *slot = cp_task_vector_append_entry(&w->threads);
		if (!slot) {
			w->fatal = &cp_enomem;
			return false;
		}
		*slot = t;
	}
	return true;
}

static bool process_fn(void *arg, uint64_t node)
{
	struct walk *w = arg;
	const struct task_fields *f = &w->f;
	uint64_t task = node - f->tasks.offset;
	struct cp_error *err = read_obj(w, task, w->task_buf, f->task_size);
	if (err) {
		problem(w, "task_struct 0x%" PRIx64 ": %s", task,
			cp_error_message(err));
		cp_error_destroy(err);
		return true;	/* the list itself was readable: go on */
	}
	if (w->tgid >= 0 && get(w->task_buf, f->task_size, &f->tgid) !=
				    (uint64_t)w->tgid)
		return true;
	struct cp_task t = { 0 };
	fill_basic(w, task, &t);
	bool details = w->want & CP_TASK_WANT_DETAILS;
	if (details) {
		read_namespaces(w, task, &t);
		t.cgroup = cgroup_path(w, task, &t);
	}
	uint64_t signal = get(w->task_buf, f->task_size, &f->signal);
	read_mm(w, &t, details);	/* reuses mm_buf only */

	if ((err = read_obj(w, signal, w->sig_buf, f->signal_size))) {
		problem(w, "process %d: signal_struct: %s", t.pid,
			cp_error_message(err));
		cp_error_destroy(err);
	} else {
		t.nr_threads = (int32_t)get(w->sig_buf, f->signal_size,
					    &f->sig_nr_threads);
		t.utime_ns += get(w->sig_buf, f->signal_size, &f->sig_utime);
		t.stime_ns += get(w->sig_buf, f->signal_size, &f->sig_stime);
		t.runtime_ns += get(w->sig_buf, f->signal_size,
				    &f->sig_runtime);
		struct group g = {
			.w = w,
			.proc = &t,
			.leader = task,
			.keep = w->want & CP_TASK_WANT_THREADS,
		};
		struct cp_walk_stop stop = { 0 };
		cp_list_walk(w->p, signal + f->sig_threads.offset,
			     CP_TASK_THREADS_MAX, thread_fn, &g, &stop);
		if (stop.partial)
			problem(w, "threads of process %d: %s", t.pid,
				stop.reason);
	}
	struct cp_task *slot = cp_task_vector_append_entry(&w->procs);
	if (!slot || w->fatal) {
		free(t.exe);
		free(t.cgroup);
		w->fatal = &cp_enomem;
		return false;
	}
	*slot = t;
	return true;
}

void cp_task_list_destroy(struct cp_task_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->nprocs; i++) {
		free(list->procs[i].exe);
		free(list->procs[i].cgroup);
	}
	free(list->procs);
	free(list->threads);
	free(list);
}

struct cp_error *cp_task_list_error(const struct cp_task_list *list,
				    const char *what)
{
	if (!list->stop.partial)
		return NULL;
	return cp_error_create(CP_ERR_PARTIAL, "%s: %zu problem%s, first: %s",
			       what, list->problems,
			       list->problems == 1 ? "" : "s",
			       list->stop.reason);
}

struct cp_error *cp_tasks_read(struct cp_profile *p, unsigned want,
			       int64_t tgid, struct cp_task_list **ret)
{
	struct walk w = { .p = p, .want = want, .tgid = tgid };
	struct cp_error *err = fields_resolve(p, &w.f);
	if (err)
		return cp_error_wrap(err, "processes");
	uint64_t init_task;
	if (!cp_profile_symbol(p, "init_task", &init_task))
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "processes: no init_task symbol");
	if ((want & CP_TASK_WANT_DETAILS) &&
	    (err = cp_path_ctx_create(p, &w.paths)))
		return cp_error_wrap(err, "processes");
	w.list = calloc(1, sizeof(*w.list));
	w.task_buf = malloc(w.f.task_size);
	w.sig_buf = malloc(w.f.signal_size);
	w.cred_buf = malloc(w.f.cred_size);
	w.mm_buf = malloc(w.f.mm_size);
	if (w.list && w.task_buf && w.sig_buf && w.cred_buf && w.mm_buf) {
		struct cp_walk_stop stop = { 0 };
		cp_list_walk(p, init_task + w.f.tasks.offset, CP_TASKS_MAX,
			     process_fn, &w, &stop);
		if (stop.partial)
			problem(&w, "process list: %s", stop.reason);
	} else {
		w.fatal = &cp_enomem;
	}
	free(w.task_buf);
	free(w.sig_buf);
	free(w.cred_buf);
	free(w.mm_buf);
	cp_path_ctx_destroy(w.paths);
	if (w.fatal) {
		for (size_t i = 0; i < w.procs.size; i++) {
			free(w.procs.data[i].exe);
			free(w.procs.data[i].cgroup);
		}
		cp_task_vector_deinit(&w.procs);
		cp_task_vector_deinit(&w.threads);
		free(w.list);
		return w.fatal;
	}
	w.list->procs = w.procs.data;
	w.list->nprocs = w.procs.size;
	w.list->threads = w.threads.data;
	w.list->nthreads = w.threads.size;
	*ret = w.list;
	return NULL;
}
