/* Paths: see path.h. */
#include "raftstate/path.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

struct dirent *rs_path_readdir(DIR *d, const char *path, int *rc, struct rs_err *err)
{
	struct dirent *de;

	errno = 0;
	if ((de = readdir(d)) == NULL && errno != 0)
		*rc = rs_syserr(err, "cannot read", path);
	return de;
}

int rs_path_join(char *buf, size_t size, const char *a, const char *b)
{
	int n = (b == NULL || *b == '\0') ? snprintf(buf, size, "%s", a)
	        : *a == '\0'              ? snprintf(buf, size, "%s", b)
	        : strcmp(a, "/") == 0     ? snprintf(buf, size, "/%s", b)
	                                  : snprintf(buf, size, "%s/%s", a, b);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int rs_path_join_err(char *buf, size_t size, const char *a, const char *b, struct rs_err *err)
{
	if (rs_path_join(buf, size, a, b) != 0)
		return rs_errf(err, RS_ELIMIT, "path %s/%s is too long", a, b ? b : "");
	return RS_OK;
}

void rs_path_parent(const char *path, char *out, size_t size)
{
	const char *slash;

	strlcpy(out, path, size);
	slash = strrchr(out, '/');
	if (slash == NULL)
		strlcpy(out, ".", size);
	else if (slash == out)
		out[1] = '\0';
	else
		out[slash - out] = '\0';
}

const char *rs_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* mkdir p unless it exists; then it must be a directory */
static int make_one(const char *p, struct rs_err *err)
{
	struct stat st;

	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		return rs_syserr(err, "cannot create directory", rs_qpath(p).s);
	if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
		return rs_errf(err, RS_EINVAL, "%s is not a directory", rs_qpath(p).s);
	return RS_OK;
}

int rs_path_mkdir_p(const char *dir, int last, struct rs_err *err)
{
	char p[PATH_MAX];
	int rc;

	if (strlcpy(p, dir, sizeof(p)) >= sizeof(p))
		return rs_errf(err, RS_ELIMIT, "path %s is too long", rs_qpath(dir).s);
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		rc = make_one(p, err);
		*s = '/';
		if (rc != RS_OK)
			return rc;
	}
	return last ? make_one(p, err) : RS_OK;
}

int rs_path_safe_relative(const char *p)
{
	const char *s = p;

	if (*p == '\0' || *p == '/' || strlen(p) >= PATH_MAX)
		return 0;
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\')
			return 0;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += n;
		if (*s == '/')
			s++;
		else
			break;
		if (*s == '\0')
			return 0;
	}
	return 1;
}

unsigned int rs_path_nonce(void)
{
	static unsigned int counter;
	unsigned int v;
	struct timespec ts = {0};

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	v = (unsigned int)getpid() * 2654435761u ^ (unsigned int)ts.tv_nsec ^
	    (unsigned int)ts.tv_sec << 20;
	return v + __atomic_add_fetch(&counter, 0x9e3779b9u, __ATOMIC_RELAXED);
}
