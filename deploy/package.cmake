# Debian package (issue 10): `make package` (cpack -G DEB in the build directory) packs the
# already-built kamatama binary, the packaged configuration, the systemd unit and the docs.
# Included from the top CMakeLists.txt.

# `cpack` installs without building everything first: the package needs only the binary.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# The packaged configuration is deploy/kamatama.yaml with the paths and ports of a server.
file(READ ${CMAKE_SOURCE_DIR}/deploy/kamatama.yaml KMT_PKG_YAML)
string(REPLACE "data_dir: ./data" "data_dir: /var/lib/kamatama" KMT_PKG_YAML "${KMT_PKG_YAML}")
string(REPLACE "  udp: 127.0.0.1:5514" "  udp: 0.0.0.0:514" KMT_PKG_YAML "${KMT_PKG_YAML}")
string(REPLACE "  tcp: 127.0.0.1:5514" "  tcp: 0.0.0.0:514" KMT_PKG_YAML "${KMT_PKG_YAML}")
string(REPLACE "# kamatama configuration." "# kamatama configuration (Debian package: /etc/kamatama/kamatama.yaml; reload: systemctl reload kamatama)." KMT_PKG_YAML "${KMT_PKG_YAML}")
file(WRITE ${CMAKE_BINARY_DIR}/package/kamatama.yaml "${KMT_PKG_YAML}")
file(WRITE ${CMAKE_BINARY_DIR}/package/conffiles "/etc/kamatama/kamatama.yaml\n")
foreach(script postinst prerm postrm)
  configure_file(${CMAKE_SOURCE_DIR}/deploy/debian/${script} ${CMAKE_BINARY_DIR}/package/${script} COPYONLY)
endforeach()

install(FILES ${CMAKE_BINARY_DIR}/package/kamatama.yaml DESTINATION /etc/kamatama)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/kamatama.service DESTINATION /lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/docs/operations.md
  ${CMAKE_SOURCE_DIR}/docs/configuration.md ${CMAKE_SOURCE_DIR}/docs/api.md ${CMAKE_SOURCE_DIR}/docs/security.md
  ${CMAKE_SOURCE_DIR}/docs/shippers.md ${CMAKE_SOURCE_DIR}/docs/query.md ${CMAKE_SOURCE_DIR}/store/FORMAT.md
  DESTINATION share/doc/kamatama)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kamatama)
set(CPACK_PACKAGE_VENDOR kamatama)
set(CPACK_PACKAGE_CONTACT "kamatama maintainers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "small self-contained SIEM: syslog and HTTP log collection, storage and search")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Runtime libraries (RocksDB, Boost, simdjson, RE2, fmt, yaml-cpp, zstd, libsystemd, libarchive,
# OpenSSL, ...) are found by dpkg-shlibdeps from the binary; adduser runs in postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_BINARY_DIR}/package/conffiles ${CMAKE_BINARY_DIR}/package/postinst
  ${CMAKE_BINARY_DIR}/package/prerm ${CMAKE_BINARY_DIR}/package/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
