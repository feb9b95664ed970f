/*
 * `op-conductor-init --version [--json]`: what this binary is and what it
 * was built from: the version, the git commit (with -dirty), the build date
 * (reproducible: SOURCE_DATE_EPOCH, else the commit's date), the libraries
 * it was compiled against (and, where the library can say, the one it runs
 * with) and the license (cmd/version.c; the commit and date come from the
 * header cmake/buildinfo.cmake writes at build time).
 */
#ifndef CMD_VERSION_H
#define CMD_VERSION_H

/* argv[0..argc) are the words after --version. Returns the exit code. */
int oci_version(int argc, char **argv);

#endif
