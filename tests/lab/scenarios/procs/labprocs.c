/*
 * labprocs N: N idle processes for the process-list benchmarks.
 *
 * The parent (comm "labprocs") forks N children with the raw fork syscall,
 * so a child runs no libc fork handlers and dirties as little as possible:
 * it names itself "lab-idle-NNNNN" (NNNNN = 0..N-1, zero-padded to 5) and
 * loops in pause(), touching only its stack page.  The parent then
 * creates /run/lab/procs.ready holding "N SECONDS\n" (how long the forks
 * took), and reaps forever.  N is capped at 30000 (the guest's pid_max is
 * 32768); fork failures (ENOMEM, EAGAIN) stop the loop early and the ready
 * file then holds the number actually started.
 *
 * Not for: anything but the lab guest.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static _Noreturn void idle(long i)
{
    char name[16] = "lab-idle-00000";
    for (int k = 13; k >= 9; k--, i /= 10)
        name[k] = (char)('0' + i % 10);
    syscall(SYS_prctl, PR_SET_NAME, name, 0, 0, 0);
    for (;;)
        syscall(SYS_pause);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 50;
    if (n < 0 || n > 30000)
        n = n < 0 ? 0 : 30000;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long started = 0;
    for (; started < n; started++) {
        long pid = syscall(SYS_fork);
        if (pid == 0)
            idle(started);
        if (pid < 0) {
            perror("labprocs: fork");
            break;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("labprocs: %ld of %ld processes in %.2f s\n", started, n, secs);
    fflush(stdout);
    FILE *f = fopen("/run/lab/procs.ready", "w");
    if (f) {
        fprintf(f, "%ld %.2f\n", started, secs);
        fclose(f);
    }
    for (;;)
        if (wait(NULL) < 0)
            pause();
}
