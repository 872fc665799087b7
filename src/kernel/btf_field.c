/*
 * btf_field.c - finding struct members, sizes and enum values by name.
 *
 * This is how the rest of cloudprobe reads kernel structures without
 * hard-coded offsets: `cp_btf_field(btf, "task_struct", "comm", &f)` once
 * per profile, then reads at f.offset. Paths go through embedded members
 * ("se.vruntime"), through anonymous structs and unions by the member's
 * plain name as C allows ("__state", "skc_daddr", "mm_mt"), and through
 * array elements ("pid_links[1]"). Typedefs and qualifiers are stripped on
 * the way.
 *
 * Kernel BTF has a dozen names defined twice by different code (a local
 * `struct console` in a driver beside the real one); lookups try the
 * definitions with the most members first and take the first that has
 * the requested path.
 *
 * Name lookups either scan all types (fine for a few calls) or use a
 * cp_btf_index, a hash of type and enumerator names built once. The BTF
 * was checked by cp_btf_check() (ids and names in range), but type chains
 * may still loop in a forged blob, so every walk here is bounded.
 *
 * Not for: carving (btf.c) or printing (btf_print.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/btf.h"
#include "util/cleanup.h"
#include "util/error.h"

/* Deepest typedef/qualifier chain or anonymous-member nesting followed. */
#define MAX_DEPTH 32
/* Same-name definitions considered per lookup. */
#define MAX_CANDIDATES 16
/* Members visited per path component: forged BTF can nest one anonymous
 * struct k times per level, k^32 paths in all. */
#define MAX_VISITS 65536
/* An index into a flexible array member may not go past this. */
#define MAX_FLEX_INDEX (1u << 24)

const char *cp_btf_kind_name(enum cp_btf_kind kind)
{
	static const char *const names[] = {
		[CP_BTF_VOID] = "void",	    [CP_BTF_INT] = "int",
		[CP_BTF_FLOAT] = "float",   [CP_BTF_POINTER] = "pointer",
		[CP_BTF_ARRAY] = "array",   [CP_BTF_STRUCT] = "struct",
		[CP_BTF_UNION] = "union",   [CP_BTF_ENUM] = "enum",
		[CP_BTF_FUNC] = "function", [CP_BTF_FWD] = "forward",
		[CP_BTF_OTHER] = "other",
	};
	return (unsigned)kind < CP_ARRAY_SIZE(names) ? names[kind] : "?";
}

static bool is_modifier(const struct btf_type *t)
{
	switch (btf_kind(t)) {
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return true;
	default:
		return false;
	}
}

uint32_t cp_btf_strip(const struct btf *btf, uint32_t id)
{
	for (int i = 0; i < MAX_DEPTH; i++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!t || id == 0 || !is_modifier(t))
			return t ? id : 0;
		id = t->type;
	}
	return 0;
}

enum cp_btf_kind cp_btf_kind_of(const struct btf *btf, uint32_t id)
{
	if (id == 0)
		return CP_BTF_VOID;
	const struct btf_type *t = btf__type_by_id(btf, id);
	if (!t)
		return CP_BTF_OTHER;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		return CP_BTF_INT;
	case BTF_KIND_FLOAT:
		return CP_BTF_FLOAT;
	case BTF_KIND_PTR:
		return CP_BTF_POINTER;
	case BTF_KIND_ARRAY:
		return CP_BTF_ARRAY;
	case BTF_KIND_STRUCT:
		return CP_BTF_STRUCT;
	case BTF_KIND_UNION:
		return CP_BTF_UNION;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return CP_BTF_ENUM;
	case BTF_KIND_FUNC_PROTO:
		return CP_BTF_FUNC;
	case BTF_KIND_FWD:
		return CP_BTF_FWD;
	default:
		return CP_BTF_OTHER;
	}
}

/* Does BTF kind k answer a lookup for kind want? */
static bool kind_matches(unsigned k, enum cp_btf_kind want)
{
	switch (want) {
	case CP_BTF_STRUCT:
		return k == BTF_KIND_STRUCT;
	case CP_BTF_UNION:
		return k == BTF_KIND_UNION;
	case CP_BTF_ENUM:
		return k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64;
	case CP_BTF_OTHER:
		return k == BTF_KIND_TYPEDEF;
	default:
		return false;
	}
}

/* --------------------------------------------------------- the name index */

struct slot {
	uint32_t hash;
	uint32_t id;		/* 0: empty */
	uint32_t value;		/* enumerators: index within the enum */
};

struct table {
	struct slot *slots;
	size_t mask;
};

struct cp_btf_index {
	const struct btf *btf;
	struct table types;	/* struct, union, enum, typedef names */
	struct table values;	/* enumerator names */
};

static uint32_t hash_name(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static bool table_init(struct table *t, size_t n)
{
	size_t cap = 64;
	while (cap < 2 * n)
		cap *= 2;
	t->slots = calloc(cap, sizeof(*t->slots));
	t->mask = cap - 1;
	return t->slots != NULL;
}

static void table_put(struct table *t, uint32_t hash, uint32_t id,
		      uint32_t value)
{
	size_t i = hash & t->mask;
	while (t->slots[i].id)
		i = (i + 1) & t->mask;
	t->slots[i] = (struct slot){ hash, id, value };
}

static const char *enumerator_name(const struct btf *btf,
				   const struct btf_type *t, uint32_t i)
{
	uint32_t off = btf_is_enum(t) ? btf_enum(t)[i].name_off :
					btf_enum64(t)[i].name_off;
	return btf__name_by_offset(btf, off);
}

struct cp_error *cp_btf_index_new(const struct btf *btf,
				  struct cp_btf_index **ret)
{
	uint32_t cnt = btf__type_cnt(btf);
	size_t ntypes = 0, nvalues = 0;
	for (uint32_t id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		unsigned k = btf_kind(t);
		if (k == BTF_KIND_STRUCT || k == BTF_KIND_UNION ||
		    k == BTF_KIND_TYPEDEF || k == BTF_KIND_ENUM ||
		    k == BTF_KIND_ENUM64)
			ntypes++;
		if (k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64)
			nvalues += btf_vlen(t);
	}
	struct cp_btf_index *ix = calloc(1, sizeof(*ix));
	if (!ix)
		return &cp_enomem;
	ix->btf = btf;
	if (!table_init(&ix->types, ntypes) ||
	    !table_init(&ix->values, nvalues)) {
		cp_btf_index_destroy(ix);
		return &cp_enomem;
	}
	for (uint32_t id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		unsigned k = btf_kind(t);
		const char *name = btf__name_by_offset(btf, t->name_off);
		if ((k == BTF_KIND_STRUCT || k == BTF_KIND_UNION ||
		     k == BTF_KIND_TYPEDEF || k == BTF_KIND_ENUM ||
		     k == BTF_KIND_ENUM64) &&
		    name && *name)
			table_put(&ix->types, hash_name(name), id, 0);
		if (k != BTF_KIND_ENUM && k != BTF_KIND_ENUM64)
			continue;
		for (uint32_t i = 0; i < btf_vlen(t); i++) {
			const char *v = enumerator_name(btf, t, i);
			if (v && *v)
				table_put(&ix->values, hash_name(v), id, i);
		}
	}
	*ret = ix;
	return NULL;
}

void cp_btf_index_destroy(struct cp_btf_index *ix)
{
	if (!ix)
		return;
	free(ix->types.slots);
	free(ix->values.slots);
	free(ix);
}

const struct btf *cp_btf_index_btf(const struct cp_btf_index *ix)
{
	return ix->btf;
}

/* ------------------------------------------------------ finding by name */

struct candidates {
	uint32_t id[MAX_CANDIDATES];
	size_t n;
};

/* Keeps candidates ordered: with members first, most members first. */
static void candidates_add(const struct btf *btf, struct candidates *c,
			   uint32_t id)
{
	uint16_t vlen = btf_vlen(btf__type_by_id(btf, id));
	size_t i = c->n;
	if (i == MAX_CANDIDATES) {
		/* Full: only a better one than the worst displaces it. */
		if (btf_vlen(btf__type_by_id(btf, c->id[i - 1])) >= vlen)
			return;
		i--;
	} else {
		c->n++;
	}
	while (i > 0 && btf_vlen(btf__type_by_id(btf, c->id[i - 1])) < vlen) {
		c->id[i] = c->id[i - 1];
		i--;
	}
	c->id[i] = id;
}

/* All types named name of the wanted kind, best first. */
static void find_all(const struct btf *btf, const struct cp_btf_index *ix,
		     const char *name, enum cp_btf_kind want,
		     struct candidates *c)
{
	c->n = 0;
	if (ix) {
		uint32_t h = hash_name(name);
		for (size_t i = h & ix->types.mask; ix->types.slots[i].id;
		     i = (i + 1) & ix->types.mask) {
			const struct slot *s = &ix->types.slots[i];
			if (s->hash != h)
				continue;
			const struct btf_type *t = btf__type_by_id(btf, s->id);
			if (kind_matches(btf_kind(t), want) &&
			    strcmp(btf__name_by_offset(btf, t->name_off),
				   name) == 0)
				candidates_add(btf, c, s->id);
		}
		/* Same-name entries were inserted in id order, and linear
		 * probing meets them in that order: ties keep the lower id
		 * first, as the scan below does. */
		return;
	}
	uint32_t cnt = btf__type_cnt(btf);
	for (uint32_t id = 1; id < cnt; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!kind_matches(btf_kind(t), want))
			continue;
		const char *n = btf__name_by_offset(btf, t->name_off);
		if (n && strcmp(n, name) == 0)
			candidates_add(btf, c, id);
	}
}

static uint32_t find_best(const struct btf *btf,
			  const struct cp_btf_index *ix, const char *name,
			  enum cp_btf_kind kind)
{
	struct candidates c;
	find_all(btf, ix, name, kind, &c);
	return c.n ? c.id[0] : 0;
}

uint32_t cp_btf_find(const struct btf *btf, const char *name,
		     enum cp_btf_kind kind)
{
	return find_best(btf, NULL, name, kind);
}

uint32_t cp_btf_index_find(const struct cp_btf_index *ix, const char *name,
			   enum cp_btf_kind kind)
{
	return find_best(ix->btf, ix, name, kind);
}

/*
 * The structs/unions a type argument may mean: "struct x", "union x", or
 * a bare name (struct or union of that name, else typedefs of one).
 */
static void find_aggregates(const struct btf *btf,
			    const struct cp_btf_index *ix, const char *type,
			    struct candidates *c)
{
	struct candidates more;
	if (strncmp(type, "struct ", 7) == 0) {
		find_all(btf, ix, type + 7, CP_BTF_STRUCT, c);
		return;
	}
	if (strncmp(type, "union ", 6) == 0) {
		find_all(btf, ix, type + 6, CP_BTF_UNION, c);
		return;
	}
	find_all(btf, ix, type, CP_BTF_STRUCT, c);
	find_all(btf, ix, type, CP_BTF_UNION, &more);
	for (size_t i = 0; i < more.n; i++)
		candidates_add(btf, c, more.id[i]);
	if (c->n)
		return;
	find_all(btf, ix, type, CP_BTF_OTHER, &more);
	for (size_t i = 0; i < more.n; i++) {
		uint32_t id = cp_btf_strip(btf, more.id[i]);
		enum cp_btf_kind k = cp_btf_kind_of(btf, id);
		if (k == CP_BTF_STRUCT || k == CP_BTF_UNION)
			candidates_add(btf, c, id);
	}
}

/* ------------------------------------------------------- walking a path */

/*
 * Finds member name[0..len) in struct/union id, looking into anonymous
 * members; *bits gets its bit offset from the start of id.
 */
static bool find_member(const struct btf *btf, uint32_t id, const char *name,
			size_t len, uint64_t *bits, uint32_t *type,
			uint32_t *bit_size, int depth, unsigned *visits)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	if (depth > MAX_DEPTH || !t || !btf_is_composite(t))
		return false;
	const struct btf_member *m = btf_members(t);
	for (uint32_t i = 0; i < btf_vlen(t); i++) {
		if (++*visits > MAX_VISITS)
			return false;
		const char *mname = btf__name_by_offset(btf, m[i].name_off);
		uint64_t off = btf_member_bit_offset(t, i);
		if (mname && *mname) {
			if (strlen(mname) == len &&
			    memcmp(mname, name, len) == 0) {
				*bits = off;
				*type = m[i].type;
				*bit_size = btf_member_bitfield_size(t, i);
				return true;
			}
			continue;
		}
		uint32_t inner = cp_btf_strip(btf, m[i].type);
		if (find_member(btf, inner, name, len, bits, type, bit_size,
				depth + 1, visits)) {
			*bits += off;
			return true;
		}
	}
	return false;
}

static uint64_t size_of(const struct btf *btf, uint32_t id)
{
	int64_t s = btf__resolve_size(btf, id);
	return s > 0 ? (uint64_t)s : 0;
}

static void describe(const struct btf *btf, uint64_t bits, uint32_t decl,
		     uint32_t bit_size, struct cp_btf_field *f)
{
	memset(f, 0, sizeof(*f));
	f->offset = bits / 8;
	f->bit_offset = bit_size ? (uint32_t)(bits % 8) : 0;
	f->bit_size = bit_size;
	f->decl_type_id = decl;
	f->type_id = cp_btf_strip(btf, decl);
	f->kind = cp_btf_kind_of(btf, f->type_id);
	f->size = size_of(btf, f->type_id);
	const struct btf_type *t = btf__type_by_id(btf, f->type_id);
	if (f->kind == CP_BTF_INT)
		f->is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
	else if (f->kind == CP_BTF_ENUM)
		f->is_signed = btf_kflag(t);
	else if (f->kind == CP_BTF_ARRAY) {
		f->elem_type_id = cp_btf_strip(btf, btf_array(t)->type);
		f->elem_size = size_of(btf, f->elem_type_id);
		f->count = btf_array(t)->nelems;
	} else if (f->kind == CP_BTF_POINTER) {
		f->target_type_id = cp_btf_strip(btf, t->type);
		f->target_kind = cp_btf_kind_of(btf, f->target_type_id);
	}
}

/* Parses "[N]" at *p; returns false on a malformed index. */
static bool parse_index(const char **p, uint64_t *idx)
{
	const char *s = *p + 1;
	char *end;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end != ']')
		return false;
	*idx = v;
	*p = end + 1;
	return true;
}

/*
 * Walks path from struct/union id. On failure *where says what was
 * missing (a static string or a pointer into path, with *where_len).
 */
static bool walk(const struct btf *btf, uint32_t id, const char *path,
		 struct cp_btf_field *ret, const char **why,
		 const char **where, size_t *where_len)
{
	uint64_t bits = 0;
	uint32_t decl = id, bit_size = 0;
	const char *p = path;
	for (;;) {
		size_t len = strcspn(p, ".[");
		uint32_t agg = cp_btf_strip(btf, decl);
		enum cp_btf_kind k = cp_btf_kind_of(btf, agg);
		*where = p;
		*where_len = len;
		if (k != CP_BTF_STRUCT && k != CP_BTF_UNION) {
			*why = "is not inside a struct or union";
			return false;
		}
		uint64_t off;
		unsigned visits = 0;
		if (!len || !find_member(btf, agg, p, len, &off, &decl,
					 &bit_size, 0, &visits)) {
			*why = "no such member";
			return false;
		}
		bits += off;
		p += len;
		while (*p == '[') {
			uint64_t idx;
			uint32_t arr = cp_btf_strip(btf, decl);
			const struct btf_type *t = btf__type_by_id(btf, arr);
			if (!parse_index(&p, &idx)) {
				*why = "has a malformed index";
				return false;
			}
			if (cp_btf_kind_of(btf, arr) != CP_BTF_ARRAY) {
				*why = "is not an array";
				return false;
			}
			uint32_t n = btf_array(t)->nelems;
			if (n ? idx >= n : idx >= MAX_FLEX_INDEX) {
				*why = "index out of bounds";
				return false;
			}
			decl = btf_array(t)->type;
			bits += idx * size_of(btf, decl) * 8;
			bit_size = 0;
		}
		if (*p == '\0')
			break;
		if (*p != '.' || bit_size) {
			*why = bit_size ? "is a bitfield" : "is malformed";
			return false;
		}
		p++;
	}
	describe(btf, bits, decl, bit_size, ret);
	return true;
}

static struct cp_error *field(const struct btf *btf,
			      const struct cp_btf_index *ix, const char *type,
			      const char *path, struct cp_btf_field *ret)
{
	struct candidates c;
	find_aggregates(btf, ix, type, &c);
	if (!c.n)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "BTF: no struct or union %s", type);
	const char *why = "", *where = path;
	size_t where_len = 0;
	for (size_t i = 0; i < c.n; i++)
		if (walk(btf, c.id[i], path, ret, &why, &where, &where_len))
			return NULL;
	return cp_error_create(CP_ERR_NOT_FOUND,
			       "BTF: %s.%s: '%.*s' %s", type, path,
			       (int)where_len, where, why);
}

struct cp_error *cp_btf_field(const struct btf *btf, const char *type,
			      const char *path, struct cp_btf_field *ret)
{
	return field(btf, NULL, type, path, ret);
}

struct cp_error *cp_btf_index_field(const struct cp_btf_index *ix,
				    const char *type, const char *path,
				    struct cp_btf_field *ret)
{
	return field(ix->btf, ix, type, path, ret);
}

static struct cp_error *type_size(const struct btf *btf,
				  const struct cp_btf_index *ix,
				  const char *name, uint64_t *ret)
{
	struct candidates c;
	find_aggregates(btf, ix, name, &c);
	if (!c.n) {
		find_all(btf, ix, name, CP_BTF_ENUM, &c);
		if (!c.n)
			find_all(btf, ix, name, CP_BTF_OTHER, &c);
	}
	if (!c.n)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "BTF: no type named %s", name);
	*ret = size_of(btf, c.id[0]);
	return NULL;
}

struct cp_error *cp_btf_type_size(const struct btf *btf, const char *name,
				  uint64_t *ret)
{
	return type_size(btf, NULL, name, ret);
}

struct cp_error *cp_btf_index_type_size(const struct cp_btf_index *ix,
					const char *name, uint64_t *ret)
{
	return type_size(ix->btf, ix, name, ret);
}

static int64_t enumerator_value(const struct btf_type *t, uint32_t i)
{
	if (btf_is_enum(t))
		return btf_kflag(t) ? (int64_t)btf_enum(t)[i].val :
				      (int64_t)(uint32_t)btf_enum(t)[i].val;
	return (int64_t)btf_enum64_value(&btf_enum64(t)[i]);
}

static struct cp_error *enum_value(const struct btf *btf,
				   const struct cp_btf_index *ix,
				   const char *name, int64_t *ret)
{
	if (ix) {
		uint32_t h = hash_name(name);
		for (size_t i = h & ix->values.mask; ix->values.slots[i].id;
		     i = (i + 1) & ix->values.mask) {
			const struct slot *s = &ix->values.slots[i];
			const struct btf_type *t = btf__type_by_id(btf, s->id);
			if (s->hash == h &&
			    strcmp(enumerator_name(btf, t, s->value), name) ==
				    0) {
				*ret = enumerator_value(t, s->value);
				return NULL;
			}
		}
	} else {
		uint32_t cnt = btf__type_cnt(btf);
		for (uint32_t id = 1; id < cnt; id++) {
			const struct btf_type *t = btf__type_by_id(btf, id);
			if (!btf_is_any_enum(t))
				continue;
			for (uint32_t i = 0; i < btf_vlen(t); i++) {
				const char *n = enumerator_name(btf, t, i);
				if (n && strcmp(n, name) == 0) {
					*ret = enumerator_value(t, i);
					return NULL;
				}
			}
		}
	}
	return cp_error_create(CP_ERR_NOT_FOUND, "BTF: no enumerator %s",
			       name);
}

struct cp_error *cp_btf_enum_value(const struct btf *btf,
				   const char *enumerator, int64_t *ret)
{
	return enum_value(btf, NULL, enumerator, ret);
}

struct cp_error *cp_btf_index_enum_value(const struct cp_btf_index *ix,
					 const char *enumerator, int64_t *ret)
{
	return enum_value(ix->btf, ix, enumerator, ret);
}
