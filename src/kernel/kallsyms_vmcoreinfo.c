/*
 * kallsyms_vmcoreinfo.c - reading the kallsyms tables where VMCOREINFO says.
 *
 * The fast way in: VMCOREINFO gives SYMBOL(kallsyms_names, _num_syms,
 * _offsets, _token_table, _token_index) and, while there is one (up to
 * 6.19), SYMBOL(kallsyms_relative_base), plus NUMBER(phys_base) to turn a
 * kernel image address into a physical one (__phys_addr_symbol():
 * pa = va - __START_KERNEL_map + phys_base). It gives neither the markers
 * nor kallsyms_seqs_of_names, and the names' length only by walking them;
 * the layout whose placement agrees with every given address says where
 * the rest lies, and ks_build() checks them all. VMCOREINFO is the guest's
 * claim: every address is checked against memory and the layouts, and a
 * table that disagrees is an error, never a guess.
 *
 * Not for: finding VMCOREINFO (vmcoreinfo.c) or tables without it
 * (kallsyms_carve.c).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kallsyms_internal.h"
#include "util/error.h"

struct vmci_tables {
	uint64_t va[KS_NTABLES];
	bool has[KS_NTABLES];
};

static const char *const vmci_symbol[KS_NTABLES] = {
	[KS_OFFSETS] = "kallsyms_offsets",
	[KS_RELATIVE_BASE] = "kallsyms_relative_base",
	[KS_NUM_SYMS] = "kallsyms_num_syms",
	[KS_NAMES] = "kallsyms_names",
	[KS_TOKEN_TABLE] = "kallsyms_token_table",
	[KS_TOKEN_INDEX] = "kallsyms_token_index",
};

/* Does layout l place every table where VMCOREINFO says? */
static bool layout_fits(struct ks_geometry *g, const struct ks_layout *l,
			const struct vmci_tables *vt, uint64_t phys_delta)
{
	g->layout = l;
	if (vt->has[KS_RELATIVE_BASE] != ks_layout_has(l, KS_RELATIVE_BASE))
		return false;
	if (!ks_place(g, KS_NAMES, vt->va[KS_NAMES] - phys_delta))
		return false;
	for (int t = 0; t < KS_NTABLES; t++)
		if (vt->has[t] && g->pa[t] != vt->va[t] - phys_delta)
			return false;
	return true;
}

/* Walks num_syms records to learn how long kallsyms_names is. */
static struct cp_error *names_length(struct cp_mem *mem, uint64_t pa,
				     uint64_t bound, uint32_t n, uint64_t *len)
{
	uint64_t avail = ks_mem_avail(mem, pa);
	if (bound > avail)
		bound = avail;
	struct ks_span span;
	struct cp_error *err = ks_span_get(mem, pa, bound, &span);
	if (err)
		return cp_error_wrap(err, "kallsyms: names");
	uint64_t off = 0;
	for (uint32_t i = 0; i < n && !err; i++) {
		uint32_t k;
		if (!ks_name_record(span.p, span.len, off, &k, &off))
			err = cp_error_create(
				CP_ERR_CORRUPT,
				"kallsyms: names: symbol %u of %u at offset "
				"0x%" PRIx64 " runs past 0x%" PRIx64
				" bytes (the next table or the end of memory)",
				i, n, off, bound);
	}
	ks_span_release(&span);
	*len = off;
	return err;
}

struct cp_error *cp_kallsyms_from_vmcoreinfo(struct cp_mem *mem,
					     const struct cp_vmcoreinfo *vi,
					     struct cp_kallsyms **ret)
{
	struct vmci_tables vt = { 0 };
	for (int t = 0; t < KS_NTABLES; t++) {
		if (!vmci_symbol[t])
			continue;
		vt.has[t] = cp_vmcoreinfo_symbol(vi, vmci_symbol[t], &vt.va[t]);
		if (t != KS_RELATIVE_BASE && !vt.has[t])
			return cp_error_create(CP_ERR_NOT_FOUND,
					       "kallsyms: VMCOREINFO has no "
					       "SYMBOL(%s)", vmci_symbol[t]);
		if (vt.has[t] && vt.va[t] < KS_KERNEL_MAP)
			return cp_error_create(CP_ERR_CORRUPT,
					       "kallsyms: SYMBOL(%s)=%" PRIx64
					       " is not a kernel image address",
					       vmci_symbol[t], vt.va[t]);
	}
	int64_t phys_base;
	if (!cp_vmcoreinfo_number(vi, "phys_base", &phys_base))
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "kallsyms: VMCOREINFO has no "
				       "NUMBER(phys_base)");
	/* __phys_addr_symbol(): pa = va - __START_KERNEL_map + phys_base */
	uint64_t delta = KS_KERNEL_MAP - (uint64_t)phys_base;
	uint8_t raw[4];
	struct cp_error *err =
		cp_mem_read(mem, vt.va[KS_NUM_SYMS] - delta, raw, sizeof(raw));
	if (err)
		return cp_error_wrap(err, "kallsyms: num_syms");
	struct ks_geometry g = { .num_syms = ks_le32(raw) };
	if (g.num_syms == 0 || g.num_syms > KS_MAX_SYMS)
		return cp_error_create(CP_ERR_CORRUPT,
				       "kallsyms: num_syms %u is outside 1..%u",
				       g.num_syms, KS_MAX_SYMS);

	/* kallsyms_names ends before the next table above it. */
	uint64_t names_va = vt.va[KS_NAMES], bound = KS_MAX_NAMES_BYTES;
	for (int t = 0; t < KS_NTABLES; t++)
		if (vt.has[t] && vt.va[t] > names_va &&
		    vt.va[t] - names_va < bound)
			bound = vt.va[t] - names_va;
	err = names_length(mem, names_va - delta, bound, g.num_syms,
			   &g.names_len);
	if (err)
		return err;
	/* The token table ends where the index starts, padding aside. */
	uint64_t tt_bound = KS_TOKEN_TABLE_MAX;
	if (vt.va[KS_TOKEN_INDEX] > vt.va[KS_TOKEN_TABLE] &&
	    vt.va[KS_TOKEN_INDEX] - vt.va[KS_TOKEN_TABLE] < tt_bound)
		tt_bound = vt.va[KS_TOKEN_INDEX] - vt.va[KS_TOKEN_TABLE];
	uint64_t tt_pa = vt.va[KS_TOKEN_TABLE] - delta;
	if (tt_bound > ks_mem_avail(mem, tt_pa))
		tt_bound = ks_mem_avail(mem, tt_pa);
	struct ks_span tt, ti;
	err = ks_span_get(mem, tt_pa, tt_bound, &tt);
	if (err)
		return cp_error_wrap(err, "kallsyms: token table");
	err = ks_span_get(mem, vt.va[KS_TOKEN_INDEX] - delta,
			  KS_TOKEN_INDEX_SIZE, &ti);
	if (err) {
		ks_span_release(&tt);
		return cp_error_wrap(err, "kallsyms: token index");
	}
	size_t tt_len;
	err = ks_check_tokens(tt.p, tt.len, ti.p, &tt_len);
	ks_span_release(&tt);
	ks_span_release(&ti);
	if (err)
		return err;
	g.token_table_len = tt_len;
	/* Layouts that place the tables alike differ in encoding; the
	 * first that decodes to valid addresses wins. */
	struct cp_error *err_last = NULL;
	uint64_t deepest = 0;
	bool fits = false;
	*ret = NULL;
	for (size_t l = 0; l < ks_nlayouts && !*ret; l++) {
		if (!layout_fits(&g, &ks_layouts[l], &vt, delta))
			continue;
		fits = true;
		struct ks_source src = {
			.geo = g,
			.offsets_va = vt.va[KS_OFFSETS],
			.origin = "vmcoreinfo",
		};
		struct ks_span spans[KS_NTABLES];
		err = ks_read_tables(mem, &src, spans);
		uint64_t depth = 0;
		if (!err) {
			err = ks_build(&src, ret, &depth);
			for (int t = 0; t < KS_NTABLES; t++)
				ks_span_release(&spans[t]);
		}
		/* Of layouts that fail, report the one that got furthest. */
		if (err && (!err_last || depth > deepest)) {
			cp_error_destroy(err_last);
			err_last = cp_error_wrap(err, "layout %s",
						 ks_layouts[l].name);
			deepest = depth;
		} else if (err) {
			cp_error_destroy(err);
		}
	}
	if (!fits)
		return cp_error_create(
			CP_ERR_UNSUPPORTED,
			"kallsyms: the VMCOREINFO table addresses (names "
			"0x%" PRIx64 ", %u symbols in 0x%" PRIx64
			" bytes) fit no known layout: a wrong num_syms or a "
			"damaged table",
			names_va, g.num_syms, g.names_len);
	if (!*ret)
		return err_last;
	cp_error_destroy(err_last);
	struct cp_kallsyms_info *info = ks_info_mut(*ret);
	if (!info->base_source)
		info->base_source = "vmcoreinfo";
	info->has_image_delta = true;
	info->image_va_minus_pa = delta;
	return NULL;
}
