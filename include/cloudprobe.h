/*
 * cloudprobe.h - the public API of libcloudprobe.
 *
 * libcloudprobe reads a virtual machine's memory from the outside and
 * rebuilds what the guest kernel knows. Data flows one way:
 *
 *   memory source (cp_mem) -> paging -> kernel profile -> views -> ...
 *
 * Every name is prefixed cp_. Every fallible function returns a
 * `struct cp_error *`, NULL on success; the caller owns a returned error and
 * releases it with cp_error_destroy(). Guest memory is only ever read.
 */
#ifndef CLOUDPROBE_H
#define CLOUDPROBE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CP_VERSION "0.1.0"

/* ------------------------------------------------------------------ errors */

enum cp_error_code {
	CP_ERR_NOMEM = 1,	/* allocation failed */
	CP_ERR_OS,		/* a system call failed; see cp_error_errno() */
	CP_ERR_USAGE,		/* bad argument or configuration from the user */
	CP_ERR_FORMAT,		/* an input file is not what it claims to be */
	CP_ERR_FAULT,		/* address not backed by the source (a hole) */
	CP_ERR_NOT_FOUND,	/* a searched-for structure is absent */
	CP_ERR_CORRUPT,		/* guest data failed validation */
	CP_ERR_PARTIAL,		/* a result is incomplete; the reason says why */
	CP_ERR_TIMEOUT,		/* a bound on time was reached */
	CP_ERR_UNSUPPORTED,	/* a valid input this build cannot handle */
};

struct cp_error;

/* The static out-of-memory error; cp_error_destroy() ignores it. */
extern struct cp_error cp_enomem;

struct cp_error *cp_error_create(enum cp_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A CP_ERR_OS error: the message gets ": strerror(errnum)" appended. */
struct cp_error *cp_error_os(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Adds context in front of err's message ("context: message") and returns
 * err. NULL in, NULL out, so `return cp_error_wrap(f(), "...")` is fine.
 */
struct cp_error *cp_error_wrap(struct cp_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cp_error_destroy(struct cp_error *err);
const char *cp_error_message(const struct cp_error *err);
enum cp_error_code cp_error_code(const struct cp_error *err);
int cp_error_errno(const struct cp_error *err);
/* The CLI contract: 0 success, 1 partial result, 2 usage or input error. */
int cp_error_exit_status(const struct cp_error *err);

/* ---------------------------------------------------------- memory sources */

/*
 * A memory source reads guest-physical bytes. URIs: raw:PATH, elf:PATH,
 * lime:PATH, shm:PATH[,machine=q35|pc] (a QEMU memory-backend-file),
 * qemu:PID[,qmp=SOCKET|off][,read=auto|mmap|readv] (a live QEMU process),
 * qmp:SOCKET (the QEMU behind a QMP socket), libvirt:NAME (a libvirt
 * domain's QEMU); a bare path is sniffed (ELF, LiME, else raw).
 * Reads that touch an address no range covers fail with CP_ERR_FAULT; a
 * source never fills holes with zeros.
 */
struct cp_mem;

struct cp_mem_range {
	uint64_t start;		/* guest-physical address */
	uint64_t size;		/* bytes */
};

struct cp_error *cp_mem_open(const char *uri, struct cp_mem **ret);
void cp_mem_close(struct cp_mem *mem);
struct cp_error *cp_mem_read(struct cp_mem *mem, uint64_t paddr, void *buf,
			     size_t len);
/*
 * Zero-copy access: a pointer to len bytes at paddr valid until
 * cp_mem_close(), or NULL when the source cannot map them (a live process,
 * or a span crossing a hole). Callers fall back to cp_mem_read().
 */
const void *cp_mem_map(struct cp_mem *mem, uint64_t paddr, size_t len);
size_t cp_mem_range_count(const struct cp_mem *mem);
const struct cp_mem_range *cp_mem_ranges(const struct cp_mem *mem);
/* Total bytes of guest-physical memory the source holds. */
uint64_t cp_mem_size(const struct cp_mem *mem);
/* The scheme that opened the source: "raw", "elf", "lime", "shm", "qemu"... */
const char *cp_mem_kind(const struct cp_mem *mem);
const char *cp_mem_path(const struct cp_mem *mem);
/* Bytes read from the source so far (for benchmarks and sweeps). */
uint64_t cp_mem_bytes_read(const struct cp_mem *mem);

/* -------------------------------------------------------- kernel discovery */

/*
 * VMCOREINFO: the KEY=value text a kernel keeps for crash dumps. Taken from
 * an ELF core's note when there is one, else carved from RAM. Values are
 * claims by the guest, to be checked, not trusted.
 */
struct cp_vmcoreinfo;

/* *scanned (optional) receives the bytes of RAM searched. */
struct cp_error *cp_vmcoreinfo_find(struct cp_mem *mem,
				    struct cp_vmcoreinfo **ret,
				    uint64_t *scanned);
void cp_vmcoreinfo_destroy(struct cp_vmcoreinfo *vi);
/* The value of KEY (e.g. "OSRELEASE", "KERNELOFFSET"), or NULL. */
const char *cp_vmcoreinfo_get(const struct cp_vmcoreinfo *vi, const char *key);
/* SYMBOL(name)=hex address. */
bool cp_vmcoreinfo_symbol(const struct cp_vmcoreinfo *vi, const char *name,
			  uint64_t *addr);
/* NUMBER(name)=signed decimal (phys_base is negative on some guests). */
bool cp_vmcoreinfo_number(const struct cp_vmcoreinfo *vi, const char *name,
			  int64_t *value);
/* KEY=hex, e.g. KERNELOFFSET. */
bool cp_vmcoreinfo_hex(const struct cp_vmcoreinfo *vi, const char *key,
		       uint64_t *value);
const char *cp_vmcoreinfo_text(const struct cp_vmcoreinfo *vi);
/* Guest-physical address of the text; 0 when it came from an ELF note. */
uint64_t cp_vmcoreinfo_paddr(const struct cp_vmcoreinfo *vi);
/* "elf-note" or "ram". */
const char *cp_vmcoreinfo_origin(const struct cp_vmcoreinfo *vi);

/*
 * The kernel's linux_banner ("Linux version RELEASE (...) ...\n"), carved
 * from RAM. With release non-NULL only a banner of that release matches;
 * with uts_version non-NULL (init_uts_ns's "#1 SMP ..."), a banner ending
 * in it is preferred over look-alikes. *banner is malloc'd, without the
 * trailing newline.
 */
struct cp_error *cp_banner_find(struct cp_mem *mem, const char *release,
				const char *uts_version, char **banner,
				uint64_t *paddr, uint64_t *scanned);
/* The release field of a banner, malloc'd, or NULL if malformed. */
char *cp_banner_release(const char *banner);

/*
 * A kernel profile: everything discovery learned about one guest kernel
 * (release, banner, VMCOREINFO, later types, symbols and KASLR), built from
 * guest RAM alone. Each discovery step is recorded with its outcome, time
 * and bytes scanned, so `cloudprobe info` can say what worked.
 */
struct cp_profile;

struct cp_discovery_step {
	const char *name;	/* "vmcoreinfo", "banner", ... */
	bool ok;
	double ms;		/* wall time the step took */
	uint64_t scanned;	/* bytes of guest memory searched */
	const char *detail;	/* what it found, or why it failed */
};

/*
 * Runs discovery over mem (which must outlive the profile). Fails only when
 * nothing identifies a Linux kernel; individual steps may fail and are
 * reported by cp_profile_step().
 */
struct cp_error *cp_profile_discover(struct cp_mem *mem,
				     struct cp_profile **ret);
void cp_profile_destroy(struct cp_profile *profile);
const char *cp_profile_release(const struct cp_profile *profile);
const char *cp_profile_banner(const struct cp_profile *profile);
/* From init_uts_ns; NULL when it could not be placed. */
const char *cp_profile_uts_version(const struct cp_profile *profile);
const char *cp_profile_nodename(const struct cp_profile *profile);
uint64_t cp_profile_banner_paddr(const struct cp_profile *profile);
/* NULL when the guest had no VMCOREINFO. */
const struct cp_vmcoreinfo *
cp_profile_vmcoreinfo(const struct cp_profile *profile);
/*
 * The memory source the profile reads (as given to discovery; not owned by
 * the profile). Views use it to read a process's user memory through that
 * process's own page tables (arch/x86_64.h cp_vas_create).
 */
struct cp_mem *cp_profile_mem(const struct cp_profile *profile);
size_t cp_profile_step_count(const struct cp_profile *profile);
const struct cp_discovery_step *cp_profile_step(const struct cp_profile *profile,
						size_t i);

/* Options for discovery; a NULL pointer means the defaults. */
struct cp_profile_opts {
	/*
	 * Profile cache directory: NULL means $CLOUDPROBE_CACHE, else
	 * $XDG_CACHE_HOME/cloudprobe/profiles, else ~/.cache/cloudprobe/
	 * profiles. A warm attach (same banner and build id) skips carving.
	 */
	const char *cache_dir;
	bool no_cache;		/* neither read nor write the cache */
	/* Ignore VMCOREINFO and carve everything (tests, hostile guests). */
	bool ignore_vmcoreinfo;
	/* Types from a file instead of RAM: a Volatility 3 ISF (JSON) ... */
	const char *isf_path;
	/* ... or a BTF file, with symbols from a System.map. */
	const char *btf_path;
	const char *system_map_path;
};

struct cp_error *cp_profile_discover_opts(struct cp_mem *mem,
					  const struct cp_profile_opts *opts,
					  struct cp_profile **ret);

/* Where the kernel sits: KASLR and the kernel's own page tables. */
struct cp_kernel_layout {
	uint64_t text_va;		/* runtime _text */
	uint64_t text_pa;		/* its physical address */
	uint64_t kaslr_virt;		/* text_va - link-time _text */
	int64_t kaslr_phys;		/* text_pa - link-time physical start */
	int64_t phys_base;		/* pa = va - 0xffffffff80000000 + phys_base */
	uint64_t pgd_pa;		/* init_top_pgt, physical */
	unsigned levels;		/* paging levels: 4 or 5 */
	uint64_t page_offset_base;	/* the direct map */
	uint64_t vmalloc_base;
	uint64_t vmemmap_base;
	bool valid;			/* init_task and linux_banner translated */
};

/* NULL until the kaslr step has succeeded. */
const struct cp_kernel_layout *
cp_profile_layout(const struct cp_profile *profile);
/* Where discovery found the kernel's own tables (0 = not found). */
struct cp_profile_tables {
	uint64_t btf_paddr;
	uint32_t btf_size;
	const char *kallsyms_origin;	/* "vmcoreinfo", "carved", ... */
	const char *kallsyms_layout;	/* e.g. "6.4-6.14" */
	uint64_t kallsyms_names_paddr;
	uint64_t kallsyms_markers_paddr;
	uint64_t kallsyms_token_table_paddr;
	uint64_t kallsyms_token_index_paddr;
	const char *types_origin;	/* "ram", "the cache", "isf:PATH" */
};

void cp_profile_tables(const struct cp_profile *profile,
		       struct cp_profile_tables *ret);
/* The first of the steps that make a usable profile (kallsyms, btf,
 * kaslr) that failed, or NULL when the profile is complete. */
const struct cp_discovery_step *
cp_profile_failed_step(const struct cp_profile *profile);
/* VMCOREINFO's BUILD-ID, or NULL. */
const char *cp_profile_build_id(const struct cp_profile *profile);
/* True when the profile came from the on-disk cache (a warm attach). */
bool cp_profile_from_cache(const struct cp_profile *profile);

/* ----------------------------------------------------- symbols and types */

struct cp_symbol {
	const char *name;	/* valid while the profile lives */
	uint64_t address;	/* runtime (KASLR-shifted) virtual address */
	char type;		/* as /proc/kallsyms: T t D d R r B b A W V ... */
};

size_t cp_profile_symbol_count(const struct cp_profile *profile);
/* Symbols in address order. */
bool cp_profile_symbol_at(const struct cp_profile *profile, size_t i,
			  struct cp_symbol *ret);
/* The first symbol of that name. */
bool cp_profile_symbol(const struct cp_profile *profile, const char *name,
		       uint64_t *address);
/* Number of types in the profile's BTF (0 without types). */
size_t cp_profile_type_count(const struct cp_profile *profile);

/* A member of a kernel struct, by name. */
struct cp_field {
	uint64_t offset;	/* bytes from the start of the outer type */
	uint64_t size;		/* bytes */
	uint32_t bit_offset;	/* bitfields only: first bit in the byte */
	uint32_t bit_size;	/* bitfields only: width; 0 otherwise */
};

/*
 * Offset and size of TYPE.PATH ("task_struct", "comm"; nested "se.vruntime";
 * members of anonymous unions by plain name). Views resolve their fields
 * once per profile, never by hard-coded offsets.
 */
struct cp_error *cp_field(const struct cp_profile *profile, const char *type,
			  const char *path, struct cp_field *ret);
struct cp_error *cp_type_size(const struct cp_profile *profile,
			      const char *type, uint64_t *ret);
struct cp_error *cp_enum_value(const struct cp_profile *profile,
			       const char *enumerator, int64_t *ret);
/* Prints a struct or union as `pahole -C NAME` does. */
struct cp_error *cp_profile_print_type(const struct cp_profile *profile,
				       FILE *out, const char *name);
/*
 * Writes a Volatility 3 ISF (JSON) of the profile's types and symbols, so
 * Volatility can read the same guest with no dwarf2json.
 */
struct cp_error *cp_profile_export_isf(const struct cp_profile *profile,
				       const char *path);

/* ------------------------------------------------ kernel virtual memory */

/* What reading the guest has cost since the profile was made. */
struct cp_read_stats {
	uint64_t bytes_read;	/* from the memory source, all readers */
	uint64_t pages_touched;	/* kernel pages read through page tables */
	uint64_t translations;	/* kernel virtual pages translated */
	uint64_t walks;		/* page-table walks (translation misses) */
};

void cp_profile_read_stats(const struct cp_profile *profile,
			   struct cp_read_stats *ret);
/*
 * Starts a new sweep: cached translations and page-table pages are
 * dropped (the guest has moved on) and the counters restart.
 */
void cp_profile_new_sweep(struct cp_profile *profile);

/* Reads kernel virtual memory through the kernel's own page tables. */
struct cp_error *cp_kread(struct cp_profile *profile, uint64_t va, void *buf,
			  size_t len);
/* Physical address of a kernel virtual address. */
struct cp_error *cp_ktranslate(struct cp_profile *profile, uint64_t va,
			       uint64_t *pa);

/* ------------------------------------------------------------------ output */

/*
 * One output module for every command: aligned tables for people, JSON
 * Lines and CSV for programs. A command declares its columns once, then
 * emits rows cell by cell. Field names are the stable JSON keys.
 */
enum cp_out_format {
	CP_OUT_TABLE,
	CP_OUT_JSON,
	CP_OUT_CSV,
};

enum cp_out_type {
	CP_COL_STR,
	CP_COL_INT,	/* signed decimal */
	CP_COL_UINT,	/* unsigned decimal */
	CP_COL_HEX,	/* 0x-prefixed; a JSON string, since JSON numbers lose
			 * precision past 2^53 */
	CP_COL_BOOL,
	CP_COL_DOUBLE,
};

struct cp_out_col {
	const char *name;	/* JSON key and CSV header */
	const char *title;	/* table header; NULL means upper-cased name */
	enum cp_out_type type;
};

struct cp_out;

struct cp_error *cp_out_format_parse(const char *name,
				     enum cp_out_format *ret);
struct cp_error *cp_out_new(FILE *file, enum cp_out_format format,
			    const struct cp_out_col *cols, size_t ncols,
			    struct cp_out **ret);
/* Cells are given in column order; a row must be complete before the next. */
void cp_out_str(struct cp_out *out, const char *value);
void cp_out_int(struct cp_out *out, int64_t value);
void cp_out_uint(struct cp_out *out, uint64_t value);
void cp_out_hex(struct cp_out *out, uint64_t value);
void cp_out_bool(struct cp_out *out, bool value);
void cp_out_double(struct cp_out *out, double value);
/* An explicitly missing value: null in JSON, empty in CSV, "-" in tables. */
void cp_out_null(struct cp_out *out);
struct cp_error *cp_out_row_end(struct cp_out *out);
/*
 * Tables print each row as "TITLE  value" lines instead of one line a row:
 * for single-record output such as `info`.
 */
void cp_out_set_vertical(struct cp_out *out);
/* Flushes (tables print here, once widths are known) and frees. */
struct cp_error *cp_out_finish(struct cp_out *out);
void cp_out_destroy(struct cp_out *out);

#ifdef __cplusplus
}
#endif

#endif /* CLOUDPROBE_H */
