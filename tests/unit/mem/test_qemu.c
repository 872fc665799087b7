/*
 * Unit tests for the live QEMU sources (qemu:, qmp:, libvirt:).
 *
 * Without a guest: the layout parsers on text captured from lab guests
 * (`info mtree -f` of a 3 GiB q35 guest, whose "memory" view is not the
 * first; /proc maps and smaps; QEMU and libvirt command lines), QEMU's RAM
 * split rule, and the QMP client against a scripted fake monitor (events
 * interleaved, error replies, a monitor that never greets).
 *
 * With CLOUDPROBE_TEST_LAB=1: a 256 MiB and a 3 GiB guest. Every way in
 * (qemu:PID zero-copy and process_vm_readv, qmp:SOCKET, inference without
 * QMP, libvirt:NAME) must read the same bytes as shm: of the RAM file
 * while the guest is paused; the 3 GiB guest's RAM above 4 GiB must be
 * where QEMU put it; and after `lab down` every read must fail with
 * "qemu:PID: process exited", never return bytes.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "unit.h"
#include "lab_guest.h"
#include "mem/mem.h"
#include "mem/qemu.h"
#include "mem/qmp.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)

/* From a 3 GiB q35 lab guest (QEMU 7.2), trimmed: the SMM view comes first
 * and has no VGA hole; the "memory" view is the one to use. */
static const char mtree_3g[] =
	"FlatView #0\r\n"
	" AS \"cpu-smm-0\", root: memory\r\n"
	" Root memory region: memory\r\n"
	"  0000000000000000-00000000000bffff (prio 0, ram): ram\r\n"
	"  0000000000100000-000000007fffffff (prio 0, ram): ram @0000000000100000\r\n"
	"\r\n"
	"FlatView #1\r\n"
	" AS \"mch\", root: bus master container\r\n"
	" Root memory region: (none)\r\n"
	"  No rendered FlatView\r\n"
	"\r\n"
	"FlatView #2\r\n"
	" AS \"I/O\", root: io\r\n"
	" Root memory region: io\r\n"
	"  0000000000000010-000000000000001f (prio 0, i/o): io @0000000000000010\r\n"
	"\r\n"
	"FlatView #3\r\n"
	" AS \"memory\", root: system\r\n"
	" AS \"cpu-memory-0\", root: system\r\n"
	" Root memory region: system\r\n"
	"  0000000000000000-000000000009ffff (prio 0, ram): ram\r\n"
	"  00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem\r\n"
	"  00000000000c0000-00000000000c9fff (prio 0, rom): ram @00000000000c0000\r\n"
	"  00000000000ca000-00000000000ccfff (prio 0, ram): ram @00000000000ca000\r\n"
	"  00000000000cd000-00000000000e7fff (prio 0, rom): ram @00000000000cd000\r\n"
	"  00000000000e8000-00000000000effff (prio 0, ram): ram @00000000000e8000\r\n"
	"  00000000000f0000-00000000000fffff (prio 0, rom): ram @00000000000f0000\r\n"
	"  0000000000100000-000000007fffffff (prio 0, ram): ram @0000000000100000\r\n"
	"  00000000b0000000-00000000bfffffff (prio 0, i/o): pcie-mmcfg-mmio\r\n"
	"  00000000fd000000-00000000fdffffff (prio 1, ram): vga.vram\r\n"
	"  00000000febf0400-00000000febf041f (prio 0, i/o): vga ioports remapped\r\n"
	"  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\r\n"
	"  0000000100000000-000000013fffffff (prio 0, ram): ram @0000000080000000\r\n"
	"\r\n"
	"FlatView #4\r\n"
	" AS \"KVM-SMRAM\", root: mem-container-smram\r\n"
	"  0000000000000000-00000000ffffffff (prio 0, ram): ram\r\n";

static const char *const ram_blocks[] = { "pc.ram", "ram" };

static void test_mtree(void **state)
{
	(void)state;
	struct cp_qemu_ram_vector v;
	cp_qemu_ram_vector_init(&v);
	assert_ok(cp_qemu_parse_mtree(mtree_3g, ram_blocks, 2, &v));
	assert_int_equal(v.size, 3);
	assert_int_equal(v.data[0].gpa, 0);
	assert_int_equal(v.data[0].size, 0xa0000);
	/* 0xc0000-0x7fffffff: ROM and RAM pieces of the same block merge. */
	assert_int_equal(v.data[1].gpa, 0xc0000);
	assert_int_equal(v.data[1].size, 2 * GiB - 0xc0000);
	assert_int_equal(v.data[1].block_off, 0xc0000);
	assert_int_equal(v.data[2].gpa, 4 * GiB);
	assert_int_equal(v.data[2].size, 1 * GiB);
	assert_int_equal(v.data[2].block_off, 2 * GiB);
	assert_string_equal(v.data[2].block, "ram");
	cp_qemu_ram_vector_deinit(&v);

	/* vga.vram is RAM, but not the guest's. */
	const char *const vram[] = { "vga.vram" };
	assert_ok(cp_qemu_parse_mtree(mtree_3g, vram, 1, &v));
	assert_int_equal(v.size, 1);
	assert_int_equal(v.data[0].gpa, 0xfd000000);
	cp_qemu_ram_vector_deinit(&v);

	/* No "memory" view, garbage, out-of-order ranges. */
	assert_error(cp_qemu_parse_mtree("FlatView #0\n AS \"I/O\", root: io\n"
					 "  0000000000000000-0000000000000fff "
					 "(prio 0, ram): ram\n",
					 ram_blocks, 2, &v),
		     CP_ERR_NOT_FOUND);
	assert_error(cp_qemu_parse_mtree("", ram_blocks, 2, &v),
		     CP_ERR_NOT_FOUND);
	assert_error(cp_qemu_parse_mtree(
			     "FlatView #0\n AS \"memory\", root: system\n"
			     "  0000000000100000-00000000001fffff (prio 0, ram): ram @0000000000100000\n"
			     "  0000000000000000-0000000000000fff (prio 0, ram): ram @0000000000500000\n",
			     ram_blocks, 2, &v),
		     CP_ERR_FORMAT);
	cp_qemu_ram_vector_deinit(&v);
	/* A range whose end precedes its start is skipped, not trusted. */
	assert_error(cp_qemu_parse_mtree(
			     "FlatView #0\n AS \"memory\", root: system\n"
			     "  0000000000100000-0000000000000fff (prio 0, ram): ram\n",
			     ram_blocks, 2, &v),
		     CP_ERR_NOT_FOUND);
	cp_qemu_ram_vector_deinit(&v);
}

static void test_gpa2hva(void **state)
{
	(void)state;
	uint64_t hva;
	assert_ok(cp_qemu_parse_gpa2hva(
		"Host virtual address for 0x100000000 (ram) is 0x7fdfaffff000\r\n",
		&hva));
	assert_int_equal(hva, 0x7fdfaffff000ull);
	assert_error(cp_qemu_parse_gpa2hva(
			     "Memory at address 0xa0000 is not RAM\r\n", &hva),
		     CP_ERR_NOT_FOUND);
	assert_error(cp_qemu_parse_gpa2hva("", &hva), CP_ERR_NOT_FOUND);
}

static const char maps_text[] =
	"561560187000-5615601ba000 rw-p 00000000 00:00 0 \n"
	"5615744f5000-561575544000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f0000000000-7f0010000000 rw-p 00000000 00:00 0 \n"
	"7f0010000000-7f0010001000 ---p 00000000 00:00 0 \n"
	"7f0020000000-7f0030000000 rw-p 00000000 00:00 0 \n"
	"7fdf2ffff000-7fdfeffff000 rw-s 00000000 fe:00 5316760                    /work/a b/mem (deleted)\n"
	"7fdff0000000-7fdff0001000 r--p 00001000 fe:00 42                         /usr/lib/x.so\n";

static const char smaps_text[] =
	"7f0000000000-7f0010000000 rw-p 00000000 00:00 0 \n"
	"Size:             262144 kB\n"
	"VmFlags: rd wr mr mw me ac\n"
	"7f0020000000-7f0030000000 rw-p 00000000 00:00 0 \n"
	"Size:             262144 kB\n"
	"VmFlags: rd wr mr mw me dc ac hg mg\n";

static void test_maps_and_finding_ram(void **state)
{
	(void)state;
	struct cp_qemu_mapping_vector m;
	cp_qemu_mapping_vector_init(&m);
	assert_ok(cp_qemu_parse_maps(maps_text, &m));
	assert_int_equal(m.size, 7);
	assert_null(m.data[0].path);
	assert_null(m.data[1].path);	/* [heap] is not a file */
	assert_string_equal(m.data[5].path, "/work/a b/mem");
	assert_true(m.data[5].deleted && m.data[5].shared);
	assert_false(m.data[6].shared);
	assert_int_equal(m.data[6].offset, 0x1000);
	assert_false(m.data[3].readable);

	uint64_t hva;
	assert_ok(cp_qemu_find_ram_mapping(&m, "/work/a b/mem", 3 * GiB, NULL,
					   &hva));
	assert_int_equal(hva, 0x7fdf2ffff000ull);
	assert_error(cp_qemu_find_ram_mapping(&m, "/work/a b/mem", 4 * GiB,
					      NULL, &hva),
		     CP_ERR_NOT_FOUND);
	/* Two anonymous 256 MiB mappings: ambiguous until smaps says which
	 * one QEMU marked MADV_DONTFORK. */
	assert_error(cp_qemu_find_ram_mapping(&m, NULL, 256 * MiB, NULL, &hva),
		     CP_ERR_UNSUPPORTED);
	bool dc[7];
	assert_ok(cp_qemu_parse_smaps_dontcopy(smaps_text, &m, dc));
	assert_false(dc[2]);
	assert_true(dc[4]);
	assert_ok(cp_qemu_find_ram_mapping(&m, NULL, 256 * MiB, dc, &hva));
	assert_int_equal(hva, 0x7f0020000000ull);
	cp_qemu_mappings_deinit(&m);

	assert_error(cp_qemu_parse_maps("zzzz\n", &m), CP_ERR_FORMAT);
	cp_qemu_mappings_deinit(&m);
	assert_error(cp_qemu_parse_maps("2000-1000 rw-p 0 0:0 0\n", &m),
		     CP_ERR_FORMAT);
	cp_qemu_mappings_deinit(&m);
}

/* argv as /proc/PID/cmdline has it: NUL-separated. */
static size_t argv_buf(char *out, size_t cap, const char *const *argv)
{
	size_t n = 0;
	for (; *argv; argv++) {
		size_t l = strlen(*argv) + 1;
		assert_true(n + l <= cap);
		memcpy(out + n, *argv, l);
		n += l;
	}
	return n;
}

static void test_cmdline(void **state)
{
	(void)state;
	char buf[4096];
	struct cp_qemu_cmdline c;
	/* The lab's own command line (a 3 GiB guest). */
	const char *const lab[] = {
		"qemu-system-x86_64", "-name", "lab-qemu-3g", "-machine",
		"q35,accel=tcg", "-smp", "1", "-m", "3072M", "-object",
		"memory-backend-file,id=ram,size=3221225472,mem-path=/b/mem,share=on",
		"-machine", "memory-backend=ram", "-chardev",
		"socket,id=ctl,path=/b/ctl.sock,server=on,wait=off", "-qmp",
		"unix:/b/qmp.sock,server=on,wait=off", "-no-reboot", NULL };
	assert_ok(cp_qemu_parse_cmdline(buf, argv_buf(buf, sizeof(buf), lab),
					&c));
	assert_true(c.is_qemu);
	assert_int_equal(c.ram_size, 3 * GiB);
	assert_int_equal(c.machine, CP_QEMU_MACHINE_Q35);
	assert_string_equal(c.machine_name, "q35");
	assert_string_equal(c.mem_path, "/b/mem");
	assert_true(c.mem_shared);
	assert_int_equal(c.backends, 1);
	assert_string_equal(c.qmp_socket, "/b/qmp.sock");
	cp_qemu_cmdline_deinit(&c);

	/* libvirt's style: JSON objects, -m size=..k, a control monitor on a
	 * chardev, a versioned machine type. */
	const char *const virt[] = {
		"/usr/bin/qemu-system-x86_64", "-machine",
		"pc-i440fx-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram",
		"-m", "size=4194304k,slots=16,maxmem=8G", "-object",
		"{\"qom-type\":\"memory-backend-file\",\"id\":\"pc.ram\","
		"\"mem-path\":\"/dev/hugepages/libvirt/x\",\"share\":true,"
		"\"size\":4294967296}",
		"-chardev", "socket,id=charmonitor,path=/run/mon.sock,server=on",
		"-mon", "chardev=charmonitor,id=monitor,mode=control", NULL };
	assert_ok(cp_qemu_parse_cmdline(buf, argv_buf(buf, sizeof(buf), virt),
					&c));
	assert_int_equal(c.ram_size, 4 * GiB);
	assert_true(c.ram_size_given);
	assert_int_equal(c.machine, CP_QEMU_MACHINE_I440FX);
	assert_string_equal(c.mem_path, "/dev/hugepages/libvirt/x");
	assert_true(c.mem_shared);
	assert_string_equal(c.qmp_socket, "/run/mon.sock");
	cp_qemu_cmdline_deinit(&c);

	/* Defaults: no -m (128 MiB), no -machine ("pc"), anonymous RAM; and
	 * a process that is not QEMU. */
	const char *const bare[] = { "/usr/libexec/qemu-kvm", "-S", NULL };
	assert_ok(cp_qemu_parse_cmdline(buf, argv_buf(buf, sizeof(buf), bare),
					&c));
	assert_true(c.is_qemu);
	assert_int_equal(c.ram_size, 128 * MiB);
	assert_false(c.ram_size_given);
	assert_int_equal(c.machine, CP_QEMU_MACHINE_I440FX);
	assert_null(c.mem_path);
	assert_null(c.qmp_socket);
	cp_qemu_cmdline_deinit(&c);
	const char *const sh[] = { "/bin/sh", "-m", "1G", NULL };
	assert_ok(cp_qemu_parse_cmdline(buf, argv_buf(buf, sizeof(buf), sh),
					&c));
	assert_false(c.is_qemu);
	cp_qemu_cmdline_deinit(&c);
	assert_error(cp_qemu_parse_cmdline("", 0, &c), CP_ERR_FORMAT);

	uint64_t v;
	assert_true(cp_qemu_parse_size("1024", MiB, &v));
	assert_int_equal(v, 1 * GiB);
	assert_true(cp_qemu_parse_size("size=2G,slots=1", MiB, &v));
	assert_int_equal(v, 2 * GiB);
	assert_true(cp_qemu_parse_size("512k", MiB, &v));
	assert_int_equal(v, 512 * 1024);
	assert_false(cp_qemu_parse_size("-1", MiB, &v));
	assert_false(cp_qemu_parse_size("12Q", MiB, &v));
	assert_false(cp_qemu_parse_size("99999999999999999T", MiB, &v));
}

static void test_split(void **state)
{
	(void)state;
	struct cp_qemu_ram_vector v;
	cp_qemu_ram_vector_init(&v);
	assert_ok(cp_qemu_split_ram(CP_QEMU_MACHINE_Q35, 256 * MiB, &v));
	assert_int_equal(v.size, 1);
	assert_int_equal(v.data[0].size, 256 * MiB);
	cp_qemu_ram_vector_deinit(&v);
	/* q35 splits from exactly 0xb0000000 (2.75 GiB) on: 2 GiB stay. */
	assert_ok(cp_qemu_split_ram(CP_QEMU_MACHINE_Q35, 0xb0000000ull, &v));
	assert_int_equal(v.size, 2);
	assert_int_equal(v.data[0].size, 2 * GiB);
	assert_int_equal(v.data[1].gpa, 4 * GiB);
	assert_int_equal(v.data[1].size, 0x30000000);
	assert_int_equal(v.data[1].block_off, 2 * GiB);
	cp_qemu_ram_vector_deinit(&v);
	assert_ok(cp_qemu_split_ram(CP_QEMU_MACHINE_Q35, 0xaff00000ull, &v));
	assert_int_equal(v.size, 1);
	cp_qemu_ram_vector_deinit(&v);
	/* i440fx: all low below 3.5 GiB, else 3 GiB low. */
	assert_ok(cp_qemu_split_ram(CP_QEMU_MACHINE_I440FX, 3 * GiB, &v));
	assert_int_equal(v.size, 1);
	cp_qemu_ram_vector_deinit(&v);
	assert_ok(cp_qemu_split_ram(CP_QEMU_MACHINE_I440FX, 8 * GiB, &v));
	assert_int_equal(v.size, 2);
	assert_int_equal(v.data[0].size, 3 * GiB);
	assert_int_equal(v.data[1].size, 5 * GiB);
	cp_qemu_ram_vector_deinit(&v);
	assert_error(cp_qemu_split_ram(CP_QEMU_MACHINE_UNKNOWN, GiB, &v),
		     CP_ERR_UNSUPPORTED);
	assert_error(cp_qemu_split_ram(CP_QEMU_MACHINE_Q35, 0, &v),
		     CP_ERR_FORMAT);
}

/* -------------------------------------------------- a fake QMP monitor */

struct fake_monitor {
	int listen_fd;
	char path[108];
	bool greet;		/* false: accept and stay silent */
	pthread_t thread;
};

static void say(int fd, const char *s)
{
	size_t n = strlen(s);
	assert_int_equal(write(fd, s, n), (ssize_t)n);
}

/* Reads one line (a command) from fd; returns false at EOF. */
static bool hear(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap) {
		ssize_t r = read(fd, buf + n, 1);
		if (r <= 0)
			return false;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return true;
}

static void *monitor_main(void *arg)
{
	struct fake_monitor *m = arg;
	int fd = accept(m->listen_fd, NULL, NULL);
	if (fd < 0)
		return NULL;
	char line[4096];
	if (!m->greet) {
		hear(fd, line, sizeof(line));	/* until the client leaves */
		close(fd);
		return NULL;
	}
	say(fd, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, "
		"\"minor\": 2, \"major\": 7}}, \"capabilities\": []}}\r\n");
	while (hear(fd, line, sizeof(line))) {
		if (strstr(line, "qmp_capabilities")) {
			say(fd, "{\"return\": {}}\r\n");
		} else if (strstr(line, "info mtree")) {
			/* An event first, then the answer. */
			say(fd, "{\"timestamp\": {\"seconds\": 1}, \"event\": "
				"\"RTC_CHANGE\", \"data\": {}}\r\n");
			say(fd, "{\"return\": \"FlatView #0\\r\\n AS \\\"memory\\\""
				", root: system\\r\\n\"}\r\n");
		} else {
			say(fd, "{\"error\": {\"class\": \"CommandNotFound\", "
				"\"desc\": \"The command nope has not been "
				"found\"}}\r\n");
		}
	}
	close(fd);
	return NULL;
}

static void monitor_start(struct fake_monitor *m, bool greet)
{
	snprintf(m->path, sizeof(m->path), "/tmp/cp-qmp-%d-%d.sock",
		 (int)getpid(), greet);
	unlink(m->path);
	m->greet = greet;
	m->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, m->path, strlen(m->path) + 1);
	assert_int_equal(bind(m->listen_fd, (struct sockaddr *)&sa,
			      sizeof(sa)), 0);
	assert_int_equal(listen(m->listen_fd, 1), 0);
	assert_int_equal(pthread_create(&m->thread, NULL, monitor_main, m), 0);
}

static void monitor_stop(struct fake_monitor *m)
{
	pthread_join(m->thread, NULL);
	close(m->listen_fd);
	unlink(m->path);
}

static void test_qmp_client(void **state)
{
	(void)state;
	struct fake_monitor m;
	monitor_start(&m, true);
	struct cp_qmp *qmp;
	assert_ok(cp_qmp_connect(m.path, 2000, &qmp));
	/* SO_PEERCRED: the "QEMU" is this very process. */
	assert_int_equal(cp_qmp_peer_pid(qmp), getpid());
	assert_string_equal(cp_qmp_version(qmp), "7.2.22");
	char *text;
	assert_ok(cp_qmp_hmp(qmp, "info mtree -f", &text));
	assert_non_null(strstr(text, "AS \"memory\""));
	free(text);
	json_t *r;
	struct cp_error *err = cp_qmp_execute(qmp, "nope", NULL, &r);
	assert_non_null(err);
	assert_int_equal(cp_error_code(err), CP_ERR_UNSUPPORTED);
	assert_non_null(strstr(cp_error_message(err), "has not been found"));
	cp_error_destroy(err);
	cp_qmp_close(qmp);
	monitor_stop(&m);

	/* A monitor held by someone else: connected, never greeted. */
	monitor_start(&m, false);
	assert_error(cp_qmp_connect(m.path, 200, &qmp), CP_ERR_TIMEOUT);
	monitor_stop(&m);
	assert_error(cp_qmp_connect("/nonexistent/qmp.sock", 200, &qmp),
		     CP_ERR_OS);
}

static void test_bad_uris(void **state)
{
	(void)state;
	struct cp_mem *mem;
	char uri[64];
	/* This test binary is not QEMU. */
	snprintf(uri, sizeof(uri), "qemu:%d", (int)getpid());
	assert_error(cp_mem_open(uri, &mem), CP_ERR_USAGE);
	assert_error(cp_mem_open("qemu:abc", &mem), CP_ERR_USAGE);
	assert_error(cp_mem_open("qemu:-5", &mem), CP_ERR_USAGE);
	assert_error(cp_mem_open("qemu:1,read=fast", &mem), CP_ERR_USAGE);
	assert_error(cp_mem_open("qemu:2147483647", &mem), CP_ERR_NOT_FOUND);
	assert_error(cp_mem_open("libvirt:../etc", &mem), CP_ERR_USAGE);

	/* libvirt: a pid file naming a process that is not QEMU. */
	char dir[] = "/tmp/cp-libvirt-XXXXXX";
	assert_non_null(mkdtemp(dir));
	setenv("CLOUDPROBE_LIBVIRT_RUN", dir, 1);
	assert_error(cp_mem_open("libvirt:nodomain", &mem), CP_ERR_NOT_FOUND);
	char pidfile[128];
	snprintf(pidfile, sizeof(pidfile), "%s/me.pid", dir);
	FILE *f = fopen(pidfile, "w");
	assert_non_null(f);
	fprintf(f, "%d", (int)getpid());
	fclose(f);
	assert_error(cp_mem_open("libvirt:me", &mem), CP_ERR_USAGE);
	unlink(pidfile);
	rmdir(dir);
	unsetenv("CLOUDPROBE_LIBVIRT_RUN");
}

/* ------------------------------------------------------------ lab guests */

static struct cp_mem *open_ok(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static struct cp_mem *open_ok(const char *fmt, ...)
{
	char uri[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(uri, sizeof(uri), fmt, ap);
	va_end(ap);
	struct cp_mem *mem = NULL;
	struct cp_error *err = cp_mem_open(uri, &mem);
	if (err)
		fail_msg("%s: %s", uri, cp_error_message(err));
	return mem;
}

static pid_t run_pid(const char *run)
{
	_cleanup_free_ char *s = lab_slurp(run, "qemu.pid", NULL);
	assert_non_null(s);
	return (pid_t)atoi(s);
}

/* Every byte of every range of a equals b's, read in batches of pages. */
static void assert_same_ram(struct cp_mem *a, struct cp_mem *b)
{
	assert_int_equal(cp_mem_range_count(a), cp_mem_range_count(b));
	enum { N = 256 };
	static uint8_t ba[N][4096], bb[N][4096];
	struct cp_mem_request ra[N], rb[N];
	for (size_t i = 0; i < cp_mem_range_count(a); i++) {
		const struct cp_mem_range *r = &cp_mem_ranges(a)[i];
		assert_int_equal(r->start, cp_mem_ranges(b)[i].start);
		assert_int_equal(r->size, cp_mem_ranges(b)[i].size);
		for (uint64_t off = 0; off < r->size; off += N * 4096ull) {
			size_t n = 0;
			for (; n < N && off + n * 4096 < r->size; n++) {
				uint64_t at = r->start + off + n * 4096;
				size_t len = r->size - (off + n * 4096) < 4096 ?
					(size_t)(r->size - (off + n * 4096)) :
					4096;
				ra[n] = (struct cp_mem_request){ at, ba[n], len, 0 };
				rb[n] = (struct cp_mem_request){ at, bb[n], len, 0 };
			}
			assert_ok(cp_mem_read_batch(a, ra, n));
			assert_ok(cp_mem_read_batch(b, rb, n));
			for (size_t k = 0; k < n; k++)
				if (memcmp(ba[k], bb[k], ra[k].len) != 0)
					fail_msg("RAM differs at 0x%llx",
						 (unsigned long long)ra[k].paddr);
		}
	}
}

static void test_lab_256m(void **state)
{
	(void)state;
	if (!lab_enabled())
		skip();
	char name[32];
	snprintf(name, sizeof(name), "qemu-t%d", (int)getpid());
	_cleanup_free_ char *run = lab_up(name, "256M");
	pid_t pid = run_pid(run);

	struct cp_mem *zc = open_ok("qemu:%d", (int)pid);
	struct cp_mem *rv = open_ok("qemu:%d,read=readv", (int)pid);
	struct cp_mem *viaqmp = open_ok("qmp:%s/qmp.sock", run);
	struct cp_mem *guess = open_ok("qemu:%d,qmp=off,read=readv", (int)pid);
	assert_true(cp_qemu_zero_copy(zc));
	assert_false(cp_qemu_zero_copy(rv));
	assert_int_equal(cp_qemu_pid(viaqmp), pid);
	assert_string_equal(cp_mem_kind(viaqmp), "qmp");
	assert_non_null(strstr(cp_qemu_layout_origin(zc), "info mtree -f"));
	assert_non_null(strstr(cp_qemu_layout_origin(guess), "inferred"));
	/* QMP knows the VGA hole at 0xa0000; inference does not. */
	assert_int_equal(cp_mem_range_count(zc), 2);
	assert_int_equal(cp_mem_size(zc), 256 * MiB - 0x20000);
	assert_int_equal(cp_mem_range_count(guess), 1);
	assert_int_equal(cp_mem_size(guess), 256 * MiB);
	uint8_t b[8];
	assert_error(cp_mem_read(rv, 0xa0000, b, 8), CP_ERR_FAULT);
	assert_error(cp_mem_read(rv, 256 * MiB, b, 8), CP_ERR_FAULT);
	assert_null(cp_mem_map(rv, 0x1000, 8));	/* no zero copy */
	assert_non_null(cp_mem_map(zc, 0x1000, 8));

	/* With the guest paused, all ways in read the same RAM. */
	struct cp_mem *shm = open_ok("shm:%s/mem", run);
	assert_int_equal(lab_run(NULL, "qmp", name, "stop", NULL), 0);
	assert_same_ram(rv, zc);
	assert_same_ram(viaqmp, rv);
	assert_same_ram(guess, shm);
	/* A batch crossing the hole: its two neighbours succeed. */
	uint8_t x[16], y[16], z[16];
	struct cp_mem_request q[] = { { 0x9fff0, x, 16, 0 },
				      { 0x9fff8, y, 16, 0 },
				      { 0xc0000, z, 16, 0 } };
	assert_error(cp_mem_read_batch(rv, q, 3), CP_ERR_FAULT);
	assert_true(q[0].ok && !q[1].ok && q[2].ok);
	uint8_t w[16];
	assert_ok(cp_mem_read(shm, 0xc0000, w, 16));
	assert_memory_equal(z, w, 16);
	assert_int_equal(lab_run(NULL, "qmp", name, "cont", NULL), 0);
	cp_mem_close(shm);

	/* libvirt:NAME through a pid file (no libvirt here). */
	char dir[] = "/tmp/cp-libvirt-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char pidfile[128];
	snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", dir, name);
	FILE *f = fopen(pidfile, "w");
	fprintf(f, "%d\n", (int)pid);
	fclose(f);
	setenv("CLOUDPROBE_LIBVIRT_RUN", dir, 1);
	struct cp_mem *virt = open_ok("libvirt:%s", name);
	assert_non_null(strstr(cp_qemu_layout_origin(virt), "libvirt domain"));
	assert_int_equal(cp_mem_size(virt), 256 * MiB);
	unsetenv("CLOUDPROBE_LIBVIRT_RUN");
	unlink(pidfile);
	rmdir(dir);

	/* QEMU goes away: every read now fails, none returns bytes. */
	lab_down(name);
	struct cp_mem *all[] = { rv, zc, viaqmp, guess, virt };
	usleep(20000);	/* past one coarse clock tick (zero copy) */
	char want[64];
	snprintf(want, sizeof(want), "qemu:%d: process exited", (int)pid);
	for (size_t i = 0; i < CP_ARRAY_SIZE(all); i++) {
		memset(b, 0, sizeof(b));
		struct cp_error *err = cp_mem_read(all[i], 0x1000, b, 8);
		assert_non_null(err);
		assert_int_equal(cp_error_code(err), CP_ERR_OS);
		assert_int_equal(cp_error_errno(err), ESRCH);
		assert_string_equal(cp_error_message(err), want);
		cp_error_destroy(err);
		struct cp_mem_request r2[] = { { 0x1000, x, 8, 0 },
					       { 0x2000, y, 8, 0 } };
		assert_error(cp_mem_read_batch(all[i], r2, 2), CP_ERR_OS);
		assert_false(r2[0].ok || r2[1].ok);
		cp_mem_close(all[i]);
	}
	/* Opening a dead QEMU fails too. */
	struct cp_mem *gone;
	snprintf(want, sizeof(want), "qemu:%d", (int)pid);
	assert_error(cp_mem_open(want, &gone), CP_ERR_NOT_FOUND);
}

static void test_lab_3g_split(void **state)
{
	(void)state;
	if (!lab_enabled())
		skip();
	char name[32];
	snprintf(name, sizeof(name), "qemu3g-t%d", (int)getpid());
	_cleanup_free_ char *run = lab_up(name, "3G");
	pid_t pid = run_pid(run);
	struct cp_mem *live = open_ok("qemu:%d,read=readv", (int)pid);
	struct cp_mem *guess = open_ok("qemu:%d,qmp=off", (int)pid);
	struct cp_mem *file = open_ok("raw:%s/mem", run);
	/* QMP: [0, 640K), [768K, 2G), [4G, 5G); RAM above 4 GiB is the
	 * file's third GiB. */
	assert_int_equal(cp_mem_range_count(live), 3);
	const struct cp_mem_range *r = cp_mem_ranges(live);
	assert_int_equal(r[1].start + r[1].size, 2 * GiB);
	assert_int_equal(r[2].start, 4 * GiB);
	assert_int_equal(r[2].size, 1 * GiB);
	assert_int_equal(cp_mem_range_count(guess), 2);
	assert_int_equal(cp_mem_ranges(guess)[1].start, 4 * GiB);
	assert_error(cp_mem_read(live, 3 * GiB, (uint8_t[8]){ 0 }, 8),
		     CP_ERR_FAULT);
	assert_int_equal(lab_run(NULL, "qmp", name, "stop", NULL), 0);
	/* Sample the high GiB every 1 MiB plus a page: same as the file. */
	for (uint64_t off = 0; off < GiB; off += MiB + 4096) {
		uint8_t a[64], b[64], c[64];
		assert_ok(cp_mem_read(live, 4 * GiB + off, a, sizeof(a)));
		assert_ok(cp_mem_read(guess, 4 * GiB + off, c, sizeof(c)));
		assert_ok(cp_mem_read(file, 2 * GiB + off, b, sizeof(b)));
		assert_memory_equal(a, b, sizeof(a));
		assert_memory_equal(c, b, sizeof(c));
	}
	assert_int_equal(lab_run(NULL, "qmp", name, "cont", NULL), 0);
	cp_mem_close(live);
	cp_mem_close(guess);
	cp_mem_close(file);
	lab_down(name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mtree),
		cmocka_unit_test(test_gpa2hva),
		cmocka_unit_test(test_maps_and_finding_ram),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_qmp_client),
		cmocka_unit_test(test_bad_uris),
		cmocka_unit_test(test_lab_256m),
		cmocka_unit_test(test_lab_3g_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
