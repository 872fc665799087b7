/*
 * files.c - open file descriptors of a process (see files.h) and the
 * `lsof` view.
 *
 * files_struct.fdt -> fdtable { max_fds, fd, close_on_exec }: the fd
 * array is read BATCH pointers at a time, only up to a bounded max_fds;
 * the close-on-exec bitmap one word per batch. Each non-NULL slot is a
 * struct file whose f_flags, f_mode, f_pos, inode and mount id become a
 * record; a file that cannot be read ends the walk with a reason (the
 * records before it stay).
 *
 * Not for: what the file is beyond its path (sockets.c, pipes...).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/files.h"
#include "linux/kread.h"
#include "linux/maps.h"
#include "linux/path.h"
#include "util/cleanup.h"
#include "util/error.h"

#define BATCH 512		/* pointers per read: 4 KiB */
#define O_CLOEXEC_BIT 02000000u	/* x86 (asm-generic/fcntl.h) */
#define PATH_LEN 4096

struct cp_files {
	struct cp_profile *p;
	struct cp_resolved_field fdt, max_fds, fd, close_on_exec;
	struct cp_resolved_field f_flags, f_mode, f_pos, f_inode, f_mnt;
	struct cp_resolved_field i_ino, mount_mnt, mnt_id;
	struct cp_path_ctx *paths;
	struct cp_error *path_err;	/* first path not built, this walk */
	size_t path_errors;
	char path[PATH_LEN + 64];
};

struct cp_error *cp_files_new(struct cp_profile *p, struct cp_files **ret)
{
	_cleanup_free_ struct cp_files *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return &cp_enomem;
	fs->p = p;
	const struct cp_field_spec specs[] = {
		{ "files_struct", "fdt", false, &fs->fdt },
		{ "fdtable", "max_fds", false, &fs->max_fds },
		{ "fdtable", "fd", false, &fs->fd },
		{ "fdtable", "close_on_exec", false, &fs->close_on_exec },
		{ "file", "f_flags", false, &fs->f_flags },
		{ "file", "f_mode", false, &fs->f_mode },
		{ "file", "f_pos", false, &fs->f_pos },
		{ "file", "f_inode", false, &fs->f_inode },
		{ "file", "f_path.mnt", false, &fs->f_mnt },
		{ "inode", "i_ino", false, &fs->i_ino },
		{ "mount", "mnt", true, &fs->mount_mnt },
		{ "mount", "mnt_id", true, &fs->mnt_id },
	};
	struct cp_error *err = cp_fields_resolve(p, specs, CP_ARRAY_SIZE(specs));
	if (err)
		return cp_error_wrap(err, "open files");
	if ((err = cp_path_ctx_create(p, &fs->paths)))
		return cp_error_wrap(err, "open files");
	*ret = cp_steal_ptr(&fs);
	return NULL;
}

void cp_files_destroy(struct cp_files *fs)
{
	if (!fs)
		return;
	cp_path_ctx_destroy(fs->paths);
	cp_error_destroy(fs->path_err);
	free(fs);
}

static struct cp_error *file_read(struct cp_files *fs, uint64_t file,
				  struct cp_open_file *r)
{
	struct cp_profile *p = fs->p;
	uint64_t flags, mode, pos, inode, mnt;
	struct cp_error *err;
	if ((err = cp_read_uint(p, file + fs->f_flags.offset,
				(size_t)fs->f_flags.size, &flags)) ||
	    (err = cp_read_uint(p, file + fs->f_mode.offset,
				(size_t)fs->f_mode.size, &mode)) ||
	    (err = cp_read_uint(p, file + fs->f_pos.offset,
				(size_t)fs->f_pos.size, &pos)) ||
	    (err = cp_read_ptr(p, file + fs->f_inode.offset, &inode)) ||
	    (err = cp_read_ptr(p, file + fs->f_mnt.offset, &mnt)))
		return err;
	r->file = file;
	r->flags = (uint32_t)flags;
	r->mode = (uint32_t)mode;
	r->pos = (int64_t)pos;
	r->ino = 0;
	if (inode && (err = cp_read_uint(p, inode + fs->i_ino.offset,
					 (size_t)fs->i_ino.size, &r->ino)))
		return err;
	r->mnt_id = -1;
	if (mnt && fs->mount_mnt.found && fs->mnt_id.found) {
		uint64_t id;
		/* real_mount(): the vfsmount is embedded in a struct mount. */
		if ((err = cp_read_uint(p, mnt - fs->mount_mnt.offset +
					fs->mnt_id.offset,
					(size_t)fs->mnt_id.size, &id)))
			return err;
		r->mnt_id = (int64_t)(int32_t)id;
	}
	r->path = fs->path;
	err = cp_path_from_file(fs->paths, file, fs->path, sizeof(fs->path),
				NULL);
	if (err) {
		/* Keep the descriptor; its path is unknown (NULL). */
		r->path = NULL;
		fs->path_errors++;
		if (!fs->path_err)
			fs->path_err = err;
		else
			cp_error_destroy(err);
	}
	return NULL;
}

static struct cp_error *fds_walk(struct cp_files *fs, int64_t pid,
				 uint64_t files, cp_open_file_fn *fn, void *arg)
{
	struct cp_profile *p = fs->p;
	uint64_t fdt, max_fds, fd_array, cloexec;
	struct cp_error *err;
	if ((err = cp_read_ptr(p, files + fs->fdt.offset, &fdt)) ||
	    !fdt ||
	    (err = cp_read_uint(p, fdt + fs->max_fds.offset,
				(size_t)fs->max_fds.size, &max_fds)) ||
	    (err = cp_read_ptr(p, fdt + fs->fd.offset, &fd_array)) ||
	    (err = cp_read_ptr(p, fdt + fs->close_on_exec.offset, &cloexec)))
		return cp_error_wrap(err ? err : cp_error_create(
					     CP_ERR_CORRUPT, "no fdtable"),
				     "files_struct 0x%" PRIx64, files);
	if (max_fds > CP_FILES_MAX_FDS)
		return cp_error_create(CP_ERR_CORRUPT, "files_struct 0x%" PRIx64
				       ": max_fds %" PRIu64 " (over %u)",
				       files, max_fds, CP_FILES_MAX_FDS);
	if (!fd_array)
		return NULL;
	uint64_t batch[BATCH];
	for (uint64_t base = 0; base < max_fds; base += BATCH) {
		size_t n = (size_t)(max_fds - base < BATCH ? max_fds - base :
				    BATCH);
		if ((err = cp_kread(p, fd_array + base * 8, batch, n * 8))) {
			struct cp_error *e = cp_error_create(
				CP_ERR_PARTIAL, "files_struct 0x%" PRIx64
				": fd array at fd %" PRIu64 ": %s", files,
				base, cp_error_message(err));
			cp_error_destroy(err);
			return e;
		}
		uint64_t words[BATCH / 64] = { 0 };
		if (cloexec)
			err = cp_kread(p, cloexec + base / 8, words,
				       (n + 63) / 64 * 8);
		cp_error_destroy(err);	/* a missing bitmap only loses O_CLOEXEC */
		err = NULL;
		for (size_t i = 0; i < n; i++) {
			if (!batch[i])
				continue;
			struct cp_open_file r = { .pid = pid,
						  .fd = (uint32_t)(base + i) };
			if (!cp_kernel_ptr_ok(batch[i]))
				err = cp_error_create(CP_ERR_CORRUPT, "points "
						      "to 0x%" PRIx64,
						      batch[i]);
			else
				err = file_read(fs, batch[i], &r);
			if (err) {
				struct cp_error *e = cp_error_create(
					CP_ERR_PARTIAL, "pid %" PRId64 " fd %"
					PRIu64 ": %s", pid, base + i,
					cp_error_message(err));
				cp_error_destroy(err);
				return e;
			}
			if (words[i / 64] >> (i % 64) & 1)
				r.flags |= O_CLOEXEC_BIT;
			if (!fn(arg, &r))
				return NULL;
		}
	}
	return NULL;
}

struct cp_error *cp_files_walk(struct cp_files *fs, int64_t pid,
			       uint64_t files, cp_open_file_fn *fn, void *arg)
{
	cp_error_destroy(fs->path_err);
	fs->path_err = NULL;
	fs->path_errors = 0;
	struct cp_error *err = fds_walk(fs, pid, files, fn, arg);
	if (err || !fs->path_err)
		return err;
	return cp_error_create(CP_ERR_PARTIAL, "%zu open files with no path, "
			       "the first: %s", fs->path_errors,
			       cp_error_message(fs->path_err));
}

/* ---------------------------------------------------------------- view */

static const struct cp_out_col lsof_cols[] = {
	{ "pid", NULL, CP_COL_INT },
	{ "comm", NULL, CP_COL_STR },
	{ "fd", NULL, CP_COL_UINT },
	{ "path", NULL, CP_COL_STR },
	{ "flags", NULL, CP_COL_STR },
	{ "mode", NULL, CP_COL_HEX },
	{ "pos", NULL, CP_COL_INT },
	{ "inode", NULL, CP_COL_UINT },
	{ "mnt_id", NULL, CP_COL_INT },
};

struct lsof_view {
	struct cp_files *fs;
	const struct cp_view_args *args;
	struct cp_sink *sink;
	const char *comm;
	struct cp_error *err;
	bool sink_failed;
	size_t procs;
};

static bool lsof_row(void *arg, const struct cp_open_file *f)
{
	struct lsof_view *lv = arg;
	struct cp_sink *s = lv->sink;
	char flags[16];
	snprintf(flags, sizeof(flags), "0%o", f->flags);
	cp_sink_i64(s, f->pid);
	cp_sink_str(s, lv->comm);
	cp_sink_u64(s, f->fd);
	cp_sink_str(s, f->path);
	cp_sink_str(s, flags);
	cp_sink_hex(s, f->mode);
	cp_sink_i64(s, f->pos);
	cp_sink_u64(s, f->ino);
	if (f->mnt_id >= 0)
		cp_sink_i64(s, f->mnt_id);
	else
		cp_sink_null(s);
	struct cp_error *err = cp_sink_row_end(s);
	if (err) {
		cp_error_destroy(lv->err);
		lv->err = err;
		lv->sink_failed = true;
		return false;
	}
	return true;
}

static bool lsof_proc(void *arg, const struct cp_proc_ref *r)
{
	struct lsof_view *lv = arg;
	if (!r->files || (lv->args->pid >= 0 && r->pid != lv->args->pid))
		return true;
	lv->comm = r->comm;
	lv->procs++;
	struct cp_error *err = cp_files_walk(lv->fs, r->pid, r->files,
					     lsof_row, lv);
	if (err) {
		err = cp_error_wrap(err, "pid %" PRId64, r->pid);
		if (lv->err)
			cp_error_destroy(err);
		else
			lv->err = err;
	}
	return !lv->sink_failed;
}

static struct cp_error *lsof_produce(struct cp_profile *p,
				     const struct cp_view_args *args,
				     struct cp_sink *sink)
{
	struct cp_files *fs;
	struct cp_error *err = cp_files_new(p, &fs);
	if (err)
		return err;
	struct lsof_view lv = { .fs = fs, .args = args, .sink = sink };
	err = cp_maps_each_process(p, lsof_proc, &lv);
	cp_files_destroy(fs);
	if (lv.err) {
		cp_error_destroy(err);
		if (!lv.sink_failed && cp_error_code(lv.err) != CP_ERR_PARTIAL) {
			/* One process unreadable: the rest still count. */
			struct cp_error *e = cp_error_create(
				CP_ERR_PARTIAL, "%s", cp_error_message(lv.err));
			cp_error_destroy(lv.err);
			return e;
		}
		return lv.err;
	}
	if (!err && args->pid >= 0 && lv.procs == 0)
		return cp_error_create(CP_ERR_NOT_FOUND, "lsof: no process %"
				       PRId64 " with open files", args->pid);
	return err;
}

const struct cp_view cp_view_lsof = {
	.name = "lsof",
	.sql_name = "lsof",
	.args = "[--pid PID]",
	.summary = "open file descriptors of processes, as /proc/PID/fd and "
		   "fdinfo",
	.cols = lsof_cols,
	.ncols = CP_ARRAY_SIZE(lsof_cols),
	.produce = lsof_produce,
};
