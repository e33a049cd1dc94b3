/* See emulator_harness.h. */
#include "emulator_harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"

#ifndef I2I_EMULATOR_PATH
#error "define I2I_EMULATOR_PATH"
#endif

#define MAX_EMUS 8
static pid_t live[MAX_EMUS];
static int hooks_installed;

static void kill_pid(pid_t pid)
{
    int i, status;
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    for (i = 0; i < 300; i++) { /* 3 s */
        if (waitpid(pid, &status, WNOHANG) == pid) return;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

static void kill_all(void)
{
    int i;
    for (i = 0; i < MAX_EMUS; i++) {
        if (live[i] > 0) {
            kill_pid(live[i]);
            live[i] = 0;
        }
    }
}

static void on_signal(int sig)
{
    int i;
    for (i = 0; i < MAX_EMUS; i++) {
        if (live[i] > 0) kill(live[i], SIGTERM);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_hooks(void)
{
    if (hooks_installed) return;
    hooks_installed = 1;
    atexit(kill_all);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
}

int emu_start(emu *e, const char *const *args)
{
    static int seq;
    char portfile[512];
    const char *argv[64];
    int argc = 0, i, slot = -1;
    pid_t parent = getpid(), pid;
    int64_t deadline;

    memset(e, 0, sizeof *e);
    install_hooks();
    for (i = 0; i < MAX_EMUS; i++) {
        if (live[i] <= 0) {
            slot = i;
            break;
        }
    }
    if (slot < 0) {
        fprintf(stderr, "emu_start: too many emulators\n");
        return -1;
    }
    seq++;
    snprintf(portfile, sizeof portfile, "%s/emulator-%d.port", i2i_test_tmpdir(), seq);
    snprintf(e->log, sizeof e->log, "%s/emulator-%d.log", i2i_test_tmpdir(), seq);
    unlink(portfile);
    argv[argc++] = "python3";
    argv[argc++] = I2I_EMULATOR_PATH;
    argv[argc++] = "--port";
    argv[argc++] = "0";
    argv[argc++] = "--port-file";
    argv[argc++] = portfile;
    for (i = 0; args && args[i] && argc < 62; i++) argv[argc++] = args[i];
    argv[argc] = NULL;

    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        return -1;
    }
    if (pid == 0) {
        int fd;
        /* Die with the test process, whatever kills it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(127);
        fd = open(e->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
            close(fd);
        }
        execvp("python3", (char *const *)argv);
        perror("exec python3");
        _exit(127);
    }
    live[slot] = pid;
    e->pid = pid;
    deadline = i2i_monotonic_ns() + 30 * I2I_NS_PER_S;
    while (i2i_monotonic_ns() < deadline) {
        FILE *f;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            char cmd[600];
            live[slot] = 0;
            e->pid = 0;
            fprintf(stderr, "emulator exited during start (status %d); its log:\n", status);
            snprintf(cmd, sizeof cmd, "cat '%s' >&2", e->log);
            if (system(cmd) != 0) fprintf(stderr, "(no log)\n");
            return -1;
        }
        f = fopen(portfile, "r");
        if (f) {
            int port = 0;
            if (fscanf(f, "%d", &port) == 1 && port > 0) {
                fclose(f);
                e->port = port;
                snprintf(e->url, sizeof e->url, "http://127.0.0.1:%d", port);
                return 0;
            }
            fclose(f);
        }
        usleep(20000);
    }
    fprintf(stderr, "emulator did not write its port within 30 s\n");
    emu_stop(e);
    return -1;
}

void emu_stop(emu *e)
{
    int i;
    if (!e || e->pid <= 0) return;
    kill_pid(e->pid);
    for (i = 0; i < MAX_EMUS; i++) {
        if (live[i] == e->pid) live[i] = 0;
    }
    e->pid = 0;
}

static size_t collect(char *data, size_t size, size_t nmemb, void *userp)
{
    i2i_buf *b = userp;
    if (b && i2i_buf_append(b, data, size * nmemb) != I2I_OK) return 0;
    return size * nmemb;
}

long emu_admin(const emu *e, const char *method, const char *path, const char *body, i2i_buf *out)
{
    CURL *h = curl_easy_init();
    char url[256];
    long status = -1;
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    if (!h) return -1;
    if (out) i2i_buf_reset(out);
    snprintf(url, sizeof url, "%s%s", e->url, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return status;
}

long emu_request_count(const emu *e, const char *method_path)
{
    i2i_buf b = I2I_BUF_INIT;
    json_t *j, *n;
    long count = -1;
    if (emu_admin(e, "GET", "/_emulator/stats", NULL, &b) != 200) {
        i2i_buf_free(&b);
        return -1;
    }
    j = json_loadb((const char *)b.data, b.len, 0, NULL);
    n = json_object_get(json_object_get(j, "requests"), method_path);
    count = n ? (long)json_integer_value(n) : 0;
    json_decref(j);
    i2i_buf_free(&b);
    return count;
}
