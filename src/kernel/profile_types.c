/*
 * profile_types.c - what views ask a profile: symbols by name and in
 * order, struct members by name, sizes, enum values, pahole-style dumps.
 *
 * Thin on purpose: the symbol table is kallsyms.c's, the type model is
 * BTF (btf.h), whichever source the types came from. Every lookup that can
 * miss says what was missing, so a view can name the field its kernel
 * lacks.
 */
#include <stdlib.h>

#include "kernel/profile.h"
#include "util/error.h"

size_t cp_profile_symbol_count(const struct cp_profile *p)
{
	return p->ksyms ? cp_kallsyms_count(p->ksyms) : 0;
}

bool cp_profile_symbol_at(const struct cp_profile *p, size_t i,
			  struct cp_symbol *ret)
{
	struct cp_ksym k;
	if (!p->ksyms || !cp_kallsyms_get(p->ksyms, i, &k))
		return false;
	ret->name = k.name;
	ret->address = k.addr;
	ret->type = k.type;
	return true;
}

bool cp_profile_symbol(const struct cp_profile *p, const char *name,
		       uint64_t *address)
{
	return p->ksyms && cp_kallsyms_address(p->ksyms, name, address);
}

size_t cp_profile_type_count(const struct cp_profile *p)
{
	return p->btf ? btf__type_cnt(p->btf) - 1 : 0;
}

static struct cp_error *no_types(void)
{
	return cp_error_create(CP_ERR_UNSUPPORTED,
			       "no kernel types (no BTF in RAM; try --isf)");
}

struct cp_error *cp_field(const struct cp_profile *p, const char *type,
			  const char *path, struct cp_field *ret)
{
	if (!p->btf_index)
		return no_types();
	struct cp_btf_field f;
	struct cp_error *err = cp_btf_index_field(p->btf_index, type, path, &f);
	if (err)
		return err;
	ret->offset = f.offset;
	ret->size = f.size;
	ret->bit_offset = f.bit_offset;
	ret->bit_size = f.bit_size;
	return NULL;
}

struct cp_error *cp_type_size(const struct cp_profile *p, const char *type,
			      uint64_t *ret)
{
	if (!p->btf_index)
		return no_types();
	return cp_btf_index_type_size(p->btf_index, type, ret);
}

struct cp_error *cp_enum_value(const struct cp_profile *p,
			       const char *enumerator, int64_t *ret)
{
	if (!p->btf_index)
		return no_types();
	return cp_btf_index_enum_value(p->btf_index, enumerator, ret);
}

struct cp_error *cp_profile_print_type(const struct cp_profile *p, FILE *out,
				       const char *name)
{
	if (!p->btf)
		return no_types();
	return cp_btf_print_struct(out, p->btf, name);
}
