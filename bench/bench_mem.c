/*
 * bench_mem.c - what a read of guest memory costs, per source.
 *
 *   bench_mem [-t SECONDS] URI...
 *
 * For each memory source: random 8-byte reads and sequential 4 KiB page
 * reads, one cp_mem_read() each and in cp_mem_read_batch() calls of 1024,
 * then (when the guest's VMCOREINFO names init_top_pgt) random 8-byte
 * reads by kernel virtual address through a cp_vas, with a cold and a warm
 * translation cache. Each figure runs for about SECONDS (default 0.5) and
 * prints per-read time and throughput with units.
 *
 * Typical use, on a 256 MiB lab guest:
 *   bench_mem shm:build/lab/G/mem qemu:PID qemu:PID,read=readv
 * Built (until `make bench` does it) with:
 *   make build/libcloudprobe.a && cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude
 *     -Isrc -o build/bench/bench_mem bench/bench_mem.c
 *     build/libcloudprobe.a $(pkg-config --libs libbpf jansson sqlite3)
 * The guest keeps running and other processes share the CPUs: figures
 * move by tens of percent between runs; compare within one run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloudprobe.h"
#include "arch/x86_64.h"
#include "mem/mem.h"

#define BATCH 1024
#define PAGE 4096

static double seconds = 0.5;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: reproducible addresses without libc's rand state. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* A random 8-aligned address inside the source's RAM. */
static uint64_t random_paddr(struct cp_mem *mem, size_t len)
{
	uint64_t total = cp_mem_size(mem);
	uint64_t pick = next_random() % (total - len);
	for (size_t i = 0; i < cp_mem_range_count(mem); i++) {
		const struct cp_mem_range *r = &cp_mem_ranges(mem)[i];
		if (pick < r->size) {
			uint64_t a = r->start + (pick & ~7ull);
			return a + len <= r->start + r->size ? a : r->start;
		}
		pick -= r->size;
	}
	return cp_mem_ranges(mem)[0].start;
}

static void report(const char *uri, const char *what, uint64_t reads,
		   uint64_t bytes, double dt)
{
	printf("%-34.34s %-30s %9" PRIu64 " reads %9.3f us/read %9.1f MB/s\n",
	       uri, what, reads, dt * 1e6 / (double)reads,
	       (double)bytes / dt / 1e6);
}

static int fail(const char *uri, struct cp_error *err)
{
	fprintf(stderr, "bench_mem: %s: %s\n", uri, cp_error_message(err));
	cp_error_destroy(err);
	return 1;
}

/* Addresses are drawn before the clock starts: 1 Mi of them (8 MiB). */
#define NADDR (1u << 20)
static uint64_t *addrs;

static void draw_addresses(struct cp_mem *mem)
{
	if (!addrs && !(addrs = malloc(NADDR * sizeof(*addrs)))) {
		perror("bench_mem");
		exit(1);
	}
	for (size_t i = 0; i < NADDR; i++)
		addrs[i] = random_paddr(mem, 8);
}

static int bench_random(const char *uri, struct cp_mem *mem, bool batched)
{
	static uint8_t bufs[BATCH][8];
	static struct cp_mem_request reqs[BATCH];
	uint64_t reads = 0;
	size_t at = 0;
	double t0 = now(), dt;
	do {
		const uint64_t *a = addrs + at;
		at = (at + BATCH) % NADDR;
		if (batched) {
			for (size_t i = 0; i < BATCH; i++)
				reqs[i] = (struct cp_mem_request){
					a[i], bufs[i], 8, 0 };
			struct cp_error *err = cp_mem_read_batch(mem, reqs, BATCH);
			if (err)
				return fail(uri, err);
		} else {
			for (size_t i = 0; i < BATCH; i++) {
				struct cp_error *err =
					cp_mem_read(mem, a[i], bufs[i], 8);
				if (err)
					return fail(uri, err);
			}
		}
		reads += BATCH;
	} while ((dt = now() - t0) < seconds);
	report(uri, batched ? "random 8 B, batches of 1024" :
			      "random 8 B, one call each", reads, reads * 8, dt);
	return 0;
}

static int bench_pages(const char *uri, struct cp_mem *mem, bool batched)
{
	static uint8_t pages[BATCH][PAGE];
	static struct cp_mem_request reqs[BATCH];
	uint64_t reads = 0;
	size_t range = 0;
	uint64_t off = 0;
	double t0 = now(), dt;
	do {
		size_t n = 0;
		while (n < (batched ? BATCH : 1)) {
			const struct cp_mem_range *r = &cp_mem_ranges(mem)[range];
			if (off + PAGE > r->size) {	/* next range, wrap */
				range = (range + 1) % cp_mem_range_count(mem);
				off = 0;
				continue;
			}
			reqs[n] = (struct cp_mem_request){ r->start + off,
							   pages[n], PAGE, 0 };
			n++;
			off += PAGE;
		}
		struct cp_error *err =
			batched ? cp_mem_read_batch(mem, reqs, n) :
				  cp_mem_read(mem, reqs[0].paddr, pages[0], PAGE);
		if (err)
			return fail(uri, err);
		reads += n;
	} while ((dt = now() - t0) < seconds);
	report(uri, batched ? "sequential 4 KiB, batches" :
			      "sequential 4 KiB, one call each",
	       reads, reads * PAGE, dt);
	return 0;
}

static void bench_pages_warmup(struct cp_mem *mem)
{
	static uint8_t page[PAGE];
	for (size_t i = 0; i < cp_mem_range_count(mem); i++) {
		const struct cp_mem_range *r = &cp_mem_ranges(mem)[i];
		for (uint64_t off = 0; off + PAGE <= r->size; off += PAGE)
			cp_error_destroy(cp_mem_read(mem, r->start + off,
						     page, 8));
	}
}

/* Random u64 reads by kernel virtual address (the kernel image). */
static void bench_vas(const char *uri, struct cp_mem *mem)
{
	struct cp_vmcoreinfo *vi;
	uint64_t pgt, stext, end;
	int64_t phys_base, l5 = 0;
	struct cp_error *err = cp_vmcoreinfo_find(mem, &vi, NULL);
	if (err) {
		cp_error_destroy(err);
		return;
	}
	if (!cp_vmcoreinfo_symbol(vi, "init_top_pgt", &pgt) ||
	    !cp_vmcoreinfo_symbol(vi, "_stext", &stext) ||
	    !cp_vmcoreinfo_number(vi, "phys_base", &phys_base)) {
		cp_vmcoreinfo_destroy(vi);
		return;
	}
	cp_vmcoreinfo_number(vi, "pgtable_l5_enabled", &l5);
	cp_vmcoreinfo_destroy(vi);
	end = pgt;	/* the image from _stext up to its page tables */
	struct cp_vas *vas;
	if ((err = cp_vas_create(mem, pgt - CP_X86_START_KERNEL_MAP +
					     (uint64_t)phys_base,
				 l5 ? 5 : 4, NULL, &vas))) {
		fail(uri, err);
		return;
	}
	for (int warm = 0; warm < 2; warm++) {
		uint64_t reads = 0, faults = 0, v;
		cp_vas_reset_stats(vas);
		double t0 = now(), dt;
		do {
			for (int i = 0; i < 256; i++) {
				if (!warm)
					cp_vas_flush(vas);
				uint64_t va = stext + (next_random() %
						       (end - stext) & ~7ull);
				/* The image has unmapped gaps (freed padding
				 * between sections): a fault is a cost too. */
				if ((err = cp_vas_read_u64(vas, va, &v))) {
					if (cp_error_code(err) != CP_ERR_FAULT) {
						fail(uri, err);
						cp_vas_destroy(vas);
						return;
					}
					cp_error_destroy(err);
					faults++;
				}
			}
			reads += 256;
		} while ((dt = now() - t0) < seconds);
		struct cp_vas_stats st;
		cp_vas_get_stats(vas, &st);
		char what[64];
		snprintf(what, sizeof(what), "vas u64, %s cache",
			 warm ? "warm" : "cold");
		report(uri, what, reads, reads * 8, dt);
		printf("%-34s   tlb %" PRIu64 " hits %" PRIu64 " misses, "
		       "tables %" PRIu64 " hits %" PRIu64 " misses, %" PRIu64
		       " entries read, %" PRIu64 " pages touched, %" PRIu64
		       " faults\n", "", st.tlb_hits, st.tlb_misses,
		       st.table_hits, st.table_misses, st.table_entries,
		       st.pages_touched, faults);
	}
	cp_vas_destroy(vas);
}

int main(int argc, char **argv)
{
	int i = 1, rc = 0;
	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		seconds = atof(argv[2]);
		i = 3;
	}
	if (i >= argc || seconds <= 0) {
		fprintf(stderr, "usage: bench_mem [-t SECONDS] URI...\n");
		return 2;
	}
	for (; i < argc; i++) {
		struct cp_mem *mem;
		struct cp_error *err = cp_mem_open(argv[i], &mem);
		if (err) {
			rc |= fail(argv[i], err);
			continue;
		}
		draw_addresses(mem);
		/* Touch every page once so first-touch faults of a fresh
		 * mapping are not billed to whichever figure runs first. */
		bench_pages_warmup(mem);
		rc |= bench_random(argv[i], mem, false);
		rc |= bench_random(argv[i], mem, true);
		rc |= bench_pages(argv[i], mem, false);
		rc |= bench_pages(argv[i], mem, true);
		bench_vas(argv[i], mem);
		cp_mem_close(mem);
	}
	return rc;
}
