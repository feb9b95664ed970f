# Included by the install step (install(CODE) in CMakeLists.txt) with
# OCI_SYSTEMD_DIR (examples/systemd) and OCI_STAGE (a scratch directory of
# the build) set: installs op-conductor-raft-init.service and its
# environment file op-conductor-init.env. Where they go depends on the
# prefix of *this* install, known only now (cpack installs with /usr, a
# user with whatever --prefix says):
#   prefix /usr (Debian, the .deb): /lib/systemd/system/ (bookworm's
#     systemdsystemunitdir: `pkg-config --variable=systemdsystemunitdir
#     systemd`) and /etc/default/op-conductor-init, the path the unit names
#     (sysconfdir is /etc for /usr, as GNUInstallDirs has it);
#   any other prefix P: P/lib/systemd/system/ (systemd reads
#     /usr/local/lib/systemd/system too) and P/etc/default/, with the
#     unit's /usr/bin and /etc/default paths rewritten to P's.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(unitdir /lib/systemd/system)
  set(etcdir /etc/default)
else()
  set(unitdir ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
  set(etcdir ${CMAKE_INSTALL_PREFIX}/etc/default)
endif()
file(READ ${OCI_SYSTEMD_DIR}/op-conductor-raft-init.service unit)
string(REPLACE "/usr/bin/op-conductor-init" "${CMAKE_INSTALL_PREFIX}/bin/op-conductor-init" unit "${unit}")
string(REPLACE "/etc/default/op-conductor-init" "${etcdir}/op-conductor-init" unit "${unit}")
file(MAKE_DIRECTORY ${OCI_STAGE})
file(WRITE ${OCI_STAGE}/op-conductor-raft-init.service "${unit}")
file(INSTALL ${OCI_STAGE}/op-conductor-raft-init.service DESTINATION ${unitdir}
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL ${OCI_SYSTEMD_DIR}/op-conductor-init.env DESTINATION ${etcdir}
     RENAME op-conductor-init PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
