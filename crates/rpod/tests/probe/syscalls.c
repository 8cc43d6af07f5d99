/* Tries syscalls that a default seccomp profile refuses and prints, for
 * each, "name=ok" or "name=ERRNO". Built statically by the tests and copied
 * into a test image. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/perf_event.h>

static void report(const char *name, long rc) {
    if (rc >= 0) {
        printf("%s=ok\n", name);
        if (rc > 2) close((int)rc);
    } else {
        printf("%s=%d\n", name, errno);
    }
}

int main(void) {
    unsigned char params[120];
    memset(params, 0, sizeof params);
    report("io_uring_setup", syscall(SYS_io_uring_setup, 1, params));

    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.size = sizeof attr;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    report("perf_event_open", syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));

    /* KEY_SPEC_PROCESS_KEYRING (-2): nothing reaches the host's keyrings. */
    report("add_key", syscall(SYS_add_key, "user", "rpod-probe", "v", 1, -2));
    report("userfaultfd", syscall(SYS_userfaultfd, 0));
    report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -2, 0));
    report("getpid", syscall(SYS_getpid));
    return 0;
}
