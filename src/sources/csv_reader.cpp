// SPDX-License-Identifier: MIT

#include "sources/csv_reader.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <exception>
#include <new>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "sources/record_assembler.hpp"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bulkscore::detail {
namespace {

// Below this a buffer would refill for nearly every record; tests use it to force straddling.
constexpr std::size_t kMinBufferBytes = 64;

// Field lists this long come from a pathological line; their memory is given back afterwards.
constexpr std::size_t kMaxKeptFields = 4096;

constexpr std::string_view kBom = "\xEF\xBB\xBF";

const char* find_byte(const char* begin, const char* end, char c) noexcept {
    return static_cast<const char*>(std::memchr(begin, c, static_cast<std::size_t>(end - begin)));
}

std::size_t distance(const char* begin, const char* end) noexcept {
    return static_cast<std::size_t>(end - begin);
}

std::string errno_text(int error) {
    return std::generic_category().message(error);
}

Status open_error(const std::string& path_text, int error) {
    if (error == ENOENT || error == ENOTDIR) {
        return not_found_error(fmt::format("{}: no such file; check the path", path_text));
    }
    return invalid_argument_error(fmt::format(
        "{}: cannot open the file ({}); check its permissions", path_text, errno_text(error)));
}

Result<FileHandle> open_regular_file(const std::filesystem::path& path) {
    const std::string path_text = path.string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return open_error(path_text, errno);
    }
    FileHandle file(fd);
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        return open_error(path_text, errno);
    }
    // Limitation: pipes and other streams are refused, because counting records for progress and
    // resuming from a checkpoint both need to read the input again from a byte offset.
    if (!S_ISREG(info.st_mode)) {
        return invalid_argument_error(fmt::format(
            "{}: not a regular file; give the path of a file saved on disk", path_text));
    }
    return file;
}

// Reads up to `size` bytes at `offset`; fewer only at the end of the file.
Status read_fully(int fd,
                  const std::string& path_text,
                  std::uint64_t offset,
                  char* into,
                  std::size_t size,
                  std::size_t& got) {
    got = 0;
    while (got < size) {
        const ssize_t n = ::pread(fd, into + got, size - got, static_cast<off_t>(offset + got));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return data_loss_error(fmt::format("{}: cannot read at byte {} ({})", path_text,
                                               offset + got, errno_text(errno)));
        }
        if (n == 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    return ok_status();
}

}  // namespace

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = other.release();
    }
    return *this;
}

FileHandle::~FileHandle() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

// ---------------------------------------------------------------------------------------------
// CsvReader

Result<std::unique_ptr<CsvReader>> CsvReader::open(const std::filesystem::path& path,
                                                   char separator,
                                                   std::size_t buffer_bytes) {
    Result<FileHandle> file = open_regular_file(path);
    if (!file.ok()) {
        return file.status();
    }
    struct stat info {};
    if (::fstat(file->get(), &info) != 0) {
        return open_error(path.string(), errno);
    }
    ::posix_fadvise(file->get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    return std::unique_ptr<CsvReader>(new CsvReader(std::move(*file), path.string(), separator,
                                                    buffer_bytes,
                                                    static_cast<std::uint64_t>(info.st_size)));
}

CsvReader::CsvReader(FileHandle file,
                     std::string path_text,
                     char separator,
                     std::size_t buffer_bytes,
                     std::uint64_t file_size)
    : file_(std::move(file)),
      path_text_(std::move(path_text)),
      separator_(separator),
      default_capacity_(std::max(buffer_bytes, kMinBufferBytes)),
      file_size_(file_size),
      buffer_(std::make_unique_for_overwrite<char[]>(default_capacity_)),
      capacity_(default_capacity_) {}

Result<bool> CsvReader::next() {
    for (;;) {
        if (begin_ == end_) {
            if (eof_) {
                return false;
            }
            BULKSCORE_RETURN_IF_ERROR(fill());
            continue;
        }
        const char* const start = buffer_.get() + begin_;
        const Scan scan = scan_record(start, buffer_.get() + end_);
        if (scan == Scan::kNeedMore) {
            BULKSCORE_RETURN_IF_ERROR(fill());
            continue;
        }
        if (scan == Scan::kUnterminated) {
            return unterminated_error(line_);
        }
        if (scan == Scan::kTooManyFields) {
            return record_limit_error(line_, /*fields=*/true);
        }

        record_offset_ = buffer_offset_ + begin_;
        record_line_ = line_;
        line_ += record_newlines_;
        begin_ += distance(start, record_end_);

        // An empty line (nothing, or a lone CR, before its end) is not a record. A quoted empty
        // field is one: it starts with a quote.
        if (!plain_record_) {
            if (raw_fields_.size() == 1 && raw_fields_[0].begin == raw_fields_[0].end &&
                *start != '"') {
                continue;
            }
            materialise_fields();
        } else if (fields_.size() == 1 && fields_[0].empty()) {
            continue;
        }
        return true;
    }
}

CsvReader::Scan CsvReader::scan_record(const char* const start, const char* const end) {
    // Most lines hold no quote at all: then the separators alone split them, straight into
    // `fields_`.
    if (const char* newline = find_byte(start, end, '\n')) {
        if (find_byte(start, newline, '"') == nullptr) {
            // Only a line this long can hold too many fields; counting them first keeps a line
            // of separators from growing `fields_` past the limit.
            if (distance(start, newline) >= kMaxRecordFields &&
                static_cast<std::size_t>(std::count(start, newline, separator_)) >=
                    kMaxRecordFields) {
                return Scan::kTooManyFields;
            }
            split_plain(start, newline > start && newline[-1] == '\r' ? newline - 1 : newline);
            record_end_ = newline + 1;
            record_newlines_ = 1;
            plain_record_ = true;
            return Scan::kComplete;
        }
    }
    plain_record_ = false;
    raw_fields_.clear();

    const char* p = start;
    for (;;) {
        if (raw_fields_.size() >= kMaxRecordFields) {
            return Scan::kTooManyFields;
        }
        if (p < end && *p == '"') {
            Scan outcome = Scan::kComplete;
            p = scan_quoted(p, end, outcome);
            if (outcome != Scan::kComplete) {
                return outcome;
            }
        } else {
            const char* stop = p;
            while (stop < end && *stop != separator_ && *stop != '\n') {
                ++stop;
            }
            if (stop == end && !eof_) {
                return Scan::kNeedMore;
            }
            const char* field_end = stop;
            if ((stop == end || *stop == '\n') && field_end > p && field_end[-1] == '\r') {
                --field_end;
            }
            raw_fields_.push_back({p, field_end, false});
            p = stop;
        }
        if (p < end && *p == separator_) {
            ++p;
            continue;
        }
        record_end_ = p == end ? end : p + 1;
        record_newlines_ = static_cast<std::uint64_t>(std::count(start, record_end_, '\n'));
        return Scan::kComplete;
    }
}

void CsvReader::split_plain(const char* begin, const char* const end) {
    fields_.clear();
    const char separator = separator_;
    const char* field = begin;
    const char* p = begin;
    if constexpr (std::endian::native == std::endian::little) {
        // Eight bytes at a time: a byte-wise loop mispredicts at every separator and was the
        // tokenizer's largest cost. `separators` gets 0x80 in exactly the bytes that match.
        constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
        const std::uint64_t pattern = 0x0101010101010101ULL * static_cast<unsigned char>(separator);
        for (; end - p >= 8; p += 8) {
            std::uint64_t word = 0;
            std::memcpy(&word, p, sizeof word);
            const std::uint64_t x = word ^ pattern;
            std::uint64_t separators = ~(((x & kLow7) + kLow7) | x | kLow7);
            while (separators != 0) {
                const char* const at = p + std::countr_zero(separators) / 8;
                fields_.emplace_back(field, distance(field, at));
                field = at + 1;
                separators &= separators - 1;
            }
        }
    }
    for (; p != end; ++p) {
        if (*p == separator) {
            fields_.emplace_back(field, distance(field, p));
            field = p + 1;
        }
    }
    fields_.emplace_back(field, distance(field, end));
}

// Scans the quoted field opening at `field_begin`; returns where it stops (a separator, the line
// end or `end`) and records the field.
const char* CsvReader::scan_quoted(const char* const field_begin,
                                   const char* const end,
                                   Scan& outcome) {
    bool escaped = false;
    const char* quote = field_begin + 1;
    for (;;) {
        quote = find_byte(quote, end, '"');
        if (quote == nullptr) {
            outcome = eof_ ? Scan::kUnterminated : Scan::kNeedMore;
            return end;
        }
        if (quote + 1 == end) {
            if (!eof_) {
                // The next byte decides between an escaped quote and the closing one.
                outcome = Scan::kNeedMore;
                return end;
            }
            break;
        }
        if (quote[1] != '"') {
            break;
        }
        escaped = true;
        quote += 2;
    }

    // Text between the closing quote and the next separator is kept as written.
    const char* stop = quote + 1;
    while (stop < end && *stop != separator_ && *stop != '\n') {
        ++stop;
    }
    if (stop == end && !eof_) {
        outcome = Scan::kNeedMore;
        return end;
    }
    const char* rest_end = stop;
    if ((stop == end || *stop == '\n') && rest_end > quote + 1 && rest_end[-1] == '\r') {
        --rest_end;
    }
    if (rest_end == quote + 1 && !escaped) {
        raw_fields_.push_back({field_begin + 1, quote, false});
    } else {
        raw_fields_.push_back({field_begin, rest_end, true});
    }
    return stop;
}

void CsvReader::materialise_fields() {
    std::size_t needed = 0;
    for (const RawField& field : raw_fields_) {
        if (field.decode) {
            needed += distance(field.begin, field.end);
        }
    }
    // Sized once per record so that views into it stay valid while it is filled.
    if (unquoted_.size() < needed) {
        unquoted_.resize(std::max(needed, 2 * unquoted_.size()));
    }

    char* out = unquoted_.data();
    fields_.clear();
    for (const RawField& field : raw_fields_) {
        if (!field.decode) {
            fields_.emplace_back(field.begin, distance(field.begin, field.end));
            continue;
        }
        char* const text = out;
        const char* p = field.begin + 1;  // Past the opening quote.
        while (p < field.end) {
            const char c = *p++;
            if (c != '"') {
                *out++ = c;
            } else if (p < field.end && *p == '"') {
                *out++ = '"';
                ++p;
            } else {
                const std::size_t rest = distance(p, field.end);
                std::memcpy(out, p, rest);
                out += rest;
                break;
            }
        }
        fields_.emplace_back(text, distance(text, out));
    }
}

Status CsvReader::fill() {
    if (begin_ > 0) {
        std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
        buffer_offset_ += begin_;
        end_ -= begin_;
        begin_ = 0;
    }
    if (end_ == capacity_) {
        // One record fills the whole buffer: grow it until the record fits, up to the limit.
        const std::size_t limit = std::max(kMaxRecordBytes, default_capacity_);
        if (capacity_ >= limit) {
            return record_limit_error(line_, /*fields=*/false);
        }
        const std::size_t grown = std::min(capacity_ * 2, limit);
        auto bigger = std::make_unique_for_overwrite<char[]>(grown);
        std::memcpy(bigger.get(), buffer_.get(), end_);
        buffer_ = std::move(bigger);
        capacity_ = grown;
    }
    std::size_t got = 0;
    BULKSCORE_RETURN_IF_ERROR(
        read_at(buffer_offset_ + end_, buffer_.get() + end_, capacity_ - end_, got));
    end_ += got;
    if (got == 0) {
        // Before the last record is taken as complete: a file cut short while it is read would
        // otherwise end in half a record, and the run would look finished.
        BULKSCORE_RETURN_IF_ERROR(check_unchanged_at_end());
        eof_ = true;
    }
    if (buffer_offset_ == 0 && begin_ == 0 && end_ >= kBom.size() &&
        std::string_view(buffer_.get(), kBom.size()) == kBom) {
        begin_ = kBom.size();
    }
    return ok_status();
}

Status CsvReader::read_at(std::uint64_t offset,
                          char* into,
                          std::size_t size,
                          std::size_t& got) const {
    return read_fully(file_.get(), path_text_, offset, into, size, got);
}

Status CsvReader::unterminated_error(std::uint64_t line) const {
    return invalid_argument_error(
        fmt::format("{}: line {}: a quoted field opened here never closes; the "
                    "file may be truncated (check "
                    "that it is complete and that quotes inside quoted fields "
                    "are doubled, as \"\")",
                    path_text_, line));
}

Status CsvReader::record_limit_error(std::uint64_t line, bool fields) const {
    if (fields) {
        return invalid_argument_error(fmt::format(
            "{}: line {}: a record with more than {} fields starts here; bulkscore reads at most "
            "that many columns: check that the file is a CSV export with one header line",
            path_text_, line, kMaxRecordFields));
    }
    return invalid_argument_error(fmt::format(
        "{}: line {}: a record longer than {} MiB starts here (a quoted field that never closes, "
        "a missing line end, or a file that is not CSV); records are at most {} MiB: check the "
        "file around this line",
        path_text_, line, kMaxRecordBytes >> 20, kMaxRecordBytes >> 20));
}

Status CsvReader::check_unchanged_at_end() const {
    const std::uint64_t reached = buffer_offset_ + end_;
    struct stat info {};
    const std::uint64_t now =
        ::fstat(file_.get(), &info) == 0 ? static_cast<std::uint64_t>(info.st_size) : reached;
    if (reached == file_size_ && now == file_size_) {
        return ok_status();
    }
    return data_loss_error(fmt::format(
        "{}: the file changed while it was being read: it {} from {} to {} bytes; let whatever "
        "writes it (an export, a sync tool) finish, then score it again (with --restart: it is no "
        "longer the input the job started with)",
        path_text_, std::min(reached, now) < file_size_ ? "shrank" : "grew", file_size_,
        std::min(reached, now) < file_size_ ? std::min(reached, now) : std::max(reached, now)));
}

void CsvReader::seek(std::uint64_t byte_offset, std::uint64_t line) noexcept {
    buffer_offset_ = byte_offset;
    begin_ = 0;
    end_ = 0;
    eof_ = false;
    line_ = line;
    raw_fields_.clear();
    fields_.clear();
}

void CsvReader::release_excess_memory() noexcept {
    if (capacity_ > default_capacity_) {
        // Dropping the buffered bytes is simpler than moving them: they are read again.
        seek(next_offset(), line_);
        buffer_.reset();
        buffer_ = std::make_unique_for_overwrite<char[]>(default_capacity_);
        capacity_ = default_capacity_;
    }
    if (unquoted_.size() > default_capacity_) {
        std::string().swap(unquoted_);
    }
    if (raw_fields_.capacity() > kMaxKeptFields) {
        std::vector<RawField>().swap(raw_fields_);
        std::vector<std::string_view>().swap(fields_);
    }
}

Result<std::uint64_t> CsvReader::count_records_from(std::uint64_t byte_offset,
                                                    std::uint64_t line) const {
    // The same rules as `scan_record`, without fields: a quote opens a quoted field only at the
    // start of a field, `""` inside one is an escaped quote, and a line holding nothing or a lone
    // CR is not a record.
    // Chunks of the read buffer's size: tests set it tiny to make records straddle chunks.
    std::vector<char> chunk(default_capacity_);
    std::uint64_t count = 0;
    std::uint64_t record_start = byte_offset;
    bool in_quotes = false;
    bool quote_pending = false;  // In quotes, a quote ended the previous chunk.
    char previous = '\n';        // The byte before the chunk.
    std::uint64_t base = byte_offset;
    const char separator = separator_;

    for (;;) {
        std::size_t got = 0;
        BULKSCORE_RETURN_IF_ERROR(read_at(base, chunk.data(), chunk.size(), got));
        if (got == 0) {
            break;
        }
        const char* const first = chunk.data();
        const char* const end = first + got;
        const char* p = first;
        auto byte_before = [&](const char* at) {
            return at > first ? at[-1] : previous;
        };
        auto offset_of = [&](const char* at) {
            return base + distance(first, at);
        };

        if (quote_pending) {
            quote_pending = false;
            if (*p == '"') {
                ++p;
            } else {
                in_quotes = false;
            }
        }
        while (p < end) {
            if (in_quotes) {
                const char* quote = find_byte(p, end, '"');
                if (quote == nullptr) {
                    break;
                }
                if (quote + 1 == end) {
                    quote_pending = true;
                    break;
                }
                if (quote[1] == '"') {
                    p = quote + 2;
                } else {
                    in_quotes = false;
                    p = quote + 1;
                }
                continue;
            }
            const char* quote = find_byte(p, end, '"');
            const char* const limit = quote != nullptr ? quote : end;
            while (const char* newline = find_byte(p, limit, '\n')) {
                const std::uint64_t length = offset_of(newline) - record_start;
                if (length > 1 || (length == 1 && byte_before(newline) != '\r')) {
                    ++count;
                }
                record_start = offset_of(newline) + 1;
                p = newline + 1;
            }
            if (quote == nullptr) {
                break;
            }
            if (offset_of(quote) == record_start || byte_before(quote) == separator) {
                in_quotes = true;
            }
            p = quote + 1;
        }
        previous = end[-1];
        base += got;
    }

    if (quote_pending) {
        in_quotes = false;  // The file's last byte closes the field.
    }
    if (in_quotes) {
        // Only on this failure path: the line of the open record, for the message.
        std::uint64_t newlines = 0;
        for (std::uint64_t at = byte_offset; at < record_start;) {
            std::size_t got = 0;
            const auto want =
                static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), record_start - at));
            BULKSCORE_RETURN_IF_ERROR(read_at(at, chunk.data(), want, got));
            if (got == 0) {
                break;
            }
            newlines +=
                static_cast<std::uint64_t>(std::count(chunk.data(), chunk.data() + got, '\n'));
            at += got;
        }
        return unterminated_error(line + newlines);
    }
    const std::uint64_t length = base - record_start;
    if (length > 1 || (length == 1 && previous != '\r')) {
        ++count;
    }
    return count;
}

// ---------------------------------------------------------------------------------------------
// Helpers for the formats

std::string normalise_column_name(std::string_view text) {
    std::string name(trim(text));
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return name;
}

char guess_separator(std::string_view head) noexcept {
    const std::string_view line = head.substr(0, head.find('\n'));
    const auto semicolons = std::count(line.begin(), line.end(), ';');
    const auto commas = std::count(line.begin(), line.end(), ',');
    return semicolons > commas ? ';' : ',';
}

Result<std::string> read_head(const std::filesystem::path& path, std::size_t max_bytes) {
    Result<FileHandle> file = open_regular_file(path);
    if (!file.ok()) {
        return file.status();
    }
    std::string head(max_bytes, '\0');
    std::size_t got = 0;
    BULKSCORE_RETURN_IF_ERROR(
        read_fully(file->get(), path.string(), 0, head.data(), max_bytes, got));
    head.resize(got);
    if (head.starts_with(kBom)) {
        head.erase(0, kBom.size());
    }
    return head;
}

Result<std::unique_ptr<CsvReader>> open_guessing_separator(const SourceOptions& options) {
    constexpr std::size_t kHeadBytes = 64 * 1024;
    Result<std::string> head = read_head(options.path, kHeadBytes);
    if (!head.ok()) {
        return head.status();
    }
    return CsvReader::open(options.path, guess_separator(*head), options.read_buffer_bytes);
}

Result<CsvHeader> read_header(CsvReader& reader, bool allow_title_line) {
    auto take_names = [&reader](CsvHeader& header) {
        header.names.clear();
        for (const std::string_view field : reader.fields()) {
            header.names.emplace_back(trim(field));
        }
        header.line = reader.record_line();
        header.data_offset = reader.next_offset();
        header.data_line = reader.next_line();
    };

    CsvHeader header;
    Result<bool> got = reader.next();
    if (!got.ok()) {
        return got.status();
    }
    if (!*got) {
        return invalid_argument_error(
            fmt::format("{}: the file is empty; a CSV input starts with a header "
                        "line naming its columns",
                        reader.path_text()));
    }
    take_names(header);
    if (!allow_title_line || header.names.size() != 1) {
        return header;
    }

    got = reader.next();
    if (!got.ok()) {
        return got.status();
    }
    if (*got && reader.fields().size() > 1) {
        header.title_lines.push_back(std::move(header.names.front()));
        take_names(header);
    } else {
        // A one-column file: its first line was the header after all.
        reader.seek(header.data_offset, header.data_line);
    }
    return header;
}

void reject_bad_ctr(std::string_view ctr_text,
                    std::string_view ctr_column,
                    const RecordInput& record,
                    std::size_t nodes_before,
                    DecimalStyle style,
                    NodeBatch& batch) {
    if (batch.nodes.size() <= nodes_before) {
        return;  // Rejected already, for a reason that comes first.
    }
    std::string_view number = trim(ctr_text);
    if (number.empty()) {
        return;
    }
    if (number.ends_with('%')) {
        number.remove_suffix(1);
        // Localised exports put a space, often a no-break one, before the sign.
        for (const std::string_view space : {"\xC2\xA0", "\xE2\x80\xAF"}) {
            if (number.ends_with(space)) {
                number.remove_suffix(space.size());
            }
        }
        number = trim(number);
    }
    double value = 0;
    if (parse_real(number, style, value)) {
        return;
    }
    batch.nodes.pop_back();
    const FieldInput& id = record[Field::kId];
    append_rejection(batch, record.ordinal, record.line, id.text, ctr_column,
                     RejectReason::kBadNumber, ctr_text);
}

void bind_columns(std::span<const ColumnBinding> bindings,
                  std::span<const std::string_view> fields,
                  RecordInput& record) noexcept {
    for (const ColumnBinding& binding : bindings) {
        const std::string_view text =
            binding.column < fields.size() ? fields[binding.column] : std::string_view();
        // Set in place: building a temporary `FieldInput` and copying it stalls on store forwarding
        // (a byte store read back by a wide load), a third of the parse time.
        FieldInput& field = record[binding.field];
        field.kind = FieldInput::Kind::kText;
        field.text = text;
        field.column = binding.name;
    }
}

// ---------------------------------------------------------------------------------------------
// CsvFileSource

CsvFileSource::CsvFileSource(std::unique_ptr<CsvReader> reader, CsvHeader header)
    : reader_(std::move(reader)), header_(std::move(header)) {
    reader_->seek(header_.data_offset, header_.data_line);
}

Status CsvFileSource::read(NodeBatch& batch, std::size_t max_records) {
    batch.clear();
    batch.first_ordinal = ordinal_;
    batch.end = position();
    if (!pending_error_.ok()) {
        return std::exchange(pending_error_, Status());
    }
    try {
        reader_->release_excess_memory();
        while (batch.record_count < max_records) {
            Result<bool> got = reader_->next();
            if (!got.ok()) {
                if (batch.record_count == 0) {
                    return got.status();
                }
                // Hand over the records read so far; the failure comes with the next call.
                pending_error_ = got.status();
                break;
            }
            if (!*got) {
                break;
            }
            convert_record(reader_->fields(), ordinal_, reader_->record_line(), batch);
            ++ordinal_;
            ++batch.record_count;
        }
    } catch (const std::bad_alloc&) {
        return resource_exhausted_error(
            fmt::format("{}: out of memory while reading records", reader_->path_text()));
    } catch (const std::exception& error) {
        return internal_error(
            fmt::format("{}: reading records failed: {}", reader_->path_text(), error.what()));
    }
    batch.end = position();
    return ok_status();
}

Result<std::uint64_t> CsvFileSource::count_records() {
    try {
        return reader_->count_records_from(header_.data_offset, header_.data_line);
    } catch (const std::bad_alloc&) {
        return resource_exhausted_error(
            fmt::format("{}: out of memory while counting records", reader_->path_text()));
    }
}

SourcePosition CsvFileSource::position() const noexcept {
    return SourcePosition{ordinal_, reader_->next_offset(), reader_->next_line()};
}

Status CsvFileSource::seek(const SourcePosition& position) {
    if (position == SourcePosition{}) {
        reader_->seek(header_.data_offset, header_.data_line);
        ordinal_ = 0;
        pending_error_ = Status();
        return ok_status();
    }
    if (position.byte_offset < header_.data_offset || position.line < header_.data_line ||
        position.byte_offset > reader_->file_size()) {
        return invalid_argument_error(
            fmt::format("{}: cannot resume at byte {} (line {}): the file's "
                        "records run from byte {} to {}; "
                        "the file changed since the checkpoint, start over",
                        reader_->path_text(), position.byte_offset, position.line,
                        header_.data_offset, reader_->file_size()));
    }
    reader_->seek(position.byte_offset, position.line);
    ordinal_ = position.ordinal;
    pending_error_ = Status();
    return ok_status();
}

}  // namespace bulkscore::detail
