// SPDX-License-Identifier: MIT
//
// The few POSIX file operations the file sink and the file checkpoint store share: writing a
// whole buffer, making a directory entry durable, and turning an errno into a `Status` whose
// message names the file and what to do.
//
// Thread safety: plain functions; safe from any thread on distinct descriptors.

#pragma once

#include <filesystem>
#include <string_view>

#include "bulkscore/status.hpp"

namespace bulkscore::detail {

/// The mode files are created with, before the user's umask: read for all, write for the owner
/// and the group. Others never get write, even under `umask 000`.
inline constexpr unsigned kCreatedFileMode = 0664;

/// `"cannot <what> <path>: <strerror>"` as a status: `resource_exhausted` for a full disk or
/// quota (saying to free space and resume), `not_found` for a missing path, `internal` otherwise.
Status file_io_error(std::string_view what, const std::filesystem::path& path, int error);

/// Writes all of `text` to `fd`, retrying short and interrupted writes. `path` names the file
/// in errors.
Status write_all(int fd, std::string_view text, const std::filesystem::path& path);

/// Fsyncs the directory holding `path`, so that a file just created or renamed there survives
/// a power loss. File systems that cannot fsync a directory are accepted as they are.
Status sync_directory(const std::filesystem::path& path);

}  // namespace bulkscore::detail
