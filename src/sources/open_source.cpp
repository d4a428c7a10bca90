// SPDX-License-Identifier: MIT
//
// `open_source`: picks the source for a file, from `--format` or, with `auto`, from the file's
// extension and its CSV header; plus the names of the input formats on the command line.
//
// Thread safety: the functions are independent; each call opens its own file.

#include <algorithm>
#include <array>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "bulkscore/logging.hpp"
#include "bulkscore/node_source.hpp"

#include "sources/csv_reader.hpp"
#include "sources/source_factories.hpp"

namespace bulkscore {
namespace {

struct FormatName {
    InputFormat format;
    std::string_view name;
};

constexpr std::array<FormatName, 6> kFormatNames = {{
    {InputFormat::kAuto, "auto"},
    {InputFormat::kCsv, "csv"},
    {InputFormat::kGsc, "gsc"},
    {InputFormat::kGscApi, "gsc-api"},
    {InputFormat::kScreamingFrog, "sf"},
    {InputFormat::kJsonLines, "jsonl"},
}};

std::string lower_extension(const std::filesystem::path& path) {
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return extension;
}

bool has_column(const std::vector<std::string>& names, std::string_view wanted, bool exact) {
    return std::any_of(names.begin(), names.end(), [&](const std::string& name) {
        return exact ? name == wanted : detail::normalise_column_name(name) == wanted;
    });
}

// Reads the header of a CSV file and names the format it belongs to.
Result<InputFormat> detect_csv_format(const SourceOptions& options) {
    Result<std::unique_ptr<detail::CsvReader>> reader = detail::open_guessing_separator(options);
    if (!reader.ok()) {
        return reader.status();
    }
    Result<detail::CsvHeader> header = detail::read_header(**reader, /*allow_title_line=*/true);
    if (!header.ok()) {
        return header.status();
    }
    const std::vector<std::string>& names = header->names;
    if (has_column(names, "id", true) && has_column(names, "impressions", true) &&
        has_column(names, "clicks", true)) {
        return InputFormat::kCsv;
    }
    if (has_column(names, "address", false) &&
        (has_column(names, "status code", false) || has_column(names, "content type", false))) {
        return InputFormat::kScreamingFrog;
    }
    return InputFormat::kGsc;
}

// Picks the format of a file opened with `InputFormat::kAuto`.
Result<InputFormat> detect_format(const SourceOptions& options) {
    const std::string extension = lower_extension(options.path);
    if (extension == ".jsonl" || extension == ".ndjson") {
        return InputFormat::kJsonLines;
    }
    if (extension == ".json") {
        return InputFormat::kGscApi;
    }
    return detect_csv_format(options);
}

}  // namespace

std::string_view to_string(InputFormat format) noexcept {
    for (const FormatName& entry : kFormatNames) {
        if (entry.format == format) {
            return entry.name;
        }
    }
    return "unknown";
}

Result<InputFormat> parse_input_format(std::string_view text) {
    for (const FormatName& entry : kFormatNames) {
        if (entry.name == text) {
            return entry.format;
        }
    }
    return invalid_argument_error(fmt::format(
        "unknown input format \"{}\"; use one of auto, csv, gsc, gsc-api, sf, jsonl", text));
}

Result<std::unique_ptr<NodeSource>> open_source(const SourceOptions& options) {
    std::error_code error;
    if (!std::filesystem::exists(options.path, error)) {
        return not_found_error(
            fmt::format("{}: no such file; check the path", options.path.string()));
    }

    SourceOptions chosen = options;
    if (chosen.format == InputFormat::kAuto) {
        Result<InputFormat> detected = detect_format(options);
        if (!detected.ok()) {
            return detected.status();
        }
        chosen.format = *detected;
        logger()->info("input format detected file={} format={}", options.path.string(),
                       to_string(chosen.format));
    }

    switch (chosen.format) {
        case InputFormat::kCsv:
            return detail::open_csv_source(chosen);
        case InputFormat::kGsc:
            return detail::open_gsc_source(chosen);
        case InputFormat::kGscApi:
            return detail::open_gsc_api_source(chosen);
        case InputFormat::kScreamingFrog:
            return detail::open_screaming_frog_source(chosen);
        case InputFormat::kJsonLines:
            return detail::open_json_lines_source(chosen);
        case InputFormat::kAuto:
            break;
    }
    return internal_error(fmt::format("{}: no source for input format {}", options.path.string(),
                                      static_cast<int>(chosen.format)));
}

}  // namespace bulkscore
