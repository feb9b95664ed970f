/*
 * The cluster model (cluster.h): the server-ID rule, members to
 * raft.Configuration.
 */
#include <stdlib.h>
#include <string.h>

#include "raftstate/cluster.h"

void rs_members_free(struct rs_members *ms)
{
	if (ms->m != NULL)
		for (size_t i = 0; i < ms->n; i++) {
			free(ms->m[i].id);
			free(ms->m[i].address);
		}
	free(ms->m);
	memset(ms, 0, sizeof(*ms));
}

int rs_server_id_check(const char *id)
{
	size_t len = strlen(id);

	if (len == 0)
		return RS_ID_EMPTY;
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return RS_ID_DOT;
	if (strchr(id, '/') != NULL)
		return RS_ID_SLASH;
	for (const char *s = id; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return RS_ID_CONTROL;
	if (len > RS_SERVER_ID_MAX)
		return RS_ID_LONG;
	return RS_ID_OK;
}

int rs_members_config(const struct rs_members *ms, struct rs_config *out, struct rs_err *err)
{
	out->n = 0;
	out->servers = calloc(ms->n ? ms->n : 1, sizeof(*out->servers));
	if (out->servers == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	for (size_t i = 0; i < ms->n; i++) {
		struct rs_server *s = &out->servers[i];

		s->suffrage = ms->m[i].nonvoter ? RS_NONVOTER : RS_VOTER;
		s->id = ms->m[i].id;
		s->id_len = strlen(ms->m[i].id);
		s->address = ms->m[i].address;
		s->address_len = strlen(ms->m[i].address);
	}
	out->n = ms->n;
	return RS_OK;
}

void rs_members_config_free(struct rs_config *c)
{
	free(c->servers);
	c->servers = NULL;
	c->n = 0;
}
