/*
 * tasks.h - processes and threads as the guest kernel keeps them.
 *
 * The walker (tasks.c) follows init_task.tasks (every thread-group leader,
 * i.e. every process; init_task itself, the idle task "swapper", is the
 * list head and is not reported, as /proc does not list pid 0) and each
 * process's signal->thread_head list of threads. It yields plain records,
 * struct cp_task, one per process (group totals) and, when asked, one per
 * thread (the thread's own values), for the views of task_views.c and for
 * later layers (features, detectors).
 *
 * User memory (task_user.c): argv and the environment are read from the
 * process's own address space, through the page tables at mm->pgd, as
 * /proc/PID/cmdline and /proc/PID/environ would return them, bounded and
 * marked when a page was absent (swapped out or never touched).
 *
 * Units: times are nanoseconds as the kernel keeps them (6.x: u64 ns), and
 * also clock ticks (USER_HZ = 100) for comparison with /proc/PID/stat.
 * cpu times are the raw tick-sampled task->utime/stime, NOT /proc's
 * cputime_adjust()ed values (which scale them to sum_exec_runtime); a
 * process's times are its live threads' plus signal->utime/stime of dead
 * ones. runtime_ns (se.sum_exec_runtime) is exact and monotonic.
 *
 * Not here: open files, memory maps, sockets (their own views); hidden
 * process detection (detect/, which compares this walk with others).
 */
#ifndef CP_LINUX_TASKS_H
#define CP_LINUX_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudprobe.h"
#include "linux/kread.h"

/* Bounds on what a hostile guest can make us walk. */
#define CP_TASKS_MAX (1u << 20)		/* processes in init_task.tasks */
#define CP_TASK_THREADS_MAX (1u << 16)	/* threads of one process */
#define CP_TASK_USER_MAX (128u * 1024)	/* bytes of argv or environment */
#define CP_CGROUP_PATH_MAX 4096
#define CP_CGROUP_DEPTH_MAX 256
#define CP_TASK_COMM_LEN 16		/* TASK_COMM_LEN */
#define CP_TASK_NAME_LEN 64		/* proc_task_name()'s tcomm[64] */

/* USER_HZ: /proc reports clock ticks of 1/100 s on x86-64. */
#define CP_USER_HZ 100
#define CP_NSEC_PER_TICK (1000000000ull / CP_USER_HZ)

/* What to read beyond the basics (ids, comm, state, creds, times). */
enum {
	CP_TASK_WANT_THREADS = 1 << 0,	/* a record per thread */
	/* exe path, namespaces, cgroup, RSS */
	CP_TASK_WANT_DETAILS = 1 << 1,
};

/* Namespaces as `readlink /proc/PID/ns/X` shows them ("X:[INUM]"). */
enum cp_task_ns {
	CP_NS_PID,	/* the task's active pid namespace */
	CP_NS_MNT,
	CP_NS_NET,
	CP_NS_UTS,
	CP_NS_IPC,
	CP_NS_USER,	/* of the task's cred */
	CP_NS_CGROUP,
	CP_NS_COUNT,
};

struct cp_task {
	uint64_t addr;		/* the task_struct */
	int32_t pid;		/* task->pid: the thread id (TID) */
	int32_t tgid;		/* the process id (PID) */
	int32_t ppid;		/* real_parent->tgid; 0 for pid 1, kthreadd */
	int32_t ns_pid;		/* the id in its own pid namespace; -1 unknown */
	char comm[CP_TASK_COMM_LEN + 1];	/* task->comm */
	/* The name /proc shows (proc_task_name()): comm, except a kernel
	 * thread's full name (kthread->full_name) and a workqueue worker's
	 * "-desc"/"+desc" suffix, "kworker/R-WQNAME" for rescuers. */
	char name[CP_TASK_NAME_LEN];
	char state;		/* the ps letter: R S D T t X Z P I; '?' */
	uint32_t state_raw;	/* task->__state (or ->state) */
	uint32_t exit_state;
	uint32_t flags;		/* PF_* */
	bool kthread;		/* PF_KTHREAD */

	bool has_creds;		/* false: the cred pointer was unreadable */
	uint32_t uid, euid, suid, fsuid, gid, egid, sgid, fsgid;

	uint64_t start_ns;	/* start_boottime: since boot, incl. suspend */
	uint64_t utime_ns, stime_ns;	/* raw; processes: group totals */
	uint64_t runtime_ns;	/* se.sum_exec_runtime; group total too */
	int32_t nr_threads;	/* signal->nr_threads; -1 unknown */

	uint64_t mm;		/* 0 for kernel threads and zombies */
	uint64_t pgd;		/* mm->pgd (kernel virtual) */
	uint64_t arg_start, arg_end, env_start, env_end;

	/* CP_TASK_WANT_DETAILS; processes only. */
	bool has_rss;
	uint64_t rss_anon, rss_file, rss_shmem;	/* pages */
	uint64_t ns_inum[CP_NS_COUNT];		/* 0: none or unreadable */
	char *exe;		/* malloc'd; NULL: no mm/exe_file, or failed */
	char *cgroup;		/* v2 path ("/ctr1/app"), malloc'd; NULL */
};

/* ps-style RSS: file + anon + shmem pages. */
static inline uint64_t cp_task_rss_pages(const struct cp_task *t)
{
	return t->rss_anon + t->rss_file + t->rss_shmem;
}

static inline uint64_t cp_ns_to_ticks(uint64_t ns)
{
	return ns / CP_NSEC_PER_TICK;
}

/*
 * The result of a walk. Processes are in init_task.tasks order (creation
 * order, which is what ps and Volatility's pslist show); threads are
 * grouped by process, each group in signal->thread_head order (leader
 * first). Everything read is kept even when the walk stopped early;
 * stop.partial then says why (the first reason; `problems` counts all).
 */
struct cp_task_list {
	struct cp_task *procs;
	size_t nprocs;
	struct cp_task *threads;
	size_t nthreads;
	struct cp_walk_stop stop;
	size_t problems;
};

/*
 * Walks every process (and thread with CP_TASK_WANT_THREADS). tgid >= 0
 * keeps only that process. Fails only when nothing can be walked (the
 * types or init_task are missing); a damaged list yields a partial list.
 */
struct cp_error *cp_tasks_read(struct cp_profile *p, unsigned want,
			       int64_t tgid, struct cp_task_list **ret);
void cp_task_list_destroy(struct cp_task_list *list);
/* The list's partial-result error (CP_ERR_PARTIAL) or NULL. */
struct cp_error *cp_task_list_error(const struct cp_task_list *list,
				    const char *what);

/* The ps state letter of __task_state_index() (fs/proc/array.c). */
char cp_task_state_letter(uint32_t state, uint32_t exit_state);

/* ------------------------------------------------ user memory (task_user.c) */

/* Bytes of a process's user memory, as far as they could be read. */
struct cp_user_bytes {
	char *data;		/* malloc'd (len bytes + a NUL); may be NULL */
	size_t len;
	bool truncated;		/* the area was longer than the cap */
	bool incomplete;	/* a page was not present: data stops there */
	uint64_t missing_va;	/* the first unreadable address */
};

void cp_user_bytes_free(struct cp_user_bytes *b);

/* Per view run: the memory source, paging depth and a shared cache. */
struct cp_task_user;

struct cp_error *cp_task_user_create(struct cp_profile *p,
				     struct cp_task_user **ret);
void cp_task_user_destroy(struct cp_task_user *u);

/*
 * Reads [va, va + len) of t's address space, page by page, stopping at the
 * first page that is not present (ret->incomplete). len is capped at
 * CP_TASK_USER_MAX (ret->truncated). Fails for tasks without an mm.
 */
struct cp_error *cp_task_user_read(struct cp_task_user *u,
				   const struct cp_task *t, uint64_t va,
				   size_t len, struct cp_user_bytes *ret);
/*
 * What /proc/PID/cmdline returns (get_mm_cmdline): [arg_start, arg_end),
 * or, when the program overwrote its argv's final NUL (setproctitle) and
 * the environment follows, the bytes up to the first NUL in both.
 */
struct cp_error *cp_task_cmdline(struct cp_task_user *u,
				 const struct cp_task *t,
				 struct cp_user_bytes *ret);
/* What /proc/PID/environ returns: [env_start, env_end). */
struct cp_error *cp_task_environ(struct cp_task_user *u,
				 const struct cp_task *t,
				 struct cp_user_bytes *ret);

/* ------------------------------------------- text of argv and environ */

/*
 * argv (NUL-separated, as /proc/PID/cmdline) as one line: elements joined
 * by a space, each escaped so that splitting on spaces gives argv back:
 * '\' -> "\\", tab -> "\t", newline -> "\n", space -> "\x20", other bytes
 * below 0x20 or from 0x7f -> "\xHH". One trailing NUL (argv's terminator)
 * is dropped. malloc'd; NULL on allocation failure.
 */
char *cp_argv_escape(const char *data, size_t len);
/* The inverse of one element's escaping; returns bytes written to out
 * (at most strlen(s)). Exposed for tests and fuzzing. */
size_t cp_argv_unescape(const char *s, size_t n, char *out);

/*
 * Iterates NUL-separated KEY=VALUE entries of an environ block: returns
 * false at the end. An entry without '=' has an empty value (*has_eq
 * false); empty entries (padding NULs) are skipped.
 */
struct cp_env_iter {
	const char *data;
	size_t len, pos;
};

bool cp_env_next(struct cp_env_iter *it, const char **key, size_t *klen,
		 const char **val, size_t *vlen, bool *has_eq);

/*
 * get_mm_cmdline()'s choice over bytes read from arg_start: given
 * arg_len bytes of the argv area followed by (total - arg_len) bytes of
 * the environment area, how many bytes /proc/PID/cmdline returns.
 */
size_t cp_cmdline_length(const char *data, size_t arg_len, size_t total);

/* ------------------------------------------------ views (task_views.c) */

struct cp_view;
extern const struct cp_view cp_view_pslist, cp_view_pstree, cp_view_psaux,
	cp_view_threads, cp_view_envars;

#endif /* CP_LINUX_TASKS_H */
