// SPDX-License-Identifier: MIT

#include "bulkscore/logging.hpp"

#include <mutex>
#include <vector>

#include <spdlog/spdlog.h>

namespace bulkscore {
namespace {

std::mutex& logger_mutex() {
    static std::mutex mutex;
    return mutex;
}

}  // namespace

std::shared_ptr<spdlog::logger> logger() {
    if (auto registered = spdlog::get(kLoggerName)) {
        return registered;
    }
    const std::lock_guard lock(logger_mutex());
    if (auto registered = spdlog::get(kLoggerName)) {
        return registered;
    }
    auto silent = std::make_shared<spdlog::logger>(kLoggerName, spdlog::sinks_init_list{});
    spdlog::register_logger(silent);
    return silent;
}

void set_logger(std::shared_ptr<spdlog::logger> replacement) {
    const std::lock_guard lock(logger_mutex());
    spdlog::drop(kLoggerName);
    if (!replacement) {
        replacement = std::make_shared<spdlog::logger>(kLoggerName, spdlog::sinks_init_list{});
    }
    if (replacement->name() != kLoggerName) {
        replacement = replacement->clone(kLoggerName);
    }
    spdlog::register_logger(std::move(replacement));
}

}  // namespace bulkscore
