// SPDX-License-Identifier: MIT
//
// The library's logger. bulkscore logs lifecycle events and problems (never per node at info
// level) through the spdlog logger named `bulkscore`. A host redirects or silences it by
// registering its own logger under that name before using the library, or by `set_logger`.
// The library itself installs no sinks: its default logger writes nowhere.
//
// Thread safety: `logger()` and `set_logger()` may be called from any thread.

#pragma once

#include <memory>

#include <spdlog/logger.h>

namespace bulkscore {

/// The name of the library's logger in spdlog's registry.
inline constexpr const char* kLoggerName = "bulkscore";

/// The logger the library writes to: the one registered as `bulkscore`, else one without sinks.
std::shared_ptr<spdlog::logger> logger();

/// Makes `replacement` the library's logger (registered as `bulkscore`); null restores the
/// silent default.
void set_logger(std::shared_ptr<spdlog::logger> replacement);

}  // namespace bulkscore
