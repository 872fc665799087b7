/*
 * path.h - file paths as the guest's /proc shows them (d_path, from outside).
 *
 * Every view that names a file (a process's exe, open files, memory maps,
 * mounts) turns a kernel (vfsmount, dentry) pair into the string that
 * `readlink /proc/PID/exe` or `/proc/PID/maps` would print:
 *
 *   - dentries are walked up d_parent to their mount's root, and mounts
 *     are crossed through struct mount (mnt_parent, mnt_mountpoint), up to
 *     a mount that has no parent: the root of its mount namespace, or an
 *     internal mount (pipefs, shm_mnt) that no namespace holds;
 *   - an unlinked dentry (hashed out of the dcache and not a root) gets
 *     " (deleted)" appended, as the kernel's d_path() does;
 *   - dentries whose dentry_operations have a d_dname method get the
 *     name that method makes ("socket:[INO]", "pipe:[INO]",
 *     "anon_inode:[eventfd]", "net:[INO]", "/memfd:NAME (deleted)",
 *     "anon_inode:[pidfd]"); the method is recognised by its kallsyms
 *     name, so no function addresses are assumed.
 *
 * The path is relative to the root of the mount tree the dentry sits in,
 * which is what a process in the initial mount namespace sees. A path
 * inside a chroot or another mount namespace is still printed from that
 * namespace's root (as /proc shows it to a reader in the same namespace).
 *
 * Guest data is hostile: depth and length are bounded (CP_PATH_MAX_DEPTH,
 * the caller's buffer), a dentry or mount chain that loops fails instead of
 * spinning, and names are read with their stored length capped at NAME_MAX.
 *
 * Not here: which file a descriptor or mapping refers to (callers find the
 * struct file), and mount tables (mounts.c).
 */
#ifndef CP_LINUX_PATH_H
#define CP_LINUX_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudprobe.h"

/* Dentries plus mounts crossed before a walk is called a loop. */
#define CP_PATH_MAX_DEPTH 4096
/* The kernel's PATH_MAX; a buffer this size holds any real path. */
#define CP_PATH_MAX 4096

/* What cp_path_* learned about the path besides its text. */
enum {
	CP_PATH_DELETED = 1 << 0,	/* " (deleted)" was appended */
	CP_PATH_PSEUDO = 1 << 1,	/* named by a d_dname method */
	/* The walk ended at a mount in no namespace (an internal or detached
	 * mount): the path is relative to that mount's root. */
	CP_PATH_DETACHED = 1 << 2,
	/* A dentry was its own parent before its mount's root (the kernel's
	 * "escaped" case, e.g. a dentry moved out of a bind mount). */
	CP_PATH_ESCAPED = 1 << 3,
};

/*
 * Struct members and d_dname symbols, resolved once per profile and
 * shared by every path built in one view run. Not thread-safe only in the
 * sense that the profile's reads are not.
 */
struct cp_path_ctx;

struct cp_error *cp_path_ctx_create(struct cp_profile *p,
				    struct cp_path_ctx **ret);
void cp_path_ctx_destroy(struct cp_path_ctx *ctx);

/*
 * The path of dentry in the mount whose `struct vfsmount` is at vfsmount
 * (a struct mount's mnt member), into buf (len bytes, NUL-terminated).
 * *flags (optional) receives CP_PATH_* bits. On error buf holds "" and
 * nothing is guessed: CP_ERR_CORRUPT for loops and bad pointers,
 * CP_ERR_FAULT for unreadable memory, CP_ERR_UNSUPPORTED for a d_dname
 * method this code does not know (the message names it) or a path longer
 * than len - 1 bytes.
 */
struct cp_error *cp_path_from_dentry_mnt(struct cp_path_ctx *ctx,
					 uint64_t dentry, uint64_t vfsmount,
					 char *buf, size_t len,
					 unsigned *flags);
/* The same for a `struct path` (mnt, dentry) at path_va. */
struct cp_error *cp_path_from_path(struct cp_path_ctx *ctx, uint64_t path_va,
				   char *buf, size_t len, unsigned *flags);
/* The same for a `struct file` at file_va (its f_path). */
struct cp_error *cp_path_from_file(struct cp_path_ctx *ctx, uint64_t file_va,
				   char *buf, size_t len, unsigned *flags);

/* ------------------------------------------- building paths backwards */

/*
 * A buffer filled from its end, as the kernel's prepend_buffer: names are
 * added in front while walking towards the root. Exposed for tests and
 * fuzzing; overflow is sticky and never writes outside buf.
 */
struct cp_prepend {
	char *buf;
	size_t size;		/* bytes of buf */
	size_t pos;		/* text is buf[pos .. size - 1), NUL at end */
	bool overflow;
};

void cp_prepend_init(struct cp_prepend *b, char *buf, size_t size);
/* Adds n bytes of s in front; false (and overflow set) if they do not fit. */
bool cp_prepend(struct cp_prepend *b, const char *s, size_t n);
/* The text so far (NUL-terminated, inside buf). */
const char *cp_prepend_text(const struct cp_prepend *b);
size_t cp_prepend_len(const struct cp_prepend *b);

#endif /* CP_LINUX_PATH_H */
