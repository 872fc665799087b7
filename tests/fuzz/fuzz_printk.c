/*
 * fuzz_printk - the printk ring decoder (src/linux/dmesg.c) over arbitrary
 * ring copies. Input: a 19-byte header, then the buffers back to back.
 *
 *   [0] count_bits (mod 9)   [1] size_bits (3 + mod 10)
 *   [2..9] head_id  [10..17] tail_id  (little-endian)
 *   [18] bit 0: pass a second descriptor copy; bit 1: 7.x info layout
 *   then descs, infos, data, descs_after: each exactly as long as the
 *   ring says, zero-filled where the input runs out
 *
 * Each buffer is its own exact-size allocation, so a read one byte past
 * any of them is caught by ASan.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux/dmesg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 6.1: info 88 bytes; 7.x: caller_id2 and comm[16] before dev_info */
static const struct cp_prb_layout layouts[2] = {
	{ .desc_size = 24, .desc_state_var = 0, .desc_begin = 8,
	  .desc_next = 16, .info_size = 88, .info_seq = 0, .info_ts_nsec = 8,
	  .info_text_len = 16, .info_facility = 18, .info_caller_id = 20,
	  .info_bits_byte = 19, .flags_shift = 0, .flags_width = 5,
	  .level_shift = 5, .level_width = 3, .info_subsystem = 24,
	  .subsystem_size = 16, .info_device = 40, .device_size = 48 },
	{ .desc_size = 24, .desc_state_var = 0, .desc_begin = 8,
	  .desc_next = 16, .info_size = 112, .info_seq = 0, .info_ts_nsec = 8,
	  .info_text_len = 16, .info_facility = 18, .info_caller_id = 20,
	  .info_bits_byte = 19, .flags_shift = 0, .flags_width = 5,
	  .level_shift = 5, .level_width = 3, .info_subsystem = 44,
	  .subsystem_size = 16, .info_device = 60, .device_size = 48 },
};

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* The next len bytes of input into an exact-size buffer. */
static uint8_t *take(const uint8_t **in, size_t *left, size_t len)
{
	uint8_t *b = calloc(1, len ? len : 1);
	if (!b)
		return NULL;
	size_t n = *left < len ? *left : len;
	memcpy(b, *in, n);
	*in += n;
	*left -= n;
	return b;
}

static bool touch(void *arg, const struct cp_printk_record *r)
{
	size_t *sum = arg;
	/* the text must be a NUL-terminated string of text_len bytes at most */
	*sum += strlen(r->text) + r->seq + strlen(r->subsystem) +
		strlen(r->device);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 19)
		return 0;
	const struct cp_prb_layout *l = &layouts[(data[18] >> 1) & 1];
	unsigned cb = data[0] % 9, sb = 3 + data[1] % 10;
	size_t count = (size_t)1 << cb;
	const uint8_t *in = data + 19;
	size_t left = size - 19;
	uint8_t *descs = take(&in, &left, count * l->desc_size);
	uint8_t *infos = take(&in, &left, count * l->info_size);
	uint8_t *text = take(&in, &left, (size_t)1 << sb);
	uint8_t *after = (data[18] & 1) ? take(&in, &left, count * l->desc_size)
					: NULL;
	if (descs && infos && text) {
		struct cp_prb_image img = {
			.layout = l,
			.count_bits = cb,
			.head_id = le64(data + 2),
			.tail_id = le64(data + 10),
			.descs = descs,
			.descs_after = after,
			.infos = infos,
			.descs_len = count * l->desc_size,
			.infos_len = count * l->info_size,
			.size_bits = sb,
			.data = text,
			.data_len = (size_t)1 << sb,
		};
		size_t sum = 0;
		struct cp_prb_stats st;
		cp_error_destroy(cp_prb_decode(&img, touch, &sum, &st));
	}
	free(descs);
	free(infos);
	free(text);
	free(after);
	return 0;
}
