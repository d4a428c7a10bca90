// SPDX-License-Identifier: MIT
//
// The CSV / JSON Lines `FileSink`. Each of the two files is an `OutputFile`: a descriptor opened
// for appending, a reused buffer that rows are formatted into, and the lengths written and made
// durable so far. Formatting goes through fmt's back-insert path into the buffer, so a steady
// run allocates nothing per row once the buffers have grown to their working size.
//
// Thread safety: none (one committer thread).

#include "bulkscore/file_sink.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "bulkscore/rejection.hpp"
#include "bulkscore/score_result.hpp"

#include "sinks/posix_file.hpp"
#include "utf8.hpp"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bulkscore {
namespace {

using detail::file_io_error;
using detail::kCreatedFileMode;
using detail::sync_directory;

// Rows collect until a buffer holds this much, then go out in one write.
constexpr std::size_t kBufferBytes = 1 << 20;

// The prefix of a state this sink produced, so that a state from another kind of sink (or a
// damaged one) is refused instead of truncating to a meaningless length.
constexpr std::string_view kStatePrefix = "file-sink-v1 ";

// One output file: descriptor, buffer and lengths.
class OutputFile {
public:
    OutputFile() = default;
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;
    ~OutputFile() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }

    Status open(std::filesystem::path path, std::string_view header) {
        path_ = std::move(path);
        header_ = header;
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, kCreatedFileMode);
        if (fd_ < 0) {
            return file_io_error("open", path_, errno);
        }
        buffer_.reserve(kBufferBytes + kBufferBytes / 4);
        return ok_status();
    }

    std::string& buffer() noexcept { return buffer_; }
    const std::filesystem::path& path() const noexcept { return path_; }
    std::uint64_t durable_length() const noexcept { return durable_; }

    // Writes the buffer out when it is large; rows stay whole either way.
    Status maybe_spill() {
        if (buffer_.size() < kBufferBytes) {
            return ok_status();
        }
        return write_out();
    }

    Status write_out() {
        if (broken_) {
            buffer_.clear();
            return failed_precondition_error(fmt::format(
                "an earlier write to {} failed; the sink must be restored to a checkpoint",
                path_.string()));
        }
        std::size_t done = 0;
        while (done < buffer_.size()) {
            const ssize_t wrote = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
            if (wrote < 0) {
                if (errno == EINTR) {
                    continue;
                }
                const int error = errno;
                // Part of the buffer may be in the file: only `restore` (truncating to a
                // checkpoint's lengths) makes the file's end known again.
                buffer_.clear();
                broken_ = true;
                return file_io_error("write", path_, error);
            }
            done += static_cast<std::size_t>(wrote);
        }
        written_ += buffer_.size();
        buffer_.clear();
        return ok_status();
    }

    Status sync() {
        BULKSCORE_RETURN_IF_ERROR(write_out());
        if (::fdatasync(fd_) != 0) {
            return file_io_error("sync", path_, errno);
        }
        durable_ = written_;
        return ok_status();
    }

    // Cuts the file to `length` and continues after it.
    Status truncate_to(std::uint64_t length) {
        buffer_.clear();
        struct stat info {};
        if (::fstat(fd_, &info) != 0) {
            return file_io_error("inspect", path_, errno);
        }
        const auto size = static_cast<std::uint64_t>(info.st_size);
        if (size < length) {
            return data_loss_error(fmt::format(
                "{} has {} bytes but its checkpoint recorded {}: it was changed outside "
                "bulkscore; score again with --restart",
                path_.string(), size, length));
        }
        if (::ftruncate(fd_, static_cast<off_t>(length)) != 0) {
            return file_io_error("truncate", path_, errno);
        }
        written_ = length;
        durable_ = length;
        broken_ = false;
        return ok_status();
    }

    // Empties the file and writes the header (CSV) so that it is durable before any row.
    Status start_over() {
        BULKSCORE_RETURN_IF_ERROR(truncate_to(0));
        buffer_.append(header_);
        BULKSCORE_RETURN_IF_ERROR(sync());
        return sync_directory(path_);
    }

private:
    std::filesystem::path path_;
    std::string header_;
    int fd_ = -1;
    std::string buffer_;
    std::uint64_t written_ = 0;  // Bytes handed to the kernel.
    std::uint64_t durable_ = 0;  // Bytes known to be on disk.
    bool broken_ = false;        // A write failed part way: the file's end is unknown.
};

// --- CSV --------------------------------------------------------------------------------------

void append_csv_field(std::string& out, std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        out.append(text);
        return;
    }
    out.push_back('"');
    for (const char c : text) {
        if (c == '"') {
            out.push_back('"');
        }
        out.push_back(c);
    }
    out.push_back('"');
}

void append_csv_result(std::string& out, const ScoreResult& r, std::string_view job) {
    append_csv_field(out, r.id);
    out.push_back(',');
    append_csv_field(out, r.url);
    const Components& c = r.components;
    fmt::format_to(std::back_inserter(out), ",{},{},{},{},{},{},{},{},{},{},{},{},", r.score,
                   r.potential_clicks, to_string(r.action), c.upside, c.striking, c.ctr_gap,
                   c.demand, c.decay, c.ease, c.staleness, c.thinness, c.link_need);
    append_csv_field(out, r.scorer_version);
    out.push_back(',');
    append_csv_field(out, job);
    out.push_back('\n');
}

void append_csv_rejection(std::string& out, const Rejection& r, std::string_view job) {
    append_csv_field(out, job);
    fmt::format_to(std::back_inserter(out), ",{},", r.ordinal);
    if (r.line != 0) {
        fmt::format_to(std::back_inserter(out), "{}", r.line);
    }
    out.push_back(',');
    append_csv_field(out, r.id);
    out.push_back(',');
    append_csv_field(out, r.field);
    out.push_back(',');
    out.append(to_string(r.reason));
    out.push_back(',');
    // Limitation: the message is rendered into a fresh string per rejection. Rejections are
    // the rare case, so the allocation is not on the path of an ordinary row.
    append_csv_field(out, render_message(r));
    out.push_back('\n');
}

// --- JSON Lines -------------------------------------------------------------------------------

// Writes `text` as a JSON string. Limitation: bytes are copied as they are, so text that is not
// valid UTF-8 in the input stays invalid in the output (strict JSON readers refuse such a line).
// JSON text must be UTF-8: a byte that is not (an id copied from a damaged export) is written
// as U+FFFD, so the line stays valid JSON.
void append_json_string(std::string& out, std::string_view text) {
    out.push_back('"');
    for (std::size_t at = 0; at < text.size(); ++at) {
        const char c = text[at];
        if (static_cast<unsigned char>(c) >= 0x80) {
            const std::size_t length = detail::utf8_sequence_length(text.substr(at));
            if (length == 0) {
                out.append(detail::kUtf8Replacement);
            } else {
                out.append(text.substr(at, length));
                at += length - 1;
            }
            continue;
        }
        switch (c) {
            case '"':
                out.append("\\\"");
                break;
            case '\\':
                out.append("\\\\");
                break;
            case '\n':
                out.append("\\n");
                break;
            case '\r':
                out.append("\\r");
                break;
            case '\t':
                out.append("\\t");
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    fmt::format_to(std::back_inserter(out), "\\u{:04x}",
                                   static_cast<unsigned>(static_cast<unsigned char>(c)));
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('"');
}

void append_json_result(std::string& out, const ScoreResult& r, std::string_view job) {
    out.append("{\"id\":");
    append_json_string(out, r.id);
    out.append(",\"url\":");
    append_json_string(out, r.url);
    const Components& c = r.components;
    fmt::format_to(std::back_inserter(out),
                   ",\"score\":{},\"potential_clicks\":{},\"action\":\"{}\",\"upside\":{},"
                   "\"striking\":{},\"ctr_gap\":{},\"demand\":{},\"decay\":{},\"ease\":{},"
                   "\"staleness\":{},\"thinness\":{},\"link_need\":{},\"scorer_version\":",
                   r.score, r.potential_clicks, to_string(r.action), c.upside, c.striking,
                   c.ctr_gap, c.demand, c.decay, c.ease, c.staleness, c.thinness, c.link_need);
    append_json_string(out, r.scorer_version);
    out.append(",\"job\":");
    append_json_string(out, job);
    out.append("}\n");
}

void append_json_rejection(std::string& out, const Rejection& r, std::string_view job) {
    out.append("{\"job\":");
    append_json_string(out, job);
    fmt::format_to(std::back_inserter(out), ",\"ordinal\":{},\"line\":", r.ordinal);
    if (r.line != 0) {
        fmt::format_to(std::back_inserter(out), "{}", r.line);
    } else {
        out.append("null");
    }
    out.append(",\"id\":");
    append_json_string(out, r.id);
    out.append(",\"field\":");
    if (r.field.empty()) {
        out.append("null");
    } else {
        append_json_string(out, r.field);
    }
    fmt::format_to(std::back_inserter(out), ",\"reason\":\"{}\",\"message\":", to_string(r.reason));
    append_json_string(out, render_message(r));
    out.append("}\n");
}

bool ends_with(std::string_view text, std::string_view suffix) noexcept {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool parse_length(std::string_view text, std::uint64_t& value) noexcept {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

class FileSink::Impl {
public:
    Impl(std::string job, FileSinkFormat format) : job_(std::move(job)), format_(format) {}

    Status open(const std::filesystem::path& path) {
        const bool csv = format_ == FileSinkFormat::kCsv;
        const std::string results_header = csv ? fmt::format("{}\n", kScoreColumns) : "";
        const std::string rejections_header = csv ? fmt::format("{}\n", kRejectionColumns) : "";
        BULKSCORE_RETURN_IF_ERROR(results_.open(path, results_header));
        return rejections_.open(FileSink::rejections_path(path, format_), rejections_header);
    }

    Status write(const ScoredBatch& batch) {
        BULKSCORE_RETURN_IF_ERROR(ensure_positioned());
        std::string& results = results_.buffer();
        std::string& rejections = rejections_.buffer();
        if (format_ == FileSinkFormat::kCsv) {
            for (const ScoreResult& result : batch.results) {
                append_csv_result(results, result, job_);
            }
            for (const Rejection& rejection : batch.rejections) {
                append_csv_rejection(rejections, rejection, job_);
            }
        } else {
            for (const ScoreResult& result : batch.results) {
                append_json_result(results, result, job_);
            }
            for (const Rejection& rejection : batch.rejections) {
                append_json_rejection(rejections, rejection, job_);
            }
        }
        BULKSCORE_RETURN_IF_ERROR(results_.maybe_spill());
        return rejections_.maybe_spill();
    }

    Result<std::string> flush() {
        BULKSCORE_RETURN_IF_ERROR(ensure_positioned());
        BULKSCORE_RETURN_IF_ERROR(results_.sync());
        BULKSCORE_RETURN_IF_ERROR(rejections_.sync());
        return fmt::format("{}{} {}", kStatePrefix, results_.durable_length(),
                           rejections_.durable_length());
    }

    Status restore(std::string_view state) {
        if (state.empty()) {
            BULKSCORE_RETURN_IF_ERROR(results_.start_over());
            BULKSCORE_RETURN_IF_ERROR(rejections_.start_over());
            positioned_ = true;
            return ok_status();
        }
        std::uint64_t results_length = 0;
        std::uint64_t rejections_length = 0;
        const std::size_t space = state.rfind(' ');
        if (!state.starts_with(kStatePrefix) || space < kStatePrefix.size() ||
            !parse_length(state.substr(kStatePrefix.size(), space - kStatePrefix.size()),
                          results_length) ||
            !parse_length(state.substr(space + 1), rejections_length)) {
            return invalid_argument_error(fmt::format(
                "the checkpoint of {} holds no file sink state (\"{}\"); it was written by "
                "another kind of store: score again with --restart",
                results_.path().string(), state));
        }
        BULKSCORE_RETURN_IF_ERROR(results_.truncate_to(results_length));
        BULKSCORE_RETURN_IF_ERROR(rejections_.truncate_to(rejections_length));
        positioned_ = true;
        return ok_status();
    }

    const std::filesystem::path& results_path() const noexcept { return results_.path(); }
    const std::filesystem::path& rejections_path() const noexcept { return rejections_.path(); }

private:
    // A fresh job (no `restore` before the first write) replaces whatever the files held.
    Status ensure_positioned() {
        if (positioned_) {
            return ok_status();
        }
        return restore("");
    }

    std::string job_;
    FileSinkFormat format_;
    OutputFile results_;
    OutputFile rejections_;
    bool positioned_ = false;
};

FileSinkFormat FileSink::resolve_format(const std::filesystem::path& path,
                                        FileSinkFormat format) noexcept {
    if (format != FileSinkFormat::kAuto) {
        return format;
    }
    return ends_with(path.native(), ".jsonl") ? FileSinkFormat::kJsonLines : FileSinkFormat::kCsv;
}

std::filesystem::path FileSink::rejections_path(const std::filesystem::path& path,
                                                FileSinkFormat format) {
    const bool json = resolve_format(path, format) == FileSinkFormat::kJsonLines;
    std::filesystem::path result = path;
    result += json ? ".rejections.jsonl" : ".rejections.csv";
    return result;
}

Result<std::unique_ptr<FileSink>> FileSink::open(const std::filesystem::path& path,
                                                 std::string job,
                                                 FileSinkFormat format) {
    if (path.empty()) {
        return invalid_argument_error("the output file name is empty; name a file with --out");
    }
    auto impl = std::make_unique<Impl>(std::move(job), resolve_format(path, format));
    if (Status status = impl->open(path); !status.ok()) {
        if (status.code() == StatusCode::kNotFound) {
            return not_found_error(fmt::format(
                "cannot create {}: its directory does not exist; create it or choose another "
                "--out",
                path.string()));
        }
        return status;
    }
    return std::unique_ptr<FileSink>(new FileSink(std::move(impl)));
}

FileSink::FileSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FileSink::~FileSink() = default;

Status FileSink::write(const ScoredBatch& batch) {
    return impl_->write(batch);
}
Result<std::string> FileSink::flush() {
    return impl_->flush();
}
Status FileSink::restore(std::string_view sink_state) {
    return impl_->restore(sink_state);
}

const std::filesystem::path& FileSink::results_path() const noexcept {
    return impl_->results_path();
}
const std::filesystem::path& FileSink::rejections_path() const noexcept {
    return impl_->rejections_path();
}

}  // namespace bulkscore
