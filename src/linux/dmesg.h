/*
 * dmesg.h - the kernel log: records of the lockless printk ring buffer
 * (kernel/printk/printk_ringbuffer.c, Linux 5.10 and later).
 *
 * Two halves, so the part that interprets guest bytes can be fuzzed:
 *
 *   cp_prb_decode   a pure function over a *copy* of the ring (descriptor
 *                   array, info array, text data ring, plus a second copy
 *                   of the descriptors taken after everything else):
 *                   validates every id, state, length and logical position
 *                   and yields records in sequence order
 *   cp_dmesg_walk   copies the ring out of a guest through the profile
 *                   (symbol `prb`, members resolved through BTF) and runs
 *                   the decoder on the copy
 *
 * A live guest keeps logging while we copy: a record whose descriptor
 * changed between the first and the second copy of the descriptors was
 * being recycled under us; it is skipped and counted, never half-shown.
 * Not for: the pre-5.10 log_buf format (struct printk_log), console
 * drivers, or writing anything.
 */
#ifndef CP_LINUX_DMESG_H
#define CP_LINUX_DMESG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudprobe.h"

/*
 * Where the decoder finds things inside one struct prb_desc and one
 * struct printk_info: offsets from the guest's BTF (or a test's own
 * synthetic layout). Sizes of the integer members are fixed by the
 * kernel's types (u64 seq, u64 ts_nsec, u16 text_len, u8 facility, u32
 * caller_id, unsigned long state_var and lpos).
 */
struct cp_prb_layout {
	size_t desc_size;		/* sizeof(struct prb_desc) */
	size_t desc_state_var;
	size_t desc_begin;		/* text_blk_lpos.begin */
	size_t desc_next;		/* text_blk_lpos.next */
	size_t info_size;		/* sizeof(struct printk_info) */
	size_t info_seq;
	size_t info_ts_nsec;
	size_t info_text_len;
	size_t info_facility;
	size_t info_caller_id;
	/* flags:5 and level:3 share a byte: its offset and the bit fields */
	size_t info_bits_byte;
	unsigned flags_shift, flags_width;
	unsigned level_shift, level_width;
	/* dev_info.subsystem[] and .device[]; size 0 when absent */
	size_t info_subsystem, subsystem_size;
	size_t info_device, device_size;
};

/* A copy of one printk_ringbuffer: everything cp_prb_decode reads. */
struct cp_prb_image {
	const struct cp_prb_layout *layout;
	unsigned count_bits;		/* desc_ring.count_bits */
	uint64_t head_id, tail_id;	/* desc_ring.head_id / tail_id */
	const uint8_t *descs;		/* descs[1 << count_bits], first copy */
	const uint8_t *descs_after;	/* the same, copied last; NULL = none */
	const uint8_t *infos;		/* infos[1 << count_bits] */
	size_t descs_len, infos_len;	/* bytes in each buffer */
	unsigned size_bits;		/* text_data_ring.size_bits */
	const uint8_t *data;		/* the text data ring */
	size_t data_len;		/* bytes in data */
};

/* printk_info.flags (kernel/printk/printk.c: enum printk_info_flags) */
#define CP_PRINTK_NEWLINE 0x2
#define CP_PRINTK_CONT 0x8

/* One log record, as /dev/kmsg would show it. */
struct cp_printk_record {
	uint64_t seq;
	uint64_t ts_nsec;		/* local_clock() at printk time */
	uint8_t level;			/* 0 (emerg) .. 7 (debug) */
	uint8_t facility;		/* 0 kernel, 1 user, ... */
	uint8_t flags;			/* CP_PRINTK_* */
	uint32_t caller_id;		/* 0x80000000|cpu, else a thread id */
	uint64_t id;			/* descriptor id */
	const char *text;		/* text_len bytes, NUL-terminated; may
					 * hold newlines and control bytes */
	size_t text_len;
	char subsystem[17];		/* dev_info, "" when none */
	char device[49];
};

/* What decoding could not show, and why. */
struct cp_prb_stats {
	size_t records;		/* yielded */
	size_t lost;		/* reusable or data-less: gone before we came
				 * (the kernel's readers skip them too) */
	size_t pending;		/* reserved or committed, not yet final */
	size_t torn;		/* changed or invalid while read: skipped */
	char reason[160];	/* the first torn record's story */
};

typedef bool cp_printk_fn(void *arg, const struct cp_printk_record *rec);

/*
 * Walks records tail_id..head_id of img, calling fn for each finalized
 * record with valid text, in order; fn returns false to stop. Fails
 * (CP_ERR_CORRUPT) only when the ring as a whole is unusable (sizes out of
 * bounds, head and tail further apart than the ring). Never reads outside
 * the given buffers.
 */
struct cp_error *cp_prb_decode(const struct cp_prb_image *img,
			       cp_printk_fn *fn, void *arg,
			       struct cp_prb_stats *stats);

/*
 * Reads the guest's log (symbol `prb`) and yields its records as above.
 * Returns NULL with stats->torn == 0 when every record was shown; a
 * CP_ERR_PARTIAL error naming the count and first reason when some were
 * skipped; another error when the ring could not be read at all.
 */
struct cp_error *cp_dmesg_walk(struct cp_profile *p, cp_printk_fn *fn,
			       void *arg, struct cp_prb_stats *stats);

/* The `dmesg` view (registered in view.c). */
struct cp_view;
extern const struct cp_view cp_view_dmesg;

/* "T123" for a thread, "C0" for a CPU (as printk's caller= field). */
void cp_printk_caller(uint32_t caller_id, char buf[16]);

#endif /* CP_LINUX_DMESG_H */
