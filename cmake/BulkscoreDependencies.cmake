# Finds the fixed stack: Debian 12's Boost 1.81 (never the 1.74 default), fmt 9, spdlog 1.10,
# SQLite 3.40, CLI11 and, for the tests, Catch2 2.13. scripts/install-deps installs them.

include(GNUInstallDirs)

set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
find_package(Boost 1.81.0 EXACT REQUIRED CONFIG COMPONENTS json)
find_package(fmt 9 REQUIRED CONFIG)
find_package(spdlog 1.10 REQUIRED CONFIG)
find_package(SQLite3 3.40 REQUIRED)
find_package(CLI11 2 REQUIRED CONFIG)
