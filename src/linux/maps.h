/*
 * maps.h - a process's memory map as the guest kernel holds it: the VMAs
 * of an mm_struct, read from the maple tree (6.1+: mm->mm_mt) or the older
 * VMA list (mm->mmap, vm_next), one record per VMA, in address order, as
 * /proc/PID/maps prints them. Also the `maps` view.
 *
 * Every VMA is checked before it becomes a record: its vm_mm must be the
 * mm being walked, its vm_start/vm_end must equal the tree's range for the
 * slot that holds it, and it must not overlap the previous one. A VMA that
 * fails is not reported (the walk stops there with a reason); the count of
 * VMAs is bounded by mm->map_count plus slack.
 *
 * Names follow show_map_vma(): the file's path (through path.h), the
 * special mapping's own name ([vdso], [vvar], ...) when vm_ops is
 * special_mapping_vmops, [heap] for the VMA over start_brk..brk, [stack]
 * for the one holding start_stack, [anon:NAME] for named anonymous memory
 * (CONFIG_ANON_VMA_NAME kernels).
 *
 * Not for: page-level detail (smaps, RSS), or user memory contents.
 */
#ifndef CP_LINUX_MAPS_H
#define CP_LINUX_MAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "cloudprobe.h"
#include "linux/kread.h"
#include "linux/view.h"

struct cp_vma {
	uint64_t vma;		/* struct vm_area_struct * */
	uint64_t start, end;	/* [start, end) */
	uint64_t vm_flags;	/* as the kernel holds them */
	char perms[5];		/* "rwxp" / "r--s", as /proc shows */
	uint64_t pgoff;		/* file offset in bytes (0 for anonymous) */
	uint32_t dev_major, dev_minor;	/* the file's inode's sb->s_dev */
	uint64_t ino;
	uint64_t file;		/* struct file *, 0 for anonymous */
	/* The name column: path, [heap], [stack], [vdso], [anon:x] or "".
	 * NULL when the file's path could not be built. Valid only during
	 * the callback. */
	const char *name;
};

/* Return false to stop. */
typedef bool cp_vma_fn(void *arg, const struct cp_vma *vma);

/* Per-profile state: resolved fields, symbols; reusable across mms. */
struct cp_maps;

struct cp_error *cp_maps_new(struct cp_profile *p, struct cp_maps **ret);
void cp_maps_destroy(struct cp_maps *m);

/*
 * Yields the VMAs of the mm_struct at mm in address order. Returns NULL,
 * or a CP_ERR_PARTIAL error after yielding what was read (the message
 * says where and why the walk stopped).
 */
struct cp_error *cp_maps_walk(struct cp_maps *m, uint64_t mm, cp_vma_fn *fn,
			      void *arg);

/* ------------------------------------------------------ processes (tmp) */

/*
 * A thread group leader, as the views of this file need it. Until
 * linux/tasks.h offers its walker, maps.c walks init_task.tasks itself.
 */
struct cp_proc_ref {
	uint64_t task;		/* struct task_struct * */
	int64_t pid;		/* tgid */
	char comm[17];
	uint64_t mm;
	uint64_t files;
	uint64_t nsproxy;
};

typedef bool cp_proc_fn(void *arg, const struct cp_proc_ref *proc);

/* Every process (group leader) from init_task; partial error on stop. */
struct cp_error *cp_maps_each_process(struct cp_profile *p, cp_proc_fn *fn,
				      void *arg);

extern const struct cp_view cp_view_maps;

#endif /* CP_LINUX_MAPS_H */
