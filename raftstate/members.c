#include "raftstate/members.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raftstate/error.h"

/*
 * Length of the Unicode white-space rune (Go's unicode.IsSpace) that starts
 * at s[0..n), or 0. Go's strings.TrimSpace trims exactly these, so a
 * no-break space pasted after an ID is trimmed here as it is by the Go tool.
 */
static size_t space_rune(const unsigned char *s, size_t n)
{
	if (n >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2; /* U+0085 NEL, U+00A0 NBSP */
	if (n >= 3) {
		if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
			return 3; /* U+1680 */
		if (s[0] == 0xe2 && s[1] == 0x80 &&
		    ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 ||
		     s[2] == 0xaf))
			return 3; /* U+2000..200A, U+2028, U+2029, U+202F */
		if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
			return 3; /* U+205F */
		if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
			return 3; /* U+3000 */
	}
	return 0;
}

/* strings.TrimSpace of s[0..n) as a fresh NUL-terminated copy. */
static char *trim_copy(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k, start = 0, end = n;
	char *out;

	while (start < end && (k = space_rune(p + start, end - start)) > 0)
		start += k;
	for (;;) {
		size_t w;

		for (w = 1; w <= 3 && w <= end - start; w++)
			if (space_rune(p + end - w, w) == w)
				break;
		if (w > 3 || w > end - start)
			break;
		end -= w;
	}
	out = malloc(end - start + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, s + start, end - start);
	out[end - start] = '\0';
	return out;
}

/* Splits s on ',' (strings.Split: "" gives one empty item) into trimmed
 * copies. Returns the count, or (size_t)-1 on allocation failure. */
static size_t split_list(const char *s, char ***items)
{
	size_t n = 1, i;
	const char *p, *comma;
	char **v;

	for (p = s; *p != '\0'; p++)
		if (*p == ',')
			n++;
	v = calloc(n, sizeof(*v));
	if (v == NULL)
		return (size_t)-1;
	for (i = 0, p = s; i < n; i++) {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		v[i] = trim_copy(p, (size_t)(comma - p));
		if (v[i] == NULL) {
			while (i > 0)
				free(v[--i]);
			free(v);
			return (size_t)-1;
		}
		p = comma + 1;
	}
	*items = v;
	return n;
}

static int has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* The server-ID rule is raftstate's (rs_server_id_check); here it is told
 * in the words of the flag or JSON path at fault. */
static int check_id(const char *label, const char *id, struct rs_err *err)
{
	switch (rs_server_id_check(id)) {
	case RS_ID_OK:
		return 0;
	case RS_ID_EMPTY:
		return rs_errf(err, RS_EINVAL, "%s is empty", label);
	case RS_ID_DOT:
		return rs_errf(err, RS_EINVAL, "%s is %s, which cannot be a server directory name",
		               label, rs_q(id).s);
	case RS_ID_SLASH:
		return rs_errf(err, RS_EINVAL,
		               "%s %s contains '/', but a server ID becomes a directory name",
		               label, rs_q(id).s);
	case RS_ID_CONTROL:
		return rs_errf(err, RS_EINVAL, "%s %s contains a control character", label,
		               rs_q(id).s);
	default:
		return rs_errf(err, RS_EINVAL,
		               "%s is %zu bytes long; a server ID becomes a directory "
		               "name and may have at most %d",
		               label, strlen(id), RS_SERVER_ID_MAX);
	}
}

/* Splits host:port or [host]:port: the host into host[256] (without the
 * brackets), *port into addr, *ipv6 set for the bracketed form. */
static int split_address(const char *label, const char *addr, char host[256], const char **port,
                         int *ipv6, struct rs_err *err)
{
	const char *end;
	size_t hlen;

	if (addr[0] == '[') {
		end = strchr(addr, ']');
		if (end == NULL)
			return rs_errf(err, RS_EINVAL, "%s %s has '[' without ']'", label,
			               rs_q(addr).s);
		if (end[1] != ':')
			return rs_errf(err, RS_EINVAL, "%s %s is not [ipv6]:port", label,
			               rs_q(addr).s);
		hlen = (size_t)(end - addr - 1);
		*port = end + 2;
		*ipv6 = 1;
		addr++;
	} else {
		end = strrchr(addr, ':');
		if (end == NULL)
			return rs_errf(err, RS_EINVAL,
			               "%s %s is not host:port (the port is missing)", label,
			               rs_q(addr).s);
		hlen = (size_t)(end - addr);
		if (memchr(addr, ':', hlen) != NULL)
			return rs_errf(err, RS_EINVAL,
			               "%s %s has too many colons; write an IPv6 "
			               "address as [addr]:port",
			               label, rs_q(addr).s);
		*port = end + 1;
		*ipv6 = 0;
	}
	if (hlen >= 256)
		return rs_errf(err, RS_EINVAL, "%s has a host of more than %d bytes", label, 255);
	memcpy(host, addr, hlen);
	host[hlen] = '\0';
	return 0;
}

/* An IPv6 host (with an optional %zone): its canonical form, inet_ntop's,
 * into num; *zone points into host. */
static int check_ipv6_host(const char *label, const char *addr, char *host,
                           char num[INET6_ADDRSTRLEN], const char **zone, struct rs_err *err)
{
	char *pct = strchr(host, '%');
	unsigned char bin[16];

	if (pct != NULL) {
		*pct = '\0';
		*zone = pct + 1;
		if (**zone == '\0')
			return rs_errf(err, RS_EINVAL, "%s %s has an empty IPv6 zone", label,
			               rs_q(addr).s);
	}
	if (inet_pton(AF_INET6, host, bin) != 1)
		return rs_errf(err, RS_EINVAL, "%s %s has an invalid IPv6 address %s", label,
		               rs_q(addr).s, rs_q(host).s);
	if (inet_ntop(AF_INET6, bin, num, INET6_ADDRSTRLEN) == NULL)
		return rs_errf(err, RS_EINVAL, "%s %s has an invalid IPv6 address", label,
		               rs_q(addr).s);
	return 0;
}

/* A name or IPv4 host: dotted digits must be an IPv4 address; the host is
 * lower-cased in place. */
static int check_name_host(const char *label, const char *addr, char *host, struct rs_err *err)
{
	unsigned char bin[16];
	int dotted = 1;

	if (strpbrk(host, "[]/") != NULL)
		return rs_errf(err, RS_EINVAL, "%s %s has a host with '[', ']' or '/'", label,
		               rs_q(addr).s);
	for (const char *p = host; *p != '\0'; p++)
		if (*p != '.' && (*p < '0' || *p > '9'))
			dotted = 0;
	if (dotted && inet_pton(AF_INET, host, bin) != 1)
		return rs_errf(err, RS_EINVAL, "%s %s has an invalid IPv4 address %s", label,
		               rs_q(addr).s, rs_q(host).s);
	for (size_t i = 0; host[i] != '\0'; i++)
		if (host[i] >= 'A' && host[i] <= 'Z')
			host[i] = (char)(host[i] - 'A' + 'a');
	return 0;
}

/* The port: decimal digits, 1..65535. */
static int check_port(const char *label, const char *addr, const char *port, unsigned long *out,
                      struct rs_err *err)
{
	unsigned long pv = 0;

	if (*port == '\0')
		return rs_errf(err, RS_EINVAL, "%s %s has an empty port", label, rs_q(addr).s);
	for (const char *p = port; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return rs_errf(err, RS_EINVAL, "%s %s has a port that is not a number",
			               label, rs_q(addr).s);
		pv = pv * 10 + (unsigned long)(*p - '0');
		if (pv > 65535)
			break;
	}
	if (pv < 1 || pv > 65535)
		return rs_errf(err, RS_EINVAL, "%s %s has port %s; ports are 1 to 65535", label,
		               rs_q(addr).s, port);
	*out = pv;
	return 0;
}

/*
 * Checks one host:port and writes a canonical form for duplicate detection
 * into key: lower-cased host (IPv6: inet_ntop's form plus the zone) and the
 * port as a number.
 */
static int check_address(const char *label, const char *addr, char *key, size_t keysize,
                         struct rs_err *err)
{
	char host[256], num[INET6_ADDRSTRLEN];
	const char *port = NULL, *zone = "";
	unsigned long pv = 0;
	int ipv6 = 0, rc;

	if (*addr == '\0')
		return rs_errf(err, RS_EINVAL, "%s is empty", label);
	if (has_control(addr) || strpbrk(addr, " ") != NULL)
		return rs_errf(err, RS_EINVAL, "%s %s contains a space or control character", label,
		               rs_q(addr).s);
	if ((rc = split_address(label, addr, host, &port, &ipv6, err)) != 0)
		return rc;
	if (host[0] == '\0')
		return rs_errf(err, RS_EINVAL, "%s %s has an empty host", label, rs_q(addr).s);
	rc = ipv6 ? check_ipv6_host(label, addr, host, num, &zone, err)
	          : check_name_host(label, addr, host, err);
	if (rc != 0 || (rc = check_port(label, addr, port, &pv, err)) != 0)
		return rc;
	if (snprintf(key, keysize, "%s%s%s|%lu", ipv6 ? num : host, *zone ? "%" : "", zone, pv) >=
	    (int)keysize)
		return rs_errf(err, RS_EINVAL, "%s is too long", label);
	return 0;
}

static void free_list(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* How to name entry idx's ID or address in a message: "--nodes entry 3"
 * for the flags, "FILE: nodes[2].address" for a cluster file. */
static const char *label(char *buf, size_t size, const struct rs_members_names *nm, int is_id,
                         size_t idx)
{
	if (nm->file != NULL)
		(void)snprintf(buf, size, "%s: nodes[%zu].%s", rs_qpath(nm->file).s, idx,
		               is_id ? "id" : "address");
	else
		(void)snprintf(buf, size, "%s entry %zu", is_id ? nm->ids_what : nm->nodes_what,
		               idx + 1);
	return buf;
}

/* One item of --nodes as id=address: the ID is what precedes the first '='. */
static int split_pair(const char *item, char **id, char **addr)
{
	const char *eq = strchr(item, '=');

	*id = trim_copy(item, (size_t)(eq - item));
	*addr = trim_copy(eq + 1, strlen(eq + 1));
	if (*id == NULL || *addr == NULL) {
		free(*id);
		free(*addr);
		*id = *addr = NULL;
		return -1;
	}
	return 0;
}

int rs_members_split(const struct rs_members_input *in, struct rs_members *out,
                     struct rs_members_names *names, struct rs_err *err)
{
	char **addrs = NULL, **ids = NULL;
	size_t na, ni = 0, i, npairs = 0, first_pair = 0, first_plain = 0, nplain = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	names->file = NULL;
	names->nodes_what = in->nodes_what;
	names->ids_what = in->ids_what;
	na = split_list(in->nodes, &addrs);
	if (na == (size_t)-1)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	for (i = 0; i < na; i++) {
		if (strchr(addrs[i], '=') != NULL) {
			if (npairs++ == 0)
				first_pair = i;
		} else if (nplain++ == 0) {
			first_plain = i;
		}
	}
	if (npairs > 0 && npairs < na) {
		rc = rs_errf(
		    err, RS_EINVAL,
		    "%s mixes id=address pairs (entry %zu) and plain addresses (entry %zu); "
		    "use one form",
		    in->nodes_what, first_pair + 1, first_plain + 1);
		goto done;
	}
	if (npairs == 0 && in->ids == NULL) {
		rc = rs_errf(err, RS_EINVAL,
		             "--server-ids is required (or set %s, or give %s as id=address pairs)",
		             in->ids_env, in->nodes_what);
		goto done;
	}
	if (in->ids != NULL) {
		ni = split_list(in->ids, &ids);
		if (ni == (size_t)-1) {
			ni = 0;
			rc = rs_errf(err, RS_ENOMEM, "out of memory");
			goto done;
		}
	}
	if (in->ids != NULL && ni != na) {
		rc = rs_errf(err, RS_EINVAL,
		             "%s has %zu entries but %s has %zu; they must pair up one to one",
		             in->nodes_what, na, in->ids_what, ni);
		goto done;
	}
	if (na > RS_MEMBERS_MAX) {
		rc = rs_errf(err, RS_EINVAL, "%s has %zu entries; at most %d nodes are supported",
		             in->nodes_what, na, RS_MEMBERS_MAX);
		goto done;
	}
	out->m = calloc(na, sizeof(*out->m));
	if (out->m == NULL) {
		rc = rs_errf(err, RS_ENOMEM, "out of memory");
		goto done;
	}
	out->n = na;
	for (i = 0; i < na; i++) {
		if (npairs > 0) {
			if (split_pair(addrs[i], &out->m[i].id, &out->m[i].address) != 0) {
				rc = rs_errf(err, RS_ENOMEM, "out of memory");
				goto done;
			}
			/* --server-ids may repeat the IDs of the pairs, in order */
			if (ids != NULL && strcmp(ids[i], out->m[i].id) != 0) {
				rc = rs_errf(err, RS_EINVAL,
				             "%s entry %zu is %s but %s entry %zu names %s; with "
				             "id=address pairs --server-ids may be left out",
				             in->ids_what, i + 1, rs_q(ids[i]).s, in->nodes_what,
				             i + 1, rs_q(out->m[i].id).s);
				goto done;
			}
		} else {
			out->m[i].id = ids[i];
			out->m[i].address = addrs[i];
			ids[i] = addrs[i] = NULL;
		}
	}
	if (npairs > 0)
		names->ids_what = in->nodes_what;
done:
	if (rc != 0)
		rs_members_free(out);
	free_list(addrs, na);
	free_list(ids, ni);
	return rc;
}

int rs_members_set_nonvoters(struct rs_members *ms, const char *list, const char *what,
                             struct rs_err *err)
{
	char **v = NULL;
	size_t n, i, j;
	int rc = 0;

	for (i = 0; i < ms->n; i++)
		ms->m[i].nonvoter = 0;
	if (*list == '\0')
		return 0; /* --nonvoters "": every member votes */
	n = split_list(list, &v);
	if (n == (size_t)-1)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	for (i = 0; i < n && rc == 0; i++) {
		for (j = 0; j < ms->n; j++)
			if (strcmp(ms->m[j].id, v[i]) == 0)
				break;
		if (*v[i] == '\0')
			rc = rs_errf(err, RS_EINVAL, "%s entry %zu is empty", what, i + 1);
		else if (j == ms->n)
			rc = rs_errf(err, RS_EINVAL, "%s entry %zu %s is not one of the server IDs",
			             what, i + 1, rs_q(v[i]).s);
		else if (ms->m[j].nonvoter)
			rc = rs_errf(err, RS_EINVAL, "%s lists %s twice", what, rs_q(v[i]).s);
		else
			ms->m[j].nonvoter = 1;
	}
	free_list(v, n);
	return rc;
}

int rs_members_first_voter(const struct rs_members *ms, const char *nonvoters, const char **out,
                           struct rs_err *err)
{
	char **v = NULL;
	size_t n = 0;

	*out = NULL;
	if (nonvoters != NULL && (n = split_list(nonvoters, &v)) == (size_t)-1)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	for (size_t i = 0; i < ms->n && *out == NULL; i++) {
		int nv = nonvoters == NULL ? ms->m[i].nonvoter : 0;

		for (size_t j = 0; j < n && !nv; j++)
			nv = strcmp(v[j], ms->m[i].id) == 0;
		if (!nv)
			*out = ms->m[i].id;
	}
	free_list(v, n);
	return 0;
}

int rs_members_validate(struct rs_members *ms, const struct rs_members_names *nm,
                        const char *leader, const char *leader_what, const char *nonvoters,
                        const char *nonvoters_what, struct rs_err *err)
{
	char **keys = NULL, la[4400], lb[4400];
	size_t i, j, n = ms->n;
	int rc = 0;

	if (n == 0)
		return rs_errf(err, RS_EINVAL, "%s lists no nodes", nm->nodes_what);
	for (i = 0; i < n && rc == 0; i++)
		rc = check_id(label(la, sizeof(la), nm, 1, i), ms->m[i].id, err);
	for (i = 0; i < n && rc == 0; i++)
		for (j = i + 1; j < n && rc == 0; j++) {
			if (strcmp(ms->m[i].id, ms->m[j].id) != 0)
				continue;
			if (nm->file == NULL)
				rc = rs_errf(err, RS_EINVAL,
				             "%s lists %s twice (entries %zu and %zu)",
				             nm->ids_what, rs_q(ms->m[i].id).s, i + 1, j + 1);
			else
				rc = rs_errf(err, RS_EINVAL, "%s repeats the server ID %s of %s",
				             label(la, sizeof(la), nm, 1, j), rs_q(ms->m[i].id).s,
				             label(lb, sizeof(lb), nm, 1, i));
		}
	if (rc != 0)
		return rc;

	keys = calloc(n, sizeof(*keys));
	if (keys == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	for (i = 0; i < n && rc == 0; i++) {
		keys[i] = malloc(512);
		if (keys[i] == NULL)
			rc = rs_errf(err, RS_ENOMEM, "out of memory");
		else
			rc = check_address(label(la, sizeof(la), nm, 0, i), ms->m[i].address,
			                   keys[i], 512, err);
	}
	for (i = 0; i < n && rc == 0; i++)
		for (j = i + 1; j < n && rc == 0; j++) {
			if (strcmp(keys[i], keys[j]) != 0)
				continue;
			if (nm->file == NULL)
				rc = rs_errf(
				    err, RS_EINVAL,
				    "%s lists the same address twice (entries %zu %s and %zu %s)",
				    nm->nodes_what, i + 1, rs_q(ms->m[i].address).s, j + 1,
				    rs_q(ms->m[j].address).s);
			else
				rc = rs_errf(
				    err, RS_EINVAL, "%s %s is the same address as %s %s",
				    label(la, sizeof(la), nm, 0, j), rs_q(ms->m[j].address).s,
				    label(lb, sizeof(lb), nm, 0, i), rs_q(ms->m[i].address).s);
		}
	free_list(keys, n);
	if (rc == 0 && nonvoters != NULL)
		rc = rs_members_set_nonvoters(ms, nonvoters, nonvoters_what, err);
	if (rc != 0)
		return rc;

	for (i = 0; i < n; i++)
		if (strcmp(ms->m[i].id, leader) == 0)
			break;
	if (i == n)
		return rs_errf(err, RS_EINVAL, "%s %s is not one of the server IDs in %s",
		               leader_what, rs_q(leader).s, nm->ids_what);
	if (ms->m[i].nonvoter) {
		if (nonvoters == NULL && nm->file != NULL)
			(void)snprintf(la, sizeof(la), "%s: nodes[%zu].suffrage",
			               rs_qpath(nm->file).s, i);
		else
			(void)snprintf(la, sizeof(la), "listed in %s", nonvoters_what);
		return rs_errf(err, RS_EINVAL,
		               "%s %s is a nonvoter (%s); a nonvoter cannot be the initial leader: "
		               "name a voter",
		               leader_what, rs_q(leader).s, la);
	}
	ms->leader = i;
	return 0;
}
