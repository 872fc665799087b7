/*
 * labchurn: continuous process, thread and connection churn, so that tests
 * can read a guest's views while they change under them.  Runs until
 * killed.  Options (rates are per second; 0 turns a kind off):
 *
 *   --forks N     children forked per second (default 20); each names
 *                 itself "churn-child", lives --life ms and exits; every
 *                 --exec-every'th child instead execs
 *                 "/bin/labchurn --child MS" (comm "labchurn", new argv,
 *                 new exe mapping) and exits after MS ms; the parent reaps
 *   --exec-every K   (default 4; 0 = children never exec)
 *   --threads N   threads created per second (default 20), each named
 *                 "churn-thread", living --life ms
 *   --conns N     TCP connections per second (default 20) from a client
 *                 thread to the process's own listener on 127.0.0.1:PORT;
 *                 each sends 16 bytes, stays ESTABLISHED --life ms, and is
 *                 closed by the client first (so TIME_WAIT entries pile up
 *                 for 60 s: ~N*60 of them), or reset with --rst (no
 *                 TIME_WAIT)
 *   --life MS     lifetime of children, threads and connections (default 200)
 *   --port P      listener port (default 7301 = 0x1C85)
 *
 * Every 5 s it prints the totals so far (forks, execs, threads, conns) to
 * stdout and to /run/lab/churn.stats ("forks=.. execs=.. threads=..
 * conns=..\n"), and creates /run/lab/churn.ready after the first second.
 * Not for: anything but the lab guest.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long forks = 20, threads = 20, conns = 20, life_ms = 200, exec_every = 4, port = 7301;
static int rst;
static atomic_long n_forks, n_execs, n_threads, n_conns;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Call FN(i) RATE times a second, on schedule (no drift, no catch-up burst), forever. */
static void paced(long rate, void (*fn)(long))
{
    double start = now();
    for (long i = 0;; i++) {
        double due = start + (double)i / (double)rate, wait = due - now();
        if (wait < -1) /* stalled (the guest was busy): resume the pace, no burst */
            start -= wait;
        else if (wait > 0)
            sleep_ms((long)(wait * 1000));
        fn(i);
    }
}

static void one_fork(long i)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (exec_every && i % exec_every == exec_every - 1) {
            char ms[24];
            snprintf(ms, sizeof ms, "%ld", life_ms);
            execl("/bin/labchurn", "labchurn", "--child", ms, (char *)NULL);
            _exit(127);
        }
        prctl(PR_SET_NAME, "churn-child");
        sleep_ms(life_ms);
        _exit(0);
    }
    if (pid > 0) {
        n_forks++;
        if (exec_every && i % exec_every == exec_every - 1)
            n_execs++;
    }
}

static void *forker(void *arg)
{
    (void)arg;
    paced(forks, one_fork);
    return NULL;
}

static void *reaper(void *arg)
{
    (void)arg;
    for (;;)
        if (waitpid(-1, NULL, 0) < 0)
            sleep_ms(50);
    return NULL;
}

static void *short_thread(void *arg)
{
    (void)arg;
    prctl(PR_SET_NAME, "churn-thread");
    sleep_ms(life_ms);
    return NULL;
}

static void one_thread(long i)
{
    (void)i;
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 64 * 1024);
    if (pthread_create(&t, &a, short_thread, NULL) == 0)
        n_threads++;
    pthread_attr_destroy(&a);
}

static void *threader(void *arg)
{
    (void)arg;
    paced(threads, one_thread);
    return NULL;
}

/* Server side: accept, read, close when the client does. */
static void *listener(void *arg)
{
    int l = (int)(long)arg;
    struct pollfd p[1024];
    int n = 1;
    p[0] = (struct pollfd){.fd = l, .events = POLLIN};
    for (;;) {
        if (poll(p, (nfds_t)n, -1) < 0)
            continue;
        for (int i = n - 1; i >= 1; i--)
            if (p[i].revents) {
                char buf[64];
                if (read(p[i].fd, buf, sizeof buf) <= 0) {
                    close(p[i].fd);
                    p[i] = p[--n];
                }
            }
        if (p[0].revents & POLLIN) {
            int c = accept(l, NULL, NULL);
            if (c >= 0 && n < 1024)
                p[n++] = (struct pollfd){.fd = c, .events = POLLIN};
            else if (c >= 0)
                close(c);
        }
    }
    return NULL;
}

static struct {
    int fd;
    double until;
} open_conns[4096];

static void one_conn(long i)
{
    (void)i;
    double t = now();
    for (size_t k = 0; k < sizeof open_conns / sizeof *open_conns; k++)
        if (open_conns[k].fd > 0 && open_conns[k].until <= t) {
            if (rst) {
                struct linger lg = {1, 0};
                setsockopt(open_conns[k].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            }
            close(open_conns[k].fd);
            open_conns[k].fd = 0;
        }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0 || write(fd, "labchurn 0123456", 16) != 16) {
        if (fd >= 0)
            close(fd);
        return;
    }
    n_conns++;
    for (size_t k = 0; k < sizeof open_conns / sizeof *open_conns; k++)
        if (open_conns[k].fd == 0) {
            open_conns[k].fd = fd;
            open_conns[k].until = t + (double)life_ms / 1000;
            return;
        }
    close(fd);
}

static void *connector(void *arg)
{
    (void)arg;
    paced(conns, one_conn);
    return NULL;
}

static void start(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg)) {
        perror("labchurn: pthread_create");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        long v = i + 1 < argc ? atol(argv[i + 1]) : 0;
        if (!strcmp(o, "--child")) {
            sleep_ms(v);
            return 0;
        } else if (!strcmp(o, "--rst")) {
            rst = 1;
            continue;
        } else if (!strcmp(o, "--forks"))
            forks = v;
        else if (!strcmp(o, "--threads"))
            threads = v;
        else if (!strcmp(o, "--conns"))
            conns = v;
        else if (!strcmp(o, "--life"))
            life_ms = v;
        else if (!strcmp(o, "--exec-every"))
            exec_every = v;
        else if (!strcmp(o, "--port"))
            port = v;
        else {
            fprintf(stderr, "usage: labchurn [--forks N] [--threads N] [--conns N] [--life MS] "
                            "[--exec-every K] [--port P] [--rst]\n");
            return 2;
        }
        i++;
    }
    signal(SIGPIPE, SIG_IGN);
    if (conns > 0) {
        int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 128)) {
            perror("labchurn: listen");
            return 1;
        }
        start(listener, (void *)(long)l);
        start(connector, NULL);
    }
    if (forks > 0) {
        start(reaper, NULL);
        start(forker, NULL);
    }
    if (threads > 0)
        start(threader, NULL);
    for (long tick = 1;; tick++) {
        sleep_ms(1000);
        if (tick == 1) {
            FILE *f = fopen("/run/lab/churn.ready", "w");
            if (f)
                fclose(f);
        }
        if (tick % 5)
            continue;
        char line[160];
        snprintf(line, sizeof line, "forks=%ld execs=%ld threads=%ld conns=%ld\n", (long)n_forks, (long)n_execs,
                 (long)n_threads, (long)n_conns);
        fputs(line, stdout);
        fflush(stdout);
        FILE *f = fopen("/run/lab/churn.stats", "w");
        if (f) {
            fputs(line, f);
            fclose(f);
        }
    }
}
