/*
 * kaslr.c - where the kernel is: KASLR shifts, the kernel's page tables,
 * the randomized region bases, and proof that all of it is right.
 *
 * From the symbols (kallsyms) and phys_base (VMCOREINFO, or learned from
 * where the kallsyms tables or the BTF blob sit) this step computes the
 * virtual and physical KASLR shifts, places init_top_pgt and builds the
 * kernel address space over it. It then validates instead of trusting:
 * linux_banner must translate through the page tables to the same physical
 * address the image formula gives and read "Linux version"; init_task must
 * be pid 0 named "swapper/0"; the direct map must map _text's physical
 * page back to itself. A guest that forged VMCOREINFO or planted tables
 * fails here.
 *
 * Also here: cp_kread()/cp_ktranslate(), reads through that address space.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/profile.h"
#include "util/error.h"

/* x86-64 defaults when CONFIG_RANDOMIZE_MEMORY is off (mm.rst). */
static const struct {
	unsigned levels;
	uint64_t page_offset, vmalloc, vmemmap;
} region_defaults[] = {
	{ 4, 0xffff888000000000ull, 0xffffc90000000000ull,
	  0xffffea0000000000ull },
	{ 5, 0xff11000000000000ull, 0xffa0000000000000ull,
	  0xffd4000000000000ull },
};

bool cp_profile_image_pa(const struct cp_profile *p, uint64_t va,
			 uint64_t *pa)
{
	if (!p->has_phys_base || va < CP_START_KERNEL_MAP)
		return false;
	*pa = va - CP_START_KERNEL_MAP + (uint64_t)p->phys_base;
	return true;
}

static bool symbol(const struct cp_profile *p, const char *name,
		   uint64_t *va)
{
	return (p->ksyms && cp_kallsyms_address(p->ksyms, name, va)) ||
	       (p->vmcoreinfo && cp_vmcoreinfo_symbol(p->vmcoreinfo, name, va));
}

/* Reads a u64 variable of the kernel image by its physical address. */
static struct cp_error *image_u64(struct cp_profile *p, uint64_t va,
				  uint64_t *ret)
{
	uint64_t pa;
	if (!cp_profile_image_pa(p, va, &pa))
		return cp_error_create(CP_ERR_NOT_FOUND, "no phys_base");
	return cp_mem_read(p->mem, pa, ret, sizeof(*ret));
}

static unsigned paging_levels(struct cp_profile *p)
{
	int64_t l5;
	uint64_t va, v = 0;
	if (p->vmcoreinfo &&
	    cp_vmcoreinfo_number(p->vmcoreinfo, "pgtable_l5_enabled", &l5))
		return l5 ? 5 : 4;
	/* __pgtable_l5_enabled is an unsigned int (CONFIG_X86_5LEVEL). */
	if (symbol(p, "__pgtable_l5_enabled", &va) && !image_u64(p, va, &v))
		return (v & 0xffffffffu) == 1 ? 5 : 4;
	return 4;
}

/* Fills phys_base from the BTF blob's place when nothing else gave it. */
static void phys_base_from_btf(struct cp_profile *p)
{
	uint64_t va;
	if (p->has_phys_base || !p->btf_info.size ||
	    !symbol(p, "__start_BTF", &va) || va < CP_START_KERNEL_MAP)
		return;
	p->phys_base = (int64_t)(p->btf_info.paddr - (va - CP_START_KERNEL_MAP));
	p->has_phys_base = true;
}

/* Checks init_task: pid 0, comm "swapper/0" (init_idle names it). */
static struct cp_error *check_init_task(struct cp_profile *p, char *what,
					size_t n)
{
	uint64_t va;
	struct cp_field comm, pid;
	if (!symbol(p, "init_task", &va))
		return cp_error_create(CP_ERR_NOT_FOUND, "no init_task symbol");
	if (!p->btf) {
		snprintf(what, n, "init_task unchecked (no types)");
		return NULL;
	}
	struct cp_error *err = cp_field(p, "task_struct", "comm", &comm);
	if (!err)
		err = cp_field(p, "task_struct", "pid", &pid);
	if (err)
		return err;
	char name[16] = { 0 };
	int32_t pidv = -1;
	size_t len = comm.size < sizeof(name) ? comm.size : sizeof(name) - 1;
	if ((err = cp_vas_read(p->kvas, va + comm.offset, name, len)) ||
	    (err = cp_vas_read(p->kvas, va + pid.offset, &pidv, sizeof(pidv))))
		return cp_error_wrap(err, "init_task at 0x%" PRIx64, va);
	name[sizeof(name) - 1] = '\0';
	if (strncmp(name, "swapper", 7) != 0 || pidv != 0)
		return cp_error_create(CP_ERR_CORRUPT,
				       "init_task at 0x%" PRIx64 " reads pid %d "
				       "comm '%.15s', not pid 0 'swapper/0'",
				       va, pidv, name);
	snprintf(what, n, "init_task pid 0 '%s'", name);
	return NULL;
}

/* linux_banner through the page tables = through the image formula. */
static struct cp_error *check_banner(struct cp_profile *p)
{
	uint64_t va, pa_formula = 0;
	struct cp_vas_translation t;
	if (!symbol(p, "linux_banner", &va))
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "no linux_banner symbol");
	struct cp_error *err = cp_vas_translate(p->kvas, va, &t);
	if (err)
		return cp_error_wrap(err, "linux_banner 0x%" PRIx64, va);
	if (!cp_profile_image_pa(p, va, &pa_formula) || t.paddr != pa_formula)
		return cp_error_create(CP_ERR_CORRUPT,
				       "linux_banner 0x%" PRIx64 " maps to 0x%"
				       PRIx64 ", phys_base says 0x%" PRIx64,
				       va, t.paddr, pa_formula);
	char head[14];
	if ((err = cp_mem_read(p->mem, t.paddr, head, sizeof(head))))
		return err;
	if (memcmp(head, "Linux version ", sizeof(head)) != 0)
		return cp_error_create(CP_ERR_CORRUPT,
				       "linux_banner at 0x%" PRIx64
				       " does not read 'Linux version'", t.paddr);
	return NULL;
}

struct cp_error *cp_step_kaslr(struct cp_profile *p, uint64_t *scanned,
			       char **detail)
{
	(void)scanned;
	struct cp_kernel_layout *l = &p->layout;
	uint64_t va, koff;
	memset(l, 0, sizeof(*l));
	phys_base_from_btf(p);
	if (!p->has_phys_base)
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "kaslr: phys_base unknown (no VMCOREINFO, "
				       "kallsyms or BTF placement)");
	bool has_koff = p->vmcoreinfo &&
			cp_vmcoreinfo_hex(p->vmcoreinfo, "KERNELOFFSET", &koff);
	const uint64_t link_text = CP_START_KERNEL_MAP + CP_PHYSICAL_START;
	if (symbol(p, "_text", &va))
		l->text_va = va;
	else if (has_koff)
		l->text_va = link_text + koff;
	else
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "kaslr: no _text symbol or KERNELOFFSET");
	l->kaslr_virt = l->text_va - link_text;
	if (has_koff && koff != l->kaslr_virt)
		return cp_error_create(CP_ERR_CORRUPT,
				       "kaslr: _text at 0x%" PRIx64 " means shift 0x%"
				       PRIx64 ", VMCOREINFO says 0x%" PRIx64,
				       l->text_va, l->kaslr_virt, koff);
	cp_profile_image_pa(p, l->text_va, &l->text_pa);
	l->phys_base = p->phys_base;
	l->kaslr_phys = (int64_t)(l->text_pa - CP_PHYSICAL_START);

	if (!symbol(p, "init_top_pgt", &va) ||
	    !cp_profile_image_pa(p, va, &l->pgd_pa))
		return cp_error_create(CP_ERR_NOT_FOUND,
				       "kaslr: no init_top_pgt symbol");
	l->levels = paging_levels(p);
	cp_vas_destroy(p->kvas);
	p->kvas = NULL;
	struct cp_error *err =
		cp_vas_create(p->mem, l->pgd_pa, l->levels, NULL, &p->kvas);
	if (err)
		return cp_error_wrap(err, "kaslr");

	size_t d = l->levels == 5;
	struct {
		const char *name;
		uint64_t *value, fallback;
	} bases[] = {
		{ "page_offset_base", &l->page_offset_base,
		  region_defaults[d].page_offset },
		{ "vmalloc_base", &l->vmalloc_base, region_defaults[d].vmalloc },
		{ "vmemmap_base", &l->vmemmap_base, region_defaults[d].vmemmap },
	};
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (!symbol(p, bases[i].name, &va) ||
		    image_u64(p, va, bases[i].value))
			*bases[i].value = bases[i].fallback;
	}

	if ((err = check_banner(p)))
		return cp_error_wrap(err, "kaslr: validation");
	char what[96];
	if ((err = check_init_task(p, what, sizeof(what))))
		return cp_error_wrap(err, "kaslr: validation");
	/* The direct map must map _text's page back onto itself. */
	struct cp_vas_translation t;
	if ((err = cp_vas_translate(p->kvas, l->page_offset_base + l->text_pa,
				    &t)) ||
	    t.paddr != l->text_pa) {
		cp_error_destroy(err);
		return cp_error_create(CP_ERR_CORRUPT,
				       "kaslr: direct map at 0x%" PRIx64
				       " does not map _text (0x%" PRIx64 ")",
				       l->page_offset_base, l->text_pa);
	}
	l->valid = true;
	p->has_layout = true;
	*detail = cp_profile_format(
		"virt +0x%" PRIx64 " phys %+" PRId64 "MiB, init_top_pgt 0x%" PRIx64
		" (%u-level), direct map 0x%" PRIx64 "; %s",
		l->kaslr_virt, l->kaslr_phys / (1 << 20), l->pgd_pa, l->levels,
		l->page_offset_base, what);
	return NULL;
}

const struct cp_kernel_layout *cp_profile_layout(const struct cp_profile *p)
{
	return p->has_layout ? &p->layout : NULL;
}

struct cp_error *cp_kread(struct cp_profile *p, uint64_t va, void *buf,
			  size_t len)
{
	if (!p->kvas)
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "kernel page tables not found");
	return cp_vas_read(p->kvas, va, buf, len);
}

struct cp_error *cp_ktranslate(struct cp_profile *p, uint64_t va,
			       uint64_t *pa)
{
	if (!p->kvas)
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "kernel page tables not found");
	struct cp_vas_translation t;
	struct cp_error *err = cp_vas_translate(p->kvas, va, &t);
	if (!err)
		*pa = t.paddr;
	return err;
}

void cp_profile_read_stats(const struct cp_profile *p,
			   struct cp_read_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->bytes_read = cp_mem_bytes_read(p->mem) - p->bytes_read_base;
	if (p->kvas) {
		struct cp_vas_stats s;
		cp_vas_get_stats(p->kvas, &s);
		ret->pages_touched = s.pages_touched;
		ret->translations = s.translations;
		ret->walks = s.tlb_misses;
	}
}

void cp_profile_new_sweep(struct cp_profile *p)
{
	if (p->kvas) {
		cp_vas_flush(p->kvas);
		cp_vas_reset_stats(p->kvas);
	}
	p->bytes_read_base = cp_mem_bytes_read(p->mem);
}
