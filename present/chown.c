#include "present/chown.h"

#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "present/report.h"

/* A decimal ID below 2^32 - 1 ((uid_t)-1 means "unchanged"), or -1. */
static int parse_id(const char *s, unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v >= UINT32_MAX)
			return -1;
	}
	*out = v;
	return 0;
}

int owner_parse(const char *spec, uid_t *uid, gid_t *gid, char *msg, size_t msgsize)
{
	char user[256], group[256];
	const char *colon = strchr(spec, ':');
	unsigned long v;
	size_t ulen = colon != NULL ? (size_t)(colon - spec) : strlen(spec);

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (ulen >= sizeof(user) || (colon != NULL && strlen(colon + 1) >= sizeof(group))) {
		(void)snprintf(msg, msgsize, "%s is too long", oci_q(spec).s);
		return -1;
	}
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	(void)snprintf(group, sizeof(group), "%s", colon != NULL ? colon + 1 : "");
	if (user[0] == '\0' && group[0] == '\0') {
		(void)snprintf(msg, msgsize, "%s names neither a user nor a group", oci_q(spec).s);
		return -1;
	}
	if (user[0] != '\0') {
		if (parse_id(user, &v) == 0) {
			*uid = (uid_t)v;
		} else {
			struct passwd *pw = getpwnam(user);

			if (pw == NULL) {
				(void)snprintf(msg, msgsize, "no such user %s", oci_q(user).s);
				return -1;
			}
			*uid = pw->pw_uid;
			if (colon == NULL)
				*gid = pw->pw_gid;
		}
	}
	if (group[0] != '\0') {
		if (parse_id(group, &v) == 0) {
			*gid = (gid_t)v;
		} else {
			struct group *gr = getgrnam(group);

			if (gr == NULL) {
				(void)snprintf(msg, msgsize, "no such group %s", oci_q(group).s);
				return -1;
			}
			*gid = gr->gr_gid;
		}
	}
	return 0;
}
