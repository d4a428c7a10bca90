// SPDX-License-Identifier: MIT

#include "sinks/posix_file.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

namespace bulkscore::detail {

Status file_io_error(std::string_view what, const std::filesystem::path& path, int error) {
    std::string message =
        fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(error));
    if (error == ENOSPC || error == EDQUOT) {
        return resource_exhausted_error(message + "; free some space and resume");
    }
    if (error == ENOENT) {
        return not_found_error(std::move(message));
    }
    return internal_error(std::move(message));
}

Status write_all(int fd, std::string_view text, const std::filesystem::path& path) {
    while (!text.empty()) {
        const ssize_t wrote = ::write(fd, text.data(), text.size());
        if (wrote < 0) {
            if (errno == EINTR) {
                continue;
            }
            return file_io_error("write", path, errno);
        }
        text.remove_prefix(static_cast<std::size_t>(wrote));
    }
    return ok_status();
}

Status sync_directory(const std::filesystem::path& path) {
    std::filesystem::path directory = path.parent_path();
    if (directory.empty()) {
        directory = ".";
    }
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return file_io_error("open the directory of", path, errno);
    }
    const int rc = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    // Some file systems cannot fsync a directory; the data itself is synced, so go on.
    if (rc != 0 && error != EINVAL && error != EBADF) {
        return file_io_error("sync the directory of", path, error);
    }
    return ok_status();
}

}  // namespace bulkscore::detail
