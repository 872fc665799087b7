/*
 * profile_files.c - profiles from files, for kernels without BTF in RAM,
 * and the Volatility 3 ISF export.
 *
 * `--isf FILE` (a Volatility 3 ISF, e.g. from dwarf2json) or
 * `--btf FILE --system-map FILE` supply types, and symbols at link-time
 * addresses. Types are used as given (converted to BTF by isf_import.c).
 * Symbols carved from RAM are still preferred, being the running kernel's
 * own; the file's symbols are used only when carving fails, shifted by
 * VMCOREINFO's KERNELOFFSET. The kaslr step then validates the result like
 * any other.
 *
 * Export writes the profile's BTF and symbols as an ISF with link-time
 * addresses and the exact linux_banner, so Volatility 3 matches it to the
 * same guest with no dwarf2json and no -dbg package.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/isf.h"
#include "kernel/profile.h"
#include "util/cleanup.h"
#include "util/error.h"

static int symbol_cmp(const void *a, const void *b)
{
	const struct cp_ksym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Keeps the file's symbols for the kallsyms step's fallback. */
static struct cp_error *file_symbols(struct cp_profile *p,
				     const struct cp_isf_symbols *syms)
{
	uint64_t shift;
	if (!p->vmcoreinfo ||
	    !cp_vmcoreinfo_hex(p->vmcoreinfo, "KERNELOFFSET", &shift))
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "no KERNELOFFSET to shift the file's "
				       "symbols");
	_cleanup_free_ struct cp_ksym *list =
		calloc(syms->size ? syms->size : 1, sizeof(*list));
	if (!list)
		return &cp_enomem;
	size_t n = 0;
	for (size_t i = 0; i < syms->size; i++) {
		const struct cp_isf_symbol *s = &syms->data[i];
		if (!s->name || !*s->name)
			continue;
		list[n].name = s->name;
		list[n].type = s->type == '?' ? 'D' : s->type;
		list[n].addr = s->address >= CP_START_KERNEL_MAP ?
				       s->address + shift :
				       s->address;
		n++;
	}
	qsort(list, n, sizeof(*list), symbol_cmp);
	return cp_kallsyms_from_list(list, n, "file", &p->file_ksyms);
}

struct cp_error *cp_step_files(struct cp_profile *p, uint64_t *scanned,
			       char **detail)
{
	(void)scanned;
	const struct cp_profile_opts *o = &p->opts;
	if (!o->isf_path && !o->btf_path && !o->system_map_path) {
		*detail = strdup("skipped: types and symbols from RAM");
		return *detail ? NULL : &cp_enomem;
	}
	struct cp_isf_symbols syms = { 0 };
	struct cp_error *err;
	const char *what;
	if (o->isf_path) {
		what = o->isf_path;
		err = cp_isf_import(o->isf_path, &p->btf, &syms);
	} else if (o->btf_path && o->system_map_path) {
		what = o->btf_path;
		err = cp_isf_import_system_map(o->system_map_path, o->btf_path,
					       &p->btf, &syms);
	} else {
		return cp_error_create(CP_ERR_USAGE,
				       "files: --btf and --system-map go "
				       "together");
	}
	if (!err)
		err = cp_btf_index_new(p->btf, &p->btf_index);
	if (err) {
		cp_isf_symbols_deinit(&syms);
		/* The user asked for these files: failing to read them is an
		 * input error, not a step to skip. */
		return cp_error_wrap(err, "files: %s", what);
	}
	p->types_origin = cp_profile_format("%s:%s",
					    o->isf_path ? "isf" : "btf", what);
	p->btf_info.ntypes = btf__type_cnt(p->btf) - 1;
	struct cp_error *serr = file_symbols(p, &syms);
	*detail = cp_profile_format("%u types%s%s from %s",
				    p->btf_info.ntypes,
				    serr ? ", symbols unusable: " : ", symbols",
				    serr ? cp_error_message(serr) : "",
				    what);
	cp_error_destroy(serr);
	cp_isf_symbols_deinit(&syms);
	return p->types_origin && *detail ? NULL : &cp_enomem;
}

struct cp_error *cp_profile_export_isf(const struct cp_profile *p,
				       const char *path)
{
	if (!p->btf)
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "isf: the profile has no types");
	size_t n = p->ksyms ? cp_kallsyms_count(p->ksyms) : 0;
	_cleanup_free_ struct cp_isf_symbol *syms =
		calloc(n ? n : 1, sizeof(*syms));
	if (!syms)
		return &cp_enomem;
	for (size_t i = 0; i < n; i++) {
		struct cp_ksym k;
		cp_kallsyms_get(p->ksyms, i, &k);
		syms[i] = (struct cp_isf_symbol){ k.name, k.addr, k.type };
	}
	struct cp_isf_export_opts opts = {
		.banner = p->banner,
		.kaslr_shift = p->has_layout ? p->layout.kaslr_virt : 0,
	};
	char *tmp = cp_profile_format("%s.tmp", path);
	if (!tmp)
		return &cp_enomem;
	FILE *f = fopen(tmp, "w");
	if (!f) {
		struct cp_error *e = cp_error_os(errno, "isf: %s", tmp);
		free(tmp);
		return e;
	}
	struct cp_error *err = cp_isf_export(f, p->btf, syms, n, &opts);
	if (fclose(f) != 0 && !err)
		err = cp_error_os(errno, "isf: write %s", tmp);
	if (!err && rename(tmp, path) < 0)
		err = cp_error_os(errno, "isf: rename to %s", path);
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}
