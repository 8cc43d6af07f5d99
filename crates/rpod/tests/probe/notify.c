/* Sends "READY=1" (with a STATUS line and a MAINPID that must not reach
 * the service manager) to $NOTIFY_SOCKET as one datagram, then sleeps.
 * Built statically by the sd-notify tests and mounted into a container. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(void) {
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path) {
        puts("no NOTIFY_SOCKET");
        fflush(stdout);
        return 3;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    const char *msg = "STATUS=serving\nMAINPID=1\nREADY=1\n";
    if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&addr, sizeof addr) < 0) {
        perror("sendto");
        return 4;
    }
    printf("notified %s\n", path);
    fflush(stdout);
    sleep(1000);
    return 0;
}
