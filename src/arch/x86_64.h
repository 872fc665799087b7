/*
 * x86_64.h - guest virtual address spaces over a memory source (x86-64).
 *
 * A `struct cp_vas` is one guest address space: a memory source plus the
 * physical address of a top-level page table (the kernel's init_top_pgt, or
 * a process's mm->pgd made physical), walked with 4- or 5-level (LA57)
 * paging, 2 MiB and 1 GiB pages included. Reads by virtual address go
 * through it: cp_vas_read() across page boundaries, typed helpers, bounded
 * strings, and batches that translate first and then issue one batched
 * physical read (cp_mem_read_batch).
 *
 * Translation follows the hardware: exactly one entry per level, so a
 * forged table (a loop back to itself, an entry past RAM) yields a wrong or
 * failing translation, never a hang. A not-present entry is CP_ERR_FAULT
 * naming the level ("no PMD entry for 0x... (PUD 0x...)"). NX, user and
 * writable bits do not stop a translation; they are reported with it.
 *
 * A `struct cp_vas_cache` holds page-table pages and final translations for
 * one sweep. It is bounded (fixed slots, chosen at creation) and may be
 * shared by every address space over the same source, since page tables are
 * keyed by physical address (all processes share the kernel half).
 * cp_vas_cache_flush() starts a new sweep in O(1) (a generation counter).
 *
 * Not here: finding the root (kernel/ does that from VMCOREINFO or CR3),
 * what the bytes mean, and writes (guest memory is only ever read).
 */
#ifndef CP_ARCH_X86_64_H
#define CP_ARCH_X86_64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudprobe.h"

/* Page-table entry bits (Intel SDM vol. 3, 4.5; Linux pgtable_types.h). */
#define CP_X86_PTE_PRESENT	(1ull << 0)
#define CP_X86_PTE_RW		(1ull << 1)
#define CP_X86_PTE_USER		(1ull << 2)
#define CP_X86_PTE_ACCESSED	(1ull << 5)
#define CP_X86_PTE_DIRTY	(1ull << 6)
#define CP_X86_PTE_PSE		(1ull << 7)	/* 2 MiB / 1 GiB page */
#define CP_X86_PTE_GLOBAL	(1ull << 8)
#define CP_X86_PTE_NX		(1ull << 63)
/* Bits 51:12 of an entry: the next table or the 4 KiB page. */
#define CP_X86_PTE_ADDR_MASK	0x000ffffffffff000ull

/* The kernel's fixed mapping of its image (__START_KERNEL_map). */
#define CP_X86_START_KERNEL_MAP	0xffffffff80000000ull

/*
 * The result of one translation. Permissions are combined over the walk
 * as the CPU does: writable and user only if every level allows it,
 * executable only if no level sets NX (assuming EFER.NXE, as Linux does).
 */
struct cp_vas_translation {
	uint64_t paddr;		/* physical address of the byte at va */
	uint64_t page_size;	/* 4096, 2 MiB or 1 GiB */
	uint64_t leaf;		/* the final entry as read (PTE, PMD or PUD) */
	bool writable;
	bool user;
	bool executable;
};

/*
 * Counters for benchmarks and sweep reports. Table entries are read in
 * place when the source can map them (shm:, raw:); otherwise whole table
 * pages are read once per sweep into the cache (qemu:).
 */
struct cp_vas_stats {
	uint64_t translations;	/* virtual pages translated (incl. hits) */
	uint64_t tlb_hits;
	uint64_t tlb_misses;	/* = page walks */
	uint64_t table_entries;	/* entries read during walks */
	uint64_t table_hits;	/* table pages found in the cache */
	uint64_t table_misses;	/* table pages read from the source */
	uint64_t pages_touched;	/* page-sized pieces of data read */
	uint64_t bytes_read;	/* data bytes returned to callers */
};

struct cp_vas_cache;
struct cp_vas;

/* Default cache bounds: 4096 translations (128 KiB), 256 tables (1 MiB). */
#define CP_VAS_DEFAULT_TLB	4096
#define CP_VAS_DEFAULT_TABLES	256

/*
 * A cache for one sweep: tlb_entries translations and table_pages page
 * table pages (each rounded up to a power of two, at most 1 Mi and 64 Ki;
 * 0 disables that half). Memory is allocated on first use.
 */
struct cp_error *cp_vas_cache_create(size_t tlb_entries, size_t table_pages,
				     struct cp_vas_cache **ret);
void cp_vas_cache_destroy(struct cp_vas_cache *cache);
/* Starts a new sweep: every cached translation and table is dropped. */
void cp_vas_cache_flush(struct cp_vas_cache *cache);
/* The sweep number, incremented by each flush. */
uint64_t cp_vas_cache_generation(const struct cp_vas_cache *cache);

/*
 * An address space rooted at the table at physical `root` (its low 12 bits
 * are ignored: pass a CR3 through cp_x86_cr3_pgd() first). levels is 4 or
 * 5. cache may be NULL (the space gets a private default cache) or shared;
 * a shared cache must outlive the space and serve only spaces over `mem`.
 * mem must outlive the space.
 */
struct cp_error *cp_vas_create(struct cp_mem *mem, uint64_t root,
			       unsigned levels, struct cp_vas_cache *cache,
			       struct cp_vas **ret);
void cp_vas_destroy(struct cp_vas *vas);
/* Flushes the space's cache (shared: for every space using it). */
void cp_vas_flush(struct cp_vas *vas);
uint64_t cp_vas_root(const struct cp_vas *vas);
unsigned cp_vas_levels(const struct cp_vas *vas);
struct cp_mem *cp_vas_mem(const struct cp_vas *vas);
void cp_vas_get_stats(const struct cp_vas *vas, struct cp_vas_stats *ret);
void cp_vas_reset_stats(struct cp_vas *vas);

/* True if va is canonical for the given paging depth. */
bool cp_x86_canonical(uint64_t va, unsigned levels);

struct cp_error *cp_vas_translate(struct cp_vas *vas, uint64_t va,
				  struct cp_vas_translation *ret);

/* Reads len bytes at va, across pages; all or nothing. */
struct cp_error *cp_vas_read(struct cp_vas *vas, uint64_t va, void *buf,
			     size_t len);
struct cp_error *cp_vas_read_u8(struct cp_vas *vas, uint64_t va,
				uint8_t *ret);
struct cp_error *cp_vas_read_u16(struct cp_vas *vas, uint64_t va,
				 uint16_t *ret);
struct cp_error *cp_vas_read_u32(struct cp_vas *vas, uint64_t va,
				 uint32_t *ret);
struct cp_error *cp_vas_read_u64(struct cp_vas *vas, uint64_t va,
				 uint64_t *ret);
/*
 * A pointer-sized value that must be 0 or canonical for this space's
 * paging depth: a forged pointer fails here with CP_ERR_CORRUPT instead of
 * faulting somewhere later.
 */
struct cp_error *cp_vas_read_ptr(struct cp_vas *vas, uint64_t va,
				 uint64_t *ret);
/*
 * A NUL-terminated string at va, at most max bytes without the NUL, into
 * a malloc'd *ret. Pages past the NUL are never touched. If max bytes pass
 * without a NUL, *ret holds those max bytes and *truncated (optional) is
 * set. A fault before the NUL or max fails the call.
 */
struct cp_error *cp_vas_read_string(struct cp_vas *vas, uint64_t va,
				    size_t max, char **ret, bool *truncated);

/* One request of cp_vas_read_batch(); ok is set by the call. */
struct cp_vas_request {
	uint64_t va;
	void *buf;
	size_t len;
	bool ok;
};

/*
 * Translates every request, then reads all of them in one batched
 * physical read. Each request is all or nothing (`ok`); NULL when all
 * succeeded, else the first failure prefixed with how many failed.
 */
struct cp_error *cp_vas_read_batch(struct cp_vas *vas,
				   struct cp_vas_request *reqs, size_t n);

/*
 * CR3 and PTI.
 *
 * CR3 holds the PGD's physical address in bits 51:12; bits 11:0 are the
 * PCID (or PWT/PCD without PCID) and bit 63 is the no-flush hint of a CR3
 * write. cp_x86_cr3_pgd() keeps only the address.
 *
 * With page-table isolation (PTI, the Meltdown mitigation) Linux allocates
 * every PGD as two pages, 8 KiB aligned: the kernel PGD at the even page
 * and a user PGD at +4096, so the two differ only in bit 12. A vCPU
 * interrupted in user mode shows the user PGD in CR3 (and bit 11 set in the
 * PCID); it maps user space and only the entry trampoline and
 * cpu_entry_area of the kernel half. The kernel PGD is that address with
 * bit 12 cleared. The user-half entries are the same in both, except that
 * the kernel's copy has NX set (arch/x86/mm/pti.c, pti_set_user_pgtbl).
 * On a kernel without PTI the PGD is a single page and may sit at an odd
 * page, so bit 12 must not be cleared blindly.
 */
#define CP_X86_PTI_USER_PGD_BIT	(1ull << 12)

uint64_t cp_x86_cr3_pgd(uint64_t cr3);
/* The kernel PGD of a PTI user PGD (bit 12 cleared); PTI kernels only. */
uint64_t cp_x86_pti_kernel_pgd(uint64_t user_pgd);
/*
 * The kernel PGD for a CR3 value, PTI or not: when bit 12 is set and the
 * page below is the kernel twin (same user-half entries modulo NX, more
 * kernel-half entries present) returns that page and sets *pti; otherwise
 * returns the PGD itself.
 */
struct cp_error *cp_x86_kernel_pgd(struct cp_mem *mem, uint64_t cr3,
				   uint64_t *pgd, bool *pti);
/* 5 if CR4.LA57 (bit 12) is set, else 4. */
unsigned cp_x86_levels_from_cr4(uint64_t cr4);

#endif /* CP_ARCH_X86_64_H */
