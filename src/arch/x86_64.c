/*
 * x86_64.c - x86-64 page walks, the per-sweep translation cache, and CR3
 * and PTI helpers.
 *
 * A walk reads exactly one entry per level (4 or 5), as the CPU does, so
 * guest-controlled tables bound it by construction: a table pointing back
 * at itself just yields a translation into a table page. Entries are read
 * in place when the source can map them (cp_mem_map: shm:, raw:, a shared
 * qemu: file), else through the cache's copies of whole table pages, so a
 * live source pays one system call per table page per sweep, not per
 * entry.
 *
 * The cache has two halves, both direct-mapped arrays of fixed size: final
 * translations (a software TLB keyed by root and virtual page) and table
 * pages (keyed by physical address, so spaces sharing the kernel half
 * share its tables). Every slot carries the generation it was filled in; a
 * flush bumps the generation, which invalidates everything in O(1).
 *
 * Not here: reads by virtual address (vas_read.c), finding roots (kernel/).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch/vas_internal.h"
#include "mem/mem.h"
#include "util/error.h"

#define ENTRIES_PER_TABLE 512
#define MAX_TLB (1u << 20)
#define MAX_TABLES (1u << 16)

/* Bits 51:21 and 51:30: the frame of a 2 MiB and of a 1 GiB page (bit 12
 * of a large-page entry is PAT, not address). */
#define PMD_HUGE_MASK 0x000fffffffe00000ull
#define PUD_HUGE_MASK 0x000fffffc0000000ull

enum { PERM_WRITE = 1, PERM_USER = 2, PERM_EXEC = 4 };

struct tlb_slot {
	uint64_t root;
	uint64_t vpn;		/* va >> 12 */
	uint64_t page;		/* physical address of the 4 KiB page */
	uint64_t leaf;
	uint32_t gen;		/* 0: empty */
	uint8_t shift;		/* log2 of the mapping's page size */
	uint8_t perms;
};

struct table_slot {
	uint64_t paddr;
	uint32_t gen;
};

struct cp_vas_cache {
	size_t ntlb, ntables;		/* powers of two, or 0 */
	struct tlb_slot *tlb;		/* allocated on first use */
	struct table_slot *tags;
	uint8_t *pages;			/* ntables * 4 KiB */
	uint32_t gen;			/* never 0 */
	uint64_t generation;		/* flushes so far */
	struct cp_mem *mem;		/* the one source it serves, once bound */
};

static size_t round_pow2(size_t n, size_t max)
{
	if (n == 0)
		return 0;
	if (n > max)
		n = max;
	size_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

static inline size_t slot_hash(uint64_t key, size_t n)
{
	/* Fibonacci hashing; n is a power of two. */
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (n - 1);
}

struct cp_error *cp_vas_cache_create(size_t tlb_entries, size_t table_pages,
				     struct cp_vas_cache **ret)
{
	struct cp_vas_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return &cp_enomem;
	c->ntlb = round_pow2(tlb_entries, MAX_TLB);
	c->ntables = round_pow2(table_pages, MAX_TABLES);
	c->gen = 1;
	*ret = c;
	return NULL;
}

void cp_vas_cache_destroy(struct cp_vas_cache *cache)
{
	if (!cache)
		return;
	free(cache->tlb);
	free(cache->tags);
	free(cache->pages);
	free(cache);
}

void cp_vas_cache_flush(struct cp_vas_cache *cache)
{
	cache->generation++;
	if (++cache->gen == 0) {
		/* Wrapped after 4 billion sweeps: clear for real, once. */
		if (cache->tlb)
			memset(cache->tlb, 0, cache->ntlb * sizeof(*cache->tlb));
		if (cache->tags)
			memset(cache->tags, 0,
			       cache->ntables * sizeof(*cache->tags));
		cache->gen = 1;
	}
}

uint64_t cp_vas_cache_generation(const struct cp_vas_cache *cache)
{
	return cache->generation;
}

/* Allocation failures just leave a half of the cache off. */
static struct tlb_slot *tlb_slot(struct cp_vas_cache *c, uint64_t root,
				 uint64_t vpn)
{
	if (!c->ntlb)
		return NULL;
	if (!c->tlb) {
		c->tlb = calloc(c->ntlb, sizeof(*c->tlb));
		if (!c->tlb) {
			c->ntlb = 0;
			return NULL;
		}
	}
	return &c->tlb[slot_hash(vpn ^ (root << 7), c->ntlb)];
}

static struct table_slot *table_slot(struct cp_vas_cache *c, uint64_t paddr,
				     uint8_t **page)
{
	if (!c->ntables)
		return NULL;
	if (!c->tags) {
		c->tags = calloc(c->ntables, sizeof(*c->tags));
		c->pages = malloc(c->ntables * CP_PAGE_SIZE);
		if (!c->tags || !c->pages) {
			free(c->tags);
			free(c->pages);
			c->tags = NULL;
			c->pages = NULL;
			c->ntables = 0;
			return NULL;
		}
	}
	size_t i = slot_hash(paddr >> 12, c->ntables);
	*page = c->pages + i * CP_PAGE_SIZE;
	return &c->tags[i];
}

struct cp_error *cp_vas_create(struct cp_mem *mem, uint64_t root,
			       unsigned levels, struct cp_vas_cache *cache,
			       struct cp_vas **ret)
{
	if (levels != 4 && levels != 5)
		return cp_error_create(CP_ERR_USAGE,
				       "%u-level paging: x86-64 has 4 or 5",
				       levels);
	if (cache && cache->mem && cache->mem != mem)
		return cp_error_create(CP_ERR_USAGE,
				       "a translation cache serves one memory "
				       "source; this one already serves %s:%s",
				       cp_mem_kind(cache->mem),
				       cp_mem_path(cache->mem));
	struct cp_vas *vas = calloc(1, sizeof(*vas));
	if (!vas)
		return &cp_enomem;
	if (!cache) {
		struct cp_error *err = cp_vas_cache_create(
			CP_VAS_DEFAULT_TLB, CP_VAS_DEFAULT_TABLES, &cache);
		if (err) {
			free(vas);
			return err;
		}
		vas->owns_cache = true;
	}
	cache->mem = mem;
	vas->mem = mem;
	vas->root = root & CP_X86_PTE_ADDR_MASK;
	vas->levels = levels;
	vas->cache = cache;
	*ret = vas;
	return NULL;
}

void cp_vas_destroy(struct cp_vas *vas)
{
	if (!vas)
		return;
	if (vas->owns_cache)
		cp_vas_cache_destroy(vas->cache);
	free(vas);
}

void cp_vas_flush(struct cp_vas *vas)
{
	cp_vas_cache_flush(vas->cache);
}

uint64_t cp_vas_root(const struct cp_vas *vas)
{
	return vas->root;
}

unsigned cp_vas_levels(const struct cp_vas *vas)
{
	return vas->levels;
}

struct cp_mem *cp_vas_mem(const struct cp_vas *vas)
{
	return vas->mem;
}

void cp_vas_get_stats(const struct cp_vas *vas, struct cp_vas_stats *ret)
{
	*ret = vas->stats;
}

void cp_vas_reset_stats(struct cp_vas *vas)
{
	memset(&vas->stats, 0, sizeof(vas->stats));
}

bool cp_x86_canonical(uint64_t va, unsigned levels)
{
	unsigned bits = levels == 5 ? 57 : 48;
	int64_t sext = (int64_t)(va << (64 - bits)) >> (64 - bits);
	return (uint64_t)sext == va;
}

/* Linux's names: pgd, p4d (5-level only), pud, pmd, pte; index 0 is PTE. */
static const char *level_name(unsigned levels, unsigned level)
{
	static const char *const names[] = { "PTE", "PMD", "PUD", "P4D" };
	return level == levels - 1 ? "PGD" : names[level];
}

/* Reads entry idx of the table at physical `table` (4 KiB aligned). */
static struct cp_error *read_entry(struct cp_vas *vas, uint64_t table,
				   unsigned idx, uint64_t *entry)
{
	uint64_t at = table + (uint64_t)idx * 8;
	vas->stats.table_entries++;
	const void *p = cp_mem_map(vas->mem, at, sizeof(*entry));
	if (p) {
		memcpy(entry, p, sizeof(*entry));
		return NULL;
	}
	struct cp_vas_cache *c = vas->cache;
	uint8_t *page = NULL;
	struct table_slot *slot = table_slot(c, table, &page);
	if (slot && slot->gen == c->gen && slot->paddr == table) {
		vas->stats.table_hits++;
		memcpy(entry, page + idx * 8, sizeof(*entry));
		return NULL;
	}
	if (slot) {
		vas->stats.table_misses++;
		struct cp_error *err =
			cp_mem_read(vas->mem, table, page, CP_PAGE_SIZE);
		if (!err) {
			slot->paddr = table;
			slot->gen = c->gen;
			memcpy(entry, page + idx * 8, sizeof(*entry));
			return NULL;
		}
		slot->gen = 0;
		/* A table page that is only partly backed is forged, but the
		 * entry itself may still be readable: try just that. */
		cp_error_destroy(err);
	}
	return cp_mem_read(vas->mem, at, entry, sizeof(*entry));
}

static struct cp_error *walk(struct cp_vas *vas, uint64_t va,
			     struct tlb_slot *out)
{
	uint64_t table = vas->root;
	uint64_t parent = vas->root;
	const char *parent_name = "root";
	uint8_t perms = PERM_WRITE | PERM_USER | PERM_EXEC;

	for (unsigned level = vas->levels; level-- > 0;) {
		unsigned shift = 12 + 9 * level;
		unsigned idx = (unsigned)(va >> shift) & (ENTRIES_PER_TABLE - 1);
		const char *name = level_name(vas->levels, level);
		uint64_t e;
		struct cp_error *err = read_entry(vas, table, idx, &e);
		if (err)
			return cp_error_wrap(err,
					     "%s table at physical 0x%" PRIx64
					     " for 0x%" PRIx64 " (%s 0x%" PRIx64
					     ")", name, table, va, parent_name,
					     parent);
		if (!(e & CP_X86_PTE_PRESENT))
			return cp_error_create(CP_ERR_FAULT,
					       "no %s entry for 0x%" PRIx64
					       " (%s 0x%" PRIx64 ")",
					       name, va, parent_name, parent);
		if (!(e & CP_X86_PTE_RW))
			perms &= (uint8_t)~PERM_WRITE;
		if (!(e & CP_X86_PTE_USER))
			perms &= (uint8_t)~PERM_USER;
		if (e & CP_X86_PTE_NX)
			perms &= (uint8_t)~PERM_EXEC;

		uint64_t frame;
		if (level == 0) {
			frame = e & CP_X86_PTE_ADDR_MASK;
		} else if (e & CP_X86_PTE_PSE) {
			/* PS is a page only in a PUD (1 GiB) or PMD (2 MiB);
			 * above that it is reserved and the CPU faults. */
			if (level > 2)
				return cp_error_create(
					CP_ERR_CORRUPT,
					"%s entry 0x%" PRIx64 " for 0x%" PRIx64
					" sets the page-size bit, reserved at "
					"that level", name, e, va);
			frame = e & (level == 2 ? PUD_HUGE_MASK : PMD_HUGE_MASK);
		} else {
			parent = e;
			parent_name = name;
			table = e & CP_X86_PTE_ADDR_MASK;
			continue;
		}
		uint64_t size = 1ull << shift;
		out->page = (frame | (va & (size - 1))) & ~(CP_PAGE_SIZE - 1);
		out->leaf = e;
		out->shift = (uint8_t)shift;
		out->perms = perms;
		return NULL;
	}
	/* Unreachable: level 0 always returns. */
	return cp_error_create(CP_ERR_CORRUPT, "page walk for 0x%" PRIx64
			       " ended without a leaf", va);
}

static void fill(struct cp_vas_translation *t, const struct tlb_slot *s,
		 uint64_t va)
{
	t->paddr = s->page | (va & (CP_PAGE_SIZE - 1));
	t->page_size = 1ull << s->shift;
	t->leaf = s->leaf;
	t->writable = s->perms & PERM_WRITE;
	t->user = s->perms & PERM_USER;
	t->executable = s->perms & PERM_EXEC;
}

struct cp_error *cp_vas_translate(struct cp_vas *vas, uint64_t va,
				  struct cp_vas_translation *ret)
{
	if (!cp_x86_canonical(va, vas->levels))
		return cp_error_create(CP_ERR_FAULT,
				       "0x%" PRIx64 " is not a canonical "
				       "address (%u-level paging)",
				       va, vas->levels);
	vas->stats.translations++;
	struct cp_vas_cache *c = vas->cache;
	uint64_t vpn = va >> 12;
	struct tlb_slot *slot = tlb_slot(c, vas->root, vpn);
	if (slot && slot->gen == c->gen && slot->vpn == vpn &&
	    slot->root == vas->root) {
		vas->stats.tlb_hits++;
		fill(ret, slot, va);
		return NULL;
	}
	vas->stats.tlb_misses++;
	struct tlb_slot fresh = { .root = vas->root, .vpn = vpn,
				  .gen = c->gen };
	struct cp_error *err = walk(vas, va, &fresh);
	if (err)
		return err;
	if (slot)
		*slot = fresh;
	fill(ret, &fresh, va);
	return NULL;
}

/* ------------------------------------------------------------ CR3, PTI */

uint64_t cp_x86_cr3_pgd(uint64_t cr3)
{
	return cr3 & CP_X86_PTE_ADDR_MASK;
}

uint64_t cp_x86_pti_kernel_pgd(uint64_t user_pgd)
{
	return user_pgd & ~CP_X86_PTI_USER_PGD_BIT;
}

unsigned cp_x86_levels_from_cr4(uint64_t cr4)
{
	return cr4 & (1ull << 12) ? 5 : 4;
}

static unsigned count_present(const uint64_t *e, size_t from, size_t to)
{
	unsigned n = 0;
	for (size_t i = from; i < to; i++)
		n += e[i] & CP_X86_PTE_PRESENT;
	return n;
}

struct cp_error *cp_x86_kernel_pgd(struct cp_mem *mem, uint64_t cr3,
				   uint64_t *pgd, bool *pti)
{
	uint64_t user = cp_x86_cr3_pgd(cr3);
	*pgd = user;
	*pti = false;
	if (!(user & CP_X86_PTI_USER_PGD_BIT))
		return NULL;
	uint64_t kernel = cp_x86_pti_kernel_pgd(user);
	uint64_t u[ENTRIES_PER_TABLE], k[ENTRIES_PER_TABLE];
	struct cp_error *err = cp_mem_read(mem, user, u, sizeof(u));
	if (err)
		return cp_error_wrap(err, "PGD at physical 0x%" PRIx64, user);
	err = cp_mem_read(mem, kernel, k, sizeof(k));
	if (err) {		/* no page below: not a PTI pair */
		cp_error_destroy(err);
		return NULL;
	}
	/* The user half (entries 0-255) is written to both copies at once;
	 * the kernel's copy may add NX. */
	for (size_t i = 0; i < ENTRIES_PER_TABLE / 2; i++)
		if ((k[i] & ~CP_X86_PTE_NX) != (u[i] & ~CP_X86_PTE_NX))
			return NULL;
	if (count_present(u, 0, ENTRIES_PER_TABLE / 2) == 0)
		return NULL;
	/* The user copy maps only the entry trampoline of the kernel half. */
	if (count_present(k, ENTRIES_PER_TABLE / 2, ENTRIES_PER_TABLE) <=
	    count_present(u, ENTRIES_PER_TABLE / 2, ENTRIES_PER_TABLE))
		return NULL;
	*pgd = kernel;
	*pti = true;
	return NULL;
}
