/*
 * bpf.c - eBPF programs and maps from the kernel's id tables, and the
 * `ebpf` / `ebpf_maps` views (see bpf.h).
 *
 * prog_idr and map_idr are IDRs: XArrays indexed by id (idr_base 0),
 * walked with cp_xa_walk. Each entry is validated against itself before it
 * becomes a record: a program's aux must point back to it (aux->prog) and
 * carry the id it is filed under, a map's id must be its index. Type names
 * come from the guest's BTF: the uapi enumerator names below are looked up
 * once per walk, so values are the guest's own even if a kernel renumbers
 * or lacks some; a value no name matches is shown as a number.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux/bpf.h"
#include "linux/kread.h"
#include "linux/view.h"
#include "util/cleanup.h"
#include "util/error.h"

#define MAX_OBJECTS 65536
#define MAX_SUBPROGS 256

/* enum bpf_prog_type enumerators, without "BPF_PROG_TYPE_". */
static const char *const prog_types[] = {
	"UNSPEC", "SOCKET_FILTER", "KPROBE", "SCHED_CLS", "SCHED_ACT",
	"TRACEPOINT", "XDP", "PERF_EVENT", "CGROUP_SKB", "CGROUP_SOCK",
	"LWT_IN", "LWT_OUT", "LWT_XMIT", "SOCK_OPS", "SK_SKB",
	"CGROUP_DEVICE", "SK_MSG", "RAW_TRACEPOINT", "CGROUP_SOCK_ADDR",
	"LWT_SEG6LOCAL", "LIRC_MODE2", "SK_REUSEPORT", "FLOW_DISSECTOR",
	"CGROUP_SYSCTL", "RAW_TRACEPOINT_WRITABLE", "CGROUP_SOCKOPT",
	"TRACING", "STRUCT_OPS", "EXT", "LSM", "SK_LOOKUP", "SYSCALL",
	"NETFILTER",
};

/* enum bpf_map_type enumerators, without "BPF_MAP_TYPE_". */
static const char *const map_types[] = {
	"UNSPEC", "HASH", "ARRAY", "PROG_ARRAY", "PERF_EVENT_ARRAY",
	"PERCPU_HASH", "PERCPU_ARRAY", "STACK_TRACE", "CGROUP_ARRAY",
	"LRU_HASH", "LRU_PERCPU_HASH", "LPM_TRIE", "ARRAY_OF_MAPS",
	"HASH_OF_MAPS", "DEVMAP", "SOCKMAP", "CPUMAP", "XSKMAP", "SOCKHASH",
	"CGROUP_STORAGE", "CGROUP_STORAGE_DEPRECATED", "REUSEPORT_SOCKARRAY",
	"PERCPU_CGROUP_STORAGE", "PERCPU_CGROUP_STORAGE_DEPRECATED", "QUEUE",
	"STACK", "SK_STORAGE", "DEVMAP_HASH", "STRUCT_OPS", "RINGBUF",
	"INODE_STORAGE", "TASK_STORAGE", "BLOOM_FILTER", "USER_RINGBUF",
	"CGRP_STORAGE", "ARENA", "INSN_ARRAY",
};

#define MAX_TYPE_NAMES 64

/* Enumerator values of one enum, looked up by name in the guest's BTF. */
struct type_names {
	size_t n;
	int64_t value[MAX_TYPE_NAMES];
	char name[MAX_TYPE_NAMES][40];	/* lower case, prefix stripped */
};

static void type_names_load(struct cp_profile *p, const char *prefix,
			    const char *const *names, size_t n,
			    struct type_names *t)
{
	t->n = 0;
	for (size_t i = 0; i < n && t->n < MAX_TYPE_NAMES; i++) {
		char full[64];
		int64_t v;
		snprintf(full, sizeof(full), "%s%s", prefix, names[i]);
		struct cp_error *err = cp_enum_value(p, full, &v);
		if (err) {
			cp_error_destroy(err);
			continue;
		}
		size_t k = 0;
		for (; names[i][k] && k < sizeof(t->name[0]) - 1; k++)
			t->name[t->n][k] = (char)(names[i][k] >= 'A' &&
							  names[i][k] <= 'Z'
						  ? names[i][k] + 32
						  : names[i][k]);
		t->name[t->n][k] = '\0';
		t->value[t->n++] = v;
	}
}

static const char *type_name(const struct type_names *t, int64_t v)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->value[i] == v)
			return t->name[i];
	return NULL;
}

/* ------------------------------------------------------------ programs */

struct prog_fields {
	struct cp_resolved_field type, len, jited_len, jited, tag, aux,
		bpf_func;
	struct cp_resolved_field id, name, prog, load_time, user, func_cnt,
		func, used_maps, used_map_cnt, attach_func_name, attach_btf_id;
	struct cp_resolved_field uid, map_id;
};

struct prog_walk {
	struct cp_profile *p;
	struct prog_fields f;
	struct type_names types;
	cp_bpf_prog_fn *fn;
	void *arg;
	size_t bad;
	char reason[160];
	bool stopped;
};

static struct cp_error *prog_fields_resolve(struct cp_profile *p,
					    struct prog_fields *f)
{
	const char *bp = "bpf_prog", *ax = "bpf_prog_aux";
	const struct cp_field_spec specs[] = {
		{ bp, "type", false, &f->type },
		{ bp, "len", false, &f->len },
		{ bp, "jited_len", false, &f->jited_len },
		{ bp, "jited", true, &f->jited },
		{ bp, "tag", false, &f->tag },
		{ bp, "aux", false, &f->aux },
		{ bp, "bpf_func", true, &f->bpf_func },
		{ ax, "id", false, &f->id },
		{ ax, "name", false, &f->name },
		{ ax, "prog", false, &f->prog },
		{ ax, "load_time", true, &f->load_time },
		{ ax, "user", true, &f->user },
		{ ax, "func_cnt", true, &f->func_cnt },
		{ ax, "func", true, &f->func },
		{ ax, "used_maps", true, &f->used_maps },
		{ ax, "used_map_cnt", true, &f->used_map_cnt },
		{ ax, "attach_func_name", true, &f->attach_func_name },
		{ ax, "attach_btf_id", true, &f->attach_btf_id },
		{ "user_struct", "uid.val|uid", true, &f->uid },
		{ "bpf_map", "id", false, &f->map_id },
	};
	return cp_fields_resolve(p, specs, CP_ARRAY_SIZE(specs));
}

static struct cp_error *rd(struct cp_profile *p, uint64_t base,
			   const struct cp_resolved_field *f, uint64_t *v)
{
	return cp_read_uint(p, base + f->offset, f->size, v);
}

/* A bitfield member (bpf_prog.jited:1). */
static struct cp_error *rd_bit(struct cp_profile *p, uint64_t base,
			       const struct cp_resolved_field *f, bool *v)
{
	uint8_t b;
	struct cp_error *err = cp_read_u8(p, base + f->offset, &b);
	if (!err)
		*v = (b >> f->bit_offset) & 1;
	return err;
}

static struct cp_error *read_prog(struct prog_walk *w, uint64_t index,
				  uint64_t prog, struct cp_bpf_prog *r)
{
	struct cp_profile *p = w->p;
	const struct prog_fields *f = &w->f;
	uint64_t aux, v, back;
	struct cp_error *err;
	memset(r, 0, sizeof(*r));
	r->addr = prog;
	if ((err = cp_read_ptr(p, prog + f->aux.offset, &aux)))
		return err;
	if (!aux || (err = cp_read_ptr(p, aux + f->prog.offset, &back)))
		return err ? err : cp_error_create(CP_ERR_CORRUPT, "no aux");
	if (back != prog)
		return cp_error_create(CP_ERR_CORRUPT, "aux->prog is 0x%" PRIx64
				       ", not the program", back);
	if ((err = rd(p, aux, &f->id, &v)))
		return err;
	if (v != index)
		return cp_error_create(CP_ERR_CORRUPT, "id %" PRIu64 " filed "
				       "under %" PRIu64, v, index);
	r->id = (uint32_t)v;
	if ((err = rd(p, prog, &f->type, &v)))
		return err;
	r->type = (int64_t)(int32_t)v;
	r->type_name = type_name(&w->types, r->type);
	if ((err = cp_read_cstr(p, aux + f->name.offset, r->name,
				f->name.size < sizeof(r->name)
					? f->name.size : sizeof(r->name) - 1)))
		return err;
	uint8_t tag[8];
	if (f->tag.size != sizeof(tag))
		return cp_error_create(CP_ERR_UNSUPPORTED, "tag of %" PRIu64
				       " bytes", f->tag.size);
	if ((err = cp_kread(p, prog + f->tag.offset, tag, sizeof(tag))))
		return err;
	for (size_t i = 0; i < sizeof(tag); i++)
		snprintf(r->tag + 2 * i, 3, "%02x", tag[i]);
	if ((err = rd(p, prog, &f->len, &v)))
		return err;
	r->xlated_len = (uint32_t)(v * 8);	/* sizeof(struct bpf_insn) */
	if (f->load_time.found && (err = rd(p, aux, &f->load_time,
					    &r->load_time)))
		return err;
	if (f->jited.found && (err = rd_bit(p, prog, &f->jited, &r->jited)))
		return err;
	if (f->bpf_func.found &&
	    (err = cp_read_ptr(p, prog + f->bpf_func.offset, &r->bpf_func)))
		return err;
	if (f->user.found && f->uid.found) {
		uint64_t user;
		if ((err = cp_read_ptr(p, aux + f->user.offset, &user)))
			return err;
		if (user && !(err = rd(p, user, &f->uid, &v))) {
			r->has_uid = true;
			r->uid = (uint32_t)v;
		}
		cp_error_destroy(err);	/* no uid is not fatal */
	}
	/* bpf_prog_get_info_by_fd: with subprograms the JIT length is the
	 * sum of theirs */
	uint64_t func_cnt = 0;
	if (f->func_cnt.found && f->func.found &&
	    (err = rd(p, aux, &f->func_cnt, &func_cnt)))
		return err;
	if (func_cnt) {
		uint64_t func, sub, len;
		if (func_cnt > MAX_SUBPROGS)
			return cp_error_create(CP_ERR_CORRUPT, "%" PRIu64
					       " subprograms", func_cnt);
		if ((err = cp_read_ptr(p, aux + f->func.offset, &func)))
			return err;
		for (uint64_t i = 0; i < func_cnt && func; i++) {
			if ((err = cp_read_ptr(p, func + 8 * i, &sub)))
				return err;
			if (sub && (err = rd(p, sub, &f->jited_len, &len)))
				return err;
			r->jited_len += sub ? (uint32_t)len : 0;
		}
	} else {
		if ((err = rd(p, prog, &f->jited_len, &v)))
			return err;
		r->jited_len = (uint32_t)v;
	}
	if (f->attach_func_name.found) {
		uint64_t s;
		if (!cp_read_ptr(p, aux + f->attach_func_name.offset, &s) && s) {
			err = cp_read_cstr(p, s, r->attach,
					   sizeof(r->attach) - 1);
			cp_error_destroy(err);
		}
	}
	if (!r->attach[0] && f->attach_btf_id.found &&
	    !rd(p, aux, &f->attach_btf_id, &v) && v)
		snprintf(r->attach, sizeof(r->attach), "btf_id:%" PRIu64, v);
	if (f->used_maps.found && f->used_map_cnt.found) {
		uint64_t maps, cnt;
		if ((err = cp_read_ptr(p, aux + f->used_maps.offset, &maps)) ||
		    (err = rd(p, aux, &f->used_map_cnt, &cnt)))
			return err;
		if (cnt > CP_BPF_MAX_USED_MAPS)
			return cp_error_create(CP_ERR_CORRUPT, "%" PRIu64
					       " used maps", cnt);
		for (uint64_t i = 0; i < cnt && maps; i++) {
			uint64_t map;
			if ((err = cp_read_ptr(p, maps + 8 * i, &map)))
				return err;
			if (map && (err = rd(p, map, &f->map_id, &v)))
				return err;
			if (map)
				r->map_ids[r->nmaps++] = (uint32_t)v;
		}
	}
	return NULL;
}

static bool each_prog(void *arg, uint64_t index, uint64_t entry)
{
	struct prog_walk *w = arg;
	struct cp_bpf_prog r;
	struct cp_error *err = read_prog(w, index, entry, &r);
	if (err) {
		if (!w->bad++)
			snprintf(w->reason, sizeof(w->reason), "prog_idr[%"
				 PRIu64 "] at 0x%" PRIx64 ": %.100s", index,
				 entry, cp_error_message(err));
		cp_error_destroy(err);
		return true;
	}
	w->stopped = !w->fn(w->arg, &r);
	return !w->stopped;
}

/* Walks the IDR named sym; shared by programs and maps. */
static struct cp_error *idr_walk(struct cp_profile *p, const char *sym,
				 cp_xa_fn *fn, void *arg, size_t *bad,
				 const char *reason)
{
	uint64_t idr;
	struct cp_resolved_field head;
	const struct cp_field_spec spec = { "idr", "idr_rt.xa_head", false,
					    &head };
	struct cp_error *err = cp_fields_resolve(p, &spec, 1);
	if (err)
		return cp_error_wrap(err, "ebpf");
	if (!cp_profile_symbol(p, sym, &idr))
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "ebpf: no symbol %s (no CONFIG_BPF_SYSCALL?)",
				       sym);
	struct cp_walk_stop stop = { 0 };
	size_t n = cp_xa_walk(p, idr + head.offset, MAX_OBJECTS, fn, arg,
			      &stop);
	if (stop.partial)
		return cp_error_create(CP_ERR_PARTIAL, "ebpf: %s walk broke "
				       "off after %zu entries: %s", sym, n,
				       stop.reason);
	if (*bad)
		return cp_error_create(CP_ERR_PARTIAL, "ebpf: %zu of %zu "
				       "entries of %s skipped; first: %s",
				       *bad, n, sym, reason);
	return NULL;
}

struct cp_error *cp_bpf_prog_walk(struct cp_profile *p, cp_bpf_prog_fn *fn,
				  void *arg)
{
	_cleanup_free_ struct prog_walk *w = calloc(1, sizeof(*w));
	if (!w)
		return &cp_enomem;
	w->p = p;
	w->fn = fn;
	w->arg = arg;
	struct cp_error *err = prog_fields_resolve(p, &w->f);
	if (err)
		return cp_error_wrap(err, "ebpf programs");
	type_names_load(p, "BPF_PROG_TYPE_", prog_types,
			CP_ARRAY_SIZE(prog_types), &w->types);
	return idr_walk(p, "prog_idr", each_prog, w, &w->bad, w->reason);
}

/* ---------------------------------------------------------------- maps */

struct map_walk {
	struct cp_profile *p;
	struct cp_resolved_field type, id, name, key_size, value_size,
		max_entries, map_flags;
	struct type_names types;
	cp_bpf_map_fn *fn;
	void *arg;
	size_t bad;
	char reason[160];
};

static struct cp_error *read_map(struct map_walk *w, uint64_t index,
				 uint64_t map, struct cp_bpf_map *r)
{
	struct cp_profile *p = w->p;
	uint64_t v;
	struct cp_error *err;
	memset(r, 0, sizeof(*r));
	r->addr = map;
	if ((err = rd(p, map, &w->id, &v)))
		return err;
	if (v != index)
		return cp_error_create(CP_ERR_CORRUPT, "id %" PRIu64 " filed "
				       "under %" PRIu64, v, index);
	r->id = (uint32_t)v;
	if ((err = rd(p, map, &w->type, &v)))
		return err;
	r->type = (int64_t)(int32_t)v;
	r->type_name = type_name(&w->types, r->type);
	const struct {
		const struct cp_resolved_field *f;
		uint32_t *out;
	} u32s[] = {
		{ &w->key_size, &r->key_size },
		{ &w->value_size, &r->value_size },
		{ &w->max_entries, &r->max_entries },
		{ &w->map_flags, &r->map_flags },
	};
	for (size_t i = 0; i < CP_ARRAY_SIZE(u32s); i++) {
		if ((err = rd(p, map, u32s[i].f, &v)))
			return err;
		*u32s[i].out = (uint32_t)v;
	}
	return cp_read_cstr(p, map + w->name.offset, r->name,
			    w->name.size < sizeof(r->name)
				    ? w->name.size : sizeof(r->name) - 1);
}

static bool each_map(void *arg, uint64_t index, uint64_t entry)
{
	struct map_walk *w = arg;
	struct cp_bpf_map r;
	struct cp_error *err = read_map(w, index, entry, &r);
	if (err) {
		if (!w->bad++)
			snprintf(w->reason, sizeof(w->reason), "map_idr[%"
				 PRIu64 "] at 0x%" PRIx64 ": %.100s", index,
				 entry, cp_error_message(err));
		cp_error_destroy(err);
		return true;
	}
	return w->fn(w->arg, &r);
}

struct cp_error *cp_bpf_map_walk(struct cp_profile *p, cp_bpf_map_fn *fn,
				 void *arg)
{
	_cleanup_free_ struct map_walk *w = calloc(1, sizeof(*w));
	if (!w)
		return &cp_enomem;
	w->p = p;
	w->fn = fn;
	w->arg = arg;
	const char *m = "bpf_map";
	const struct cp_field_spec specs[] = {
		{ m, "map_type", false, &w->type },
		{ m, "id", false, &w->id },
		{ m, "name", false, &w->name },
		{ m, "key_size", false, &w->key_size },
		{ m, "value_size", false, &w->value_size },
		{ m, "max_entries", false, &w->max_entries },
		{ m, "map_flags", false, &w->map_flags },
	};
	struct cp_error *err = cp_fields_resolve(p, specs, CP_ARRAY_SIZE(specs));
	if (err)
		return cp_error_wrap(err, "ebpf maps");
	type_names_load(p, "BPF_MAP_TYPE_", map_types,
			CP_ARRAY_SIZE(map_types), &w->types);
	return idr_walk(p, "map_idr", each_map, w, &w->bad, w->reason);
}

/* --------------------------------------------------------------- views */

static const struct cp_out_col prog_cols[] = {
	{ "id", NULL, CP_COL_UINT },
	{ "type", NULL, CP_COL_STR },
	{ "type_id", NULL, CP_COL_INT },
	{ "name", NULL, CP_COL_STR },
	{ "tag", NULL, CP_COL_STR },
	{ "load_time", NULL, CP_COL_UINT },
	{ "uid", NULL, CP_COL_UINT },
	{ "jited", NULL, CP_COL_BOOL },
	{ "jited_len", NULL, CP_COL_UINT },
	{ "xlated_len", NULL, CP_COL_UINT },
	{ "attach", NULL, CP_COL_STR },
	{ "map_ids", NULL, CP_COL_STR },
	{ "bpf_func", NULL, CP_COL_HEX },
	{ "offset", NULL, CP_COL_HEX },
};

struct emit {
	struct cp_sink *sink;
	struct cp_error *err;
};

static bool emit_prog(void *arg, const struct cp_bpf_prog *r)
{
	struct emit *e = arg;
	struct cp_sink *s = e->sink;
	char ids[CP_BPF_MAX_USED_MAPS * 11 + 1] = "";
	size_t at = 0;
	for (size_t i = 0; i < r->nmaps; i++)
		at += (size_t)snprintf(ids + at, sizeof(ids) - at, "%s%" PRIu32,
				       i ? "," : "", r->map_ids[i]);
	cp_sink_u64(s, r->id);
	cp_sink_str(s, r->type_name);
	cp_sink_i64(s, r->type);
	cp_sink_str(s, r->name);
	cp_sink_str(s, r->tag);
	cp_sink_u64(s, r->load_time);
	if (r->has_uid)
		cp_sink_u64(s, r->uid);
	else
		cp_sink_null(s);
	cp_sink_bool(s, r->jited);
	cp_sink_u64(s, r->jited_len);
	cp_sink_u64(s, r->xlated_len);
	cp_sink_str(s, r->attach[0] ? r->attach : NULL);
	cp_sink_str(s, r->nmaps ? ids : NULL);
	cp_sink_hex(s, r->bpf_func);
	cp_sink_hex(s, r->addr);
	e->err = cp_sink_row_end(s);
	return !e->err;
}

static struct cp_error *finish(struct emit *e, struct cp_error *err)
{
	if (e->err) {
		cp_error_destroy(err);
		return e->err;
	}
	return err;
}

static struct cp_error *ebpf_produce(struct cp_profile *p,
				     const struct cp_view_args *args,
				     struct cp_sink *sink)
{
	(void)args;
	struct emit e = { .sink = sink };
	return finish(&e, cp_bpf_prog_walk(p, emit_prog, &e));
}

const struct cp_view cp_view_ebpf = {
	.name = "ebpf",
	.sql_name = "ebpf_progs",
	.args = "",
	.summary = "loaded eBPF programs (prog_idr): type, name, tag, maps",
	.cols = prog_cols,
	.ncols = CP_ARRAY_SIZE(prog_cols),
	.produce = ebpf_produce,
};

static const struct cp_out_col map_cols[] = {
	{ "id", NULL, CP_COL_UINT },
	{ "type", NULL, CP_COL_STR },
	{ "type_id", NULL, CP_COL_INT },
	{ "name", NULL, CP_COL_STR },
	{ "key_size", NULL, CP_COL_UINT },
	{ "value_size", NULL, CP_COL_UINT },
	{ "max_entries", NULL, CP_COL_UINT },
	{ "flags", NULL, CP_COL_HEX },
	{ "offset", NULL, CP_COL_HEX },
};

static bool emit_map(void *arg, const struct cp_bpf_map *r)
{
	struct emit *e = arg;
	struct cp_sink *s = e->sink;
	cp_sink_u64(s, r->id);
	cp_sink_str(s, r->type_name);
	cp_sink_i64(s, r->type);
	cp_sink_str(s, r->name);
	cp_sink_u64(s, r->key_size);
	cp_sink_u64(s, r->value_size);
	cp_sink_u64(s, r->max_entries);
	cp_sink_hex(s, r->map_flags);
	cp_sink_hex(s, r->addr);
	e->err = cp_sink_row_end(s);
	return !e->err;
}

static struct cp_error *ebpf_maps_produce(struct cp_profile *p,
					  const struct cp_view_args *args,
					  struct cp_sink *sink)
{
	(void)args;
	struct emit e = { .sink = sink };
	return finish(&e, cp_bpf_map_walk(p, emit_map, &e));
}

const struct cp_view cp_view_ebpf_maps = {
	.name = "ebpf_maps",
	.sql_name = "ebpf_maps",
	.args = "",
	.summary = "eBPF maps (map_idr): type, name, key/value size, entries",
	.cols = map_cols,
	.ncols = CP_ARRAY_SIZE(map_cols),
	.produce = ebpf_maps_produce,
};
