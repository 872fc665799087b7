/*
 * path.c - the kernel's d_path(), read from outside (see path.h).
 *
 * Mirrors fs/d_path.c: d_path() asks the dentry's d_dname method first
 * (pseudo filesystems), else appends " (deleted)" for an unlinked dentry
 * and prepends "/NAME" per dentry up to the mount root, crossing to the
 * parent mount at each mount root (__prepend_path). The d_dname methods
 * are recognised by kallsyms name through a table (dname_kinds[]), so a
 * method added by a later kernel is reported by name rather than guessed.
 *
 * Not for: finding files (callers pass dentries, paths or files) or
 * printing them (util/output.c sanitizes what we return).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/kread.h"
#include "linux/path.h"
#include "util/cleanup.h"
#include "util/error.h"

/* NAME_MAX: no real dentry name is longer. */
#define NAME_MAX_BYTES 255

/* ------------------------------------------------------- prepend buffer */

void cp_prepend_init(struct cp_prepend *b, char *buf, size_t size)
{
	b->buf = buf;
	b->size = size;
	b->overflow = size == 0;
	b->pos = size ? size - 1 : 0;
	if (size)
		buf[size - 1] = '\0';
}

bool cp_prepend(struct cp_prepend *b, const char *s, size_t n)
{
	if (b->overflow || n > b->pos) {
		b->overflow = true;
		return false;
	}
	b->pos -= n;
	memcpy(b->buf + b->pos, s, n);
	return true;
}

const char *cp_prepend_text(const struct cp_prepend *b)
{
	return b->size ? b->buf + b->pos : "";
}

size_t cp_prepend_len(const struct cp_prepend *b)
{
	return b->size ? b->size - 1 - b->pos : 0;
}

/* ------------------------------------------------------------- context */

/* What a d_dname method prints (fs/d_path.c, net/socket.c, ...). */
enum dname_kind {
	DNAME_SOCKET,		/* "socket:[INO]" */
	DNAME_PIPE,		/* "pipe:[INO]" */
	DNAME_ANON_INODE,	/* "anon_inode:NAME" (NAME is "[eventfd]") */
	DNAME_SIMPLE,		/* "/NAME (deleted)": alloc_file_pseudo */
	DNAME_NS,		/* "OPS_NAME:[INO]" (nsfs) */
	DNAME_PIDFD,		/* "anon_inode:[pidfd]" (pidfs, 6.9+) */
	DNAME_DMABUF,		/* "/NAME:BUFNAME" */
	DNAME_NKINDS,
};

static const struct {
	const char *symbol;
	enum dname_kind kind;
} dname_kinds[] = {
	{ "sockfs_dname", DNAME_SOCKET },
	{ "pipefs_dname", DNAME_PIPE },
	{ "anon_inodefs_dname", DNAME_ANON_INODE },
	{ "simple_dname", DNAME_SIMPLE },
	{ "ns_dname", DNAME_NS },
	{ "pidfs_dname", DNAME_PIDFD },
	{ "dmabuffs_dname", DNAME_DMABUF },
};

struct cp_path_ctx {
	struct cp_profile *p;
	struct cp_resolved_field d_parent, d_name_name, d_name_len, d_inode,
		d_op, d_hash_pprev, d_fsdata, d_dname, i_ino, i_private,
		mnt_parent, mnt_mountpoint, mnt_mnt, mnt_ns, mnt_root,
		f_path_mnt, f_path_dentry, path_mnt, path_dentry, ns_ops,
		ops_name, dmabuf_name;
	uint64_t dname_addr[CP_ARRAY_SIZE(dname_kinds)];
};

struct cp_error *cp_path_ctx_create(struct cp_profile *p,
				    struct cp_path_ctx **ret)
{
	_cleanup_free_ struct cp_path_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return &cp_enomem;
	c->p = p;
	const struct cp_field_spec specs[] = {
		{ "dentry", "d_parent", false, &c->d_parent },
		{ "dentry", "d_name.name|__d_name.name", false, &c->d_name_name },
		{ "dentry", "d_name.len|__d_name.len", false, &c->d_name_len },
		{ "dentry", "d_inode", false, &c->d_inode },
		{ "dentry", "d_op", false, &c->d_op },
		{ "dentry", "d_hash.pprev", false, &c->d_hash_pprev },
		{ "dentry", "d_fsdata", true, &c->d_fsdata },
		{ "dentry_operations", "d_dname", false, &c->d_dname },
		{ "inode", "i_ino", false, &c->i_ino },
		{ "inode", "i_private", true, &c->i_private },
		{ "mount", "mnt_parent", false, &c->mnt_parent },
		{ "mount", "mnt_mountpoint", false, &c->mnt_mountpoint },
		{ "mount", "mnt", false, &c->mnt_mnt },
		{ "mount", "mnt_ns", true, &c->mnt_ns },
		{ "vfsmount", "mnt_root", false, &c->mnt_root },
		{ "file", "f_path.mnt", false, &c->f_path_mnt },
		{ "file", "f_path.dentry", false, &c->f_path_dentry },
		{ "path", "mnt", false, &c->path_mnt },
		{ "path", "dentry", false, &c->path_dentry },
		{ "ns_common", "ops", true, &c->ns_ops },
		{ "proc_ns_operations", "name", true, &c->ops_name },
		{ "dma_buf", "name", true, &c->dmabuf_name },
	};
	struct cp_error *err = cp_fields_resolve(p, specs, CP_ARRAY_SIZE(specs));
	if (err)
		return cp_error_wrap(err, "file paths");
	for (size_t i = 0; i < CP_ARRAY_SIZE(dname_kinds); i++)
		if (!cp_profile_symbol(p, dname_kinds[i].symbol,
				       &c->dname_addr[i]))
			c->dname_addr[i] = 0;
	*ret = cp_steal_ptr(&c);
	return NULL;
}

void cp_path_ctx_destroy(struct cp_path_ctx *ctx)
{
	free(ctx);
}

/* --------------------------------------------------------------- reads */

static struct cp_error *rd_ptr(struct cp_path_ctx *c, uint64_t base,
			       const struct cp_resolved_field *f,
			       uint64_t *ret)
{
	return cp_read_ptr(c->p, base + f->offset, ret);
}

static struct cp_error *rd_uint(struct cp_path_ctx *c, uint64_t base,
				const struct cp_resolved_field *f,
				uint64_t *ret)
{
	return cp_read_uint(c->p, base + f->offset, (size_t)f->size, ret);
}

/* dentry->d_name into name (NAME_MAX + 1 bytes); *n its length. */
static struct cp_error *dentry_name(struct cp_path_ctx *c, uint64_t dentry,
				    char *name, size_t *n)
{
	uint64_t ptr, len;
	struct cp_error *err;
	if ((err = rd_ptr(c, dentry, &c->d_name_name, &ptr)) ||
	    (err = rd_uint(c, dentry, &c->d_name_len, &len)))
		return err;
	if (!ptr)
		return cp_error_create(CP_ERR_CORRUPT,
				       "dentry 0x%" PRIx64 " has no name",
				       dentry);
	if (len > NAME_MAX_BYTES)
		return cp_error_create(CP_ERR_CORRUPT,
				       "dentry 0x%" PRIx64 " name of %" PRIu64
				       " bytes", dentry, len);
	if (len && (err = cp_kread(c->p, ptr, name, (size_t)len)))
		return err;
	name[len] = '\0';
	*n = (size_t)len;
	return NULL;
}

static bool prepend_str(struct cp_prepend *b, const char *s)
{
	return cp_prepend(b, s, strlen(s));
}

/* ---------------------------------------------------------- d_dname */

static struct cp_error *dname_ino(struct cp_path_ctx *c, uint64_t dentry,
				  uint64_t *ino, uint64_t *inode)
{
	struct cp_error *err = rd_ptr(c, dentry, &c->d_inode, inode);
	if (err)
		return err;
	if (!*inode)
		return cp_error_create(CP_ERR_CORRUPT,
				       "pseudo dentry 0x%" PRIx64
				       " has no inode", dentry);
	return rd_uint(c, *inode, &c->i_ino, ino);
}

/* Writes what the d_dname method of kind would print into b. */
static struct cp_error *dname(struct cp_path_ctx *c, enum dname_kind kind,
			      uint64_t dentry, struct cp_prepend *b)
{
	char name[NAME_MAX_BYTES + 1], text[2 * NAME_MAX_BYTES + 64];
	size_t n;
	uint64_t ino = 0, inode = 0;
	struct cp_error *err = NULL;
	switch (kind) {
	case DNAME_SOCKET:
	case DNAME_PIPE:
		if ((err = dname_ino(c, dentry, &ino, &inode)))
			return err;
		snprintf(text, sizeof(text), "%s:[%" PRIu64 "]",
			 kind == DNAME_SOCKET ? "socket" : "pipe", ino);
		break;
	case DNAME_ANON_INODE:
		if ((err = dentry_name(c, dentry, name, &n)))
			return err;
		snprintf(text, sizeof(text), "anon_inode:%s", name);
		break;
	case DNAME_SIMPLE:
		if ((err = dentry_name(c, dentry, name, &n)))
			return err;
		snprintf(text, sizeof(text), "/%s (deleted)", name);
		break;
	case DNAME_PIDFD:
		snprintf(text, sizeof(text), "anon_inode:[pidfd]");
		break;
	case DNAME_NS: {
		/* inode->i_private is the ns_common (6.1 through 7.x); its
		 * ops name the kind ("net", "mnt", ...). */
		uint64_t ns, ops, namep;
		if (!c->i_private.found || !c->ns_ops.found ||
		    !c->ops_name.found)
			return cp_error_create(CP_ERR_UNSUPPORTED,
					       "nsfs dentry: types lack "
					       "ns_common.ops");
		if ((err = dname_ino(c, dentry, &ino, &inode)) ||
		    (err = rd_ptr(c, inode, &c->i_private, &ns)) ||
		    (err = rd_ptr(c, ns, &c->ns_ops, &ops)) ||
		    (err = rd_ptr(c, ops, &c->ops_name, &namep)) ||
		    (err = cp_read_cstr(c->p, namep, name, 32)))
			return cp_error_wrap(err, "nsfs dentry 0x%" PRIx64,
					     dentry);
		snprintf(text, sizeof(text), "%s:[%" PRIu64 "]", name, ino);
		break;
	}
	case DNAME_DMABUF: {
		char bufname[64] = "";
		uint64_t dmabuf = 0, namep = 0;
		if ((err = dentry_name(c, dentry, name, &n)))
			return err;
		if (c->d_fsdata.found && c->dmabuf_name.found &&
		    !rd_ptr(c, dentry, &c->d_fsdata, &dmabuf) && dmabuf &&
		    !rd_ptr(c, dmabuf, &c->dmabuf_name, &namep) && namep)
			(void)cp_read_cstr(c->p, namep, bufname,
					   sizeof(bufname) - 1);
		snprintf(text, sizeof(text), "/%s:%s", name, bufname);
		break;
	}
	default:
		return cp_error_create(CP_ERR_UNSUPPORTED, "d_dname kind %d",
				       (int)kind);
	}
	if (!prepend_str(b, text))
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "path longer than %zu bytes",
				       b->size ? b->size - 1 : 0);
	return NULL;
}

/* ---------------------------------------------------------------- walk */

struct cp_error *cp_path_from_dentry_mnt(struct cp_path_ctx *c,
					 uint64_t dentry, uint64_t vfsmount,
					 char *buf, size_t len,
					 unsigned *flags)
{
	unsigned fl = 0;
	if (flags)
		*flags = 0;
	if (len)
		buf[0] = '\0';
	if (!len)
		return cp_error_create(CP_ERR_USAGE, "path: empty buffer");
	if (!cp_kernel_ptr_ok(dentry) || !cp_kernel_ptr_ok(vfsmount))
		return cp_error_create(CP_ERR_CORRUPT,
				       "path: dentry 0x%" PRIx64 " mount 0x%"
				       PRIx64 " not kernel addresses", dentry,
				       vfsmount);
	/* Built in a private buffer, copied out only when complete, so a
	 * failure never leaves half a path in buf. */
	_cleanup_free_ char *tmp = malloc(len);
	if (!tmp)
		return &cp_enomem;
	struct cp_prepend b;
	cp_prepend_init(&b, tmp, len);
	struct cp_error *err;
	uint64_t mnt = vfsmount - c->mnt_mnt.offset;	/* container_of */
	uint64_t root, parent, d_op;

	if ((err = rd_ptr(c, vfsmount, &c->mnt_root, &root)) ||
	    (err = rd_ptr(c, dentry, &c->d_parent, &parent)) ||
	    (err = rd_ptr(c, dentry, &c->d_op, &d_op)))
		return cp_error_wrap(err, "path of dentry 0x%" PRIx64, dentry);

	/* d_path(): a d_dname method names pseudo files, except for the
	 * root dentry of its own mount. */
	if (d_op && (parent != dentry || dentry != root)) {
		uint64_t fn;
		if ((err = rd_ptr(c, d_op, &c->d_dname, &fn)))
			return cp_error_wrap(err, "path of dentry 0x%" PRIx64,
					     dentry);
		if (fn) {
			size_t i;
			for (i = 0; i < CP_ARRAY_SIZE(dname_kinds); i++)
				if (c->dname_addr[i] == fn)
					break;
			if (i == CP_ARRAY_SIZE(dname_kinds))
				return cp_error_create(CP_ERR_UNSUPPORTED,
						       "path of dentry 0x%" PRIx64
						       ": unknown d_dname method "
						       "0x%" PRIx64, dentry, fn);
			if ((err = dname(c, dname_kinds[i].kind, dentry, &b)))
				return cp_error_wrap(err, "path of dentry 0x%"
						     PRIx64, dentry);
			fl |= CP_PATH_PSEUDO;
			if (dname_kinds[i].kind == DNAME_SIMPLE)
				fl |= CP_PATH_DELETED;
			goto done;
		}
	}

	/* d_unlinked(): hashed out of the dcache and not a root. */
	uint64_t pprev;
	if ((err = rd_ptr(c, dentry, &c->d_hash_pprev, &pprev)))
		return cp_error_wrap(err, "path of dentry 0x%" PRIx64, dentry);
	if (parent != dentry && !pprev) {
		prepend_str(&b, " (deleted)");
		fl |= CP_PATH_DELETED;
	}
	size_t named = 0;
	for (size_t depth = 0;; depth++) {
		if (depth >= CP_PATH_MAX_DEPTH)
			return cp_error_create(CP_ERR_CORRUPT,
					       "path of dentry 0x%" PRIx64
					       ": more than %d dentries and "
					       "mounts (a loop)", dentry,
					       CP_PATH_MAX_DEPTH);
		if ((err = rd_ptr(c, mnt + c->mnt_mnt.offset, &c->mnt_root,
				  &root)))
			return cp_error_wrap(err, "path: mount 0x%" PRIx64, mnt);
		if (dentry == root) {
			uint64_t up;
			if ((err = rd_ptr(c, mnt, &c->mnt_parent, &up)))
				return cp_error_wrap(err, "path: mount 0x%"
						     PRIx64, mnt);
			if (up && up != mnt) {
				if ((err = rd_ptr(c, mnt, &c->mnt_mountpoint,
						  &dentry)))
					return cp_error_wrap(err, "path: mount "
							     "0x%" PRIx64, mnt);
				if (!cp_kernel_ptr_ok(dentry) ||
				    !cp_kernel_ptr_ok(up))
					return cp_error_create(
						CP_ERR_CORRUPT,
						"path: mount 0x%" PRIx64
						" has no mountpoint", mnt);
				mnt = up;
				continue;
			}
			/* The top of a mount tree: a namespace's root, or a
			 * mount no namespace holds (pipefs, shm_mnt). */
			uint64_t ns = 0;
			if (c->mnt_ns.found &&
			    !rd_ptr(c, mnt, &c->mnt_ns, &ns) && !ns)
				fl |= CP_PATH_DETACHED;
			break;
		}
		if ((err = rd_ptr(c, dentry, &c->d_parent, &parent)))
			return cp_error_wrap(err, "path: dentry 0x%" PRIx64,
					     dentry);
		if (!parent)
			return cp_error_create(CP_ERR_CORRUPT,
					       "path: dentry 0x%" PRIx64
					       " has no parent", dentry);
		if (parent == dentry) {
			/* A root that is not its mount's root. */
			fl |= CP_PATH_ESCAPED;
			break;
		}
		char name[NAME_MAX_BYTES + 1];
		size_t n;
		if ((err = dentry_name(c, dentry, name, &n)))
			return cp_error_wrap(err, "path");
		if (!cp_prepend(&b, name, n) || !cp_prepend(&b, "/", 1))
			break;
		named++;
		dentry = parent;
	}
	if (!named)
		cp_prepend(&b, "/", 1);
done:
	if (b.overflow)
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "path of dentry 0x%" PRIx64
				       " longer than %zu bytes", dentry,
				       len - 1);
	memcpy(buf, cp_prepend_text(&b), cp_prepend_len(&b) + 1);
	if (flags)
		*flags = fl;
	return NULL;
}

struct cp_error *cp_path_from_path(struct cp_path_ctx *c, uint64_t path_va,
				   char *buf, size_t len, unsigned *flags)
{
	uint64_t mnt, dentry;
	struct cp_error *err;
	if (len)
		buf[0] = '\0';
	if ((err = rd_ptr(c, path_va, &c->path_mnt, &mnt)) ||
	    (err = rd_ptr(c, path_va, &c->path_dentry, &dentry)))
		return cp_error_wrap(err, "struct path at 0x%" PRIx64, path_va);
	return cp_path_from_dentry_mnt(c, dentry, mnt, buf, len, flags);
}

struct cp_error *cp_path_from_file(struct cp_path_ctx *c, uint64_t file_va,
				   char *buf, size_t len, unsigned *flags)
{
	uint64_t mnt, dentry;
	struct cp_error *err;
	if (len)
		buf[0] = '\0';
	if ((err = rd_ptr(c, file_va, &c->f_path_mnt, &mnt)) ||
	    (err = rd_ptr(c, file_va, &c->f_path_dentry, &dentry)))
		return cp_error_wrap(err, "file at 0x%" PRIx64, file_va);
	return cp_path_from_dentry_mnt(c, dentry, mnt, buf, len, flags);
}
