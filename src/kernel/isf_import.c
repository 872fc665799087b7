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
 * libbpf appends fields to the last type added, so this file only plans:
 * base types, then user types, then enums, then derived types in the
 * order descriptors need them, every field's type id known before any
 * type is written (isf_plan.h); isf_btf.c then writes the plan.
 *
 * The file is user input but may come from anywhere: JSON is parsed by
 * jansson after unsigned 64-bit numbers (addresses above 2^63, which
 * jansson cannot hold) are turned into strings (isf_json.c); sizes,
 * counts, offsets and nesting are bounded; and a struct containing itself
 * by value, which would make sizes infinite, is refused.
 *
 * Not for: writing BTF (isf_btf.c), writing ISF (isf_export.c) or
 * System.map (isf.c).
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
#include "kernel/isf_plan.h"
#include "util/cleanup.h"
#include "util/error.h"

static struct cp_error *bad(struct cp_isf_plan *im, const char *what)
{
	return cp_error_create(CP_ERR_FORMAT, "ISF: %s: %s", im->where, what);
}

/* ---------------------------------------------------- derived type ids */

static bool dmap_init(struct cp_isf_plan *im)
{
	im->dmask = 4095;
	im->dkeys = calloc(im->dmask + 1, sizeof(*im->dkeys));
	im->dvals = calloc(im->dmask + 1, sizeof(*im->dvals));
	return im->dkeys && im->dvals;
}

static uint32_t *dmap_slot(struct cp_isf_plan *im, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;
	size_t i = (size_t)(h >> 20) & im->dmask;
	while (im->dkeys[i] && im->dkeys[i] != key)
		i = (i + 1) & im->dmask;
	im->dkeys[i] = key;
	return &im->dvals[i];
}

static bool dmap_grow(struct cp_isf_plan *im)
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
static struct cp_error *derive(struct cp_isf_plan *im, uint64_t key,
			       struct cp_isf_derived d, uint32_t *ret)
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
	if (im->next_id >= CP_ISF_MAX_TYPES)
		return bad(im, "more types than BTF can hold here");
	struct cp_isf_derived *e = CP_ISF_PUSH(cp_isf_derived_vector,
					       &im->derived, CP_ISF_MAX_TYPES);
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
static struct cp_error *forward(struct cp_isf_plan *im, const char *name,
				int fwd_kind, uint32_t *ret)
{
	/* Keyed by name only (the name points into the JSON tree): C
	 * struct, union and enum tags share one namespace. */
	uint32_t *id = cp_isf_map_get(&im->fwd_ids, name);
	if (id) {
		*ret = *id;
		return NULL;
	}
	struct cp_error *err =
		derive(im, 0,
		       (struct cp_isf_derived){ .kind = CP_ISF_D_FWD,
						.name = name,
						.fwd_kind = fwd_kind },
		       ret);
	if (!err && !cp_isf_map_put(&im->fwd_ids, name, *ret))
		err = &cp_enomem;
	return err;
}

/* ------------------------------------------------------ type descriptors */

static struct cp_error *resolve(struct cp_isf_plan *im, const json_t *desc,
				int depth, uint32_t *ret)
{
	const char *kind = json_string_value(json_object_get(desc, "kind"));
	const char *name = json_string_value(json_object_get(desc, "name"));
	const json_t *sub = json_object_get(desc, "subtype");
	uint32_t *id, target;
	struct cp_error *err;
	if (depth > CP_ISF_MAX_DESC_DEPTH)
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
			      (struct cp_isf_derived){ .kind = CP_ISF_D_PTR,
						       .ref = target },
			      ret);
	}
	if (strcmp(kind, "array") == 0) {
		uint32_t count;
		if (!cp_isf_json_u32(desc, "count", &count))
			return bad(im, "array without a count");
		if ((err = resolve(im, sub, depth + 1, &target)))
			return err;
		return derive(
			im, (uint64_t)2 << 62 | (uint64_t)count << 30 | target,
			(struct cp_isf_derived){ .kind = CP_ISF_D_ARRAY,
					  .ref = target,
					  .count = count },
			ret);
	}
	if (strcmp(kind, "function") == 0)
		return derive(im, (uint64_t)3 << 62,
			      (struct cp_isf_derived){ .kind = CP_ISF_D_FUNC },
			      ret);
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

static struct cp_error *read_bases(struct cp_isf_plan *im, json_t *bases)
{
	const char *name;
	json_t *v;
	json_object_foreach(bases, name, v) {
		const char *kind =
			json_string_value(json_object_get(v, "kind"));
		uint32_t size;
		snprintf(im->where, sizeof(im->where), "base_types.%.200s",
			 name);
		if (!kind || !cp_isf_json_u32(v, "size", &size))
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
		struct cp_isf_base *b =
			CP_ISF_PUSH(cp_isf_base_vector, &im->bases, 65536);
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
static struct cp_error *plan_named(struct cp_isf_plan *im, json_t *users,
				   json_t *enums)
{
	const char *name;
	json_t *v;
	im->first_user = im->next_id;
	json_object_foreach(users, name, v) {
		if (im->next_id >= CP_ISF_MAX_TYPES)
			return cp_error_create(CP_ERR_FORMAT,
					       "ISF: more than %u user types",
					       CP_ISF_MAX_TYPES);
		struct cp_isf_user *u = CP_ISF_PUSH(
			cp_isf_user_vector, &im->users, CP_ISF_MAX_TYPES);
		if (!u || !cp_isf_map_put(&im->user_ids, name, im->next_id++))
			return &cp_enomem;
		u->name = name;
	}
	im->first_enum = im->next_id;
	json_object_foreach(enums, name, v) {
		if (im->next_id >= CP_ISF_MAX_TYPES)
			return cp_error_create(CP_ERR_FORMAT,
					       "ISF: more than %u enums",
					       CP_ISF_MAX_TYPES);
		struct cp_isf_enum *e = CP_ISF_PUSH(
			cp_isf_enum_vector, &im->enums, CP_ISF_MAX_TYPES);
		if (!e || !cp_isf_map_put(&im->enum_ids, name, im->next_id++))
			return &cp_enomem;
		e->name = name;
	}
	im->first_derived = im->next_id;
	/* The array index type every BTF array needs, as pahole names it. */
	uint32_t unused;
	return derive(im, 0, (struct cp_isf_derived){ .kind = CP_ISF_D_INDEX },
		      &unused);
}

static int field_cmp(const void *a, const void *b)
{
	const struct cp_isf_field *x = a, *y = b;
	if (x->bit_offset != y->bit_offset)
		return x->bit_offset < y->bit_offset ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static struct cp_error *read_field(struct cp_isf_plan *im,
				   struct cp_isf_user *u, const char *fname,
				   json_t *f, size_t order)
{
	const json_t *type = json_object_get(f, "type");
	const char *kind = json_string_value(json_object_get(type, "kind"));
	uint64_t offset, pos = 0, len = 0;
	uint32_t id;
	struct cp_error *err;
	if (!cp_isf_json_u64(json_object_get(f, "offset"), &offset) ||
	    offset > UINT32_MAX / 8)
		return bad(im, "field offset missing or beyond 512 MiB");
	if (kind && strcmp(kind, "bitfield") == 0) {
		if (!cp_isf_json_u64(json_object_get(type, "bit_position"),
				     &pos) ||
		    !cp_isf_json_u64(json_object_get(type, "bit_length"),
				     &len) ||
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
	struct cp_isf_field *rec = CP_ISF_PUSH(cp_isf_field_vector, &im->fields,
					       CP_ISF_MAX_FIELDS);
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

static struct cp_error *read_users(struct cp_isf_plan *im, json_t *users)
{
	const char *name, *fname;
	json_t *v, *f;
	size_t i = 0;
	json_object_foreach(users, name, v) {
		struct cp_isf_user *u = &im->users.data[i++];
		const char *kind =
			json_string_value(json_object_get(v, "kind"));
		json_t *fields = json_object_get(v, "fields");
		struct cp_error *err;
		snprintf(im->where, sizeof(im->where), "user_types.%.200s",
			 name);
		if (!kind || !json_is_object(fields) ||
		    !cp_isf_json_u32(v, "size", &u->size))
			return bad(im, "needs kind, size and fields");
		if (strcmp(kind, "struct") && strcmp(kind, "union") &&
		    strcmp(kind, "class"))
			return bad(im, "kind is not struct, union or class");
		u->is_union = strcmp(kind, "union") == 0;
		if (json_object_size(fields) > CP_ISF_MAX_MEMBERS)
			return bad(im, "more fields than BTF allows (65535)");
		u->first = im->fields.size;
		size_t order = 0;
		bool bitfields = false;
		json_object_foreach(fields, fname, f) {
			snprintf(im->where, sizeof(im->where),
				 "user_types.%.100s.fields.%.100s", name,
				 fname);
			if ((err = read_field(im, u, fname, f, order++)))
				return err;
			bitfields |=
				im->fields.data[im->fields.size - 1].bit_size;
		}
		u->n = im->fields.size - u->first;
		if (u->n) /* data may still be NULL: no arithmetic on it */
			qsort(im->fields.data + u->first, u->n,
			      sizeof(struct cp_isf_field), field_cmp);
		/* With a bitfield, BTF packs every member's offset in 24
		 * bits (the size takes the top 8). */
		for (size_t k = 0; bitfields && k < u->n; k++)
			if (im->fields.data[u->first + k].bit_offset >
			    CP_ISF_MAX_BITFIELD_OFFSET)
				return bad(im, "struct with bitfields beyond "
					       "2 MiB");
	}
	return NULL;
}

static struct cp_error *read_enums(struct cp_isf_plan *im, json_t *enums)
{
	const char *name, *cname;
	json_t *v, *c;
	size_t i = 0;
	json_object_foreach(enums, name, v) {
		struct cp_isf_enum *e = &im->enums.data[i++];
		json_t *consts = json_object_get(v, "constants");
		const char *base =
			json_string_value(json_object_get(v, "base"));
		uint32_t *bid = base ? cp_isf_map_get(&im->base_ids, base) :
				       NULL;
		snprintf(im->where, sizeof(im->where), "enums.%.200s", name);
		if (!json_is_object(consts) ||
		    !cp_isf_json_u32(v, "size", &e->size))
			return bad(im, "needs size and constants");
		if (e->size != 1 && e->size != 2 && e->size != 4 &&
		    e->size != 8)
			return bad(im, "size is not 1, 2, 4 or 8");
		if (json_object_size(consts) > CP_ISF_MAX_MEMBERS)
			return bad(im, "more constants than BTF allows");
		if (bid && *bid >= 1 && *bid < im->first_user)
			e->is_signed = im->bases.data[*bid - 1].is_signed;
		e->first = im->constants.size;
		json_object_foreach(consts, cname, c) {
			struct cp_isf_constant *k =
				CP_ISF_PUSH(cp_isf_constant_vector,
					    &im->constants, CP_ISF_MAX_FIELDS);
			bool negative;
			if (!k)
				return bad(im,
					   "too many constants in the file");
			if (!cp_isf_json_value(c, &k->value, &negative) ||
			    !*cname)
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

static struct cp_error *read_symbols(struct cp_isf_plan *im, json_t *symbols,
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
		if (!cp_isf_json_u64(json_object_get(v, "address"), &addr))
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

/* ----------------------------------------------------------- the import */

static void importer_free(struct cp_isf_plan *im)
{
	cp_isf_map_deinit(&im->base_ids);
	cp_isf_map_deinit(&im->user_ids);
	cp_isf_map_deinit(&im->enum_ids);
	cp_isf_map_deinit(&im->fwd_ids);
	free(im->dkeys);
	free(im->dvals);
	cp_isf_base_vector_deinit(&im->bases);
	cp_isf_user_vector_deinit(&im->users);
	cp_isf_enum_vector_deinit(&im->enums);
	cp_isf_field_vector_deinit(&im->fields);
	cp_isf_constant_vector_deinit(&im->constants);
	cp_isf_derived_vector_deinit(&im->derived);
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

static struct cp_error *import(struct cp_isf_plan *im, struct btf **ret,
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
	if ((err = cp_isf_plan_write(im, btf)) ||
	    (err = cp_btf_check(btf, false)) ||
	    (err = cp_isf_plan_check_cycles(im, btf))) {
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
	struct cp_isf_plan im;
	json_error_t jerr;
	size_t qlen;
	memset(&im, 0, sizeof(im));
	if (len > CP_ISF_MAX_FILE)
		return cp_error_create(CP_ERR_USAGE, "ISF: larger than 1 GiB");
	_cleanup_free_ char *quoted = cp_isf_json_quote_big(json, len, &qlen);
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
		cp_isf_read_file(path, CP_ISF_MAX_FILE, &text, &len);
	if (err)
		return err;
	return cp_error_wrap(cp_isf_import_buffer(text, len, btf, syms), "%s",
			     path);
}
