/*
 * The node-state model shared by verify and info: identity (the directory
 * name is the server ID, as op-conductor lays out <storage-dir>/<id>/),
 * membership lookups, cleanup.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <bsd/string.h>

#include "bolt/view.h"
#include "raftstate/node.h"

void rs_node_free(struct rs_node *n)
{
	rs_config_free(&n->config);
	rs_snapshots_free(&n->snapshots);
}

const struct rs_server *rs_config_find(const struct rs_config *c, const char *who, size_t len)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_server *s = &c->servers[i];

		if ((s->id_len == len && memcmp(s->id, who, len) == 0) ||
		    (s->address_len == len && memcmp(s->address, who, len) == 0))
			return s;
	}
	return NULL;
}

int rs_node_init(struct rs_node *n, const char *dir, struct rs_err *err)
{
	struct stat st;
	const char *base;
	size_t len;

	memset(n, 0, sizeof(*n));
	if (stat(dir, &st) != 0)
		return rs_errf(err, RS_ENOTFOUND, "cannot open state directory %s: %s", dir,
		               strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return rs_errf(err, RS_EINVAL, "%s is not a directory", dir);
	if (strlcpy(n->dir, dir, sizeof(n->dir)) >= sizeof(n->dir))
		return rs_errf(err, RS_EINVAL, "path too long: %s", dir);
	len = strlen(n->dir);
	while (len > 1 && n->dir[len - 1] == '/')
		n->dir[--len] = 0;
	base = strrchr(n->dir, '/');
	strlcpy(n->id, base ? base + 1 : n->dir, sizeof(n->id));
	return RS_OK;
}

void rs_file_info_fill(struct rs_file_info *fi, const struct bolt_view *bv)
{
	fi->present = 1;
	fi->file_size = bv->file_size;
	fi->page_size = bv->page_size;
	fi->txid = bv->meta.txid;
	fi->hwm = bv->meta.pgid;
	fi->active_meta = bv->active;
	fi->meta_status[0] = bv->meta_status[0];
	fi->meta_status[1] = bv->meta_status[1];
}

int rs_err_from_bolt(struct rs_err *err, const struct bolt_err *be)
{
	int code, rc;

	switch (be->code) {
	case BOLT_ELOCKED:
		code = RS_ELOCKED;
		break;
	case BOLT_ENOMEM:
		code = RS_ENOMEM;
		break;
	case BOLT_ENOTFOUND:
		code = RS_ENOTFOUND;
		break;
	case BOLT_EINVAL:
		code = RS_EINVAL;
		break;
	case BOLT_ECORRUPT:
		code = RS_ECORRUPT;
		break;
	case BOLT_ELIMIT:
		code = RS_ELIMIT;
		break;
	case BOLT_EEXIST:
		code = RS_EEXIST;
		break;
	default: /* BOLT_EIO, BOLT_ECHANGED */
		code = RS_EIO;
	}
	rc = rs_errf(err, code, "%s", be->msg);
	if (err != NULL)
		err->sys_errno = be->sys_errno;
	return rc;
}
