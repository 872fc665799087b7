/*
 * discover.c - the discovery steps that identify the kernel and carve its
 * types and symbols: VMCOREINFO, BTF, kallsyms, init_uts_ns, the banner.
 * (KASLR and page tables are kaslr.c; the cache is profile_cache.c; the
 * order is profile.c's step table.)
 *
 * Each step checks what earlier ones claim instead of trusting it: the
 * kallsyms tables VMCOREINFO points at are validated against each other
 * and carved by shape when that fails; the banner must carry VMCOREINFO's
 * release and init_uts_ns's version; kaslr.c then proves the result by
 * translating init_task and linux_banner through the kernel's own page
 * tables.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/profile.h"
#include "mem/mem.h"
#include "util/cleanup.h"
#include "util/error.h"

struct cp_error *cp_step_vmcoreinfo(struct cp_profile *p, uint64_t *scanned,
				    char **detail)
{
	if (p->opts.ignore_vmcoreinfo)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "vmcoreinfo: ignored (--carve)");
	struct cp_error *err =
		cp_vmcoreinfo_find(p->mem, &p->vmcoreinfo, scanned);
	if (err)
		return err;
	const char *release = cp_vmcoreinfo_get(p->vmcoreinfo, "OSRELEASE");
	const char *build_id = cp_vmcoreinfo_get(p->vmcoreinfo, "BUILD-ID");
	p->release = strdup(release);
	if (!p->release)
		return &cp_enomem;
	if (build_id && !(p->build_id = strdup(build_id)))
		return &cp_enomem;
	if (cp_vmcoreinfo_number(p->vmcoreinfo, "phys_base", &p->phys_base))
		p->has_phys_base = true;
	*detail = cp_profile_format("OSRELEASE=%s from %s at 0x%" PRIx64,
				    release,
				    cp_vmcoreinfo_origin(p->vmcoreinfo),
				    cp_vmcoreinfo_paddr(p->vmcoreinfo));
	return NULL;
}

/*
 * The fast way to the BTF: kallsyms names __start_BTF and __stop_BTF, so
 * the blob is read in place with no scan. It is validated exactly as a
 * carved one (cp_btf_parse_blob).
 */
#define BTF_MAX_SIZE (64u << 20)

static struct cp_error *btf_from_symbols(struct cp_profile *p)
{
	uint64_t start, stop, pa;
	if (!p->ksyms || !cp_kallsyms_address(p->ksyms, "__start_BTF", &start) ||
	    !cp_kallsyms_address(p->ksyms, "__stop_BTF", &stop))
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "btf: no __start_BTF/__stop_BTF symbols");
	if (stop <= start || stop - start > BTF_MAX_SIZE ||
	    !cp_profile_image_pa(p, start, &pa))
		return cp_error_create(CP_ERR_CORRUPT,
				       "btf: __start_BTF..__stop_BTF (0x%" PRIx64
				       "..0x%" PRIx64 ") is not a blob",
				       start, stop);
	size_t size = (size_t)(stop - start);
	const void *blob = cp_mem_map(p->mem, pa, size);
	_cleanup_free_ void *copy = NULL;
	if (!blob) {
		if (!(copy = malloc(size)))
			return &cp_enomem;
		struct cp_error *err = cp_mem_read(p->mem, pa, copy, size);
		if (err)
			return cp_error_wrap(err, "at __start_BTF");
		blob = copy;
	}
	struct cp_error *err = cp_btf_parse_blob(blob, size, true, &p->btf);
	if (err)
		return cp_error_wrap(err, "at __start_BTF (0x%" PRIx64 ")", pa);
	p->btf_info.paddr = pa;
	p->btf_info.size = (uint32_t)size;
	p->btf_info.ntypes = btf__type_cnt(p->btf) - 1;
	return NULL;
}

struct cp_error *cp_step_btf(struct cp_profile *p, uint64_t *scanned,
			     char **detail)
{
	if (p->btf) {
		*detail = cp_profile_format("skipped: types from %s",
					    p->types_origin);
		return NULL;
	}
	struct cp_error *err = btf_from_symbols(p);
	if (err) {
		/* No symbols, or they point at something that is not BTF:
		 * search all of RAM for the blob. */
		struct cp_error *carve_err =
			cp_btf_carve(p->mem, &p->btf, &p->btf_info);
		*scanned = p->btf_info.scanned;
		if (carve_err) {
			if (cp_error_code(err) != CP_ERR_NOT_FOUND)
				carve_err = cp_error_wrap(carve_err, "%s; then",
							  cp_error_message(err));
			cp_error_destroy(err);
			return carve_err;
		}
		cp_error_destroy(err);
	}
	p->types_origin = strdup("ram");
	if (!p->types_origin)
		return &cp_enomem;
	if ((err = cp_btf_index_new(p->btf, &p->btf_index)))
		return err;
	*detail = cp_profile_format("%u types, %u bytes at 0x%" PRIx64 " (%s)",
				    p->btf_info.ntypes, p->btf_info.size,
				    p->btf_info.paddr,
				    *scanned ? "carved" : "at __start_BTF");
	return NULL;
}

struct cp_error *cp_step_kallsyms(struct cp_profile *p, uint64_t *scanned,
				  char **detail)
{
	if (p->ksyms) {
		*detail = cp_profile_format("skipped: %zu symbols from %s",
					    cp_kallsyms_count(p->ksyms),
					    p->from_cache ? "the cache" :
							    "a file");
		return NULL;
	}
	struct cp_error *first = NULL;
	if (p->vmcoreinfo) {
		first = cp_kallsyms_from_vmcoreinfo(p->mem, p->vmcoreinfo,
						    &p->ksyms);
		if (!first)
			goto found;
	}
	/* No VMCOREINFO, or its addresses failed validation: carve. */
	struct cp_kallsyms_hints hints = {
		.has_phys_base = p->has_phys_base,
		.phys_base = p->phys_base,
	};
	struct cp_error *err =
		cp_kallsyms_carve(p->mem, &hints, &p->ksyms, scanned);
	if (err && p->file_ksyms) {
		/* The running kernel's own table is gone or damaged: the
		 * file's symbols, shifted, stand in; kaslr validates them. */
		p->ksyms = cp_steal_ptr(&p->file_ksyms);
		*detail = cp_profile_format("%zu symbols from the file (RAM: %s)",
					    cp_kallsyms_count(p->ksyms),
					    cp_error_message(err));
		cp_error_destroy(err);
		cp_error_destroy(first);
		return *detail ? NULL : &cp_enomem;
	}
	if (err) {
		if (first)
			err = cp_error_wrap(err, "%s; then carving",
					    cp_error_message(first));
		cp_error_destroy(first);
		return err;
	}
found:;
	const struct cp_kallsyms_info *ki = cp_kallsyms_info(p->ksyms);
	/* The table's placement also tells where the image is. */
	if (!p->has_phys_base && ki->has_image_delta) {
		p->phys_base = (int64_t)(CP_START_KERNEL_MAP -
					 ki->image_va_minus_pa);
		p->has_phys_base = true;
	}
	*detail = cp_profile_format("%zu symbols, %s layout %s%s%s",
				    cp_kallsyms_count(p->ksyms), ki->origin,
				    ki->layout, first ? " (VMCOREINFO: " : "",
				    first ? cp_error_message(first) : "");
	if (first) {
		char *d = cp_profile_format("%s)", *detail);
		free(*detail);
		*detail = d;
	}
	cp_error_destroy(first);
	return NULL;
}

/*
 * init_uts_ns holds struct new_utsname: six 65-byte fields (sysname,
 * nodename, release, version, machine, domainname). The BTF says where it
 * sits in struct uts_namespace; without BTF it is found by shape: "Linux"
 * followed, 130 bytes on, by the release.
 */
#define UTS_LEN 65
#define UTS_SEARCH 512

static bool uts_at(const char *u, const char *release)
{
	return memcmp(u, "Linux", 6) == 0 &&
	       (!release || strncmp(u + 2 * UTS_LEN, release, UTS_LEN) == 0) &&
	       memchr(u + UTS_LEN, '\0', UTS_LEN) &&
	       memchr(u + 2 * UTS_LEN, '\0', UTS_LEN) &&
	       memchr(u + 3 * UTS_LEN, '\0', UTS_LEN);
}

struct cp_error *cp_step_uts(struct cp_profile *p, uint64_t *scanned,
			     char **detail)
{
	uint64_t va = 0, pa;
	bool have = (p->ksyms && cp_kallsyms_address(p->ksyms, "init_uts_ns",
						      &va)) ||
		    (p->vmcoreinfo &&
		     cp_vmcoreinfo_symbol(p->vmcoreinfo, "init_uts_ns", &va));
	if (!have)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "uts: no init_uts_ns symbol");
	if (!cp_profile_image_pa(p, va, &pa))
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "uts: no phys_base to place init_uts_ns");
	char buf[UTS_SEARCH + 6 * UTS_LEN];
	struct cp_error *err = cp_mem_read(p->mem, pa, buf, sizeof(buf));
	if (err)
		return cp_error_wrap(err, "uts: init_uts_ns at 0x%" PRIx64, pa);
	*scanned = sizeof(buf);
	size_t o = 0;
	struct cp_field f;
	struct cp_error *ferr = cp_field(p, "uts_namespace", "name", &f);
	bool typed = !ferr && f.offset <= UTS_SEARCH;
	cp_error_destroy(ferr);
	if (typed) {
		o = f.offset;
		if (!uts_at(buf + o, p->release))
			return cp_error_create(CP_ERR_CORRUPT,
					       "uts: init_uts_ns.name at 0x%" PRIx64
					       " is not a utsname of release %s",
					       pa + o, p->release ? p->release : "?");
	} else {
		while (o <= UTS_SEARCH && !uts_at(buf + o, p->release))
			o++;
		if (o > UTS_SEARCH)
			return cp_error_create(CP_ERR_CORRUPT,
					       "uts: no utsname of release %s at "
					       "init_uts_ns (0x%" PRIx64 ")",
					       p->release ? p->release : "?", pa);
	}
	const char *u = buf + o;
	if (!p->release && !(p->release = strdup(u + 2 * UTS_LEN)))
		return &cp_enomem;
	p->uts_version = strdup(u + 3 * UTS_LEN);
	p->nodename = strdup(u + UTS_LEN);
	if (!p->uts_version || !p->nodename)
		return &cp_enomem;
	*detail = cp_profile_format("init_uts_ns at 0x%" PRIx64 ": %s %s", pa,
				    p->release, p->uts_version);
	return NULL;
}

/* The banner through the linux_banner symbol: no scan needed. */
static bool banner_from_symbol(struct cp_profile *p)
{
	uint64_t va, pa;
	if (!p->ksyms || !cp_kallsyms_address(p->ksyms, "linux_banner", &va) ||
	    !cp_profile_image_pa(p, va, &pa))
		return false;
	char buf[1024];
	if (cp_mem_read(p->mem, pa, buf, sizeof(buf)))
		return false;
	char *nl = memchr(buf, '\n', sizeof(buf));
	if (strncmp(buf, "Linux version ", 14) != 0 || !nl)
		return false;
	p->banner = strndup(buf, (size_t)(nl - buf));
	p->banner_paddr = pa;
	return p->banner != NULL;
}

struct cp_error *cp_step_banner(struct cp_profile *p, uint64_t *scanned,
				char **detail)
{
	if (p->banner && p->from_cache) {
		*detail = cp_profile_format("linux_banner as cached, confirmed "
					    "in RAM");
		return NULL;
	}
	if (banner_from_symbol(p)) {
		_cleanup_free_ char *rel = cp_banner_release(p->banner);
		if (p->release && rel && strcmp(rel, p->release) != 0)
			return cp_error_create(CP_ERR_CORRUPT,
					       "banner: linux_banner says %s, "
					       "VMCOREINFO says %s", rel,
					       p->release);
		*scanned = 0;
		*detail = cp_profile_format("linux_banner at 0x%" PRIx64,
					    p->banner_paddr);
		return NULL;
	}
	struct cp_error *err = cp_banner_find(p->mem, p->release,
					      p->uts_version, &p->banner,
					      &p->banner_paddr, scanned);
	if (err && p->release) {
		/* VMCOREINFO may be forged or stale: try any banner, and say
		 * the two disagree. */
		uint64_t more = 0;
		cp_error_destroy(err);
		err = cp_banner_find(p->mem, NULL, NULL, &p->banner,
				     &p->banner_paddr, &more);
		*scanned += more;
		if (!err) {
			*detail = cp_profile_format("carved at 0x%" PRIx64
						    " but disagrees with "
						    "VMCOREINFO release %s",
						    p->banner_paddr,
						    p->release);
			return NULL;
		}
	}
	if (err)
		return err;
	if (!p->release && !(p->release = cp_banner_release(p->banner)))
		return &cp_enomem;
	*detail = cp_profile_format("carved at 0x%" PRIx64, p->banner_paddr);
	return NULL;
}
