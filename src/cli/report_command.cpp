// SPDX-License-Identifier: MIT
//
// `bulkscore report`: writes the HTML report of a SQLite database (html_report.hpp) to one
// self-contained file. The file is written beside its final name and renamed into place, so a
// browser or a crash never sees half a report.
//
// Thread safety: runs on the main thread only.

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include <fmt/format.h>
#include <fmt/std.h>

#include "bulkscore/html_report.hpp"

#include "cli/commands.hpp"

namespace bulkscore::cli {
namespace {

// Writes `html` to a temporary file beside `out` and renames it over `out`.
int write_report(const std::filesystem::path& out, const std::string& html) {
    const std::filesystem::path parent = out.has_parent_path() ? out.parent_path() : ".";
    std::error_code error;
    if (!std::filesystem::is_directory(parent, error)) {
        fmt::print(stderr, "bulkscore report: cannot write {}: directory {} does not exist\n", out,
                   parent);
        return kExitUsage;
    }
    std::filesystem::path temporary = out;
    temporary += ".partial";
    std::FILE* file = std::fopen(temporary.c_str(), "wb");
    if (file == nullptr) {
        fmt::print(stderr, "bulkscore report: cannot write {}: {}\n", temporary,
                   std::strerror(errno));
        return kExitUsage;
    }
    const bool written = std::fwrite(html.data(), 1, html.size(), file) == html.size();
    const int saved_errno = errno;
    if (std::fclose(file) != 0 || !written) {
        fmt::print(stderr, "bulkscore report: writing {} failed: {}\n", temporary,
                   std::strerror(written ? errno : saved_errno));
        std::filesystem::remove(temporary, error);
        return kExitFailed;
    }
    std::filesystem::rename(temporary, out, error);
    if (error) {
        fmt::print(stderr, "bulkscore report: cannot move {} to {}: {}\n", temporary, out,
                   error.message());
        std::filesystem::remove(temporary, error);
        return kExitFailed;
    }
    return kExitOk;
}

// "1,234,567", as the other commands print counts.
std::string grouped(std::uint64_t value) {
    std::string digits = std::to_string(value);
    for (std::size_t at = digits.size(); at > 3; at -= 3) {
        digits.insert(at - 3, 1, ',');
    }
    return digits;
}

}  // namespace

int run_report(const ReportArgs& args) {
    const auto start = std::chrono::steady_clock::now();
    ReportQuery query;
    query.top = args.top;
    if (!args.job.empty()) {
        query.job = args.job;
    }
    auto data = read_report_data(args.db, query);
    if (!data.ok()) {
        fmt::print(stderr, "bulkscore report: {}\n", data.status().message());
        return exit_code_for_read(data.status());
    }
    const std::string html = render_html_report(*data);
    if (const int code = write_report(args.out, html); code != kExitOk) {
        return code;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print(
        "wrote {} ({:.0f} KiB): {} pages scored, the best {} listed, {} rejected, in "
        "{:.1f} s; open it in a browser\n",
        args.out, static_cast<double>(html.size()) / 1024.0, grouped(data->scored),
        grouped(data->top.size()), grouped(data->rejected), seconds);
    return kExitOk;
}

}  // namespace bulkscore::cli
