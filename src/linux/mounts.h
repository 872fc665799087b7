/*
 * mounts.h - the mounts of a mount namespace as the guest kernel holds
 * them, one record per struct mount, in the order /proc/PID/mountinfo
 * lists them. Also the `mountinfo` view.
 *
 * Where a namespace keeps its mounts (chosen once per profile, by which
 * members the types have):
 *   6.1 .. 6.7   mnt_namespace.list, a list_head of mount.mnt_list
 *                (cursor entries of /proc readers, MNT_CURSOR, skipped)
 *   6.8 ..       mnt_namespace.mounts, an rb-tree of mount.mnt_node,
 *                ordered by mnt_id_unique; walked in order with an
 *                explicit, bounded stack
 * Every mount must name the namespace being walked (mount.mnt_ns) before
 * it becomes a record; counts are bounded by the namespace's own count.
 *
 * Fields follow show_mountinfo(): mount id, parent id, major:minor of the
 * superblock, root (the mount's root dentry within its filesystem),
 * mount point (path.h), per-mount options from mnt_flags, propagation
 * tags (shared/master/unbindable), fs type (with subtype), source
 * (mnt_devname) and the superblock's ro/rw. Filesystem-specific super
 * options (show_options methods: size=, mode=, ...) are not rebuilt.
 *
 * Not for: mounting semantics, or paths of files (path.h).
 */
#ifndef CP_LINUX_MOUNTS_H
#define CP_LINUX_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "cloudprobe.h"
#include "linux/view.h"

/* Mounts in one namespace we are willing to walk. */
#define CP_MOUNTS_MAX (1u << 20)

struct cp_mount {
	uint64_t mount;		/* struct mount * */
	uint64_t ns_inum;	/* the namespace's inode number */
	int32_t mnt_id, parent_id;
	uint32_t dev_major, dev_minor;
	uint32_t mnt_flags;
	const char *root;	/* within the filesystem, e.g. "/" */
	const char *mount_point;	/* NULL when it could not be built */
	char options[96];	/* "rw,nosuid,relatime" */
	char propagation[64];	/* "shared:1 master:2", "" for private */
	char fstype[64];	/* "ext4", "fuse.sshfs" */
	char source[256];	/* mnt_devname, "none" when absent */
	bool sb_readonly;
};

typedef bool cp_mount_fn(void *arg, const struct cp_mount *m);

struct cp_mounts;

struct cp_error *cp_mounts_new(struct cp_profile *p, struct cp_mounts **ret);
void cp_mounts_destroy(struct cp_mounts *ms);

/* The mount namespace of the task at task_va (nsproxy->mnt_ns). */
struct cp_error *cp_mounts_ns_of_task(struct cp_mounts *ms, uint64_t task_va,
				      uint64_t *mnt_ns);
/* The task's root (fs->root.mnt, a struct vfsmount *; 0 if none). */
struct cp_error *cp_mounts_root_of_task(struct cp_mounts *ms, uint64_t task_va,
				       uint64_t *root_mnt);

/*
 * Yields the mounts of the mnt_namespace at mnt_ns in /proc order, as a
 * reader whose root is the vfsmount root_mnt sees them (0: every mount):
 * mounts outside that root are skipped, as seq_path_root() does. NULL, or
 * CP_ERR_PARTIAL after yielding what was read.
 */
struct cp_error *cp_mounts_walk(struct cp_mounts *ms, uint64_t mnt_ns,
				uint64_t root_mnt, cp_mount_fn *fn, void *arg);

extern const struct cp_view cp_view_mountinfo;

#endif /* CP_LINUX_MOUNTS_H */
