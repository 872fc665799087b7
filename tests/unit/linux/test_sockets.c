/*
 * Unit tests for the pure parts of the socket view (src/linux/sockets*.c):
 * unix socket names rendered as /proc/net/unix renders them (af_unix.c's
 * unix_seq_show), from the bytes and length the kernel stores in
 * unix_address, including lengths a forged address could claim; and the
 * names given to kernel codes. The table walks are checked against real
 * guests by tests/e2e/test_views_net.py.
 */
#include "unit.h"

#include "linux/sockets.h"

static const char *fmt(const char *bytes, size_t len, size_t outsz)
{
	static char out[512];
	assert_true(outsz <= sizeof(out));
	size_t n = cp_unix_path_format((const uint8_t *)bytes, len, out, outsz);
	assert_int_equal(n, strlen(out));
	return out;
}

static void test_path_names_lose_their_nul(void **state)
{
	(void)state;
	/* addr->len - 2 counts the terminating NUL of a path. */
	assert_string_equal(fmt("/run/labnet.sock", 17, 200), "/run/labnet.sock");
	/* A path whose length stops short of its NUL loses its last byte,
	 * as the kernel's printer does. */
	assert_string_equal(fmt("/run/x", 6, 200), "/run/");
}

static void test_abstract_names(void **state)
{
	(void)state;
	assert_string_equal(fmt("\0lab-ctr", 8, 200), "@lab-ctr");
	/* Embedded NULs print as '@'; all bytes count, no terminator. */
	assert_string_equal(fmt("\0a\0b\0", 5, 200), "@a@b@");
	assert_string_equal(fmt("\0", 1, 200), "@");
}

static void test_bounds(void **state)
{
	(void)state;
	char big[CP_UNIX_PATH_MAX + 50];
	memset(big, 'x', sizeof(big));
	/* A forged length past sun_path is cut at 108 bytes (107 shown). */
	assert_int_equal(strlen(fmt(big, sizeof(big), 500)), CP_UNIX_PATH_MAX - 1);
	/* The output buffer bounds the result, NUL included. */
	assert_string_equal(fmt("/abcdef", 8, 4), "/ab");
	assert_string_equal(fmt("", 0, 10), "");
	char one[1] = { 'z' };
	assert_int_equal(cp_unix_path_format((const uint8_t *)"/a", 3, one, 1), 0);
	assert_int_equal(one[0], '\0');
}

static void test_code_names(void **state)
{
	(void)state;
	assert_string_equal(cp_tcp_state_name(10), "LISTEN");
	assert_string_equal(cp_tcp_state_name(6), "TIME_WAIT");
	assert_string_equal(cp_tcp_state_name(1), "ESTABLISHED");
	assert_null(cp_tcp_state_name(0));
	assert_null(cp_tcp_state_name(200));
	assert_string_equal(cp_sock_family_name(10), "AF_INET6");
	assert_null(cp_sock_family_name(999));
	assert_string_equal(cp_sock_type_name(5), "SEQPACKET");
	assert_null(cp_sock_type_name(0xffff));
	assert_string_equal(cp_unix_state_name(1, true), "LISTENING");
	assert_string_equal(cp_unix_state_name(3, false), "CONNECTED");
	assert_null(cp_unix_state_name(9, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_names_lose_their_nul),
		cmocka_unit_test(test_abstract_names),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_code_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
