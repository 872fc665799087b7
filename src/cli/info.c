/*
 * info.c - `cloudprobe info SOURCE`: what kernel is this, and how do we
 * know. One record: the source, the kernel release and banner read from
 * guest RAM, and each discovery step with its outcome, time and bytes
 * scanned. Exit 0 when the kernel was fully profiled; 2 when none was
 * found, or when a step a usable profile needs (kallsyms, btf, kaslr)
 * failed: the record is still printed, the reason goes to stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "util/cleanup.h"

static const struct cp_out_col info_cols[] = {
	{ "source", NULL, CP_COL_STR },
	{ "source_kind", NULL, CP_COL_STR },
	{ "memory_bytes", NULL, CP_COL_UINT },
	{ "ranges", NULL, CP_COL_UINT },
	{ "release", NULL, CP_COL_STR },
	{ "banner", NULL, CP_COL_STR },
	{ "banner_paddr", NULL, CP_COL_HEX },
	{ "vmcoreinfo", NULL, CP_COL_STR },
	{ "build_id", NULL, CP_COL_STR },
	{ "nodename", NULL, CP_COL_STR },
	{ "kernel_offset", NULL, CP_COL_HEX },
	{ "phys_base", NULL, CP_COL_INT },
	{ "kaslr_phys", NULL, CP_COL_INT },
	{ "text_va", NULL, CP_COL_HEX },
	{ "text_pa", NULL, CP_COL_HEX },
	{ "pgd_pa", NULL, CP_COL_HEX },
	{ "paging_levels", NULL, CP_COL_UINT },
	{ "page_offset_base", NULL, CP_COL_HEX },
	{ "vmalloc_base", NULL, CP_COL_HEX },
	{ "vmemmap_base", NULL, CP_COL_HEX },
	{ "types", NULL, CP_COL_UINT },
	{ "types_origin", NULL, CP_COL_STR },
	{ "btf_paddr", NULL, CP_COL_HEX },
	{ "symbols", NULL, CP_COL_UINT },
	{ "kallsyms_origin", NULL, CP_COL_STR },
	{ "kallsyms_layout", NULL, CP_COL_STR },
	{ "kallsyms_names_paddr", NULL, CP_COL_HEX },
	{ "kallsyms_markers_paddr", NULL, CP_COL_HEX },
	{ "kallsyms_token_table_paddr", NULL, CP_COL_HEX },
	{ "cached", NULL, CP_COL_BOOL },
	{ "steps", NULL, CP_COL_STR },
};


/* "name ok 12.3ms 256MiB; name FAILED (reason) ..." */
static char *describe_steps(const struct cp_profile *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < cp_profile_step_count(p); i++) {
		const struct cp_discovery_step *s = cp_profile_step(p, i);
		fprintf(f, "%s%s %s %.1fms %.1fMiB", i ? "; " : "", s->name,
			s->ok ? "ok" : "FAILED", s->ms,
			(double)s->scanned / (1 << 20));
		if (!s->ok && s->detail)
			fprintf(f, " (%s)", s->detail);
	}
	fclose(f);
	return buf;
}

int cp_cli_info(int argc, char **argv)
{
	struct cp_cli_common o;
	int r = cp_cli_parse_common(cp_cli_find("info"), argc, argv, 0, 0, &o);
	if (r >= 0)
		return r;
	struct cp_mem *mem;
	struct cp_error *err = cp_mem_open(o.source, &mem);
	if (err)
		return cp_cli_fail("info", err);
	struct cp_profile *p;
	err = cp_profile_discover_opts(mem, &o.profile_opts, &p);
	if (err) {
		cp_mem_close(mem);
		return cp_cli_fail("info", err);
	}
	struct cp_out *out;
	err = cp_out_new(stdout, o.format, info_cols,
			 sizeof(info_cols) / sizeof(info_cols[0]), &out);
	if (!err) {
		cp_out_set_vertical(out);
		const struct cp_vmcoreinfo *vi = cp_profile_vmcoreinfo(p);
		uint64_t kaslr;
		int64_t phys_base;
		_cleanup_free_ char *steps = describe_steps(p);
		cp_out_str(out, o.source);
		cp_out_str(out, cp_mem_kind(mem));
		cp_out_uint(out, cp_mem_size(mem));
		cp_out_uint(out, cp_mem_range_count(mem));
		cp_out_str(out, cp_profile_release(p));
		cp_out_str(out, cp_profile_banner(p));
		if (cp_profile_banner(p))
			cp_out_hex(out, cp_profile_banner_paddr(p));
		else
			cp_out_null(out);
		cp_out_str(out, vi ? cp_vmcoreinfo_origin(vi) : NULL);
		cp_out_str(out, cp_profile_build_id(p));
		cp_out_str(out, cp_profile_nodename(p));
		const struct cp_kernel_layout *l = cp_profile_layout(p);
		if (l) {
			cp_out_hex(out, l->kaslr_virt);
			cp_out_int(out, l->phys_base);
			cp_out_int(out, l->kaslr_phys);
			cp_out_hex(out, l->text_va);
			cp_out_hex(out, l->text_pa);
			cp_out_hex(out, l->pgd_pa);
			cp_out_uint(out, l->levels);
			cp_out_hex(out, l->page_offset_base);
			cp_out_hex(out, l->vmalloc_base);
			cp_out_hex(out, l->vmemmap_base);
		} else {
			if (vi && cp_vmcoreinfo_hex(vi, "KERNELOFFSET", &kaslr))
				cp_out_hex(out, kaslr);
			else
				cp_out_null(out);
			if (vi && cp_vmcoreinfo_number(vi, "phys_base",
						       &phys_base))
				cp_out_int(out, phys_base);
			else
				cp_out_null(out);
			for (int i = 0; i < 8; i++)
				cp_out_null(out);
		}
		struct cp_profile_tables t;
		cp_profile_tables(p, &t);
		cp_out_uint(out, cp_profile_type_count(p));
		cp_out_str(out, t.types_origin);
		if (t.btf_size)
			cp_out_hex(out, t.btf_paddr);
		else
			cp_out_null(out);
		cp_out_uint(out, cp_profile_symbol_count(p));
		cp_out_str(out, t.kallsyms_origin);
		cp_out_str(out, t.kallsyms_layout);
		if (t.kallsyms_origin) {
			cp_out_hex(out, t.kallsyms_names_paddr);
			cp_out_hex(out, t.kallsyms_markers_paddr);
			cp_out_hex(out, t.kallsyms_token_table_paddr);
		} else {
			cp_out_null(out);
			cp_out_null(out);
			cp_out_null(out);
		}
		cp_out_bool(out, cp_profile_from_cache(p));
		cp_out_str(out, steps);
		err = cp_out_row_end(out);
		struct cp_error *ferr = cp_out_finish(out);
		if (!err)
			err = ferr;
		else
			cp_error_destroy(ferr);
	}
	/* A kernel was identified but not fully profiled: the image is
	 * damaged or hostile. Say which step and why, on one line. */
	const struct cp_discovery_step *failed = cp_profile_failed_step(p);
	if (!err && failed) {
		const char *d = failed->detail ? failed->detail : "failed";
		size_t n = strlen(failed->name);
		/* Details usually name their step already ("btf: ..."). */
		bool named = !strncasecmp(d, failed->name, n) && d[n] == ':';
		err = cp_error_create(CP_ERR_CORRUPT, "%s%s%s",
				      named ? "" : failed->name,
				      named ? "" : ": ", d);
	}
	cp_profile_destroy(p);
	cp_mem_close(mem);
	return err ? cp_cli_fail("info", err) : 0;
}
