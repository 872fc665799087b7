/*
 * isf_import.c - building a BTF from a Volatility 3 ISF file.
 *
 * When a guest kernel has no BTF, its types can come from an ISF (made by
 * dwarf2json from the distribution's -dbg vmlinux, or exported earlier by
 * cloudprobe). This file turns one into a libbpf `struct btf` with
 * libbpf's writer, so lookups, printing and export work the same on it:
 * base types become INT/FLOAT, user types STRUCT/UNION with their fields
 * in offset order, enums ENUM/ENUM64, and type descriptors PTR, ARRAY and
 * FUNC_PROTO (deduplicated); a reference to a struct the file does not
 * define (dwarf2json leaves out declarations) becomes a FWD. Anonymous
 * fields ("anonymous": true) become anonymous members, and types named
 * "unnamed_..." anonymous types, so C-style plain-name lookups reach
 * through them; "NAME#<id>" (a second definition, see isf_export.c) is
 * imported as NAME.
 *
 * libbpf appends fields to the last type added, so ids are planned first:
 * base types, then user types, then enums, then derived types in the
 * order descriptors need them; every field's type id is known before any
 * type is written, forward references included.
 *
 * The file is user input but may come from anywhere: JSON is parsed by
 * jansson after unsigned 64-bit numbers (addresses above 2^63, which
 * jansson cannot hold) are turned into strings; sizes, counts, offsets
 * and nesting are bounded; and a struct containing itself by value, which
 * would make sizes infinite, is refused.
 *
 * Not for: writing ISF (isf_export.c) or System.map (isf.c).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kernel/btf.h"
#include "kernel/isf.h"
#include "kernel/isf_internal.h"
#include "util/cleanup.h"
#include "util/error.h"

#define MAX_ISF_FILE (1u << 30)
#define MAX_TYPES (4u << 20)
#define MAX_FIELDS (32u << 20)
#define MAX_DESC_DEPTH 32
#define MAX_MEMBERS 0xffffu	/* BTF vlen */
#define MAX_BITFIELD_OFFSET 0xffffffu /* BTF kflag member encoding */

enum derived_kind { D_INDEX, D_PTR, D_ARRAY, D_FUNC, D_FWD };

struct derived {
	enum derived_kind kind;
	uint32_t ref;		/* PTR target, ARRAY element */
	uint32_t count;		/* ARRAY */
	const char *name;	/* FWD */
	int fwd_kind;		/* FWD: BTF_FWD_STRUCT/UNION/ENUM */
};

struct field {
	const char *name;	/* NULL: anonymous */
	uint32_t type;
	uint64_t bit_offset;
	uint32_t bit_size;
	size_t order;		/* position in the JSON, for a stable sort */
};

struct base {
	const char *name;
	uint32_t size;
	bool is_signed, is_float, is_bool;
};

struct user {
	const char *name;
	bool is_union;
	uint32_t size;
	size_t first, n;	/* range in fields */
};

struct constant {
	const char *name;
	uint64_t value;
};

struct enumeration {
	const char *name;
	uint32_t size;
	bool is_signed, wide;
	size_t first, n;	/* range in constants */
};

#define VEC(T) struct { T *data; size_t size, cap; }

struct importer {
	json_t *root;
	struct cp_isf_map base_ids, user_ids, enum_ids, fwd_ids;
	/* derived-type dedupe: key (kind, ref, count) -> id */
	uint64_t *dkeys;
	uint32_t *dvals;
	size_t dmask, dn;
	VEC(struct base) bases;
	VEC(struct user) users;
	VEC(struct enumeration) enums;
	VEC(struct field) fields;
	VEC(struct constant) constants;
	VEC(struct derived) derived;
	uint32_t next_id, first_user, first_enum, first_derived;
	uint32_t pointer_size;
	char where[256];	/* what is being read, for errors */
};

/* Grows vector v by one zeroed entry; NULL when full or out of memory. */
#define VEC_PUSH(v, limit)                                                   \
	({                                                                   \
		__typeof__((v).data) _e = NULL;                              \
		if ((v).size < (limit)) {                                    \
			if ((v).size == (v).cap) {                           \
				size_t _c = (v).cap ? 2 * (v).cap : 64;      \
				__typeof__((v).data) _d =                    \
					realloc((v).data, _c * sizeof(*_d)); \
				if (_d) {                                    \
					(v).data = _d;                       \
					(v).cap = _c;                        \
				}                                            \
			}                                                    \
			if ((v).size < (v).cap) {                            \
				_e = &(v).data[(v).size++];                  \
				memset(_e, 0, sizeof(*_e));                  \
			}                                                    \
		}                                                            \
		_e;                                                          \
	})

static struct cp_error *bad(struct importer *im, const char *what)
{
	return cp_error_create(CP_ERR_FORMAT, "ISF: %s: %s", im->where, what);
}

/* -------------------------------------------------------- JSON numbers */

/*
 * jansson keeps integers as long long and refuses larger ones; ISF
 * addresses are unsigned 64-bit. Numbers outside strings that are plain
 * digits above INT64_MAX are therefore quoted before parsing, and the
 * readers below accept such strings where numbers belong.
 */
static char *quote_big_numbers(const char *in, size_t len, size_t *out_len)
{
	static const char max[] = "9223372036854775807";
	size_t extra = 0;
	for (int pass = 0; pass < 2; pass++) {
		char *out = pass ? malloc(len + extra + 1) : NULL;
		size_t o = 0;
		bool in_str = false, esc = false;
		if (pass && !out)
			return NULL;
		for (size_t i = 0; i < len;) {
			char c = in[i];
			if (in_str || !isdigit((unsigned char)c) ||
			    (i && (isalnum((unsigned char)in[i - 1]) ||
				   in[i - 1] == '-' || in[i - 1] == '.'))) {
				if (in_str) {
					if (esc)
						esc = false;
					else if (c == '\\')
						esc = true;
					else if (c == '"')
						in_str = false;
				} else if (c == '"') {
					in_str = true;
				}
				if (pass)
					out[o++] = c;
				i++;
				continue;
			}
			size_t j = i;
			while (j < len && isdigit((unsigned char)in[j]))
				j++;
			size_t n = j - i;
			bool big = (j == len || !strchr(".eE", in[j])) &&
				   (n > 19 ||
				    (n == 19 && memcmp(in + i, max, 19) > 0));
			if (!pass) {
				extra += big ? 2 : 0;
			} else {
				if (big)
					out[o++] = '"';
				memcpy(out + o, in + i, n);
				o += n;
				if (big)
					out[o++] = '"';
			}
			i = j;
		}
		if (pass) {
			out[o] = '\0';
			*out_len = o;
			return out;
		}
	}
	return NULL;
}

static bool get_u64(const json_t *v, uint64_t *ret)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0)
			return false;
		*ret = (uint64_t)i;
		return true;
	}
	if (!json_is_string(v))
		return false;
	const char *s = json_string_value(v);
	char *end;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	unsigned long long u = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*ret = u;
	return true;
}

/* A signed or big unsigned constant, as its 64-bit pattern. */
static bool get_value(const json_t *v, uint64_t *ret, bool *negative)
{
	*negative = json_is_integer(v) && json_integer_value(v) < 0;
	if (*negative) {
		*ret = (uint64_t)json_integer_value(v);
		return true;
	}
	return get_u64(v, ret);
}

static bool get_u32(const json_t *obj, const char *key, uint32_t *ret)
{
	uint64_t v;
	if (!get_u64(json_object_get(obj, key), &v) || v > UINT32_MAX)
		return false;
	*ret = (uint32_t)v;
	return true;
}

/* ---------------------------------------------------- derived type ids */

static bool dmap_init(struct importer *im)
{
	im->dmask = 4095;
	im->dkeys = calloc(im->dmask + 1, sizeof(*im->dkeys));
	im->dvals = calloc(im->dmask + 1, sizeof(*im->dvals));
	return im->dkeys && im->dvals;
}

static uint32_t *dmap_slot(struct importer *im, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;
	size_t i = (size_t)(h >> 20) & im->dmask;
	while (im->dkeys[i] && im->dkeys[i] != key)
		i = (i + 1) & im->dmask;
	im->dkeys[i] = key;
	return &im->dvals[i];
}

static bool dmap_grow(struct importer *im)
{
	uint64_t *keys = im->dkeys;
	uint32_t *vals = im->dvals;
	size_t old = im->dmask + 1;
	im->dmask = 2 * old - 1;
	im->dkeys = calloc(2 * old, sizeof(*im->dkeys));
	im->dvals = calloc(2 * old, sizeof(*im->dvals));
	if (!im->dkeys || !im->dvals) {
		free(keys);
		free(vals);
		return false;
	}
	for (size_t i = 0; i < old; i++)
		if (keys[i])
			*dmap_slot(im, keys[i]) = vals[i];
	free(keys);
	free(vals);
	return true;
}

/*
 * The id of a derived type, planned now and written later. key is
 * non-zero for deduplicated kinds (pointer and array).
 */
static struct cp_error *derive(struct importer *im, uint64_t key,
			       struct derived d, uint32_t *ret)
{
	uint32_t *slot = NULL;
	if (key) {
		if (2 * (im->dn + 1) > im->dmask + 1 && !dmap_grow(im))
			return &cp_enomem;
		slot = dmap_slot(im, key);
		if (*slot) {
			*ret = *slot;
			return NULL;
		}
	}
	if (im->next_id >= MAX_TYPES)
		return bad(im, "more types than BTF can hold here");
	struct derived *e = VEC_PUSH(im->derived, MAX_TYPES);
	if (!e)
		return &cp_enomem;
	*e = d;
	*ret = im->next_id++;
	if (slot) {
		*slot = *ret;
		im->dn++;
	}
	return NULL;
}

/* A name-keyed FWD for a struct/union/enum the file does not define. */
static struct cp_error *forward(struct importer *im, const char *name,
				int fwd_kind, uint32_t *ret)
{
	/* Keyed by name only (the name points into the JSON tree): C
	 * struct, union and enum tags share one namespace. */
	uint32_t *id = cp_isf_map_get(&im->fwd_ids, name);
	if (id) {
		*ret = *id;
		return NULL;
	}
	struct cp_error *err = derive(im, 0,
				      (struct derived){ .kind = D_FWD,
							.name = name,
							.fwd_kind = fwd_kind },
				      ret);
	if (!err && !cp_isf_map_put(&im->fwd_ids, name, *ret))
		err = &cp_enomem;
	return err;
}

/* ------------------------------------------------------ type descriptors */

static struct cp_error *resolve(struct importer *im, const json_t *desc,
				int depth, uint32_t *ret)
{
	const char *kind = json_string_value(json_object_get(desc, "kind"));
	const char *name = json_string_value(json_object_get(desc, "name"));
	const json_t *sub = json_object_get(desc, "subtype");
	uint32_t *id, target;
	struct cp_error *err;
	if (depth > MAX_DESC_DEPTH)
		return bad(im, "type descriptor nested too deeply");
	if (!json_is_object(desc) || !kind)
		return bad(im, "type descriptor without a kind");
	if (strcmp(kind, "base") == 0) {
		if (!name)
			return bad(im, "base type without a name");
		if (!(id = cp_isf_map_get(&im->base_ids, name)))
			return cp_error_wrap(bad(im, "unknown base type"),
					     "%s", name);
		*ret = *id;
		return NULL;
	}
	if (strcmp(kind, "pointer") == 0) {
		if ((err = resolve(im, sub, depth + 1, &target)))
			return err;
		return derive(im, (uint64_t)1 << 62 | target,
			      (struct derived){ .kind = D_PTR, .ref = target },
			      ret);
	}
	if (strcmp(kind, "array") == 0) {
		uint32_t count;
		if (!get_u32(desc, "count", &count))
			return bad(im, "array without a count");
		if ((err = resolve(im, sub, depth + 1, &target)))
			return err;
		return derive(im,
			      (uint64_t)2 << 62 | (uint64_t)count << 30 | target,
			      (struct derived){ .kind = D_ARRAY,
						.ref = target,
						.count = count },
			      ret);
	}
	if (strcmp(kind, "function") == 0)
		return derive(im, (uint64_t)3 << 62,
			      (struct derived){ .kind = D_FUNC }, ret);
	bool is_enum = strcmp(kind, "enum") == 0;
	if (is_enum || strcmp(kind, "struct") == 0 ||
	    strcmp(kind, "union") == 0 || strcmp(kind, "class") == 0) {
		if (!name)
			return bad(im, "type reference without a name");
		id = cp_isf_map_get(is_enum ? &im->enum_ids : &im->user_ids,
				    name);
		if (id) {
			*ret = *id;
			return NULL;
		}
		return forward(im, name,
			       is_enum		       ? BTF_FWD_ENUM :
			       strcmp(kind, "union") == 0 ? BTF_FWD_UNION :
							    BTF_FWD_STRUCT,
			       ret);
	}
	return cp_error_wrap(bad(im, "unknown type kind"), "%s", kind);
}

/* ------------------------------------------------------------- sections */

static struct cp_error *read_bases(struct importer *im, json_t *bases)
{
	const char *name;
	json_t *v;
	json_object_foreach(bases, name, v) {
		const char *kind = json_string_value(json_object_get(v, "kind"));
		uint32_t size;
		snprintf(im->where, sizeof(im->where), "base_types.%.200s",
			 name);
		if (!kind || !get_u32(v, "size", &size))
			return bad(im, "needs kind and size");
		if (strcmp(kind, "void") == 0 || strcmp(name, "void") == 0) {
			if (!cp_isf_map_put(&im->base_ids, name, 0))
				return &cp_enomem;
			continue;
		}
		if (strcmp(name, "pointer") == 0) {
			if (size != 4 && size != 8)
				return bad(im, "pointer size is not 4 or 8");
			im->pointer_size = size;
			continue;
		}
		bool is_float = strcmp(kind, "float") == 0;
		if (is_float ? !(size == 2 || size == 4 || size == 8 ||
				 size == 12 || size == 16) :
			       !(size == 1 || size == 2 || size == 4 ||
				 size == 8 || size == 16))
			return bad(im, "size BTF cannot represent");
		if (!is_float && strcmp(kind, "int") && strcmp(kind, "char") &&
		    strcmp(kind, "bool"))
			return bad(im, "unknown kind");
		struct base *b = VEC_PUSH(im->bases, 65536);
		if (!b)
			return bad(im, "too many base types");
		b->name = name;
		b->size = size;
		b->is_float = is_float;
		b->is_bool = strcmp(kind, "bool") == 0;
		b->is_signed = json_is_true(json_object_get(v, "signed"));
		if (!cp_isf_map_put(&im->base_ids, name, im->next_id++))
			return &cp_enomem;
	}
	return NULL;
}

/* Plans ids for user types and enums, before any field refers to them. */
static struct cp_error *plan_named(struct importer *im, json_t *users,
				   json_t *enums)
{
	const char *name;
	json_t *v;
	im->first_user = im->next_id;
	json_object_foreach(users, name, v) {
		if (im->next_id >= MAX_TYPES)
			return cp_error_create(CP_ERR_FORMAT,
					       "ISF: more than %u user types",
					       MAX_TYPES);
		struct user *u = VEC_PUSH(im->users, MAX_TYPES);
		if (!u || !cp_isf_map_put(&im->user_ids, name, im->next_id++))
			return &cp_enomem;
		u->name = name;
	}
	im->first_enum = im->next_id;
	json_object_foreach(enums, name, v) {
		if (im->next_id >= MAX_TYPES)
			return cp_error_create(CP_ERR_FORMAT,
					       "ISF: more than %u enums",
					       MAX_TYPES);
		struct enumeration *e = VEC_PUSH(im->enums, MAX_TYPES);
		if (!e || !cp_isf_map_put(&im->enum_ids, name, im->next_id++))
			return &cp_enomem;
		e->name = name;
	}
	im->first_derived = im->next_id;
	/* The array index type every BTF array needs, as pahole names it. */
	uint32_t unused;
	return derive(im, 0, (struct derived){ .kind = D_INDEX }, &unused);
}

static int field_cmp(const void *a, const void *b)
{
	const struct field *x = a, *y = b;
	if (x->bit_offset != y->bit_offset)
		return x->bit_offset < y->bit_offset ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static struct cp_error *read_field(struct importer *im, struct user *u,
				   const char *fname, json_t *f, size_t order)
{
	const json_t *type = json_object_get(f, "type");
	const char *kind = json_string_value(json_object_get(type, "kind"));
	uint64_t offset, pos = 0, len = 0;
	uint32_t id;
	struct cp_error *err;
	if (!get_u64(json_object_get(f, "offset"), &offset) ||
	    offset > UINT32_MAX / 8)
		return bad(im, "field offset missing or beyond 512 MiB");
	if (kind && strcmp(kind, "bitfield") == 0) {
		if (!get_u64(json_object_get(type, "bit_position"), &pos) ||
		    !get_u64(json_object_get(type, "bit_length"), &len) ||
		    len == 0 || len > 128 || pos > 1024)
			return bad(im, "bitfield position or length invalid");
		if ((err = resolve(im, json_object_get(type, "type"), 1, &id)))
			return err;
	} else if ((err = resolve(im, type, 0, &id))) {
		return err;
	}
	if (offset * 8 + pos > UINT32_MAX)
		return bad(im, "bit offset beyond BTF's 32 bits");
	if (u->is_union && offset * 8 + pos)
		return bad(im, "union member not at offset 0");
	struct field *rec = VEC_PUSH(im->fields, MAX_FIELDS);
	if (!rec)
		return bad(im, "too many fields in the file");
	bool anonymous = json_is_true(json_object_get(f, "anonymous"));
	rec->name = anonymous ? NULL : fname;
	rec->type = id;
	rec->bit_offset = offset * 8 + pos;
	rec->bit_size = (uint32_t)len;
	rec->order = order;
	return NULL;
}

static struct cp_error *read_users(struct importer *im, json_t *users)
{
	const char *name, *fname;
	json_t *v, *f;
	size_t i = 0;
	json_object_foreach(users, name, v) {
		struct user *u = &im->users.data[i++];
		const char *kind = json_string_value(json_object_get(v, "kind"));
		json_t *fields = json_object_get(v, "fields");
		struct cp_error *err;
		snprintf(im->where, sizeof(im->where), "user_types.%.200s",
			 name);
		if (!kind || !json_is_object(fields) ||
		    !get_u32(v, "size", &u->size))
			return bad(im, "needs kind, size and fields");
		if (strcmp(kind, "struct") && strcmp(kind, "union") &&
		    strcmp(kind, "class"))
			return bad(im, "kind is not struct, union or class");
		u->is_union = strcmp(kind, "union") == 0;
		if (json_object_size(fields) > MAX_MEMBERS)
			return bad(im, "more fields than BTF allows (65535)");
		u->first = im->fields.size;
		size_t order = 0;
		bool bitfields = false;
		json_object_foreach(fields, fname, f) {
			snprintf(im->where, sizeof(im->where),
				 "user_types.%.100s.fields.%.100s", name, fname);
			if ((err = read_field(im, u, fname, f, order++)))
				return err;
			bitfields |= im->fields.data[im->fields.size - 1].bit_size;
		}
		u->n = im->fields.size - u->first;
		qsort(im->fields.data + u->first, u->n, sizeof(struct field),
		      field_cmp);
		/* With a bitfield, BTF packs every member's offset in 24
		 * bits (the size takes the top 8). */
		for (size_t k = 0; bitfields && k < u->n; k++)
			if (im->fields.data[u->first + k].bit_offset >
			    MAX_BITFIELD_OFFSET)
				return bad(im, "struct with bitfields beyond "
					       "2 MiB");
	}
	return NULL;
}

static struct cp_error *read_enums(struct importer *im, json_t *enums)
{
	const char *name, *cname;
	json_t *v, *c;
	size_t i = 0;
	json_object_foreach(enums, name, v) {
		struct enumeration *e = &im->enums.data[i++];
		json_t *consts = json_object_get(v, "constants");
		const char *base = json_string_value(json_object_get(v, "base"));
		uint32_t *bid = base ? cp_isf_map_get(&im->base_ids, base) :
				       NULL;
		snprintf(im->where, sizeof(im->where), "enums.%.200s", name);
		if (!json_is_object(consts) || !get_u32(v, "size", &e->size))
			return bad(im, "needs size and constants");
		if (e->size != 1 && e->size != 2 && e->size != 4 &&
		    e->size != 8)
			return bad(im, "size is not 1, 2, 4 or 8");
		if (json_object_size(consts) > MAX_MEMBERS)
			return bad(im, "more constants than BTF allows");
		if (bid && *bid >= 1 && *bid < im->first_user)
			e->is_signed = im->bases.data[*bid - 1].is_signed;
		e->first = im->constants.size;
		json_object_foreach(consts, cname, c) {
			struct constant *k = VEC_PUSH(im->constants, MAX_FIELDS);
			bool negative;
			if (!k)
				return bad(im, "too many constants in the file");
			if (!get_value(c, &k->value, &negative) || !*cname)
				return cp_error_wrap(bad(im, "bad constant"),
						     "%.100s", cname);
			k->name = cname;
			e->is_signed |= negative;
			/* BTF_KIND_ENUM holds [INT_MIN, UINT_MAX]. */
			if (negative ? (int64_t)k->value < INT32_MIN :
				       k->value > UINT32_MAX)
				e->wide = true;
		}
		e->n = im->constants.size - e->first;
		if (e->wide)
			e->size = 8;
	}
	return NULL;
}

/* ------------------------------------------------------------- symbols */

static struct cp_error *read_symbols(struct importer *im, json_t *symbols,
				     struct cp_isf_symbols *out)
{
	const char *name;
	json_t *v;
	size_t n = json_object_size(symbols);
	memset(out, 0, sizeof(*out));
	out->data = calloc(n ? n : 1, sizeof(*out->data));
	if (!out->data)
		return &cp_enomem;
	json_object_foreach(symbols, name, v) {
		uint64_t addr;
		snprintf(im->where, sizeof(im->where), "symbols.%.200s", name);
		if (!get_u64(json_object_get(v, "address"), &addr))
			return bad(im, "address missing or not an integer");
		const char *data =
			json_string_value(json_object_get(v, "constant_data"));
		if (data && strcmp(name, "linux_banner") == 0 && !out->banner) {
			size_t len;
			uint8_t *raw = cp_isf_base64_decode(data, &len);
			if (!raw)
				return bad(im, "constant_data is not base64");
			/* Stored as in memory: text, "\n", NUL. */
			while (len && (raw[len - 1] == '\0' ||
				       raw[len - 1] == '\n'))
				len--;
			raw[len] = '\0';
			out->banner = (char *)raw;
		}
		struct cp_isf_symbol *s = &out->data[out->size];
		if (!(s->name = strdup(name)))
			return &cp_enomem;
		s->address = addr;
		s->type = '?';
		out->size++;
	}
	return NULL;
}

/* --------------------------------------------------------- writing BTF */

static struct cp_error *expect(struct importer *im, int got, uint32_t want,
			       const char *what)
{
	if (got < 0)
		return cp_error_create(CP_ERR_FORMAT,
				       "ISF: libbpf refused %s: %s", what,
				       strerror(-got));
	if ((uint32_t)got != want)
		return cp_error_create(CP_ERR_FORMAT,
				       "ISF: %s got BTF id %d, planned %" PRIu32,
				       what, got, want);
	(void)im;
	return NULL;
}

/* A user type's BTF name: "unnamed_..." is anonymous, "NAME#id" NAME. */
static const char *btf_name_of(const char *isf_name, char *buf, size_t len)
{
	if (strncmp(isf_name, "unnamed_", 8) == 0)
		return NULL;
	const char *hash = strchr(isf_name, '#');
	if (!hash)
		return isf_name;
	snprintf(buf, len, "%.*s", (int)(hash - isf_name), isf_name);
	return buf;
}

static struct cp_error *write_btf(struct importer *im, struct btf *btf)
{
	struct cp_error *err;
	char buf[512];
	uint32_t id = 1;
	for (size_t i = 0; i < im->bases.size; i++, id++) {
		const struct base *b = &im->bases.data[i];
		int r = b->is_float ?
				btf__add_float(btf, b->name, b->size) :
				btf__add_int(btf, b->name, b->size,
					     b->is_bool ? BTF_INT_BOOL :
					     b->is_signed ? BTF_INT_SIGNED :
							    0);
		if ((err = expect(im, r, id, b->name)))
			return err;
	}
	for (size_t i = 0; i < im->users.size; i++, id++) {
		const struct user *u = &im->users.data[i];
		const char *n = btf_name_of(u->name, buf, sizeof(buf));
		int r = u->is_union ? btf__add_union(btf, n, u->size) :
				      btf__add_struct(btf, n, u->size);
		if ((err = expect(im, r, id, u->name)))
			return err;
		for (size_t k = 0; k < u->n; k++) {
			const struct field *f = &im->fields.data[u->first + k];
			r = btf__add_field(btf, f->name, (int)f->type,
					   (uint32_t)f->bit_offset, f->bit_size);
			if (r < 0)
				return cp_error_create(
					CP_ERR_FORMAT,
					"ISF: user_types.%s: libbpf refused "
					"field %s: %s",
					u->name, f->name ? f->name : "(anon)",
					strerror(-r));
		}
	}
	for (size_t i = 0; i < im->enums.size; i++, id++) {
		const struct enumeration *e = &im->enums.data[i];
		const char *n = btf_name_of(e->name, buf, sizeof(buf));
		int r = e->wide ? btf__add_enum64(btf, n, e->size, e->is_signed) :
				  btf__add_enum(btf, n, e->size);
		if ((err = expect(im, r, id, e->name)))
			return err;
		for (size_t k = 0; k < e->n; k++) {
			const struct constant *c = &im->constants.data[e->first + k];
			r = e->wide ? btf__add_enum64_value(btf, c->name, c->value) :
				      btf__add_enum_value(btf, c->name,
							  (int64_t)c->value);
			if (r < 0)
				return cp_error_create(
					CP_ERR_FORMAT,
					"ISF: enums.%s: libbpf refused %s: %s",
					e->name, c->name, strerror(-r));
		}
	}
	for (size_t i = 0; i < im->derived.size; i++, id++) {
		const struct derived *d = &im->derived.data[i];
		int r;
		switch (d->kind) {
		case D_INDEX:
			r = btf__add_int(btf, "__ARRAY_SIZE_TYPE__", 4, 0);
			break;
		case D_PTR:
			r = btf__add_ptr(btf, (int)d->ref);
			break;
		case D_ARRAY:
			r = btf__add_array(btf, (int)im->first_derived,
					   (int)d->ref, d->count);
			break;
		case D_FUNC:
			r = btf__add_func_proto(btf, 0);
			break;
		default:
			r = btf__add_fwd(btf, d->name,
					 (enum btf_fwd_kind)d->fwd_kind);
			break;
		}
		if ((err = expect(im, r, id, "a derived type")))
			return err;
	}
	return NULL;
}

/*
 * Refuses a struct that contains itself by value (through members or
 * arrays): sizes would be infinite and recursive walkers would not end.
 * Iterative DFS over user types; colours: 0 new, 1 on stack, 2 done.
 */
static struct cp_error *check_cycles(struct importer *im,
				     const struct btf *btf)
{
	size_t n = im->users.size;
	_cleanup_free_ uint8_t *colour = calloc(n ? n : 1, 1);
	_cleanup_free_ size_t *stack = malloc((n ? n : 1) * 2 * sizeof(size_t));
	if (!colour || !stack)
		return &cp_enomem;
	for (size_t root = 0; root < n; root++) {
		size_t sp = 0;
		if (colour[root])
			continue;
		stack[sp++] = root;
		stack[sp++] = 0;
		colour[root] = 1;
		while (sp) {
			size_t u = stack[sp - 2], k = stack[sp - 1]++;
			const struct user *usr = &im->users.data[u];
			if (k >= usr->n) {
				colour[u] = 2;
				sp -= 2;
				continue;
			}
			uint32_t t = im->fields.data[usr->first + k].type;
			for (int hops = 0; hops < MAX_DESC_DEPTH; hops++) {
				const struct btf_type *bt = btf__type_by_id(btf, t);
				if (!bt || !btf_is_array(bt))
					break;
				t = btf_array(bt)->type;
			}
			if (t < im->first_user || t >= im->first_enum)
				continue;
			size_t v = t - im->first_user;
			if (colour[v] == 1)
				return cp_error_create(
					CP_ERR_FORMAT,
					"ISF: user_types.%s contains itself "
					"by value (through %s)",
					im->users.data[v].name, usr->name);
			if (colour[v] == 0) {
				colour[v] = 1;
				stack[sp++] = v;
				stack[sp++] = 0;
			}
		}
	}
	return NULL;
}

/* ----------------------------------------------------------- the import */

static void importer_free(struct importer *im)
{
	cp_isf_map_deinit(&im->base_ids);
	cp_isf_map_deinit(&im->user_ids);
	cp_isf_map_deinit(&im->enum_ids);
	cp_isf_map_deinit(&im->fwd_ids);
	free(im->dkeys);
	free(im->dvals);
	free(im->bases.data);
	free(im->users.data);
	free(im->enums.data);
	free(im->fields.data);
	free(im->constants.data);
	free(im->derived.data);
	json_decref(im->root);
}

static struct cp_error *check_shape(json_t *root)
{
	const char *sections[] = { "metadata", "base_types", "user_types",
				   "enums", "symbols" };
	for (size_t i = 0; i < CP_ARRAY_SIZE(sections); i++)
		if (!json_is_object(json_object_get(root, sections[i])))
			return cp_error_create(CP_ERR_FORMAT,
					       "ISF: no \"%s\" object: not an "
					       "ISF file",
					       sections[i]);
	const char *format = json_string_value(
		json_object_get(json_object_get(root, "metadata"), "format"));
	unsigned major, minor, patch;
	char end;
	if (!format || sscanf(format, "%u.%u.%u%c", &major, &minor, &patch,
			      &end) != 3)
		return cp_error_create(CP_ERR_FORMAT,
				       "ISF: metadata.format missing or not "
				       "MAJOR.MINOR.PATCH");
	/* 4.x introduced "size" (earlier files say "length"). */
	if (major < 4 || major > 6)
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "ISF: format %s not supported (4.x-6.x)",
				       format);
	return NULL;
}

static struct cp_error *import(struct importer *im, struct btf **ret,
			       struct cp_isf_symbols *syms)
{
	json_t *root = im->root;
	struct cp_error *err = check_shape(root);
	if (err)
		return err;
	json_t *users = json_object_get(root, "user_types");
	json_t *enums = json_object_get(root, "enums");
	if (!cp_isf_map_init(&im->base_ids, 64) ||
	    !cp_isf_map_init(&im->user_ids, json_object_size(users)) ||
	    !cp_isf_map_init(&im->enum_ids, json_object_size(enums)) ||
	    !cp_isf_map_init(&im->fwd_ids, 64) || !dmap_init(im))
		return &cp_enomem;
	im->next_id = 1;
	im->pointer_size = 8;
	if ((err = read_bases(im, json_object_get(root, "base_types"))) ||
	    (err = plan_named(im, users, enums)) ||
	    (err = read_users(im, users)) || (err = read_enums(im, enums)))
		return err;
	struct btf *btf = btf__new_empty();
	if (!btf)
		return &cp_enomem;
	btf__set_pointer_size(btf, im->pointer_size);
	if ((err = write_btf(im, btf)) || (err = cp_btf_check(btf, false)) ||
	    (err = check_cycles(im, btf))) {
		btf__free(btf);
		return err;
	}
	/* Symbols are checked even when not wanted: a file is refused or
	 * accepted whole. */
	struct cp_isf_symbols read;
	err = read_symbols(im, json_object_get(root, "symbols"), &read);
	if (err) {
		cp_isf_symbols_deinit(&read);
		btf__free(btf);
		return err;
	}
	if (syms)
		*syms = read;
	else
		cp_isf_symbols_deinit(&read);
	*ret = btf;
	return NULL;
}

struct cp_error *cp_isf_import_buffer(const char *json, size_t len,
				      struct btf **btf,
				      struct cp_isf_symbols *syms)
{
	struct importer im;
	json_error_t jerr;
	size_t qlen;
	memset(&im, 0, sizeof(im));
	if (len > MAX_ISF_FILE)
		return cp_error_create(CP_ERR_USAGE, "ISF: larger than 1 GiB");
	_cleanup_free_ char *quoted = quote_big_numbers(json, len, &qlen);
	if (!quoted)
		return &cp_enomem;
	im.root = json_loadb(quoted, qlen, JSON_REJECT_DUPLICATES, &jerr);
	if (!im.root)
		return cp_error_create(CP_ERR_FORMAT,
				       "ISF: JSON error at line %d column %d: "
				       "%s",
				       jerr.line, jerr.column, jerr.text);
	struct cp_error *err = import(&im, btf, syms);
	importer_free(&im);
	return err;
}

struct cp_error *cp_isf_import(const char *path, struct btf **btf,
			       struct cp_isf_symbols *syms)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct cp_error *err =
		cp_isf_read_file(path, MAX_ISF_FILE, &text, &len);
	if (err)
		return err;
	return cp_error_wrap(cp_isf_import_buffer(text, len, btf, syms), "%s",
			     path);
}
