/*
 * maps.c - VMAs of a process (see maps.h) and the `maps` view.
 *
 * The walk: mm->mm_mt through maple.c (6.1+), or mm->mmap/vm_next on
 * kernels that still have the list; each entry is validated as a VMA of
 * this mm (vm_mm, bounds = the tree's range, ascending, no overlap) before
 * it becomes a record. Flag bits come from the kernel's enum (VMA_*_BIT,
 * as 7.x has) when it has one, else the values they have had since 2.6:
 * data chosen once per profile.
 *
 * Not for: path building (path.h) or process listing beyond what the
 * views here need (tasks.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/maple.h"
#include "linux/maps.h"
#include "linux/path.h"
#include "util/cleanup.h"
#include "util/error.h"

/* /proc/PID/maps prints one name of at most PATH_MAX. */
#define NAME_MAX_LEN 4096
/* Slack over mm->map_count for VMAs added while we read a live guest. */
#define MAP_COUNT_SLACK 64
#define MAP_COUNT_MAX (1 << 20)

struct flag_bits {
	uint64_t read, write, exec, mayshare;
};

struct cp_maps {
	struct cp_profile *p;
	struct cp_maple_layout maple;
	bool have_maple;
	struct flag_bits bits;
	uint64_t special_mapping_name;	/* special_mapping_name() */
	uint64_t page_size;
	struct cp_resolved_field mm_mt, mm_mmap, map_count, start_brk, brk,
		start_stack;
	struct cp_resolved_field vm_start, vm_end, vm_mm, vm_flags, vm_pgoff,
		vm_file, vm_ops, vm_private, vm_next, anon_name;
	struct cp_resolved_field ops_name, special_name, anon_name_name;
	struct cp_resolved_field f_inode, i_sb, i_ino, s_dev;
	struct cp_path_ctx *paths;
	/* The first path that could not be built in this walk (the VMA is
	 * still reported, with no name) and how many there were. */
	struct cp_error *path_err;
	size_t path_errors;
	char name[NAME_MAX_LEN + 64];
};

/* ------------------------------------------------------------- profile */

static void flag_bits_resolve(struct cp_profile *p, struct flag_bits *b)
{
	/* Since 2.6: VM_READ 0x1, VM_WRITE 0x2, VM_EXEC 0x4, VM_MAYSHARE
	 * 0x80. Kernels with vma_flags_t name the bit numbers in an enum. */
	static const struct {
		const char *enumerator;
		uint64_t fallback;
		size_t off;
	} t[] = {
		{ "VMA_READ_BIT", 0x1, offsetof(struct flag_bits, read) },
		{ "VMA_WRITE_BIT", 0x2, offsetof(struct flag_bits, write) },
		{ "VMA_EXEC_BIT", 0x4, offsetof(struct flag_bits, exec) },
		{ "VMA_MAYSHARE_BIT", 0x80,
		  offsetof(struct flag_bits, mayshare) },
	};
	for (size_t i = 0; i < CP_ARRAY_SIZE(t); i++) {
		int64_t bit;
		uint64_t v = t[i].fallback;
		struct cp_error *err = cp_enum_value(p, t[i].enumerator, &bit);
		if (!err && bit >= 0 && bit < 64)
			v = 1ull << bit;
		cp_error_destroy(err);
		memcpy((char *)b + t[i].off, &v, sizeof(v));
	}
}

struct cp_error *cp_maps_new(struct cp_profile *p, struct cp_maps **ret)
{
	_cleanup_free_ struct cp_maps *m = calloc(1, sizeof(*m));
	if (!m)
		return &cp_enomem;
	m->p = p;
	const struct cp_field_spec specs[] = {
		{ "mm_struct", "mm_mt", true, &m->mm_mt },
		{ "mm_struct", "mmap", true, &m->mm_mmap },
		{ "mm_struct", "map_count", false, &m->map_count },
		{ "mm_struct", "start_brk", false, &m->start_brk },
		{ "mm_struct", "brk", false, &m->brk },
		{ "mm_struct", "start_stack", false, &m->start_stack },
		{ "vm_area_struct", "vm_start", false, &m->vm_start },
		{ "vm_area_struct", "vm_end", false, &m->vm_end },
		{ "vm_area_struct", "vm_mm", false, &m->vm_mm },
		{ "vm_area_struct", "vm_flags|__vm_flags|flags", false,
		  &m->vm_flags },
		{ "vm_area_struct", "vm_pgoff", false, &m->vm_pgoff },
		{ "vm_area_struct", "vm_file", false, &m->vm_file },
		{ "vm_area_struct", "vm_ops", false, &m->vm_ops },
		{ "vm_area_struct", "vm_private_data", false, &m->vm_private },
		{ "vm_area_struct", "vm_next", true, &m->vm_next },
		{ "vm_area_struct", "anon_name", true, &m->anon_name },
		{ "vm_operations_struct", "name", false, &m->ops_name },
		{ "vm_special_mapping", "name", false, &m->special_name },
		{ "anon_vma_name", "name", true, &m->anon_name_name },
		{ "file", "f_inode", false, &m->f_inode },
		{ "inode", "i_sb", false, &m->i_sb },
		{ "inode", "i_ino", false, &m->i_ino },
		{ "super_block", "s_dev", false, &m->s_dev },
	};
	struct cp_error *err = cp_fields_resolve(p, specs, CP_ARRAY_SIZE(specs));
	if (err)
		return cp_error_wrap(err, "maps");
	if (m->mm_mt.found) {
		if ((err = cp_maple_layout_resolve(p, &m->maple)))
			return cp_error_wrap(err, "maps");
		m->have_maple = true;
	} else if (!m->mm_mmap.found || !m->vm_next.found) {
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "maps: mm_struct has neither mm_mt nor "
				       "mmap: an unknown VMA index");
	}
	flag_bits_resolve(p, &m->bits);
	/* Absent symbol: no VMA is named as a special mapping. */
	if (!cp_profile_symbol(p, "special_mapping_name",
			       &m->special_mapping_name))
		m->special_mapping_name = 0;
	m->page_size = 4096;
	if ((err = cp_path_ctx_create(p, &m->paths)))
		return cp_error_wrap(err, "maps");
	*ret = cp_steal_ptr(&m);
	return NULL;
}

void cp_maps_destroy(struct cp_maps *m)
{
	if (!m)
		return;
	cp_path_ctx_destroy(m->paths);
	cp_error_destroy(m->path_err);
	free(m);
}

/* ------------------------------------------------------------ one VMA */

static struct cp_error *read_field(struct cp_maps *m, uint64_t base,
				   const struct cp_resolved_field *f,
				   uint64_t *ret)
{
	return cp_read_uint(m->p, base + f->offset, (size_t)f->size, ret);
}

/* What show_map_vma() prints after the inode: see maps.h. */
static struct cp_error *vma_name(struct cp_maps *m, uint64_t mm,
				 struct cp_vma *v)
{
	struct cp_profile *p = m->p;
	struct cp_error *err;
	m->name[0] = '\0';
	v->name = m->name;
	if (v->file) {
		err = cp_path_from_file(m->paths, v->file, m->name,
					sizeof(m->name), NULL);
		if (err) {
			/* Keep the VMA; its name is unknown (NULL). */
			m->path_errors++;
			if (!m->path_err)
				m->path_err = cp_error_wrap(err, "path of vma 0x%"
							    PRIx64, v->vma);
			else
				cp_error_destroy(err);
			v->name = NULL;
		}
		return NULL;
	}
	uint64_t ops = 0, fn = 0, start_brk, brk, start_stack;
	if ((err = cp_read_ptr(p, v->vma + m->vm_ops.offset, &ops)))
		return err;
	if (ops && (err = cp_read_ptr(p, ops + m->ops_name.offset, &fn)))
		return err;
	if (fn && fn == m->special_mapping_name) {
		uint64_t sm, name;
		if ((err = cp_read_ptr(p, v->vma + m->vm_private.offset, &sm)))
			return err;
		if (sm && !(err = cp_read_ptr(p, sm + m->special_name.offset,
					      &name)) && name)
			err = cp_read_cstr(p, name, m->name, 255);
		return err;
	}
	if ((err = read_field(m, mm, &m->start_brk, &start_brk)) ||
	    (err = read_field(m, mm, &m->brk, &brk)) ||
	    (err = read_field(m, mm, &m->start_stack, &start_stack)))
		return err;
	if (v->start <= brk && v->end >= start_brk) {
		strcpy(m->name, "[heap]");
		return NULL;
	}
	if (v->start <= start_stack && v->end >= start_stack) {
		strcpy(m->name, "[stack]");
		return NULL;
	}
	if (m->anon_name.found && m->anon_name_name.found) {
		uint64_t an;
		if ((err = cp_read_ptr(p, v->vma + m->anon_name.offset, &an)))
			return err;
		if (an) {
			char buf[256];
			if ((err = cp_read_cstr(p, an + m->anon_name_name.offset,
						buf, sizeof(buf) - 1)))
				return err;
			snprintf(m->name, sizeof(m->name), "[anon:%s]", buf);
		}
	}
	return NULL;
}

/* Reads and validates the VMA at va, expected to cover [first, last]. */
static struct cp_error *vma_read(struct cp_maps *m, uint64_t mm, uint64_t va,
				 struct cp_vma *v)
{
	struct cp_profile *p = m->p;
	struct cp_error *err;
	uint64_t vm_mm, pgoff;
	memset(v, 0, sizeof(*v));
	v->vma = va;
	if (!cp_kernel_ptr_ok(va))
		return cp_error_create(CP_ERR_CORRUPT, "entry 0x%" PRIx64
				       " is not a kernel address", va);
	if ((err = read_field(m, va, &m->vm_start, &v->start)) ||
	    (err = read_field(m, va, &m->vm_end, &v->end)) ||
	    (err = cp_read_ptr(p, va + m->vm_mm.offset, &vm_mm)) ||
	    (err = read_field(m, va, &m->vm_flags, &v->vm_flags)) ||
	    (err = read_field(m, va, &m->vm_pgoff, &pgoff)) ||
	    (err = cp_read_ptr(p, va + m->vm_file.offset, &v->file)))
		return err;
	if (vm_mm != mm)
		return cp_error_create(CP_ERR_CORRUPT, "vma 0x%" PRIx64 " "
				       "belongs to mm 0x%" PRIx64 ", not 0x%"
				       PRIx64, va, vm_mm, mm);
	if (v->start >= v->end)
		return cp_error_create(CP_ERR_CORRUPT, "vma 0x%" PRIx64
				       " spans 0x%" PRIx64 "-0x%" PRIx64, va,
				       v->start, v->end);
	const struct flag_bits *b = &m->bits;
	v->perms[0] = v->vm_flags & b->read ? 'r' : '-';
	v->perms[1] = v->vm_flags & b->write ? 'w' : '-';
	v->perms[2] = v->vm_flags & b->exec ? 'x' : '-';
	v->perms[3] = v->vm_flags & b->mayshare ? 's' : 'p';
	v->perms[4] = '\0';
	if (v->file) {
		uint64_t inode, sb, dev;
		v->pgoff = pgoff * m->page_size;
		if ((err = cp_read_ptr(p, v->file + m->f_inode.offset,
				       &inode)))
			return err;
		if (inode) {
			if ((err = cp_read_ptr(p, inode + m->i_sb.offset, &sb)) ||
			    (err = read_field(m, inode, &m->i_ino, &v->ino)))
				return err;
			if (sb && !(err = read_field(m, sb, &m->s_dev, &dev))) {
				/* The kernel's dev_t: 12-bit major, 20-bit
				 * minor (MINORBITS). */
				v->dev_major = (uint32_t)(dev >> 20) & 0xfff;
				v->dev_minor = (uint32_t)dev & 0xfffff;
			}
			if (err)
				return err;
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- walk */

struct walk_state {
	struct cp_maps *m;
	uint64_t mm;
	cp_vma_fn *fn;
	void *arg;
	size_t max, count;
	uint64_t prev_end;
	bool stopped;		/* the caller said stop */
	struct cp_walk_stop stop;
};

/* One VMA from either index; false ends the walk. */
static bool emit(struct walk_state *s, uint64_t va, bool check_range,
		 uint64_t first, uint64_t last)
{
	struct cp_vma v;
	if (s->count == s->max) {
		cp_walk_stop_set(&s->stop, "more than %zu VMAs (map_count "
				 "plus slack)", s->max);
		return false;
	}
	struct cp_error *err = vma_read(s->m, s->mm, va, &v);
	if (!err && check_range && (v.start != first || v.end - 1 != last))
		err = cp_error_create(CP_ERR_CORRUPT, "vma 0x%" PRIx64 " spans "
				      "0x%" PRIx64 "-0x%" PRIx64 " but the "
				      "tree holds it at 0x%" PRIx64 "-0x%"
				      PRIx64, va, v.start, v.end, first,
				      last + 1);
	if (!err && v.start < s->prev_end)
		err = cp_error_create(CP_ERR_CORRUPT, "vma 0x%" PRIx64 " at 0x%"
				      PRIx64 " overlaps the previous one",
				      va, v.start);
	if (!err)
		err = vma_name(s->m, s->mm, &v);
	if (err) {
		cp_walk_stop_set(&s->stop, "VMA %zu: %s", s->count,
				 cp_error_message(err));
		cp_error_destroy(err);
		return false;
	}
	s->count++;
	s->prev_end = v.end;
	if (!s->fn(s->arg, &v)) {
		s->stopped = true;
		return false;
	}
	return true;
}

static bool maple_entry(void *arg, uint64_t first, uint64_t last,
			uint64_t entry)
{
	return emit(arg, entry, true, first, last);
}

struct cp_error *cp_maps_walk(struct cp_maps *m, uint64_t mm, cp_vma_fn *fn,
			      void *arg)
{
	struct cp_profile *p = m->p;
	uint64_t count;
	struct cp_error *err = read_field(m, mm, &m->map_count, &count);
	if (err)
		return cp_error_wrap(err, "mm 0x%" PRIx64, mm);
	if ((int64_t)(int32_t)count < 0 || count > MAP_COUNT_MAX)
		return cp_error_create(CP_ERR_CORRUPT, "mm 0x%" PRIx64 ": "
				       "map_count %" PRIu64, mm, count);
	cp_error_destroy(m->path_err);
	m->path_err = NULL;
	m->path_errors = 0;
	struct walk_state s = {
		.m = m, .mm = mm, .fn = fn, .arg = arg,
		.max = (size_t)count + MAP_COUNT_SLACK,
	};
	if (m->have_maple) {
		/* A node holds at least one entry: entries bound nodes. */
		struct cp_maple_walk w = {
			.layout = &m->maple,
			.read = cp_maple_kread,
			.read_ctx = p,
			.max_nodes = s.max + 1,
		};
		cp_maple_walk(&w, mm + m->mm_mt.offset, maple_entry, &s,
			      &s.stop);
	} else {
		uint64_t va;
		if ((err = cp_read_ptr(p, mm + m->mm_mmap.offset, &va)))
			return cp_error_wrap(err, "mm 0x%" PRIx64, mm);
		while (va && emit(&s, va, false, 0, 0)) {
			if ((err = cp_read_ptr(p, va + m->vm_next.offset, &va))) {
				cp_walk_stop_set(&s.stop, "vm_next of 0x%"
						 PRIx64 ": %s", va,
						 cp_error_message(err));
				cp_error_destroy(err);
				break;
			}
		}
	}
	if (s.stop.partial)
		return cp_error_create(CP_ERR_PARTIAL, "mm 0x%" PRIx64 ": %zu "
				       "VMAs read, then: %s", mm, s.count,
				       s.stop.reason);
	if (m->path_err)
		return cp_error_create(CP_ERR_PARTIAL, "mm 0x%" PRIx64 ": %zu "
				       "VMAs with no name, the first: %s", mm,
				       m->path_errors,
				       cp_error_message(m->path_err));
	return NULL;
}

/* ----------------------------------------------------------- processes */

/* Thread group leaders hang on init_task.tasks; a bound well past any
 * pid_max keeps a forged loop finite. */
#define PROCS_MAX (1 << 22)

struct proc_walk {
	struct cp_profile *p;
	struct cp_resolved_field tasks, tgid, comm, mm, files, nsproxy;
	cp_proc_fn *fn;
	void *arg;
	bool stopped;
	struct cp_error *err;	/* first per-task read error */
};

static bool proc_node(void *arg, uint64_t node)
{
	struct proc_walk *w = arg;
	struct cp_proc_ref r;
	memset(&r, 0, sizeof(r));
	r.task = node - w->tasks.offset;
	uint64_t tgid;
	struct cp_error *err;
	if ((err = cp_read_uint(w->p, r.task + w->tgid.offset,
				(size_t)w->tgid.size, &tgid)) ||
	    (err = cp_read_cstr(w->p, r.task + w->comm.offset, r.comm,
				sizeof(r.comm) - 1)) ||
	    (err = cp_read_ptr(w->p, r.task + w->mm.offset, &r.mm)) ||
	    (err = cp_read_ptr(w->p, r.task + w->files.offset, &r.files)) ||
	    (err = cp_read_ptr(w->p, r.task + w->nsproxy.offset,
			       &r.nsproxy))) {
		if (!w->err)
			w->err = cp_error_wrap(err, "task 0x%" PRIx64, r.task);
		else
			cp_error_destroy(err);
		return true;
	}
	r.pid = (int64_t)(int32_t)tgid;
	if (!w->fn(w->arg, &r)) {
		w->stopped = true;
		return false;
	}
	return true;
}

struct cp_error *cp_maps_each_process(struct cp_profile *p, cp_proc_fn *fn,
				      void *arg)
{
	struct proc_walk w = { .p = p, .fn = fn, .arg = arg };
	const struct cp_field_spec specs[] = {
		{ "task_struct", "tasks", false, &w.tasks },
		{ "task_struct", "tgid", false, &w.tgid },
		{ "task_struct", "comm", false, &w.comm },
		{ "task_struct", "mm", false, &w.mm },
		{ "task_struct", "files", false, &w.files },
		{ "task_struct", "nsproxy", false, &w.nsproxy },
	};
	struct cp_error *err = cp_fields_resolve(p, specs, CP_ARRAY_SIZE(specs));
	if (err)
		return err;
	uint64_t init_task;
	if (!cp_profile_symbol(p, "init_task", &init_task))
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "no init_task symbol: cannot list "
				       "processes");
	struct cp_walk_stop stop = { 0 };
	cp_list_walk(p, init_task + w.tasks.offset, PROCS_MAX, proc_node, &w,
		     &stop);
	if (stop.partial) {
		cp_error_destroy(w.err);
		return cp_error_create(CP_ERR_PARTIAL, "process list: %s",
				       stop.reason);
	}
	if (w.err)
		return cp_error_wrap(w.err, "process list: skipped a task");
	return NULL;
}

/* ---------------------------------------------------------------- view */

static const struct cp_out_col maps_cols[] = {
	{ "pid", NULL, CP_COL_INT },
	{ "start", NULL, CP_COL_HEX },
	{ "end", NULL, CP_COL_HEX },
	{ "flags", NULL, CP_COL_STR },
	{ "pgoff", NULL, CP_COL_HEX },
	{ "dev", NULL, CP_COL_STR },
	{ "inode", NULL, CP_COL_UINT },
	{ "path", NULL, CP_COL_STR },
};

struct maps_view {
	struct cp_maps *m;
	const struct cp_view_args *args;
	struct cp_sink *sink;
	int64_t pid;
	struct cp_error *err;	/* first partial or sink error */
	size_t procs;
};

static bool maps_row(void *arg, const struct cp_vma *v)
{
	struct maps_view *mv = arg;
	struct cp_sink *s = mv->sink;
	char dev[24];
	snprintf(dev, sizeof(dev), "%02x:%02x", v->dev_major, v->dev_minor);
	cp_sink_i64(s, mv->pid);
	cp_sink_hex(s, v->start);
	cp_sink_hex(s, v->end);
	cp_sink_str(s, v->perms);
	cp_sink_hex(s, v->pgoff);
	cp_sink_str(s, dev);
	cp_sink_u64(s, v->ino);
	cp_sink_str(s, v->name);
	struct cp_error *err = cp_sink_row_end(s);
	if (err) {
		cp_error_destroy(mv->err);
		mv->err = err;
		return false;
	}
	return true;
}

/* Processes asked for: --pid, positional PIDs, or all when none. */
static bool pid_wanted(const struct cp_view_args *a, int64_t pid)
{
	bool any = a->pid >= 0;
	if (a->pid >= 0 && a->pid == pid)
		return true;
	for (int i = 0; i < a->nrest; i++) {
		char *end;
		long long n = strtoll(a->rest[i], &end, 10);
		any = true;
		if (!*end && n == pid)
			return true;
	}
	return !any;
}

static void keep_first_error(struct cp_error **slot, struct cp_error *err)
{
	if (!err)
		return;
	if (*slot)
		cp_error_destroy(err);
	else
		*slot = err;
}

static bool maps_proc(void *arg, const struct cp_proc_ref *r)
{
	struct maps_view *mv = arg;
	if (!r->mm || !pid_wanted(mv->args, r->pid))
		return true;
	mv->pid = r->pid;
	mv->procs++;
	struct cp_error *err = cp_maps_walk(mv->m, r->mm, maps_row, mv);
	if (err)
		keep_first_error(&mv->err, cp_error_wrap(err, "pid %" PRId64,
							 r->pid));
	/* A sink error ends the view; a partial process does not. */
	return !(mv->err && cp_error_code(mv->err) != CP_ERR_PARTIAL);
}

static struct cp_error *maps_produce(struct cp_profile *p,
				     const struct cp_view_args *args,
				     struct cp_sink *sink)
{
	for (int i = 0; i < args->nrest; i++) {
		char *end;
		long long n = strtoll(args->rest[i], &end, 10);
		if (*end || n < 0)
			return cp_error_create(CP_ERR_USAGE, "maps: '%s' is "
					       "not a pid", args->rest[i]);
	}
	struct cp_maps *m;
	struct cp_error *err = cp_maps_new(p, &m);
	if (err)
		return err;
	struct maps_view mv = { .m = m, .args = args, .sink = sink };
	err = cp_maps_each_process(p, maps_proc, &mv);
	cp_maps_destroy(m);
	if (mv.err) {
		cp_error_destroy(err);
		return mv.err;
	}
	if (!err && mv.procs == 0 && (args->pid >= 0 || args->nrest))
		return cp_error_create(CP_ERR_NOT_FOUND, "maps: no user process "
				       "with that pid");
	return err;
}

const struct cp_view cp_view_maps = {
	.name = "maps",
	.sql_name = "maps",
	.args = "[--pid PID] [PID...]",
	.summary = "memory maps of processes, as /proc/PID/maps (VMAs from "
		   "the maple tree)",
	.cols = maps_cols,
	.ncols = CP_ARRAY_SIZE(maps_cols),
	.produce = maps_produce,
};
