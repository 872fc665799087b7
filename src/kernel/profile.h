/*
 * profile.h - the kernel profile's insides, shared by the discovery steps
 * (discover.c, kaslr.c), the cache (profile_cache.c) and the accessors
 * (profile.c, profile_types.c). Users see only cloudprobe.h.
 */
#ifndef CP_KERNEL_PROFILE_H
#define CP_KERNEL_PROFILE_H

#include <bpf/btf.h>

#include "arch/x86_64.h"
#include "cloudprobe.h"
#include "kernel/btf.h"
#include "kernel/kallsyms.h"

#define CP_PROFILE_MAX_STEPS 16

/* x86-64 link-time constants (arch/x86/include/asm/page_64_types.h). */
#define CP_START_KERNEL_MAP 0xffffffff80000000ull
/* CONFIG_PHYSICAL_START: where an unrandomized kernel loads (and links). */
#define CP_PHYSICAL_START 0x1000000ull

struct cp_profile {
	struct cp_mem *mem;		/* not owned */
	struct cp_profile_opts opts;	/* strings not owned; call only */
	struct cp_vmcoreinfo *vmcoreinfo;
	char *release;
	char *build_id;
	char *banner;
	uint64_t banner_paddr;
	char *uts_version;	/* init_uts_ns: "#1 SMP ..." */
	char *nodename;		/* init_uts_ns: the host name */

	/* types */
	struct btf *btf;
	struct cp_btf_index *btf_index;
	struct cp_btf_info btf_info;
	char *types_origin;	/* "ram", "cache", "isf:PATH", "btf:PATH" */

	/* symbols */
	struct cp_kallsyms *ksyms;
	struct cp_kallsyms *file_ksyms;	/* from --isf/--system-map, shifted */

	/* where the kernel is */
	bool has_phys_base;
	int64_t phys_base;
	bool has_layout;
	struct cp_kernel_layout layout;
	struct cp_vas *kvas;		/* kernel address space (init_top_pgt) */

	bool from_cache;
	uint64_t bytes_read_base;	/* cp_mem_bytes_read at sweep start */
	struct cp_discovery_step steps[CP_PROFILE_MAX_STEPS];
	size_t nsteps;
};

/* One discovery step: fills what it learns; *detail is malloc'd. */
typedef struct cp_error *cp_discovery_fn(struct cp_profile *p,
					 uint64_t *scanned, char **detail);

cp_discovery_fn cp_step_vmcoreinfo, cp_step_cache, cp_step_btf,
	cp_step_kallsyms, cp_step_kaslr, cp_step_uts, cp_step_banner,
	cp_step_files, cp_step_save_cache;

char *cp_profile_format(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* pa of a kernel-image virtual address, once phys_base is known. */
bool cp_profile_image_pa(const struct cp_profile *p, uint64_t va,
			 uint64_t *pa);

/* The on-disk cache (profile_cache.c). */
struct cp_error *cp_profile_cache_load(struct cp_profile *p, bool *hit,
				       char **detail);
struct cp_error *cp_profile_cache_save(struct cp_profile *p, char **detail);

#endif /* CP_KERNEL_PROFILE_H */
