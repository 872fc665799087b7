/*
 * kallsyms_internal.h - what kallsyms.c, kallsyms_layout.c and
 * kallsyms_carve.c share: the layout descriptors (one per family of
 * scripts/kallsyms.c output), the geometry of one found table set, and the
 * decoder entry point that works on host bytes (unit tests and the fuzz
 * target call it directly). Not for use outside src/kernel/kallsyms*.c and
 * their tests.
 */
#ifndef CP_KERNEL_KALLSYMS_INTERNAL_H
#define CP_KERNEL_KALLSYMS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/kallsyms.h"

/* The arrays scripts/kallsyms.c emits (names as in the kernel, less
 * the "kallsyms_" prefix). */
enum ks_table {
	KS_OFFSETS,		/* s32 or u32 per symbol */
	KS_RELATIVE_BASE,	/* one pointer, relocated at boot */
	KS_NUM_SYMS,		/* u32 */
	KS_NAMES,		/* per symbol: ULEB128 length (1-2 bytes), tokens */
	KS_MARKERS,		/* u32 offset into names of every 256th symbol */
	KS_SEQS,		/* 3-byte big-endian index per symbol, name order */
	KS_TOKEN_TABLE,		/* 256 NUL-terminated strings */
	KS_TOKEN_INDEX,		/* 256 u16 offsets into the token table */
	KS_NTABLES,
};

/* How kallsyms_offsets[i] becomes an address. */
enum ks_encoding {
	/* >= 0: an absolute value (a per-CPU symbol, type 'A');
	 * < 0: relative_base - 1 - offset. x86-64 SMP until 6.14. */
	KS_ABSOLUTE_PERCPU,
	/* relative_base + (u32)offset. */
	KS_BASE_RELATIVE,
	/* &kallsyms_offsets[i] + (s32)offset: the table's own runtime address,
	 * which nothing in the tables records. */
	KS_PLACE_RELATIVE,
};

/*
 * One family of table layouts: the order scripts/kallsyms.c writes the
 * arrays in, the alignment of every label (ALGN), the address encoding and
 * the size of a kallsyms_seqs_of_names entry (0: none). Chosen by data, by
 * trying each against what memory holds; see kallsyms_layout.c.
 */
struct ks_layout {
	const char *name;
	const char *since;
	unsigned align;
	enum ks_encoding encoding;
	unsigned seq_size;
	unsigned ntables;
	enum ks_table order[KS_NTABLES];
};

extern const struct ks_layout ks_layouts[];
extern const size_t ks_nlayouts;

/* Limits that bound every walk over guest data. */
#define KS_MAX_SYMS (1u << 21)		/* a large distro kernel has ~200k */
#define KS_NAME_MAX 511			/* KSYM_NAME_LEN - 1: longer is cut */
#define KS_TOKEN_TABLE_MAX (256u * 512u)
#define KS_TOKEN_INDEX_SIZE 512u
#define KS_MAX_NAMES_BYTES (48u << 20)
/* __START_KERNEL_map: the kernel image's virtual base on x86-64. */
#define KS_KERNEL_MAP 0xffffffff80000000ull

/*
 * Where each table of one table set lies in guest-physical memory, and the
 * two sizes that are not a function of num_syms.
 */
struct ks_geometry {
	const struct ks_layout *layout;
	uint32_t num_syms;
	uint64_t names_len;
	uint64_t token_table_len;
	uint64_t pa[KS_NTABLES];
};

bool ks_layout_has(const struct ks_layout *layout, enum ks_table t);
uint64_t ks_table_size(const struct ks_geometry *g, enum ks_table t);
/*
 * Fills g->pa[] for every table of g->layout, walking the layout's order
 * out from table `known` at paddr (each table at the next multiple of
 * align after the one before). False if an address would wrap.
 */
bool ks_place(struct ks_geometry *g, enum ks_table known, uint64_t paddr);
/* The physical address the layout puts kallsyms_markers at, counting back
 * from the token table: needs only num_syms. */
bool ks_markers_before_token_table(const struct ks_layout *layout,
				   uint32_t num_syms, uint64_t token_table_pa,
				   uint64_t *markers_pa);

/* A uniform read of little-endian integers from unaligned guest bytes. */
static inline uint16_t ks_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t ks_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t ks_le64(const uint8_t *p)
{
	return (uint64_t)ks_le32(p) | (uint64_t)ks_le32(p + 4) << 32;
}

/*
 * Reads one names record at names[off] (limit bytes in all): its token
 * count and where the next record starts. False if it is empty or runs
 * past limit.
 */
static inline bool ks_name_record(const uint8_t *names, uint64_t limit,
				  uint64_t off, uint32_t *ntokens,
				  uint64_t *next)
{
	if (off >= limit)
		return false;
	uint32_t len = names[off++];
	/* Since 6.1 (73bbb94466fd) a set top bit means a second length
	 * byte: ULEB128 limited to two bytes. */
	if (len & 0x80) {
		if (off >= limit)
			return false;
		len = (len & 0x7f) | (uint32_t)names[off++] << 7;
	}
	if (len == 0 || len > limit - off)
		return false;
	*ntokens = len;
	*next = off + len;
	return true;
}

/*
 * The decoder's input: a placed geometry and host copies of each table's
 * bytes (ks_table_size() of them; NULL for tables the layout lacks).
 * For KS_PLACE_RELATIVE, offsets_va is the runtime address of
 * kallsyms_offsets[0], or, with addresses_physical, its physical address
 * (the carver learns the virtual one afterwards and calls ks_rebase()).
 */
struct ks_source {
	struct ks_geometry geo;
	const uint8_t *bytes[KS_NTABLES];
	uint64_t offsets_va;
	bool addresses_physical;
	const char *origin;
};

/*
 * Guest bytes in host memory: a zero-copy view when the source maps them,
 * else a private copy (owned).
 */
struct ks_span {
	const uint8_t *p;
	uint64_t paddr;
	size_t len;
	uint8_t *owned;
};

struct cp_error *ks_span_get(struct cp_mem *mem, uint64_t paddr, uint64_t len,
			     struct ks_span *span);
void ks_span_release(struct ks_span *span);
/* Bytes of guest memory readable without a hole from paddr on (0 if none). */
uint64_t ks_mem_avail(struct cp_mem *mem, uint64_t paddr);
/* Reads every table of src->geo from mem into spans[] and points
 * src->bytes[] at them. */
struct cp_error *ks_read_tables(struct cp_mem *mem, struct ks_source *src,
				struct ks_span spans[KS_NTABLES]);

/*
 * Validates every table against the others and builds the result. On
 * failure *depth (optional) says how far it got (step << 32 | symbol), so
 * that of several layouts tried the most convincing failure is reported.
 */
struct cp_error *ks_build(const struct ks_source *src,
			  struct cp_kallsyms **ret, uint64_t *depth);
/* Checks the 256 token strings against the index; *len gets the table's
 * used length. Shared by the decoder and the carver's anchor test. */
struct cp_error *ks_check_tokens(const uint8_t *table, size_t table_len,
				 const uint8_t *index, size_t *len);
/* Adds delta to every non-absolute address (physical -> virtual). */
struct cp_error *ks_rebase(struct cp_kallsyms *ks, uint64_t delta);
/* Every non-'A' symbol must lie in the kernel image mapping. */
struct cp_error *ks_check_range(const struct cp_kallsyms *ks);
struct cp_kallsyms_info *ks_info_mut(struct cp_kallsyms *ks);

#endif /* CP_KERNEL_KALLSYMS_INTERNAL_H */
