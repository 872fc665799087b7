/*
 * fuzz_sockaddr - the unix socket name printer (cp_unix_path_format) over
 * arbitrary sun_path bytes, claimed lengths and output sizes, as a forged
 * unix_address in guest memory would present them. The first two bytes
 * pick the claimed length and the output size; the rest is sun_path.
 */
#include <stdint.h>
#include <string.h>

#include "linux/sockets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t path[CP_UNIX_PATH_MAX];
	size_t avail = size - 2 < sizeof(path) ? size - 2 : sizeof(path);
	memcpy(path, data + 2, avail);
	/* The walker never claims more than it read; lengths past
	 * CP_UNIX_PATH_MAX must be cut by the printer itself. */
	size_t len = data[0] <= avail ? data[0] : avail;
	if (data[0] > CP_UNIX_PATH_MAX)
		len = data[0];
	if (len > avail && len <= CP_UNIX_PATH_MAX)
		len = avail;
	uint8_t full[CP_UNIX_PATH_MAX] = { 0 };
	memcpy(full, path, avail);
	char out[2 * CP_UNIX_PATH_MAX];
	size_t outsz = (size_t)data[1] % sizeof(out);
	size_t n = cp_unix_path_format(full, len, out, outsz);
	if (outsz && (n >= outsz || out[n] != '\0' || strlen(out) != n))
		__builtin_trap();
	if (!outsz && n)
		__builtin_trap();
	return 0;
}
