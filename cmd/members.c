#include "cmd/members.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/command.h"
#include "cmd/report.h"

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

static int check_id(const struct oci_command *cmd, const char *what, size_t idx, const char *id)
{
	size_t len = strlen(id);

	if (len == 0)
		return oci_usage(cmd, "%s entry %zu is empty", what, idx + 1);
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return oci_usage(cmd, "%s entry %zu is %s, which cannot be a server directory name",
		                 what, idx + 1, oci_q(id).s);
	if (strchr(id, '/') != NULL)
		return oci_usage(
		    cmd, "%s entry %zu %s contains '/', but a server ID becomes a directory name",
		    what, idx + 1, oci_q(id).s);
	if (has_control(id))
		return oci_usage(cmd, "%s entry %zu %s contains a control character", what, idx + 1,
		                 oci_q(id).s);
	if (len > MEMBER_ID_MAX)
		return oci_usage(cmd,
		                 "%s entry %zu is %zu bytes long; a server ID becomes a directory "
		                 "name and may have at most %d",
		                 what, idx + 1, len, MEMBER_ID_MAX);
	return 0;
}

/*
 * Checks one host:port and writes a canonical form for duplicate detection
 * into key: lower-cased host (IPv6: inet_ntop's form plus the zone) and the
 * port as a number.
 */
static int check_address(const struct oci_command *cmd, const char *what, size_t idx,
                         const char *addr, char *key, size_t keysize)
{
	char host[256], num[INET6_ADDRSTRLEN];
	const char *port, *p, *zone = "";
	unsigned long pv = 0;
	size_t hlen, i;
	int ipv6 = 0, dotted = 1;
	unsigned char bin[16];

	if (*addr == '\0')
		return oci_usage(cmd, "%s entry %zu is empty", what, idx + 1);
	if (has_control(addr) || strpbrk(addr, " ") != NULL)
		return oci_usage(cmd, "%s entry %zu %s contains a space or control character", what,
		                 idx + 1, oci_q(addr).s);
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');

		if (close == NULL)
			return oci_usage(cmd, "%s entry %zu %s has '[' without ']'", what, idx + 1,
			                 oci_q(addr).s);
		if (close[1] != ':')
			return oci_usage(cmd, "%s entry %zu %s is not [ipv6]:port", what, idx + 1,
			                 oci_q(addr).s);
		hlen = (size_t)(close - addr - 1);
		if (hlen >= sizeof(host))
			return oci_usage(cmd, "%s entry %zu has a host of more than %zu bytes",
			                 what, idx + 1, sizeof(host) - 1);
		memcpy(host, addr + 1, hlen);
		host[hlen] = '\0';
		port = close + 2;
		ipv6 = 1;
	} else {
		const char *colon = strrchr(addr, ':');

		if (colon == NULL)
			return oci_usage(cmd,
			                 "%s entry %zu %s is not host:port (the port is missing)",
			                 what, idx + 1, oci_q(addr).s);
		hlen = (size_t)(colon - addr);
		if (memchr(addr, ':', hlen) != NULL)
			return oci_usage(cmd,
			                 "%s entry %zu %s has too many colons; write an IPv6 "
			                 "address as [addr]:port",
			                 what, idx + 1, oci_q(addr).s);
		if (hlen >= sizeof(host))
			return oci_usage(cmd, "%s entry %zu has a host of more than %zu bytes",
			                 what, idx + 1, sizeof(host) - 1);
		memcpy(host, addr, hlen);
		host[hlen] = '\0';
		port = colon + 1;
	}

	if (hlen == 0)
		return oci_usage(cmd, "%s entry %zu %s has an empty host", what, idx + 1,
		                 oci_q(addr).s);
	if (ipv6) {
		char *pct = strchr(host, '%');

		if (pct != NULL) {
			*pct = '\0';
			zone = pct + 1;
			if (*zone == '\0')
				return oci_usage(cmd, "%s entry %zu %s has an empty IPv6 zone",
				                 what, idx + 1, oci_q(addr).s);
		}
		if (inet_pton(AF_INET6, host, bin) != 1)
			return oci_usage(cmd, "%s entry %zu %s has an invalid IPv6 address %s",
			                 what, idx + 1, oci_q(addr).s, oci_q(host).s);
		if (inet_ntop(AF_INET6, bin, num, sizeof(num)) == NULL)
			return oci_usage(cmd, "%s entry %zu %s has an invalid IPv6 address", what,
			                 idx + 1, oci_q(addr).s);
	} else {
		if (strpbrk(host, "[]/") != NULL)
			return oci_usage(cmd, "%s entry %zu %s has a host with '[', ']' or '/'",
			                 what, idx + 1, oci_q(addr).s);
		for (p = host; *p != '\0'; p++)
			if (*p != '.' && (*p < '0' || *p > '9'))
				dotted = 0;
		if (dotted && inet_pton(AF_INET, host, bin) != 1)
			return oci_usage(cmd, "%s entry %zu %s has an invalid IPv4 address %s",
			                 what, idx + 1, oci_q(addr).s, oci_q(host).s);
		for (i = 0; host[i] != '\0'; i++)
			if (host[i] >= 'A' && host[i] <= 'Z')
				host[i] = (char)(host[i] - 'A' + 'a');
	}

	if (*port == '\0')
		return oci_usage(cmd, "%s entry %zu %s has an empty port", what, idx + 1,
		                 oci_q(addr).s);
	for (p = port; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return oci_usage(cmd, "%s entry %zu %s has a port that is not a number",
			                 what, idx + 1, oci_q(addr).s);
		pv = pv * 10 + (unsigned long)(*p - '0');
		if (pv > 65535)
			break;
	}
	if (pv < 1 || pv > 65535)
		return oci_usage(cmd, "%s entry %zu %s has port %s; ports are 1 to 65535", what,
		                 idx + 1, oci_q(addr).s, port);

	if (snprintf(key, keysize, "%s%s%s|%lu", ipv6 ? num : host, *zone ? "%" : "", zone, pv) >=
	    (int)keysize)
		return oci_usage(cmd, "%s entry %zu is too long", what, idx + 1);
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

int members_parse(const struct oci_command *cmd, const struct members_input *in,
                  struct members *out)
{
	char **addrs = NULL, **ids = NULL, **keys = NULL;
	size_t na, ni, i, j;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	na = split_list(in->nodes, &addrs);
	ni = split_list(in->ids, &ids);
	if (na == (size_t)-1 || ni == (size_t)-1) {
		rc = oci_fail(cmd, "out of memory");
		goto done;
	}
	if (na != ni) {
		rc = oci_usage(cmd,
		               "%s has %zu entries but %s has %zu; they must pair up one to one",
		               in->nodes_what, na, in->ids_what, ni);
		goto done;
	}
	if (na > MEMBERS_MAX) {
		rc = oci_usage(cmd, "%s has %zu entries; at most %d nodes are supported",
		               in->nodes_what, na, MEMBERS_MAX);
		goto done;
	}

	for (i = 0; i < ni && rc == 0; i++)
		rc = check_id(cmd, in->ids_what, i, ids[i]);
	for (i = 0; i < ni && rc == 0; i++)
		for (j = i + 1; j < ni && rc == 0; j++)
			if (strcmp(ids[i], ids[j]) == 0)
				rc = oci_usage(cmd, "%s lists %s twice (entries %zu and %zu)",
				               in->ids_what, oci_q(ids[i]).s, i + 1, j + 1);
	if (rc != 0)
		goto done;

	keys = calloc(na, sizeof(*keys));
	if (keys == NULL) {
		rc = oci_fail(cmd, "out of memory");
		goto done;
	}
	for (i = 0; i < na && rc == 0; i++) {
		keys[i] = malloc(512);
		if (keys[i] == NULL)
			rc = oci_fail(cmd, "out of memory");
		else
			rc = check_address(cmd, in->nodes_what, i, addrs[i], keys[i], 512);
	}
	for (i = 0; i < na && rc == 0; i++)
		for (j = i + 1; j < na && rc == 0; j++)
			if (strcmp(keys[i], keys[j]) == 0)
				rc = oci_usage(
				    cmd,
				    "%s lists the same address twice (entries %zu %s and %zu %s)",
				    in->nodes_what, i + 1, oci_q(addrs[i]).s, j + 1,
				    oci_q(addrs[j]).s);
	if (rc != 0)
		goto done;

	for (i = 0; i < ni; i++)
		if (strcmp(ids[i], in->leader) == 0)
			break;
	if (i == ni) {
		rc = oci_usage(cmd, "%s %s is not one of the server IDs in %s", in->leader_what,
		               oci_q(in->leader).s, in->ids_what);
		goto done;
	}
	out->leader = i;

	out->m = calloc(na, sizeof(*out->m));
	if (out->m == NULL) {
		rc = oci_fail(cmd, "out of memory");
		goto done;
	}
	for (i = 0; i < na; i++) {
		out->m[i].id = ids[i];
		out->m[i].address = addrs[i];
		ids[i] = addrs[i] = NULL;
	}
	out->n = na;
done:
	free_list(keys, keys != NULL ? na : 0);
	free_list(addrs, na == (size_t)-1 ? 0 : na);
	free_list(ids, ni == (size_t)-1 ? 0 : ni);
	return rc;
}

void members_free(struct members *ms)
{
	size_t i;

	for (i = 0; i < ms->n; i++) {
		free(ms->m[i].id);
		free(ms->m[i].address);
	}
	free(ms->m);
	memset(ms, 0, sizeof(*ms));
}
