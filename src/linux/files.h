/*
 * files.h - a process's open files as the guest kernel holds them:
 * task->files (struct files_struct) -> fdt (struct fdtable) -> fd[] (an
 * array of max_fds struct file pointers), one record per open descriptor,
 * as /proc/PID/fd and /proc/PID/fdinfo show them. Also the `lsof` view.
 *
 * max_fds is bounded (CP_FILES_MAX_FDS) and the array is read in batches;
 * every struct file pointer must be a kernel address. The flags are
 * file->f_flags with O_CLOEXEC added from the fdtable's close_on_exec
 * bitmap, exactly as fdinfo's "flags:" line prints them (octal).
 *
 * Not for: socket or pipe details (sockets.h reads those); paths come from
 * path.h.
 */
#ifndef CP_LINUX_FILES_H
#define CP_LINUX_FILES_H

#include <stdbool.h>
#include <stdint.h>

#include "cloudprobe.h"
#include "linux/view.h"

/* A table larger than this is forged (the kernel's sysctl_nr_open max is
 * 1 << 30, but no real process comes near this). */
#define CP_FILES_MAX_FDS (1u << 20)

struct cp_open_file {
	int64_t pid;
	uint32_t fd;
	uint64_t file;		/* struct file * */
	uint32_t flags;		/* f_flags | O_CLOEXEC if close-on-exec */
	uint32_t mode;		/* f_mode (FMODE_*) */
	int64_t pos;		/* f_pos */
	uint64_t ino;		/* f_inode->i_ino */
	int64_t mnt_id;		/* real_mount(f_path.mnt)->mnt_id, -1 unknown */
	const char *path;	/* valid only during the callback */
};

typedef bool cp_open_file_fn(void *arg, const struct cp_open_file *f);

struct cp_files;

struct cp_error *cp_files_new(struct cp_profile *p, struct cp_files **ret);
void cp_files_destroy(struct cp_files *fs);

/*
 * Yields the open files of the files_struct at files, fd order. NULL, or
 * CP_ERR_PARTIAL after yielding what was read.
 */
struct cp_error *cp_files_walk(struct cp_files *fs, int64_t pid,
			       uint64_t files, cp_open_file_fn *fn, void *arg);

extern const struct cp_view cp_view_lsof;

#endif /* CP_LINUX_FILES_H */
