/*
 * mounts.c - mounts of a mount namespace (see mounts.h) and the
 * `mountinfo` view.
 *
 * Two indexes, one record format: the list (6.1 .. 6.7) is walked with
 * cp_list_walk; the rb-tree (6.8+) in order with an explicit stack of
 * RB_MAX_DEPTH nodes (a red-black tree of CP_MOUNTS_MAX nodes is at most
 * 2 * log2(n + 1) = 40 deep; deeper is forged). Mount flag values come
 * from the kernel's enum when it has one (7.x), else the values they have
 * had since 2.6 (include/linux/mount.h) — data chosen once per profile.
 *
 * Not for: building file paths in general (path.h); only a mount's root
 * within its filesystem (dentry_path(), no mount crossing) is built here,
 * because path.h always crosses mounts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/kread.h"
#include "linux/maps.h"
#include "linux/mounts.h"
#include "linux/path.h"
#include "util/cleanup.h"
#include "util/error.h"

#define RB_MAX_DEPTH 96
#define ROOT_MAX_DEPTH 256	/* dentries from a mount's root to its sb's */
#define NAME_MAX_LEN 255
#define COUNT_SLACK 64

struct mnt_flag_bits {
	uint32_t nosuid, nodev, noexec, noatime, nodiratime, relatime,
		readonly, nosymfollow, shared, unbindable, cursor;
};

struct cp_mounts {
	struct cp_profile *p;
	struct mnt_flag_bits bits;
	bool rb;		/* rb-tree index (6.8+), else the list */
	struct cp_resolved_field ns_list, ns_mounts, ns_count, ns_inum, ns_root;
	struct cp_resolved_field m_list, m_node, m_id, m_parent, m_mountpoint,
		m_mnt, m_devname, m_ns, m_group, m_master;
	struct cp_resolved_field v_root, v_sb, v_flags;
	struct cp_resolved_field sb_dev, sb_type, sb_flags, sb_subtype,
		fst_name;
	struct cp_resolved_field d_parent, d_name, d_len;
	struct cp_resolved_field nsproxy_mnt_ns, task_nsproxy, task_fs,
		fs_root_mnt, rb_left, rb_right;
	struct cp_path_ctx *paths;
	/* The first mount point not built in this walk, and how many. */
	struct cp_error *path_err;
	size_t path_errors;
	char root[CP_PATH_MAX];
	char mount_point[CP_PATH_MAX];
};

static void flag_bits_resolve(struct cp_profile *p, struct mnt_flag_bits *b)
{
	static const struct {
		const char *name;
		uint32_t fallback;
		size_t off;
	} t[] = {
#define F(name, value, member) \
	{ name, value, offsetof(struct mnt_flag_bits, member) }
		F("MNT_NOSUID", 0x01, nosuid),
		F("MNT_NODEV", 0x02, nodev),
		F("MNT_NOEXEC", 0x04, noexec),
		F("MNT_NOATIME", 0x08, noatime),
		F("MNT_NODIRATIME", 0x10, nodiratime),
		F("MNT_RELATIME", 0x20, relatime),
		F("MNT_READONLY", 0x40, readonly),
		F("MNT_NOSYMFOLLOW", 0x80, nosymfollow),
		F("MNT_SHARED", 0x1000, shared),
		F("MNT_UNBINDABLE", 0x2000, unbindable),
		F("MNT_CURSOR", 0x10000000, cursor),
#undef F
	};
	for (size_t i = 0; i < CP_ARRAY_SIZE(t); i++) {
		int64_t v;
		uint32_t bit = t[i].fallback;
		struct cp_error *err = cp_enum_value(p, t[i].name, &v);
		if (!err && v > 0 && v <= UINT32_MAX)
			bit = (uint32_t)v;
		cp_error_destroy(err);
		memcpy((char *)b + t[i].off, &bit, sizeof(bit));
	}
}

struct cp_error *cp_mounts_new(struct cp_profile *p, struct cp_mounts **ret)
{
	_cleanup_free_ struct cp_mounts *ms = calloc(1, sizeof(*ms));
	if (!ms)
		return &cp_enomem;
	ms->p = p;
	const struct cp_field_spec specs[] = {
		{ "mnt_namespace", "list", true, &ms->ns_list },
		{ "mnt_namespace", "mounts", false, &ms->ns_mounts },
		{ "mnt_namespace", "nr_mounts", true, &ms->ns_count },
		{ "mnt_namespace", "ns.inum", false, &ms->ns_inum },
		{ "mnt_namespace", "root", false, &ms->ns_root },
		{ "mount", "mnt_list", true, &ms->m_list },
		{ "mount", "mnt_node", true, &ms->m_node },
		{ "mount", "mnt_id", false, &ms->m_id },
		{ "mount", "mnt_parent", false, &ms->m_parent },
		{ "mount", "mnt_mountpoint", false, &ms->m_mountpoint },
		{ "mount", "mnt", false, &ms->m_mnt },
		{ "mount", "mnt_devname", false, &ms->m_devname },
		{ "mount", "mnt_ns", false, &ms->m_ns },
		{ "mount", "mnt_group_id", false, &ms->m_group },
		{ "mount", "mnt_master", false, &ms->m_master },
		{ "vfsmount", "mnt_root", false, &ms->v_root },
		{ "vfsmount", "mnt_sb", false, &ms->v_sb },
		{ "vfsmount", "mnt_flags", false, &ms->v_flags },
		{ "super_block", "s_dev", false, &ms->sb_dev },
		{ "super_block", "s_type", false, &ms->sb_type },
		{ "super_block", "s_flags", false, &ms->sb_flags },
		{ "super_block", "s_subtype", true, &ms->sb_subtype },
		{ "file_system_type", "name", false, &ms->fst_name },
		{ "dentry", "d_parent", false, &ms->d_parent },
		{ "dentry", "d_name.name", false, &ms->d_name },
		{ "dentry", "d_name.len", false, &ms->d_len },
		{ "nsproxy", "mnt_ns", false, &ms->nsproxy_mnt_ns },
		{ "task_struct", "nsproxy", false, &ms->task_nsproxy },
		{ "task_struct", "fs", false, &ms->task_fs },
		{ "fs_struct", "root.mnt", false, &ms->fs_root_mnt },
		{ "rb_node", "rb_left", false, &ms->rb_left },
		{ "rb_node", "rb_right", false, &ms->rb_right },
	};
	struct cp_error *err = cp_fields_resolve(p, specs, CP_ARRAY_SIZE(specs));
	if (err)
		return cp_error_wrap(err, "mounts");
	/* 6.1: `list` and an int `mounts` count; 6.8+: `mounts` is the
	 * rb_root and `nr_mounts` the count. */
	if (ms->ns_list.found && ms->m_list.found) {
		ms->ns_count = ms->ns_mounts;
	} else if (ms->m_node.found && ms->ns_count.found) {
		ms->rb = true;
	} else {
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "mounts: mnt_namespace has neither a "
				       "mount list nor an rb-tree this walker "
				       "knows");
	}
	flag_bits_resolve(p, &ms->bits);
	if ((err = cp_path_ctx_create(p, &ms->paths)))
		return cp_error_wrap(err, "mounts");
	*ret = cp_steal_ptr(&ms);
	return NULL;
}

void cp_mounts_destroy(struct cp_mounts *ms)
{
	if (!ms)
		return;
	cp_path_ctx_destroy(ms->paths);
	cp_error_destroy(ms->path_err);
	free(ms);
}

struct cp_error *cp_mounts_ns_of_task(struct cp_mounts *ms, uint64_t task_va,
				      uint64_t *mnt_ns)
{
	uint64_t nsproxy;
	struct cp_error *err = cp_read_ptr(ms->p, task_va +
					   ms->task_nsproxy.offset, &nsproxy);
	if (err)
		return err;
	if (!nsproxy)
		return cp_error_create(CP_ERR_NOT_FOUND, "task 0x%" PRIx64
				       " has no nsproxy (exiting)", task_va);
	if ((err = cp_read_ptr(ms->p, nsproxy + ms->nsproxy_mnt_ns.offset,
			       mnt_ns)))
		return err;
	if (!*mnt_ns)
		return cp_error_create(CP_ERR_NOT_FOUND, "task 0x%" PRIx64
				       " has no mount namespace", task_va);
	return NULL;
}

struct cp_error *cp_mounts_root_of_task(struct cp_mounts *ms, uint64_t task_va,
				       uint64_t *root_mnt)
{
	uint64_t fs;
	*root_mnt = 0;
	struct cp_error *err = cp_read_ptr(ms->p, task_va + ms->task_fs.offset,
					   &fs);
	if (!err && fs)
		err = cp_read_ptr(ms->p, fs + ms->fs_root_mnt.offset, root_mnt);
	return err;
}

/* ------------------------------------------------------------ one mount */

static struct cp_error *rd(struct cp_mounts *ms, uint64_t base,
			   const struct cp_resolved_field *f, uint64_t *ret)
{
	return cp_read_uint(ms->p, base + f->offset, (size_t)f->size, ret);
}

/* dentry_path(): from dentry up d_parent to its filesystem's root. */
static struct cp_error *dentry_root_path(struct cp_mounts *ms, uint64_t d,
					 char *buf, size_t len)
{
	struct cp_prepend b;
	cp_prepend_init(&b, buf, len);
	for (unsigned depth = 0;; depth++) {
		uint64_t parent, name, nlen;
		struct cp_error *err;
		if (depth == ROOT_MAX_DEPTH)
			return cp_error_create(CP_ERR_CORRUPT, "dentry 0x%" PRIx64
					       " more than %d levels below its "
					       "root", d, ROOT_MAX_DEPTH);
		if ((err = cp_read_ptr(ms->p, d + ms->d_parent.offset, &parent)))
			return err;
		if (!parent || parent == d)
			break;
		if ((err = cp_read_ptr(ms->p, d + ms->d_name.offset, &name)) ||
		    (err = rd(ms, d, &ms->d_len, &nlen)))
			return err;
		char comp[NAME_MAX_LEN + 1];
		if (nlen > NAME_MAX_LEN || !name)
			return cp_error_create(CP_ERR_CORRUPT, "dentry 0x%" PRIx64
					       " name of %" PRIu64 " bytes", d,
					       nlen);
		if (nlen && (err = cp_kread(ms->p, name, comp, (size_t)nlen)))
			return err;
		if (!cp_prepend(&b, comp, (size_t)nlen) ||
		    !cp_prepend(&b, "/", 1))
			return cp_error_create(CP_ERR_UNSUPPORTED, "root path "
					       "longer than %zu bytes", len - 1);
		d = parent;
	}
	if (cp_prepend_len(&b) == 0 && !cp_prepend(&b, "/", 1))
		return cp_error_create(CP_ERR_UNSUPPORTED, "no room");
	memmove(buf, cp_prepend_text(&b), cp_prepend_len(&b) + 1);
	return NULL;
}

static void options_text(const struct mnt_flag_bits *b, uint32_t f, char *buf,
			 size_t len)
{
	const struct {
		uint32_t bit;
		const char *text;
	} opts[] = {
		{ b->nosuid, ",nosuid" }, { b->nodev, ",nodev" },
		{ b->noexec, ",noexec" }, { b->noatime, ",noatime" },
		{ b->nodiratime, ",nodiratime" },
		{ b->relatime, ",relatime" },
		{ b->nosymfollow, ",nosymfollow" },
	};
	snprintf(buf, len, "%s", f & b->readonly ? "ro" : "rw");
	for (size_t i = 0; i < CP_ARRAY_SIZE(opts); i++)
		if (f & opts[i].bit)
			strncat(buf, opts[i].text, len - strlen(buf) - 1);
}

/* Mounts crossed looking for the reader's root above a mount. */
#define CHAIN_MAX 256

/*
 * seq_path_root(): a reader sees only mounts at or below its root mount
 * (a chrooted kdevtmpfs sees its devtmpfs, not the rootfs under it).
 * True when reader (a struct mount) is mount or one of its ancestors.
 */
static bool mount_visible(struct cp_mounts *ms, uint64_t mount,
			  uint64_t reader)
{
	if (!reader)
		return true;
	for (unsigned i = 0; i < CHAIN_MAX && mount; i++) {
		if (mount == reader)
			return true;
		uint64_t parent;
		struct cp_error *err = cp_read_ptr(ms->p, mount +
						   ms->m_parent.offset, &parent);
		if (err) {
			cp_error_destroy(err);
			return true;	/* unknown: show it rather than hide */
		}
		if (parent == mount)
			break;
		mount = parent;
	}
	return false;
}

static bool mount_is_ns_root(struct cp_mounts *ms, uint64_t mnt_ns,
			     uint64_t mount)
{
	uint64_t root;
	struct cp_error *err = cp_read_ptr(ms->p, mnt_ns + ms->ns_root.offset,
					   &root);
	cp_error_destroy(err);
	return !err && root == mount;
}

static struct cp_error *mount_read(struct cp_mounts *ms, uint64_t mnt_ns,
				   uint64_t ns_inum, uint64_t reader,
				   uint64_t mount, struct cp_mount *r,
				   bool *skip)
{
	struct cp_profile *p = ms->p;
	uint64_t vfs = mount + ms->m_mnt.offset;
	uint64_t flags, ns, id, parent, pid, mountpoint, devname, root, sb;
	uint64_t dev, type, tname, sbflags, group;
	struct cp_error *err;
	*skip = false;
	memset(r, 0, sizeof(*r));
	r->mount = mount;
	r->ns_inum = ns_inum;
	if ((err = rd(ms, vfs, &ms->v_flags, &flags)))
		return err;
	if (flags & ms->bits.cursor) {	/* a /proc reader's place holder */
		*skip = true;
		return NULL;
	}
	if (!mount_visible(ms, mount, reader)) {
		*skip = true;
		return NULL;
	}
	if ((err = cp_read_ptr(p, mount + ms->m_ns.offset, &ns)))
		return err;
	if (ns != mnt_ns)
		return cp_error_create(CP_ERR_CORRUPT, "mount 0x%" PRIx64
				       " belongs to namespace 0x%" PRIx64
				       ", not 0x%" PRIx64, mount, ns, mnt_ns);
	if ((err = rd(ms, mount, &ms->m_id, &id)) ||
	    (err = cp_read_ptr(p, mount + ms->m_parent.offset, &parent)) ||
	    !parent ||
	    (err = rd(ms, parent, &ms->m_id, &pid)) ||
	    (err = cp_read_ptr(p, mount + ms->m_mountpoint.offset,
			       &mountpoint)) ||
	    (err = cp_read_ptr(p, mount + ms->m_devname.offset, &devname)) ||
	    (err = cp_read_ptr(p, vfs + ms->v_root.offset, &root)) ||
	    (err = cp_read_ptr(p, vfs + ms->v_sb.offset, &sb)) || !sb ||
	    (err = rd(ms, sb, &ms->sb_dev, &dev)) ||
	    (err = rd(ms, sb, &ms->sb_flags, &sbflags)) ||
	    (err = cp_read_ptr(p, sb + ms->sb_type.offset, &type)) || !type ||
	    (err = cp_read_ptr(p, type + ms->fst_name.offset, &tname)) ||
	    (err = rd(ms, mount, &ms->m_group, &group)))
		return err ? err : cp_error_create(CP_ERR_CORRUPT, "mount 0x%"
						   PRIx64 ": NULL parent, sb "
						   "or type", mount);
	r->mnt_id = (int32_t)id;
	r->parent_id = (int32_t)pid;
	r->mnt_flags = (uint32_t)flags;
	r->dev_major = (uint32_t)(dev >> 20) & 0xfff;
	r->dev_minor = (uint32_t)dev & 0xfffff;
	r->sb_readonly = sbflags & 1;	/* SB_RDONLY */
	options_text(&ms->bits, r->mnt_flags, r->options, sizeof(r->options));
	if (tname && (err = cp_read_cstr(p, tname, r->fstype, 63)))
		return err;
	if (ms->sb_subtype.found) {
		uint64_t sub;
		char s[32];
		if (!cp_read_ptr(p, sb + ms->sb_subtype.offset, &sub) && sub &&
		    !cp_read_cstr(p, sub, s, sizeof(s) - 1) && s[0]) {
			size_t n = strlen(r->fstype);
			snprintf(r->fstype + n, sizeof(r->fstype) - n, ".%s", s);
		}
	}
	if (devname)
		err = cp_read_cstr(p, devname, r->source, sizeof(r->source) - 1);
	else
		strcpy(r->source, "none");
	if (err)
		return err;
	/* Propagation tags: shared:N, master:N, unbindable. */
	char *prop = r->propagation;
	size_t plen = sizeof(r->propagation);
	if (flags & ms->bits.shared)
		snprintf(prop, plen, "shared:%d", (int32_t)group);
	uint64_t master;
	if (!cp_read_ptr(p, mount + ms->m_master.offset, &master) && master &&
	    !rd(ms, master, &ms->m_group, &group)) {
		size_t n = strlen(prop);
		snprintf(prop + n, plen - n, "%smaster:%d", n ? " " : "",
			 (int32_t)group);
	}
	if (flags & ms->bits.unbindable) {
		size_t n = strlen(prop);
		snprintf(prop + n, plen - n, "%sunbindable", n ? " " : "");
	}
	if ((err = dentry_root_path(ms, root, ms->root, sizeof(ms->root))))
		return cp_error_wrap(err, "mount %d root", r->mnt_id);
	r->root = ms->root;
	/* The namespace's root mount (its own parent, or parented outside
	 * the namespace) sits at "/" for readers inside it. */
	if (parent == mount || mount == reader ||
	    mount_is_ns_root(ms, mnt_ns, mount)) {
		strcpy(ms->mount_point, "/");
		r->mount_point = ms->mount_point;
		return NULL;
	}
	err = cp_path_from_dentry_mnt(ms->paths, mountpoint,
				      parent + ms->m_mnt.offset,
				      ms->mount_point,
				      sizeof(ms->mount_point), NULL);
	if (err) {
		/* Keep the mount; its mount point is unknown (NULL). */
		ms->path_errors++;
		if (!ms->path_err)
			ms->path_err = cp_error_wrap(err, "mount %d mount point",
						     r->mnt_id);
		else
			cp_error_destroy(err);
		return NULL;
	}
	r->mount_point = ms->mount_point;
	return NULL;
}

/* ---------------------------------------------------------------- walks */

struct walk_state {
	struct cp_mounts *ms;
	uint64_t mnt_ns, ns_inum, reader;
	cp_mount_fn *fn;
	void *arg;
	size_t count, max;
	bool stopped;
	struct cp_walk_stop stop;
};

/* One struct mount from either index; false ends the walk. */
static bool visit(struct walk_state *s, uint64_t mount)
{
	if (s->count == s->max) {
		cp_walk_stop_set(&s->stop, "more than %zu mounts (the "
				 "namespace's count plus slack)", s->max);
		return false;
	}
	struct cp_mount r;
	bool skip;
	struct cp_error *err = mount_read(s->ms, s->mnt_ns, s->ns_inum,
					  s->reader, mount, &r, &skip);
	if (err) {
		cp_walk_stop_set(&s->stop, "mount %zu (0x%" PRIx64 "): %s",
				 s->count, mount, cp_error_message(err));
		cp_error_destroy(err);
		return false;
	}
	if (skip)
		return true;
	s->count++;
	if (!s->fn(s->arg, &r)) {
		s->stopped = true;
		return false;
	}
	return true;
}

static bool list_node(void *arg, uint64_t node)
{
	struct walk_state *s = arg;
	return visit(s, node - s->ms->m_list.offset);
}

/*
 * In-order walk of the rb-tree at root (struct rb_node: __rb_parent_color,
 * rb_right, rb_left). The explicit stack bounds depth; the visit count
 * bounds work even if a forged tree shares subtrees.
 */
static void rb_walk(struct walk_state *s, uint64_t root)
{
	struct cp_profile *p = s->ms->p;
	uint64_t stack[RB_MAX_DEPTH];
	size_t depth = 0;
	uint64_t node = root;
	while ((node || depth) && !s->stop.partial && !s->stopped) {
		if (node) {
			if (!cp_kernel_ptr_ok(node)) {
				cp_walk_stop_set(&s->stop, "rb-tree node 0x%"
						 PRIx64 " is not a kernel "
						 "address", node);
				return;
			}
			if (depth == RB_MAX_DEPTH) {
				cp_walk_stop_set(&s->stop, "rb-tree deeper than "
						 "%d", RB_MAX_DEPTH);
				return;
			}
			stack[depth++] = node;
			uint64_t left;
			struct cp_error *err = cp_read_ptr(p, node + s->ms->rb_left.offset, &left);
			if (err) {
				cp_walk_stop_set(&s->stop, "rb-tree node 0x%"
						 PRIx64 ": %s", node,
						 cp_error_message(err));
				cp_error_destroy(err);
				return;
			}
			node = left;
			continue;
		}
		node = stack[--depth];
		if (!visit(s, node - s->ms->m_node.offset))
			return;
		uint64_t right;
		struct cp_error *err = cp_read_ptr(p, node + s->ms->rb_right.offset,
						   &right);
		if (err) {
			cp_walk_stop_set(&s->stop, "rb-tree node 0x%" PRIx64
					 ": %s", node, cp_error_message(err));
			cp_error_destroy(err);
			return;
		}
		node = right;
	}
}

struct cp_error *cp_mounts_walk(struct cp_mounts *ms, uint64_t mnt_ns,
				uint64_t root_mnt, cp_mount_fn *fn, void *arg)
{
	struct cp_profile *p = ms->p;
	uint64_t count, inum;
	struct cp_error *err;
	if ((err = rd(ms, mnt_ns, &ms->ns_count, &count)) ||
	    (err = rd(ms, mnt_ns, &ms->ns_inum, &inum)))
		return cp_error_wrap(err, "mount namespace 0x%" PRIx64, mnt_ns);
	if (count > CP_MOUNTS_MAX)
		return cp_error_create(CP_ERR_CORRUPT, "mount namespace 0x%"
				       PRIx64 " claims %" PRIu64 " mounts",
				       mnt_ns, count);
	cp_error_destroy(ms->path_err);
	ms->path_err = NULL;
	ms->path_errors = 0;
	struct walk_state s = {
		.ms = ms, .mnt_ns = mnt_ns, .ns_inum = inum, .fn = fn,
		.reader = root_mnt ? root_mnt - ms->m_mnt.offset : 0,
		.arg = arg, .max = (size_t)count + COUNT_SLACK,
	};
	if (ms->rb) {
		uint64_t root;
		if ((err = cp_read_ptr(p, mnt_ns + ms->ns_mounts.offset, &root)))
			return cp_error_wrap(err, "mount namespace 0x%" PRIx64,
					     mnt_ns);
		rb_walk(&s, root);
	} else {
		/* Cursors are on the list too: allow for them in the bound. */
		cp_list_walk(p, mnt_ns + ms->ns_list.offset, s.max * 2,
			     list_node, &s, &s.stop);
	}
	if (s.stop.partial)
		return cp_error_create(CP_ERR_PARTIAL, "mount namespace %" PRIu64
				       ": %zu mounts read, then: %s", inum,
				       s.count, s.stop.reason);
	if (ms->path_err)
		return cp_error_create(CP_ERR_PARTIAL, "mount namespace %" PRIu64
				       ": %zu mount points not built, the "
				       "first: %s", inum, ms->path_errors,
				       cp_error_message(ms->path_err));
	return NULL;
}

/* ---------------------------------------------------------------- view */

static const struct cp_out_col mountinfo_cols[] = {
	{ "mnt_id", NULL, CP_COL_INT },
	{ "parent_id", NULL, CP_COL_INT },
	{ "dev", NULL, CP_COL_STR },
	{ "root", NULL, CP_COL_STR },
	{ "mount_point", NULL, CP_COL_STR },
	{ "options", NULL, CP_COL_STR },
	{ "propagation", NULL, CP_COL_STR },
	{ "fstype", NULL, CP_COL_STR },
	{ "source", NULL, CP_COL_STR },
	{ "sb_options", NULL, CP_COL_STR },
	{ "mntns", NULL, CP_COL_UINT },
};

struct mountinfo_view {
	struct cp_sink *sink;
	struct cp_error *sink_err;
};

static bool mountinfo_row(void *arg, const struct cp_mount *m)
{
	struct mountinfo_view *v = arg;
	struct cp_sink *s = v->sink;
	char dev[24];
	snprintf(dev, sizeof(dev), "%u:%u", m->dev_major, m->dev_minor);
	cp_sink_i64(s, m->mnt_id);
	cp_sink_i64(s, m->parent_id);
	cp_sink_str(s, dev);
	cp_sink_str(s, m->root);
	cp_sink_str(s, m->mount_point);
	cp_sink_str(s, m->options);
	cp_sink_str(s, m->propagation);
	cp_sink_str(s, m->fstype);
	cp_sink_str(s, m->source);
	cp_sink_str(s, m->sb_readonly ? "ro" : "rw");
	cp_sink_u64(s, m->ns_inum);
	v->sink_err = cp_sink_row_end(s);
	return !v->sink_err;
}

/* Namespaces to list, each with the root of its first process. */
struct ns_pick {
	struct cp_mounts *ms;
	int64_t pid;		/* -1: every namespace */
	struct { uint64_t ns, root; } *v;
	size_t n, cap;
	struct cp_error *err;
};

static bool ns_pick_proc(void *arg, const struct cp_proc_ref *r)
{
	struct ns_pick *k = arg;
	if (k->pid >= 0 && r->pid != k->pid)
		return true;
	uint64_t ns, root;
	struct cp_error *err = cp_mounts_ns_of_task(k->ms, r->task, &ns);
	if (!err)
		err = cp_mounts_root_of_task(k->ms, r->task, &root);
	if (err) {
		if (k->pid >= 0 && !k->err)
			k->err = err;
		else
			cp_error_destroy(err);
		return k->pid < 0;
	}
	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].ns == ns)
			return k->pid < 0;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 8;
		void *a = realloc(k->v, cap * sizeof(*k->v));
		if (!a) {
			k->err = &cp_enomem;
			return false;
		}
		k->v = a;
		k->cap = cap;
	}
	k->v[k->n].ns = ns;
	k->v[k->n].root = root;
	k->n++;
	return k->pid < 0;
}

static struct cp_error *mountinfo_produce(struct cp_profile *p,
					  const struct cp_view_args *args,
					  struct cp_sink *sink)
{
	bool all = args->nrest == 1 && !strcmp(args->rest[0], "all");
	if (args->nrest && !all)
		return cp_error_create(CP_ERR_USAGE, "mountinfo: the only "
				       "argument is 'all' (every mount "
				       "namespace)");
	struct cp_mounts *ms;
	struct cp_error *err = cp_mounts_new(p, &ms);
	if (err)
		return err;
	/* Default: what /proc/1/mountinfo shows (init's namespace and
	 * root); processes are walked in creation order, so with `all` the
	 * initial namespace comes first. */
	struct ns_pick k = {
		.ms = ms, .pid = all ? -1 : args->pid >= 0 ? args->pid : 1,
	};
	struct cp_error *first = cp_maps_each_process(p, ns_pick_proc, &k);
	if (k.err) {
		cp_error_destroy(first);
		first = k.err;
	}
	if (!first && k.n == 0)
		first = cp_error_create(CP_ERR_NOT_FOUND, "mountinfo: no "
					"process %" PRId64, k.pid);
	struct mountinfo_view v = { .sink = sink };
	for (size_t i = 0; i < k.n && !v.sink_err; i++) {
		err = cp_mounts_walk(ms, k.v[i].ns, k.v[i].root, mountinfo_row,
				     &v);
		if (err && !first)
			first = err;
		else
			cp_error_destroy(err);
	}
	free(k.v);
	cp_mounts_destroy(ms);
	if (v.sink_err) {
		cp_error_destroy(first);
		return v.sink_err;
	}
	return first;
}

const struct cp_view cp_view_mountinfo = {
	.name = "mountinfo",
	.sql_name = "mountinfo",
	.args = "[--pid PID | all]",
	.summary = "mounts of init's mount namespace (or PID's, or all), as "
		   "/proc/PID/mountinfo",
	.cols = mountinfo_cols,
	.ncols = CP_ARRAY_SIZE(mountinfo_cols),
	.produce = mountinfo_produce,
};
