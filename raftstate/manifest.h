/*
 * A backup's MANIFEST.json, written and read in one place (the layout of a
 * backup: backup.h):
 *
 *   {
 *     "format": "op-conductor-init-backup/1",       (required on input)
 *     "tool", "version", "created", "source",       (written; ignored on input)
 *     "layout": "node" | "cluster",                 (required)
 *     "nodes": ["<server-id>", ...],                (written; on input only the
 *                                                    node of a node layout)
 *     "files": [ {"path": "<relative path>",        (required, each:)
 *                 "size": <bytes>, "crc32": <uint32>,
 *                 "txid", "pages", "copy",          (databases; ignored on input)
 *                 "compression": "gzip",            (optional, with:)
 *                 "stored_path": "<path>.gz", "stored_size": <bytes>}, ... ]
 *   }
 *
 * The reader is strict (raftstate/json.h: one document, no NUL, no key
 * twice) and every refusal names the JSON path ("files[2].size must be an
 * integer from 0 to 2^53"). A MANIFEST.json that exists but is not a
 * regular file (a directory, a FIFO, a symbolic link) is a refusal, never
 * read as "no manifest" (which would skip every checksum).
 */
#ifndef RAFTSTATE_MANIFEST_H
#define RAFTSTATE_MANIFEST_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "raftstate/backup.h"
#include "raftstate/error.h"

#define RS_MANIFEST_MAX (64u << 20) /* bytes; far above any real backup */

struct rs_manifest {
	int layout; /* RS_LAYOUT_* */
	/* written: the tool version, RFC 3339 time, absolute source, nodes */
	const char *version, *created, *source;
	char **nodes;
	size_t nnodes;
	/* read: the server ID a node-layout backup was made of (nodes[0], the
	 * name of its source directory); "" when not recorded or not a valid
	 * server ID */
	char node[256];
	/* read: path, size, crc32, compressed, stored_size of each entry;
	 * written: those and is_db, live, txid, pages */
	struct rs_backup_file *files;
	size_t nfiles;
};

/* Whether backup holds a manifest: 1 (a regular file), 0 (none), or
 * RS_ECORRUPT ("refusing backup B: MANIFEST.json is a directory, not a
 * regular file") / RS_EIO, as a negative value with err filled. */
int rs_manifest_present(const char *backup, struct rs_err *err);

/* Reads backup/MANIFEST.json into m (layout, files; the rest NULL). Each
 * entry's paths are checked to stay inside the backup; the files
 * themselves are not looked at. RS_ECORRUPT with one sentence naming the
 * file and the JSON path. Free with rs_manifest_free. */
int rs_manifest_read(const char *backup, struct rs_manifest *m, struct rs_err *err);
/* The same for a document in memory, as if read from backup/MANIFEST.json. */
int rs_manifest_parse(const char *text, size_t len, const char *backup, struct rs_manifest *m,
                      struct rs_err *err);
void rs_manifest_free(struct rs_manifest *m);

/* One entry of "files", as the manifest writes it (backup --json prints
 * the same objects); NULL when out of memory. */
cJSON *rs_manifest_file_json(const struct rs_backup_file *bf);

/* The document for m, indented, with a final newline; NULL when out of
 * memory. free() it. */
char *rs_manifest_text(const struct rs_manifest *m);

#endif
