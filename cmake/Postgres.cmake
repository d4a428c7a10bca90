# BULKSCORE_WITH_POSTGRES: the PostgreSQL store (src/pg/), built on libpq found through
# pkg-config. On by default when libpq is found (scripts/install-deps --pg installs it), off
# otherwise; asking for it without libpq is an error that says what to install.
#
# Defines the imported target PkgConfig::BULKSCORE_LIBPQ when enabled.

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
    pkg_check_modules(BULKSCORE_LIBPQ QUIET IMPORTED_TARGET libpq>=12)
endif()

set(bulkscore_postgres_default OFF)
if(BULKSCORE_LIBPQ_FOUND)
    set(bulkscore_postgres_default ON)
endif()
option(BULKSCORE_WITH_POSTGRES "Build the PostgreSQL store (needs libpq)"
    ${bulkscore_postgres_default})

if(BULKSCORE_WITH_POSTGRES AND NOT BULKSCORE_LIBPQ_FOUND)
    message(FATAL_ERROR
        "BULKSCORE_WITH_POSTGRES is ON but libpq (>= 12) was not found through pkg-config: "
        "install it with `scripts/install-deps --pg` (Debian: libpq-dev pkg-config), or "
        "configure with -DBULKSCORE_WITH_POSTGRES=OFF")
endif()
if(BULKSCORE_WITH_POSTGRES)
    message(STATUS "bulkscore: PostgreSQL store enabled (libpq ${BULKSCORE_LIBPQ_VERSION})")
elseif(BULKSCORE_LIBPQ_FOUND)
    message(STATUS "bulkscore: PostgreSQL store disabled (BULKSCORE_WITH_POSTGRES=OFF)")
else()
    message(STATUS "bulkscore: PostgreSQL store disabled (libpq not found)")
endif()
