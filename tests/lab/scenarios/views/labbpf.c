/*
 * labbpf: loaded eBPF objects for the views scenario, made with the raw
 * bpf(2) syscall (no libbpf, no tools), held by this process's fds:
 *
 *   map  "lab_array"    BPF_MAP_TYPE_ARRAY, key 4, value 8, 4 entries;
 *                        element 1 = 0x1122334455667788
 *   map  "lab_hash"     BPF_MAP_TYPE_HASH, key 4, value 8, 16 entries;
 *                        keys 10, 20, 30 = 100, 200, 300
 *   prog "lab_sockfilt" BPF_PROG_TYPE_SOCKET_FILTER, GPL, 8 instructions:
 *                        looks up lab_array[0] (so its map_ids name
 *                        lab_array) and accepts every packet; attached with
 *                        SO_ATTACH_BPF to a UDP socket bound to 127.0.0.1:7203
 *
 * Creates /run/lab/bpf.ready, then sleeps.  Needs root (CAP_BPF/
 * CAP_SYS_ADMIN): the lab kernels set CONFIG_BPF_UNPRIV_DEFAULT_OFF.
 * Not for: anything but the lab guest.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

static long bpf(int cmd, union bpf_attr *a)
{
    return syscall(__NR_bpf, cmd, a, sizeof *a);
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static int map_create(unsigned type, const char *name, unsigned max)
{
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = type;
    a.key_size = 4;
    a.value_size = 8;
    a.max_entries = max;
    strncpy(a.map_name, name, sizeof a.map_name - 1);
    int fd = (int)bpf(BPF_MAP_CREATE, &a);
    if (fd < 0)
        die("labbpf: BPF_MAP_CREATE");
    return fd;
}

static void map_put(int fd, uint32_t key, uint64_t value)
{
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_fd = (uint32_t)fd;
    a.key = (uint64_t)(uintptr_t)&key;
    a.value = (uint64_t)(uintptr_t)&value;
    a.flags = BPF_ANY;
    if (bpf(BPF_MAP_UPDATE_ELEM, &a) < 0)
        die("labbpf: BPF_MAP_UPDATE_ELEM");
}

int main(void)
{
    int array = map_create(BPF_MAP_TYPE_ARRAY, "lab_array", 4);
    int hash = map_create(BPF_MAP_TYPE_HASH, "lab_hash", 16);
    map_put(array, 1, 0x1122334455667788ULL);
    for (uint32_t k = 10; k <= 30; k += 10)
        map_put(hash, k, k * 10);

    struct bpf_insn prog[] = {
        {.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = array},
        {0}, /* second half of the 16-byte ld_imm64 */
        {.code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = 10, .off = -4, .imm = 0},
        {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2, .src_reg = 10},
        {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -4},
        {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem},
        {.code = BPF_ALU | BPF_MOV | BPF_K, .dst_reg = 0, .imm = -1}, /* keep the whole packet */
        {.code = BPF_JMP | BPF_EXIT},
    };
    static char log[1 << 16];
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    a.insns = (uint64_t)(uintptr_t)prog;
    a.insn_cnt = sizeof prog / sizeof *prog;
    a.license = (uint64_t)(uintptr_t)"GPL";
    a.log_buf = (uint64_t)(uintptr_t)log;
    a.log_size = sizeof log;
    a.log_level = 1;
    strncpy(a.prog_name, "lab_sockfilt", sizeof a.prog_name - 1);
    int pfd = (int)bpf(BPF_PROG_LOAD, &a);
    if (pfd < 0) {
        fprintf(stderr, "%s\n", log);
        die("labbpf: BPF_PROG_LOAD");
    }
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(7203)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) || setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, &pfd, sizeof pfd))
        die("labbpf: attach");
    printf("labbpf: maps fd %d %d, prog fd %d, socket fd %d\n", array, hash, pfd, s);
    fflush(stdout);
    int fd = open("/run/lab/bpf.ready", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, "1\n", 2) != 2)
        die("labbpf: ready");
    close(fd);
    for (;;)
        pause();
}
