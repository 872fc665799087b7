/*
 * isf_btf.c - writing an import plan (isf_plan.h) with libbpf's writer.
 *
 * Types go in id order: base types, user types each followed by its
 * fields (sorted by bit offset), enums with their values, then the
 * derived types. Every id libbpf returns is checked against the plan,
 * since fields already refer to ids not yet written. Names: "unnamed_..."
 * (dwarf2json's and our own anonymous types) become anonymous, and
 * "NAME#<id>" (a second definition, see isf_export.c) becomes NAME.
 *
 * Afterwards, a struct that contains itself by value (through members or
 * arrays) is refused: its size would be infinite and walkers that recurse
 * into members would not end. Not for: reading JSON (isf_import.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/isf_plan.h"
#include "util/cleanup.h"
#include "util/error.h"
static struct cp_error *expect(struct cp_isf_plan *im, int got, uint32_t want,
			       const char *what)
{
	if (got < 0)
		return cp_error_create(CP_ERR_FORMAT,
				       "ISF: libbpf refused %s: %s", what,
				       strerror(-got));
	if ((uint32_t)got != want)
		return cp_error_create(
			CP_ERR_FORMAT,
			"ISF: %s got BTF id %d, planned %" PRIu32, what, got,
			want);
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

struct cp_error *cp_isf_plan_write(struct cp_isf_plan *im, struct btf *btf)
{
	struct cp_error *err;
	char buf[512];
	uint32_t id = 1;
	for (size_t i = 0; i < im->bases.size; i++, id++) {
		const struct cp_isf_base *b = &im->bases.data[i];
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
		const struct cp_isf_user *u = &im->users.data[i];
		const char *n = btf_name_of(u->name, buf, sizeof(buf));
		int r = u->is_union ? btf__add_union(btf, n, u->size) :
				      btf__add_struct(btf, n, u->size);
		if ((err = expect(im, r, id, u->name)))
			return err;
		for (size_t k = 0; k < u->n; k++) {
			const struct cp_isf_field *f =
				&im->fields.data[u->first + k];
			r = btf__add_field(btf, f->name, (int)f->type,
					   (uint32_t)f->bit_offset,
					   f->bit_size);
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
		const struct cp_isf_enum *e = &im->enums.data[i];
		const char *n = btf_name_of(e->name, buf, sizeof(buf));
		int r = e->wide ?
				btf__add_enum64(btf, n, e->size, e->is_signed) :
				btf__add_enum(btf, n, e->size);
		if ((err = expect(im, r, id, e->name)))
			return err;
		for (size_t k = 0; k < e->n; k++) {
			const struct cp_isf_constant *c =
				&im->constants.data[e->first + k];
			r = e->wide ? btf__add_enum64_value(btf, c->name,
							    c->value) :
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
		const struct cp_isf_derived *d = &im->derived.data[i];
		int r;
		switch (d->kind) {
		case CP_ISF_D_INDEX:
			r = btf__add_int(btf, "__ARRAY_SIZE_TYPE__", 4, 0);
			break;
		case CP_ISF_D_PTR:
			r = btf__add_ptr(btf, (int)d->ref);
			break;
		case CP_ISF_D_ARRAY:
			r = btf__add_array(btf, (int)im->first_derived,
					   (int)d->ref, d->count);
			break;
		case CP_ISF_D_FUNC:
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
struct cp_error *cp_isf_plan_check_cycles(const struct cp_isf_plan *im,
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
			const struct cp_isf_user *usr = &im->users.data[u];
			if (k >= usr->n) {
				colour[u] = 2;
				sp -= 2;
				continue;
			}
			uint32_t t = im->fields.data[usr->first + k].type;
			for (int hops = 0; hops < CP_ISF_MAX_DESC_DEPTH;
			     hops++) {
				const struct btf_type *bt =
					btf__type_by_id(btf, t);
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
