/*
 * Unit tests for memory sources on synthetic files: raw, ELF cores, LiME,
 * sniffing of bare paths, and that holes and damaged headers are errors,
 * never zeros.
 */
#include <elf.h>

#include "unit.h"
#include "mem/mem.h"

#define PAGE 4096

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static struct cp_mem *open_ok(const char *uri)
{
	struct cp_mem *mem = NULL;
	assert_ok(cp_mem_open(uri, &mem));
	return mem;
}

static char *uri(const char *scheme, const char *path)
{
	char *s;
	assert_true(asprintf(&s, "%s:%s", scheme, path) > 0);
	return s;
}

static void test_raw_reads_and_faults(void **state)
{
	(void)state;
	uint8_t img[3 * PAGE];
	fill(img, sizeof(img), 1);
	_cleanup_free_ char *path = unit_tmpfile(img, sizeof(img));
	_cleanup_free_ char *u = uri("raw", path);
	struct cp_mem *mem = open_ok(u);
	assert_string_equal(cp_mem_kind(mem), "raw");
	assert_int_equal(cp_mem_size(mem), sizeof(img));
	uint8_t buf[100];
	assert_ok(cp_mem_read(mem, PAGE - 50, buf, sizeof(buf)));
	assert_memory_equal(buf, img + PAGE - 50, sizeof(buf));
	assert_error(cp_mem_read(mem, 3 * PAGE - 10, buf, 20), CP_ERR_FAULT);
	assert_error(cp_mem_read(mem, UINT64_MAX - 5, buf, 20), CP_ERR_FAULT);
	assert_non_null(cp_mem_map(mem, 0, sizeof(img)));
	assert_null(cp_mem_map(mem, 1, sizeof(img)));
	cp_mem_close(mem);
	unlink(path);
}

/* An ELF core: loads at 0 (2 pages) and 0x10000 (1 page, memsz 2 pages),
 * and a VMCOREINFO note. */
static size_t build_core(uint8_t *out, size_t cap, bool truncate_last)
{
	const char note_text[] = "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n";
	Elf64_Ehdr eh = { 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	size_t off = sizeof(eh) + 3 * sizeof(Elf64_Phdr);
	Elf64_Phdr ph[3] = { 0 };
	/* note */
	Elf64_Nhdr nh = { .n_namesz = 11, .n_descsz = sizeof(note_text) - 1,
			  .n_type = 0 };
	size_t note_off = off, note_len = sizeof(nh) + 12 +
					  ((sizeof(note_text) - 1 + 3) & ~3u);
	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = note_off;
	ph[0].p_filesz = note_len;
	off = (note_off + note_len + PAGE - 1) & ~(size_t)(PAGE - 1);
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = off,
			      .p_paddr = 0, .p_filesz = 2 * PAGE,
			      .p_memsz = 2 * PAGE };
	ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = off + 2 * PAGE,
			      .p_paddr = 0x10000, .p_filesz = PAGE,
			      .p_memsz = 2 * PAGE };
	size_t total = off + 3 * PAGE;
	assert_true(total <= cap);
	memset(out, 0, total);
	memcpy(out, &eh, sizeof(eh));
	memcpy(out + sizeof(eh), ph, sizeof(ph));
	memcpy(out + note_off, &nh, sizeof(nh));
	memcpy(out + note_off + sizeof(nh), "VMCOREINFO", 11);
	memcpy(out + note_off + sizeof(nh) + 12, note_text,
	       sizeof(note_text) - 1);
	fill(out + off, 3 * PAGE, 9);
	return truncate_last ? total - 100 : total;
}

static void test_elf_core(void **state)
{
	(void)state;
	static uint8_t core[8 * PAGE];
	size_t n = build_core(core, sizeof(core), false);
	_cleanup_free_ char *path = unit_tmpfile(core, n);
	struct cp_mem *mem = open_ok(path); /* sniffed */
	assert_string_equal(cp_mem_kind(mem), "elf");
	assert_int_equal(cp_mem_range_count(mem), 2);
	assert_int_equal(cp_mem_size(mem), 3 * PAGE);
	const struct cp_mem_range *r = cp_mem_ranges(mem);
	assert_int_equal(r[1].start, 0x10000);
	uint8_t buf[16];
	assert_ok(cp_mem_read(mem, 0x10000, buf, sizeof(buf)));
	assert_memory_equal(buf, core + n - PAGE, sizeof(buf));
	/* the page past p_filesz is a hole, as is the gap between loads */
	assert_error(cp_mem_read(mem, 0x11000, buf, 8), CP_ERR_FAULT);
	assert_error(cp_mem_read(mem, 2 * PAGE - 4, buf, 8), CP_ERR_FAULT);
	struct cp_vmcoreinfo *vi;
	assert_ok(cp_vmcoreinfo_find(mem, &vi, NULL));
	assert_string_equal(cp_vmcoreinfo_origin(vi), "elf-note");
	assert_string_equal(cp_vmcoreinfo_get(vi, "OSRELEASE"), "6.1.0-test");
	cp_vmcoreinfo_destroy(vi);
	cp_mem_close(mem);
	unlink(path);
}

static void test_elf_truncated_is_format_error(void **state)
{
	(void)state;
	static uint8_t core[8 * PAGE];
	size_t n = build_core(core, sizeof(core), true);
	_cleanup_free_ char *path = unit_tmpfile(core, n);
	_cleanup_free_ char *u = uri("elf", path);
	struct cp_mem *mem;
	assert_error(cp_mem_open(u, &mem), CP_ERR_FORMAT);
	/* a header cut short */
	_cleanup_free_ char *p2 = unit_tmpfile(core, 40);
	_cleanup_free_ char *u2 = uri("elf", p2);
	assert_error(cp_mem_open(u2, &mem), CP_ERR_FORMAT);
	unlink(path);
	unlink(p2);
}

static void test_elf_overlapping_loads_rejected(void **state)
{
	(void)state;
	static uint8_t core[8 * PAGE];
	size_t n = build_core(core, sizeof(core), false);
	Elf64_Phdr ph;
	size_t at = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
	memcpy(&ph, core + at, sizeof(ph));
	ph.p_paddr = PAGE; /* overlaps the first load */
	memcpy(core + at, &ph, sizeof(ph));
	_cleanup_free_ char *path = unit_tmpfile(core, n);
	struct cp_mem *mem;
	assert_error(cp_mem_open(path, &mem), CP_ERR_CORRUPT);
	unlink(path);
}

static size_t put_lime(uint8_t *out, uint64_t start, size_t len, uint8_t seed)
{
	struct {
		uint32_t magic, version;
		uint64_t s, e;
		uint8_t reserved[8];
	} h = { 0x4C694D45, 1, start, start + len - 1, { 0 } };
	memcpy(out, &h, sizeof(h));
	fill(out + sizeof(h), len, seed);
	return sizeof(h) + len;
}

static void test_lime(void **state)
{
	(void)state;
	static uint8_t img[4 * PAGE];
	size_t n = put_lime(img, 0x1000, PAGE, 3);
	size_t second = n;
	n += put_lime(img + n, 0x100000, 2 * PAGE, 5);
	_cleanup_free_ char *path = unit_tmpfile(img, n);
	struct cp_mem *mem = open_ok(path);
	assert_string_equal(cp_mem_kind(mem), "lime");
	assert_int_equal(cp_mem_range_count(mem), 2);
	uint8_t buf[32];
	assert_ok(cp_mem_read(mem, 0x100000 + 10, buf, sizeof(buf)));
	assert_memory_equal(buf, img + second + 32 + 10, sizeof(buf));
	assert_error(cp_mem_read(mem, 0, buf, 8), CP_ERR_FAULT);
	cp_mem_close(mem);

	/* truncated final range */
	_cleanup_free_ char *p2 = unit_tmpfile(img, n - 1);
	assert_error(cp_mem_open(p2, &mem), CP_ERR_FORMAT);
	/* garbage where the second header should be */
	img[second] ^= 0xff;
	_cleanup_free_ char *p3 = unit_tmpfile(img, n);
	_cleanup_free_ char *u3 = uri("lime", p3);
	assert_error(cp_mem_open(u3, &mem), CP_ERR_FORMAT);
	unlink(path);
	unlink(p2);
	unlink(p3);
}

static void test_bad_sources(void **state)
{
	(void)state;
	struct cp_mem *mem;
	assert_error(cp_mem_open("", &mem), CP_ERR_USAGE);
	assert_error(cp_mem_open("nope:/x", &mem), CP_ERR_USAGE);
	assert_error(cp_mem_open("raw:", &mem), CP_ERR_USAGE);
	assert_error(cp_mem_open("raw:/nonexistent/x", &mem), CP_ERR_OS);
	_cleanup_free_ char *empty = unit_tmpfile("", 0);
	assert_error(cp_mem_open(empty, &mem), CP_ERR_FORMAT);
	assert_error(cp_mem_open("raw:/tmp", &mem), CP_ERR_USAGE);
	unlink(empty);
}

static void test_shm_machine_split(void **state)
{
	(void)state;
	/* A sparse 3 GiB file stands for a q35 guest's RAM. */
	char tmpl[] = "/tmp/cloudprobe-unit-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 3ll << 30), 0);
	close(fd);
	_cleanup_free_ char *u = NULL;
	assert_true(asprintf(&u, "shm:%s,machine=q35", tmpl) > 0);
	struct cp_mem *mem = open_ok(u);
	assert_int_equal(cp_mem_range_count(mem), 2);
	assert_int_equal(cp_mem_ranges(mem)[0].size, 2ull << 30);
	assert_int_equal(cp_mem_ranges(mem)[1].start, 4ull << 30);
	assert_int_equal(cp_mem_ranges(mem)[1].size, 1ull << 30);
	cp_mem_close(mem);
	_cleanup_free_ char *bad = NULL;
	assert_true(asprintf(&bad, "shm:%s,machine=vax", tmpl) > 0);
	assert_error(cp_mem_open(bad, &mem), CP_ERR_USAGE);
	unlink(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_reads_and_faults),
		cmocka_unit_test(test_elf_core),
		cmocka_unit_test(test_elf_truncated_is_format_error),
		cmocka_unit_test(test_elf_overlapping_loads_rejected),
		cmocka_unit_test(test_lime),
		cmocka_unit_test(test_bad_sources),
		cmocka_unit_test(test_shm_machine_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
