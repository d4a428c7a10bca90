// SPDX-License-Identifier: MIT
//
// The streaming RFC 4180 tokenizer under every CSV-family source (native CSV, Search Console
// exports, Screaming Frog crawls), and `CsvFileSource`, the `NodeSource` skeleton those sources
// share: header handling, batching, counting, positions and resume.
//
// `CsvReader` reads a file through one reusable buffer and hands out each record as a list of
// `string_view` fields valid until the next record. Quoting follows RFC 4180 as Python's `csv`
// module reads it: a quote opens a quoted field only at the start of a field, `""` inside quotes is
// one quote, text after a closing quote is kept as it is, and a quote inside an unquoted field is
// an ordinary character. Records end at LF or CRLF outside quotes; empty lines are skipped.
//
// Limitation: a lone CR (the line end of pre-2001 Macintosh files) is not a line end but an
// ordinary character, so such a file reads as one long record; re-save it with LF or CRLF.
//
// Limitation: a record may span at most `kMaxRecordBytes` (16 MiB) and hold at most
// `kMaxRecordFields` (100,000) fields, so that a hostile or damaged file (a quote that never
// closes, a 100 MB field, a million-column header) cannot make memory grow with it. A longer
// record stops the read with an error naming the file and its line.
//
// Thread safety: none; a reader and a source belong to one thread at a time.

#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulkscore/node_source.hpp"

#include "sources/record_assembler.hpp"

namespace bulkscore::detail {

/// Closes a POSIX file descriptor on destruction.
class FileHandle {
public:
    FileHandle() noexcept = default;
    explicit FileHandle(int fd) noexcept : fd_(fd) {}
    FileHandle(const FileHandle&) = delete;
    FileHandle& operator=(const FileHandle&) = delete;
    FileHandle(FileHandle&& other) noexcept : fd_(other.release()) {}
    FileHandle& operator=(FileHandle&& other) noexcept;
    ~FileHandle();

    int get() const noexcept { return fd_; }
    int release() noexcept {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_ = -1;
};

/// The most bytes one record may span (its line ends included).
inline constexpr std::size_t kMaxRecordBytes = std::size_t{16} << 20;

/// The most fields one record (the header included) may hold.
inline constexpr std::size_t kMaxRecordFields = 100'000;

/// Reads the records of one CSV file, in order, without loading the file.
class CsvReader {
public:
    /// Opens `path` for reading with fields separated by `separator` (`,` or `;`) through a buffer
    /// of `buffer_bytes` (at least 64 bytes are used).
    ///
    /// Errors: `not_found` when the file does not exist, `invalid_argument` when it is not a
    /// regular file or cannot be opened.
    static Result<std::unique_ptr<CsvReader>> open(const std::filesystem::path& path,
                                                   char separator,
                                                   std::size_t buffer_bytes);

    CsvReader(const CsvReader&) = delete;
    CsvReader& operator=(const CsvReader&) = delete;
    ~CsvReader() = default;

    /// Reads the next non-empty record. Returns true with `fields()` set, or false at the end of
    /// the file (and on every later call).
    ///
    /// Errors: a read failure; a quoted field still open at the end of the file, or a record
    /// longer than `kMaxRecordBytes` or with more than `kMaxRecordFields` fields
    /// (`invalid_argument`, naming the file and the line where the record starts); a file that
    /// shrank or grew since it was opened (`data_loss`). The reader then stays before that
    /// record.
    Result<bool> next();

    /// The fields of the record `next` returned; valid until the next call to a non-const method.
    std::span<const std::string_view> fields() const noexcept { return fields_; }

    /// The 1-based line on which the current record starts.
    std::uint64_t record_line() const noexcept { return record_line_; }

    /// The byte offset of the current record in the file.
    std::uint64_t record_offset() const noexcept { return record_offset_; }

    /// The byte offset and line where the next `next` starts looking for a record (empty lines
    /// before that record, if any, are skipped then).
    std::uint64_t next_offset() const noexcept { return buffer_offset_ + begin_; }
    std::uint64_t next_line() const noexcept { return line_; }

    /// Continues reading at `byte_offset`, which starts line `line`. Requires: an offset this
    /// reader (or one over the same file) reported as `next_offset` with that `next_line`.
    void seek(std::uint64_t byte_offset, std::uint64_t line) noexcept;

    /// Counts the non-empty records from `byte_offset` (on line `line`) to the end of the file with
    /// a quote-aware scan that does not tokenize. Does not move the read position.
    ///
    /// Errors: a read failure, or a quoted field left open at the end of the file.
    Result<std::uint64_t> count_records_from(std::uint64_t byte_offset, std::uint64_t line) const;

    /// Gives back the memory that an oversized record made the buffers grow to. The next record is
    /// read again from the file if it was buffered.
    void release_excess_memory() noexcept;

    /// Bytes held by the read buffer now: the configured size, or more while an oversized record is
    /// being read.
    std::size_t buffer_capacity() const noexcept { return capacity_; }

    /// The size of the file when it was opened.
    std::uint64_t file_size() const noexcept { return file_size_; }

    /// The file's path as given, for messages.
    const std::string& path_text() const noexcept { return path_text_; }

    char separator() const noexcept { return separator_; }

private:
    // A field as found in the buffer: its raw bytes and whether they need unquoting.
    struct RawField {
        const char* begin;
        const char* end;
        bool decode;
    };

    enum class Scan : std::uint8_t { kComplete, kNeedMore, kUnterminated, kTooManyFields };

    CsvReader(FileHandle file,
              std::string path_text,
              char separator,
              std::size_t buffer_bytes,
              std::uint64_t file_size);

    Scan scan_record(const char* start, const char* end);
    void split_plain(const char* begin, const char* end);
    const char* scan_quoted(const char* field_begin, const char* end, Scan& outcome);
    void materialise_fields();
    Status fill();
    Status read_at(std::uint64_t offset, char* into, std::size_t size, std::size_t& got) const;
    Status unterminated_error(std::uint64_t line) const;
    Status record_limit_error(std::uint64_t line, bool fields) const;
    Status check_unchanged_at_end() const;

    FileHandle file_;
    std::string path_text_;
    char separator_;
    std::size_t default_capacity_;
    std::uint64_t file_size_;

    std::unique_ptr<char[]> buffer_;
    std::size_t capacity_;
    std::size_t begin_ = 0;            // Next unread byte in `buffer_`.
    std::size_t end_ = 0;              // End of the valid bytes in `buffer_`.
    std::uint64_t buffer_offset_ = 0;  // File offset of `buffer_[0]`.
    bool eof_ = false;                 // Nothing is left in the file past `end_`.
    std::uint64_t line_ = 1;           // Line of `buffer_[begin_]`.

    const char* record_end_ = nullptr;   // Set by `scan_record` on `kComplete`,
    std::uint64_t record_newlines_ = 0;  // with the line ends the record spans,
    bool plain_record_ = false;          // and whether it went straight into `fields_`.
    std::vector<RawField> raw_fields_;
    std::vector<std::string_view> fields_;
    std::string unquoted_;  // Unquoted text of the fields that need it.
    std::uint64_t record_line_ = 0;
    std::uint64_t record_offset_ = 0;
};

/// `text` (a header name) without surrounding blanks, in ASCII lower case.
std::string normalise_column_name(std::string_view text);

/// `';'` when the first line of `head` has more semicolons than commas, else `','`.
char guess_separator(std::string_view head) noexcept;

/// The first bytes of the file at `path` (at most `max_bytes`), without a leading UTF-8 BOM.
///
/// Errors: `not_found` for a missing file; `invalid_argument` when it cannot be read.
Result<std::string> read_head(const std::filesystem::path& path, std::size_t max_bytes);

/// Opens a `CsvReader` on `options.path` with the separator its first line suggests.
Result<std::unique_ptr<CsvReader>> open_guessing_separator(const SourceOptions& options);

/// The header of a CSV-family file: its column names as written (trimmed) and where the data
/// starts.
struct CsvHeader {
    std::vector<std::string> names;
    std::uint64_t line = 0;         // Line of the header itself.
    std::uint64_t data_offset = 0;  // Where the first record after it starts.
    std::uint64_t data_line = 0;
    std::vector<std::string> title_lines;  // Single-field lines skipped before the header.
};

/// Reads the header from `reader`. With `allow_title_line`, a first line with a single field
/// followed by a line with more fields is a title (Screaming Frog's `"Internal - All"`), and the
/// header is the line after it.
///
/// Errors: a read error, or `invalid_argument` naming the file when it has no header line.
Result<CsvHeader> read_header(CsvReader& reader, bool allow_title_line);

/// Where one input column goes in a `RecordInput`.
struct ColumnBinding {
    std::size_t column = 0;    ///< Index of the column in each record.
    Field field = Field::kId;  ///< The field it feeds.
    std::string_view name;     ///< The column's name as written, for rejections.
};

/// Sets each bound field of `record` to the text of its column in `fields`; a record shorter than
/// the header reads as empty text there.
void bind_columns(std::span<const ColumnBinding> bindings,
                  std::span<const std::string_view> fields,
                  RecordInput& record) noexcept;

/// Checks the CTR column of a record that Search Console data describes. The score does not use CTR
/// (it follows from clicks and impressions), but text that is not a number there means the row is
/// damaged: when `ctr_text` is present and is not a number (a trailing `%` is allowed) and
/// `assemble_record` accepted the record as the node at `nodes_before`, that node is replaced by a
/// `bad_number` rejection of `ctr_column`.
void reject_bad_ctr(std::string_view ctr_text,
                    std::string_view ctr_column,
                    const RecordInput& record,
                    std::size_t nodes_before,
                    DecimalStyle style,
                    NodeBatch& batch);

/// The `NodeSource` part common to every CSV-family format: reads records from a `CsvReader`
/// positioned after the header, and hands each to `convert_record`.
///
/// Thread safety: none; used by one thread at a time, as `NodeSource` requires.
class CsvFileSource : public NodeSource {
public:
    Status read(NodeBatch& batch, std::size_t max_records) final;
    Result<std::uint64_t> count_records() final;
    SourcePosition position() const noexcept final;
    Status seek(const SourcePosition& position) final;
    std::string_view description() const noexcept final { return reader_->path_text(); }

protected:
    CsvFileSource(std::unique_ptr<CsvReader> reader, CsvHeader header);

    /// The header read when the source was opened; its names live as long as the source.
    const CsvHeader& header() const noexcept { return header_; }

    /// The file's path, for messages.
    const std::string& path_text() const noexcept { return reader_->path_text(); }

    /// Turns one record (at `ordinal`, starting on `line`) into a node or a rejection appended to
    /// `batch`.
    virtual void convert_record(std::span<const std::string_view> fields,
                                std::uint64_t ordinal,
                                std::uint64_t line,
                                NodeBatch& batch) = 0;

private:
    std::unique_ptr<CsvReader> reader_;
    CsvHeader header_;
    std::uint64_t ordinal_ = 0;
    Status pending_error_;  // A failure met after records were read; the next
                            // `read` returns it.
};

}  // namespace bulkscore::detail
