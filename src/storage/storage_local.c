/* The local back-end: POSIX files. Every write goes to a temp file in the destination directory
 * and becomes visible atomically (rename for replace, link(2) for create-if-absent), so a reader
 * never sees a half-written object and a crash leaves at worst a hidden temp file. */
#include "storage.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCAL_WRITE_BUF (1u << 20) /* streaming writer: write(2) in 1 MiB pieces */
#define TMP_MARK ".tmp-"

const char *storage_local_path(const char *location)
{
    const char *p;
    if (!location || !*location) return NULL;
    if (strncasecmp(location, "file:", 5) == 0) {
        p = location + 5;
        if (strncmp(p, "//", 2) == 0) {
            p += 2;
            if (*p == '/') return p;                               /* file:///abs */
            if (strncasecmp(p, "localhost/", 10) == 0) return p + 9; /* file://localhost/abs */
            return NULL;                                           /* another host */
        }
        return *p == '/' ? p : NULL; /* file:/abs */
    }
    /* Any other "scheme://" is not ours. */
    p = strstr(location, "://");
    if (p) {
        const char *q = location;
        while (q < p && (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.')) q++;
        if (q == p) return NULL;
    }
    return location;
}

static int local_path(const char *location, const char **path, i2i_error *err)
{
    *path = storage_local_path(location);
    if (!*path)
        return i2i_error_set(err, I2I_ERR_INVALID, "local storage: '%s' is not a local location",
                             location ? location : "(null)");
    return I2I_OK;
}

static int errno_status(int e, int missing_is_not_found)
{
    if (missing_is_not_found && (e == ENOENT || e == ENOTDIR)) return I2I_ERR_NOT_FOUND;
    if (e == ENOMEM) return I2I_ERR_NOMEM;
    return I2I_ERR_IO;
}

/* mkdir -p for every directory above path's last component. */
static int make_parents(const char *path, i2i_error *err)
{
    char *copy = i2i_strdup(path);
    char *p;
    if (!copy) return i2i_error_nomem(err, "creating directories");
    for (p = copy + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            struct stat st;
            /* EEXIST covers files too; a non-directory in the way fails at open with ENOTDIR. */
            if (!(stat(copy, &st) == 0 && S_ISDIR(st.st_mode))) {
                int rc = i2i_error_set(err, errno_status(e, 0),
                                       "local storage: create directory '%s': %s", copy,
                                       strerror(e));
                free(copy);
                return rc;
            }
        }
        *p = '/';
    }
    free(copy);
    return I2I_OK;
}

/* Directory part of path ("." when there is none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return i2i_strdup(".");
    if (slash == path) return i2i_strdup("/");
    return i2i_strndup(path, (size_t)(slash - path));
}

/* fsync a directory so a rename/link inside it survives a crash. File systems that cannot fsync
 * directories (EINVAL) are tolerated. */
static int sync_dir(const char *path, i2i_error *err)
{
    char *dir = dir_of(path);
    int fd, rc = I2I_OK;
    if (!dir) return i2i_error_nomem(err, "syncing a directory");
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        rc = i2i_error_set(err, I2I_ERR_IO, "local storage: open directory '%s' for fsync: %s", dir,
                           strerror(errno));
    } else {
        if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
            rc = i2i_error_set(err, I2I_ERR_IO, "local storage: fsync directory '%s': %s", dir,
                               strerror(errno));
        close(fd);
    }
    free(dir);
    return rc;
}

/* A fresh temp file next to path: "<dir>/.<base>.tmp-<16 hex>", opened O_EXCL. */
static int open_temp(const char *path, char **tmp_out, int *fd_out, i2i_error *err)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    size_t baselen = strlen(base);
    uint8_t rnd[8];
    char hex[17];
    char *tmp;
    int attempt, fd;

    if (!*base)
        return i2i_error_set(err, I2I_ERR_INVALID, "local storage: '%s' names a directory", path);
    if (baselen > 200) baselen = 200; /* stay under NAME_MAX */
    I2I_TRY(make_parents(path, err));
    tmp = malloc(dirlen + baselen + 32);
    if (!tmp) return i2i_error_nomem(err, "naming a temp file");
    for (attempt = 0; attempt < 8; attempt++) {
        int rc = i2i_random_bytes(rnd, sizeof rnd, err);
        if (rc != I2I_OK) {
            free(tmp);
            return rc;
        }
        i2i_hex(rnd, sizeof rnd, hex);
        memcpy(tmp, path, dirlen);
        snprintf(tmp + dirlen, baselen + 32, ".%.*s%s%s", (int)baselen, base, TMP_MARK, hex);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            *tmp_out = tmp;
            *fd_out = fd;
            return I2I_OK;
        }
        if (errno != EEXIST) break;
    }
    {
        int e = errno;
        int rc = i2i_error_set(err, errno_status(e, 0),
                               "local storage: create temp file for '%s': %s", path, strerror(e));
        free(tmp);
        return rc;
    }
}

static int write_all(int fd, const void *data, size_t len, const char *path, i2i_error *err)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return i2i_error_set(err, I2I_ERR_IO, "local storage: write '%s': %s", path,
                                 strerror(errno));
        }
        p += n;
        len -= (size_t)n;
    }
    return I2I_OK;
}

/* Write data to a new temp file next to path, fsync and close it. */
static int write_temp(const char *path, const void *data, size_t len, char **tmp_out,
                      i2i_error *err)
{
    char *tmp;
    int fd, rc;
    I2I_TRY(open_temp(path, &tmp, &fd, err));
    rc = write_all(fd, data, len, path, err);
    if (rc == I2I_OK && fsync(fd) != 0)
        rc = i2i_error_set(err, I2I_ERR_IO, "local storage: fsync '%s': %s", path, strerror(errno));
    if (close(fd) != 0 && rc == I2I_OK)
        rc = i2i_error_set(err, I2I_ERR_IO, "local storage: close '%s': %s", path, strerror(errno));
    if (rc != I2I_OK) {
        unlink(tmp);
        free(tmp);
        return rc;
    }
    *tmp_out = tmp;
    return I2I_OK;
}

static int local_put(void *state, const char *location, const void *data, size_t len,
                     i2i_error *err)
{
    const char *path;
    char *tmp;
    (void)state;
    I2I_TRY(local_path(location, &path, err));
    if (len > 0 && !data) return i2i_error_set(err, I2I_ERR_INVALID, "local storage: no data");
    I2I_TRY(write_temp(path, data, len, &tmp, err));
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return i2i_error_set(err, errno_status(e, 0), "local storage: rename into '%s': %s", path,
                             strerror(e));
    }
    free(tmp);
    return sync_dir(path, err);
}

static int local_put_if_absent(void *state, const char *location, const void *data, size_t len,
                               i2i_error *err)
{
    const char *path;
    char *tmp;
    int rc = I2I_OK;
    (void)state;
    I2I_TRY(local_path(location, &path, err));
    if (len > 0 && !data) return i2i_error_set(err, I2I_ERR_INVALID, "local storage: no data");
    I2I_TRY(write_temp(path, data, len, &tmp, err));
    /* link(2) never replaces: exactly one of several racing writers succeeds. */
    if (link(tmp, path) != 0) {
        int e = errno;
        if (e == EEXIST)
            rc = i2i_error_set(err, I2I_ERR_EXISTS, "local storage: '%s' already exists", path);
        else
            rc = i2i_error_set(err, errno_status(e, 0), "local storage: link into '%s': %s", path,
                               strerror(e));
    }
    unlink(tmp);
    free(tmp);
    if (rc != I2I_OK) return rc;
    return sync_dir(path, err);
}

static int local_get(void *state, const char *location, i2i_buf *out, i2i_error *err)
{
    const char *path;
    struct stat st;
    int fd;
    (void)state;
    I2I_TRY(local_path(location, &path, err));
    i2i_buf_reset(out);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return i2i_error_set(err, errno_status(e, 1), "local storage: open '%s': %s", path,
                             strerror(e));
    }
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int e = fstat(fd, &st) != 0 ? errno : EISDIR;
        close(fd);
        return i2i_error_set(err, I2I_ERR_IO, "local storage: read '%s': %s", path, strerror(e));
    }
    if (st.st_size > 0 && i2i_buf_reserve(out, (size_t)st.st_size + 1) != I2I_OK) {
        close(fd);
        return i2i_error_nomem(err, "reading a file");
    }
    for (;;) {
        ssize_t n;
        if (i2i_buf_reserve(out, 65536) != I2I_OK) {
            close(fd);
            return i2i_error_nomem(err, "reading a file");
        }
        n = read(fd, out->data + out->len, out->cap - out->len - 1);
        if (n < 0) {
            int e = errno;
            if (e == EINTR) continue;
            close(fd);
            return i2i_error_set(err, I2I_ERR_IO, "local storage: read '%s': %s", path,
                                 strerror(e));
        }
        if (n == 0) break;
        out->len += (size_t)n;
    }
    close(fd);
    return I2I_OK;
}

static int local_exists(void *state, const char *location, i2i_error *err)
{
    const char *path;
    struct stat st;
    (void)state;
    I2I_TRY(local_path(location, &path, err));
    if (stat(path, &st) == 0) return 1;
    if (errno == ENOENT || errno == ENOTDIR) return 0;
    return i2i_error_set(err, I2I_ERR_IO, "local storage: stat '%s': %s", path, strerror(errno));
}

static int local_remove(void *state, const char *location, i2i_error *err)
{
    const char *path;
    (void)state;
    I2I_TRY(local_path(location, &path, err));
    if (unlink(path) == 0 || errno == ENOENT || errno == ENOTDIR) return I2I_OK;
    return i2i_error_set(err, I2I_ERR_IO, "local storage: remove '%s': %s", path, strerror(errno));
}

static int local_size(void *state, const char *location, int64_t *out, i2i_error *err)
{
    const char *path;
    struct stat st;
    (void)state;
    I2I_TRY(local_path(location, &path, err));
    if (stat(path, &st) != 0) {
        int e = errno;
        return i2i_error_set(err, errno_status(e, 1), "local storage: stat '%s': %s", path,
                             strerror(e));
    }
    if (S_ISDIR(st.st_mode))
        return i2i_error_set(err, I2I_ERR_IO, "local storage: '%s' is a directory", path);
    *out = (int64_t)st.st_size;
    return I2I_OK;
}

/* ---------------------------------------------------------------- streaming writer */

struct storage_writer {
    int fd;
    char *tmp;   /* temp file being written */
    char *final; /* destination path */
    uint8_t *buf;
    size_t len;
    off_t written; /* bytes handed to write(2) so far */
};

static void writer_free(storage_writer *w)
{
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    free(w->tmp);
    free(w->final);
    free(w->buf);
    free(w);
}

static int local_writer_open(void *state, const char *location, storage_writer **out,
                             i2i_error *err)
{
    const char *path;
    storage_writer *w;
    (void)state;
    *out = NULL;
    I2I_TRY(local_path(location, &path, err));
    w = calloc(1, sizeof *w);
    if (!w) return i2i_error_nomem(err, "opening a writer");
    w->fd = -1;
    w->final = i2i_strdup(path);
    w->buf = malloc(LOCAL_WRITE_BUF);
    if (!w->final || !w->buf) {
        writer_free(w);
        return i2i_error_nomem(err, "opening a writer");
    }
    {
        int rc = open_temp(path, &w->tmp, &w->fd, err);
        if (rc != I2I_OK) {
            writer_free(w);
            return rc;
        }
    }
    *out = w;
    return I2I_OK;
}

/* Start the kernel's write-back of what was just written, without waiting for it: the fsync at
 * commit then waits only for the last piece instead of the whole file (a data file's fsync was
 * ~13 ms per 8 MB on the critical path of every window). Advice only: a failure here is found
 * by that fsync. */
static void start_writeback(storage_writer *w, size_t len)
{
#ifdef SYNC_FILE_RANGE_WRITE
    (void)sync_file_range(w->fd, w->written, (off_t)len, SYNC_FILE_RANGE_WRITE);
#endif
    w->written += (off_t)len;
}

static int writer_flush(storage_writer *w, i2i_error *err)
{
    if (w->len == 0) return I2I_OK;
    I2I_TRY(write_all(w->fd, w->buf, w->len, w->final, err));
    start_writeback(w, w->len);
    w->len = 0;
    return I2I_OK;
}

static int local_writer_write(storage_writer *w, const void *data, size_t len, i2i_error *err)
{
    if (len == 0) return I2I_OK;
    if (w->len + len <= LOCAL_WRITE_BUF) {
        memcpy(w->buf + w->len, data, len);
        w->len += len;
        if (w->len == LOCAL_WRITE_BUF) return writer_flush(w, err);
        return I2I_OK;
    }
    I2I_TRY(writer_flush(w, err));
    if (len >= LOCAL_WRITE_BUF) {
        I2I_TRY(write_all(w->fd, data, len, w->final, err));
        start_writeback(w, len);
        return I2I_OK;
    }
    memcpy(w->buf, data, len);
    w->len = len;
    return I2I_OK;
}

static void local_writer_abort(storage_writer *w)
{
    if (!w) return;
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    if (w->tmp) unlink(w->tmp);
    writer_free(w);
}

static int local_writer_commit(storage_writer *w, i2i_error *err)
{
    int rc = writer_flush(w, err);
    if (rc == I2I_OK && fsync(w->fd) != 0)
        rc = i2i_error_set(err, I2I_ERR_IO, "local storage: fsync '%s': %s", w->final,
                           strerror(errno));
    if (rc == I2I_OK) {
        int fd = w->fd;
        w->fd = -1;
        if (close(fd) != 0)
            rc = i2i_error_set(err, I2I_ERR_IO, "local storage: close '%s': %s", w->final,
                               strerror(errno));
    }
    if (rc == I2I_OK && rename(w->tmp, w->final) != 0)
        rc = i2i_error_set(err, I2I_ERR_IO, "local storage: rename into '%s': %s", w->final,
                           strerror(errno));
    if (rc != I2I_OK) {
        local_writer_abort(w);
        return rc;
    }
    rc = sync_dir(w->final, err);
    writer_free(w);
    return rc;
}

/* ---------------------------------------------------------------- list */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_temp_name(const char *name)
{
    return name[0] == '.' && strstr(name, TMP_MARK) != NULL;
}

static int local_list(void *state, const char *prefix, json_t *out, i2i_error *err)
{
    const char *path;
    char *dir;
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = I2I_OK;
    (void)state;
    I2I_TRY(local_path(prefix, &path, err));
    if (!json_is_array(out))
        return i2i_error_set(err, I2I_ERR_INVALID, "local storage: list needs a JSON array");
    dir = i2i_strdup(path);
    if (!dir) return i2i_error_nomem(err, "listing");
    for (i = strlen(dir); i > 1 && dir[i - 1] == '/'; i--) dir[i - 1] = '\0';
    d = opendir(dir);
    if (!d) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR) {
            free(dir);
            return I2I_OK;
        }
        rc = i2i_error_set(err, I2I_ERR_IO, "local storage: list '%s': %s", dir, strerror(e));
        free(dir);
        return rc;
    }
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (is_temp_name(de->d_name)) continue;
        if (fstatat(dirfd(d), de->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) {
                rc = i2i_error_nomem(err, "listing");
                goto done;
            }
            names = nn;
            cap = nc;
        }
        names[n] = i2i_strdup(de->d_name);
        if (!names[n]) {
            rc = i2i_error_nomem(err, "listing");
            goto done;
        }
        n++;
    }
    if (n > 1) qsort(names, n, sizeof *names, cmp_str);
    for (i = 0; i < n; i++) {
        if (json_array_append_new(out, json_string(names[i])) != 0) {
            rc = i2i_error_nomem(err, "listing");
            goto done;
        }
    }
done:
    for (i = 0; i < n; i++) free(names[i]);
    free(names);
    closedir(d);
    free(dir);
    return rc;
}

static void local_close(void *state) { (void)state; }

static int local_list_tree(void *state, const char *prefix, json_t *out, i2i_error *err);

static const storage_ops local_ops = {
    .name = "local",
    .put = local_put,
    .put_if_absent = local_put_if_absent,
    .get = local_get,
    .exists = local_exists,
    .remove = local_remove,
    .size = local_size,
    .writer_open = local_writer_open,
    .writer_write = local_writer_write,
    .writer_commit = local_writer_commit,
    .writer_abort = local_writer_abort,
    .list = local_list,
    .list_tree = local_list_tree,
    .close = local_close,
};

/* Depth-first walk; relative paths are built in one buffer reused for the whole walk. */
static int walk_tree(const char *dir, i2i_buf *rel, json_t *out, int depth, i2i_error *err)
{
    DIR *d;
    struct dirent *de;
    int rc = I2I_OK;
    size_t base = rel->len;

    if (depth > 64) return i2i_error_set(err, I2I_ERR_IO, "local storage: '%s' nests too deeply", dir);
    d = opendir(dir);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR) return I2I_OK;
        return i2i_error_set(err, I2I_ERR_IO, "local storage: list '%s': %s", dir, strerror(errno));
    }
    while (rc == I2I_OK && (de = readdir(d)) != NULL) {
        struct stat st;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || is_temp_name(de->d_name)) continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        rel->len = base;
        if (i2i_buf_printf(rel, "%s%s", base ? "/" : "", de->d_name) != I2I_OK || !i2i_buf_cstr(rel)) {
            rc = i2i_error_nomem(err, "listing");
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            i2i_buf child = I2I_BUF_INIT;
            if (i2i_buf_printf(&child, "%s/%s", dir, de->d_name) != I2I_OK || !i2i_buf_cstr(&child)) {
                i2i_buf_free(&child);
                rc = i2i_error_nomem(err, "listing");
                break;
            }
            rc = walk_tree((const char *)child.data, rel, out, depth + 1, err);
            i2i_buf_free(&child);
        } else if (S_ISREG(st.st_mode)) {
            json_t *o = json_pack("{s:s, s:I, s:I}", "path", (const char *)rel->data, "size",
                                  (json_int_t)st.st_size, "mtime_ms",
                                  (json_int_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
            if (!o || json_array_append_new(out, o) != 0) rc = i2i_error_nomem(err, "listing");
        }
    }
    rel->len = base;
    closedir(d);
    return rc;
}

static int cmp_path(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    return strcmp(json_string_value(json_object_get(x, "path")), json_string_value(json_object_get(y, "path")));
}

static int local_list_tree(void *state, const char *prefix, json_t *out, i2i_error *err)
{
    const char *path;
    json_t *found;
    i2i_buf rel = I2I_BUF_INIT;
    size_t i, n;
    json_t **items;
    int rc;
    (void)state;
    I2I_TRY(local_path(prefix, &path, err));
    if (!json_is_array(out))
        return i2i_error_set(err, I2I_ERR_INVALID, "local storage: list needs a JSON array");
    found = json_array();
    if (!found) return i2i_error_nomem(err, "listing");
    rc = walk_tree(path, &rel, found, 0, err);
    i2i_buf_free(&rel);
    n = json_array_size(found);
    items = rc == I2I_OK ? malloc((n ? n : 1) * sizeof *items) : NULL;
    if (rc == I2I_OK && !items) rc = i2i_error_nomem(err, "listing");
    if (rc == I2I_OK) {
        for (i = 0; i < n; i++) items[i] = json_array_get(found, i);
        qsort(items, n, sizeof *items, cmp_path);
        for (i = 0; i < n && rc == I2I_OK; i++)
            if (json_array_append(out, items[i]) != 0) rc = i2i_error_nomem(err, "listing");
    }
    free(items);
    json_decref(found);
    return rc;
}

int storage_local_open(storage **out, i2i_error *err)
{
    storage *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s) return i2i_error_nomem(err, "opening local storage");
    s->ops = &local_ops;
    s->state = NULL;
    *out = s;
    return I2I_OK;
}
