# Images of the static op-conductor-init (`just static` first: it writes
# build-static/op-conductor-init, one ELF without shared libraries).
#
#   just static && docker build -t op-conductor-init .              # FROM scratch: the binary only
#   docker build --target tools -t op-conductor-init:tools .         # the binary + busybox (cp, sh)
#
# The default image (the last stage) holds nothing but the binary; use it for
# `raft generate` in an init container (examples/kubernetes/pregenerated.yaml)
# and for `docker run`. The `tools` image adds busybox, for an init container
# that copies the binary into a volume another image runs it from
# (examples/kubernetes/bootstrap.yaml). Use numeric --chown UID:GID in both:
# a static binary resolves user names only where the system's NSS is present.
FROM busybox:1.36-musl AS tools
COPY build-static/op-conductor-init /usr/local/bin/op-conductor-init
ENTRYPOINT ["/usr/local/bin/op-conductor-init"]

FROM scratch
COPY build-static/op-conductor-init /usr/local/bin/op-conductor-init
USER 0
ENTRYPOINT ["/usr/local/bin/op-conductor-init"]
