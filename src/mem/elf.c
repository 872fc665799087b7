/*
 * elf.c - ELF core files: QEMU dump-guest-memory and kdump-style vmcores.
 *
 * Guest-physical memory is the PT_LOAD segments, keyed by p_paddr. Bytes
 * past p_filesz (p_memsz > p_filesz: pages the dumper excluded) are a hole,
 * not zeros. PT_NOTE segments are scanned for a VMCOREINFO note, which
 * kdump always writes and QEMU writes when the guest exposed one through
 * fw_cfg. Every header field is checked against the file size before use:
 * the file may be truncated or crafted.
 *
 * Not for: ELF executables, 32-bit or big-endian cores, compressed
 * (makedumpfile -c/-l/-p flattened) vmcores.
 */
#include <elf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mem/mem.h"
#include "util/error.h"

/* More program headers than any real core has; bounds the work. */
#define ELF_MAX_PHDRS (1u << 20)
#define VMCOREINFO_MAX (1u << 20)

static bool span_ok(size_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

static uint64_t align4(uint64_t x)
{
	return (x + 3) & ~3ull;
}

/* Walks one PT_NOTE segment; keeps the first VMCOREINFO note. */
static struct cp_error *scan_notes(struct cp_mem *mem, const uint8_t *p,
				   uint64_t len)
{
	uint64_t off = 0;
	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, p + off, sizeof(nh));
		off += sizeof(nh);
		uint64_t name_len = align4(nh.n_namesz);
		uint64_t desc_len = align4(nh.n_descsz);
		if (name_len > len - off || desc_len > len - off - name_len)
			return NULL;	/* a torn note table ends the scan */
		const char *name = (const char *)(p + off);
		const uint8_t *desc = p + off + name_len;
		off += name_len + desc_len;
		if (nh.n_namesz != sizeof("VMCOREINFO") ||
		    memcmp(name, "VMCOREINFO", sizeof("VMCOREINFO")) != 0 ||
		    mem->vmcoreinfo_note)
			continue;
		size_t n = nh.n_descsz < VMCOREINFO_MAX ? nh.n_descsz :
							  VMCOREINFO_MAX;
		mem->vmcoreinfo_note = malloc(n + 1);
		if (!mem->vmcoreinfo_note)
			return &cp_enomem;
		memcpy(mem->vmcoreinfo_note, desc, n);
		mem->vmcoreinfo_note[n] = '\0';
	}
	return NULL;
}

struct cp_error *cp_elf_core_parse(struct cp_mem *mem, const uint8_t *buf,
				   size_t size)
{
	Elf64_Ehdr eh;
	if (size < sizeof(eh) || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return cp_error_create(CP_ERR_FORMAT, "not an ELF file");
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return cp_error_create(CP_ERR_UNSUPPORTED,
				       "only 64-bit little-endian ELF cores "
				       "are supported");
	if (eh.e_type != ET_CORE)
		return cp_error_create(CP_ERR_FORMAT,
				       "ELF type %u is not a core file",
				       eh.e_type);
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return cp_error_create(CP_ERR_FORMAT,
				       "program header size %u, expected %zu",
				       eh.e_phentsize, sizeof(Elf64_Phdr));
	uint64_t phnum = eh.e_phnum;
	if (phnum == PN_XNUM) {
		/* The real count is in section header 0's sh_info. */
		Elf64_Shdr sh;
		if (eh.e_shoff == 0 ||
		    !span_ok(size, eh.e_shoff, sizeof(sh)))
			return cp_error_create(CP_ERR_FORMAT,
					       "PN_XNUM without a section header");
		memcpy(&sh, buf + eh.e_shoff, sizeof(sh));
		phnum = sh.sh_info;
	}
	if (phnum == 0 || phnum > ELF_MAX_PHDRS ||
	    !span_ok(size, eh.e_phoff, phnum * sizeof(Elf64_Phdr)))
		return cp_error_create(CP_ERR_FORMAT,
				       "%" PRIu64 " program headers at offset "
				       "0x%" PRIx64 " do not fit in %zu bytes",
				       phnum, (uint64_t)eh.e_phoff, size);
	for (uint64_t i = 0; i < phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD && ph.p_type != PT_NOTE)
			continue;
		if (!span_ok(size, ph.p_offset, ph.p_filesz))
			return cp_error_create(CP_ERR_FORMAT,
					       "segment %" PRIu64 " (offset 0x%"
					       PRIx64 ", 0x%" PRIx64 " bytes) runs "
					       "past the end of the file (%zu "
					       "bytes): truncated?",
					       i, (uint64_t)ph.p_offset,
					       (uint64_t)ph.p_filesz, size);
		struct cp_error *err;
		if (ph.p_type == PT_NOTE)
			err = scan_notes(mem, buf + ph.p_offset, ph.p_filesz);
		else
			err = cp_mem_add_region(mem, ph.p_paddr, ph.p_filesz,
						ph.p_offset);
		if (err)
			return err;
	}
	return NULL;
}

static struct cp_error *elf_open(struct cp_mem *mem, const char *arg)
{
	(void)arg;
	struct cp_error *err = cp_mem_map_file(mem, MAP_PRIVATE);
	if (err)
		return err;
	err = cp_elf_core_parse(mem, mem->map, mem->map_size);
	if (err)
		return err;
	return cp_mem_finish_regions(mem);
}

const struct cp_mem_ops cp_mem_elf_ops = {
	.scheme = "elf",
	.open = elf_open,
};
