// SPDX-License-Identifier: MIT

#include "sources/crawl_index.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <queue>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "bulkscore/logging.hpp"
#include "bulkscore/node.hpp"

#include "sinks/sqlite_db.hpp"
#include "sources/crawl_columns.hpp"
#include "sources/crawl_url.hpp"
#include "sources/csv_reader.hpp"
#include "sources/record_assembler.hpp"
#include <unistd.h>

namespace bulkscore::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::uint8_t kHasWordCount = 1;
constexpr std::uint8_t kHasInlinks = 2;

// A run record: key, word count, inlinks (8 bytes each), flags (1), URL size (4), URL.
constexpr std::size_t kRecordHeaderBytes = 8 + 8 + 8 + 1 + 4;

std::string errno_text(int error) {
    return std::generic_category().message(error);
}

// SQLite orders rowids as signed integers; keys are compared the same way everywhere.
std::int64_t key_from_hash(std::uint64_t hash) noexcept {
    return static_cast<std::int64_t>(hash);
}

// A temporary file, removed on destruction.
class TempFile {
public:
    TempFile() = default;
    TempFile(TempFile&& other) noexcept
        : path_(std::exchange(other.path_, {})), file_(std::move(other.file_)) {}
    TempFile& operator=(TempFile&& other) noexcept {
        if (this != &other) {
            remove();
            path_ = std::exchange(other.path_, {});
            file_ = std::move(other.file_);
        }
        return *this;
    }
    ~TempFile() { remove(); }

    // Creates `bulkscore-crawl-XXXXXX<suffix>` in `dir` with a unique name.
    static Result<TempFile> create(const fs::path& dir, std::string_view suffix) {
        std::string name = (dir / "bulkscore-crawl-XXXXXX").string();
        name += suffix;
        const int fd = ::mkstemps(name.data(), static_cast<int>(suffix.size()));
        if (fd < 0) {
            return failed_precondition_error(fmt::format(
                "cannot create a temporary file for the crawl index in {} ({}); set TMPDIR to "
                "a writable directory with room for about twice the crawl's size",
                dir.string(), errno_text(errno)));
        }
        TempFile file;
        file.path_ = name;
        file.file_ = FileHandle(fd);
        return file;
    }

    const fs::path& path() const noexcept { return path_; }
    int fd() const noexcept { return file_.get(); }

    void close() noexcept { file_ = FileHandle(); }

    void remove() noexcept {
        close();
        if (!path_.empty()) {
            std::error_code ignored;
            fs::remove(path_, ignored);
            path_.clear();
        }
    }

private:
    fs::path path_;
    FileHandle file_;
};

// One crawl page waiting in memory to be sorted into a run.
struct RunEntry {
    std::int64_t key = 0;
    std::int64_t word_count = 0;
    std::int64_t inlinks = 0;
    std::uint32_t text_offset = 0;
    std::uint32_t text_size = 0;
    std::uint8_t flags = 0;
};

// One record read back from a run; `url` is valid until the reader's next `next`.
struct RunRecord {
    std::int64_t key = 0;
    std::int64_t word_count = 0;
    std::int64_t inlinks = 0;
    std::uint8_t flags = 0;
    std::string_view url;

    CrawlValues values() const {
        CrawlValues values;
        if (flags & kHasWordCount) {
            values.word_count = word_count;
        }
        if (flags & kHasInlinks) {
            values.inlinks = inlinks;
        }
        return values;
    }
};

// Reads the records of one run, `[begin, end)` of the run file, through its own buffer.
class RunReader {
public:
    RunReader(const TempFile& file, std::uint64_t begin, std::uint64_t end, std::size_t buffer)
        : file_(&file), offset_(begin), end_(end), buffer_(std::max(buffer, std::size_t{8192})) {}

    // Reads the next record into `record`; false at the end of the run.
    Result<bool> next() {
        if (!ensure(kRecordHeaderBytes)) {
            return status_;
        }
        if (begin_ == size_) {
            return false;
        }
        const char* at = buffer_.data() + begin_;
        std::uint32_t url_size = 0;
        std::memcpy(&record.key, at, 8);
        std::memcpy(&record.word_count, at + 8, 8);
        std::memcpy(&record.inlinks, at + 16, 8);
        std::memcpy(&record.flags, at + 24, 1);
        std::memcpy(&url_size, at + 25, 4);
        if (!ensure(kRecordHeaderBytes + url_size)) {
            return status_;
        }
        record.url = std::string_view(buffer_.data() + begin_ + kRecordHeaderBytes, url_size);
        begin_ += kRecordHeaderBytes + url_size;
        return true;
    }

    RunRecord record;

private:
    // Makes at least `wanted` bytes available from `begin_`, or all that is left of the run.
    bool ensure(std::size_t wanted) {
        if (size_ - begin_ >= wanted || offset_ == end_) {
            return true;
        }
        std::memmove(buffer_.data(), buffer_.data() + begin_, size_ - begin_);
        size_ -= begin_;
        begin_ = 0;
        while (size_ < buffer_.size() && offset_ < end_) {
            const std::size_t room =
                std::min<std::uint64_t>(buffer_.size() - size_, end_ - offset_);
            const ssize_t got =
                ::pread(file_->fd(), buffer_.data() + size_, room, static_cast<off_t>(offset_));
            if (got <= 0) {
                status_ = internal_error(
                    fmt::format("cannot read the crawl index's run file {} ({})",
                                file_->path().string(), got < 0 ? errno_text(errno) : "it shrank"));
                return false;
            }
            size_ += static_cast<std::size_t>(got);
            offset_ += static_cast<std::uint64_t>(got);
        }
        return true;
    }

    const TempFile* file_;
    std::uint64_t offset_;
    std::uint64_t end_;
    std::vector<char> buffer_;
    std::size_t begin_ = 0;
    std::size_t size_ = 0;
    Status status_;
};

// The crawl file opened past its header, with its columns.
struct OpenCrawl {
    std::unique_ptr<CsvReader> reader;
    CsvHeader header;
    CrawlColumns columns;
    DecimalStyle style = DecimalStyle::kPoint;
};

Result<OpenCrawl> open_crawl(const CrawlIndexOptions& options) {
    SourceOptions source;
    source.path = options.crawl;
    source.read_buffer_bytes = options.read_buffer_bytes;
    Result<std::unique_ptr<CsvReader>> reader = open_guessing_separator(source);
    if (!reader.ok()) {
        return reader.status();
    }
    Result<CsvHeader> header = read_header(**reader, /*allow_title_line=*/true);
    if (!header.ok()) {
        return header.status();
    }
    OpenCrawl crawl{std::move(*reader), std::move(*header), {}, DecimalStyle::kPoint};
    crawl.columns = find_crawl_columns(crawl.header.names);
    crawl.style = crawl.reader->separator() == ';' ? DecimalStyle::kComma : DecimalStyle::kPoint;

    const bool has_values = crawl.columns.word_count || crawl.columns.preferred_inlinks();
    if (!crawl.columns.address || !has_values) {
        return invalid_argument_error(fmt::format(
            "{}: line {}: the crawl's header lacks {}; --crawl needs a Screaming Frog Internal > "
            "All export with the columns Address and Word Count and/or Unique Inlinks (or "
            "Inlinks)",
            crawl.reader->path_text(), crawl.header.line,
            !crawl.columns.address ? (has_values ? "the column Address"
                                                 : "the columns Address and Word Count or Inlinks")
                                   : "both a Word Count and an Inlinks column"));
    }
    return crawl;
}

// Builds the index; one object per build.
class IndexBuilder {
public:
    IndexBuilder(const CrawlIndexOptions& options, CrawlIndexStats& stats)
        : options_(options), stats_(stats) {}

    // Reads the crawl into sorted runs in `runs_file`.
    Status write_runs(OpenCrawl& crawl, const TempFile& runs_file) {
        runs_file_ = &runs_file;
        for (;;) {
            Result<bool> more = crawl.reader->next();
            if (!more.ok()) {
                return more.status();
            }
            if (!*more) {
                break;
            }
            ++stats_.rows;
            take_row(crawl);
            if (memory_used() >= options_.sort_memory_bytes) {
                BULKSCORE_RETURN_IF_ERROR(flush_run());
            }
        }
        return flush_run();
    }

    // Merges the runs into the `pages` and `collided` tables of `db`.
    Status merge_runs(SqliteDb& db) {
        Result<SqliteStatement> insert_page = SqliteStatement::prepare(
            db, "INSERT INTO pages(hash, url, word_count, inlinks) VALUES(?1, ?2, ?3, ?4)");
        Result<SqliteStatement> insert_collided = SqliteStatement::prepare(
            db, "INSERT OR REPLACE INTO collided(url, word_count, inlinks) VALUES(?1, ?2, ?3)");
        if (!insert_page.ok() || !insert_collided.ok()) {
            return insert_page.ok() ? insert_collided.status() : insert_page.status();
        }
        insert_page_ = std::move(*insert_page);
        insert_collided_ = std::move(*insert_collided);

        std::vector<RunReader> readers;
        readers.reserve(runs_.size());
        Heads heads;
        for (const auto& [begin, end] : runs_) {
            readers.emplace_back(*runs_file_, begin, end, options_.run_buffer_bytes);
            BULKSCORE_RETURN_IF_ERROR(advance(readers, readers.size() - 1, heads));
        }
        while (!heads.empty()) {
            const std::size_t run = heads.top().second;
            heads.pop();
            BULKSCORE_RETURN_IF_ERROR(take_merged(db, readers[run].record));
            BULKSCORE_RETURN_IF_ERROR(advance(readers, run, heads));
        }
        return flush_group(db);
    }

    std::uint64_t collided() const noexcept { return collided_; }

private:
    // (key, run) pairs, smallest first: equal keys come out in run order, which is crawl order.
    using Heads = std::priority_queue<std::pair<std::int64_t, std::size_t>,
                                      std::vector<std::pair<std::int64_t, std::size_t>>,
                                      std::greater<>>;

    std::size_t memory_used() const noexcept {
        return text_.size() + entries_.size() * sizeof(RunEntry);
    }

    void note_unreadable(const OpenCrawl& crawl,
                         std::optional<std::size_t> column,
                         std::string_view why) {
        ++stats_.unreadable;
        if (stats_.first_unreadable.empty()) {
            stats_.first_unreadable = fmt::format(
                "{}:{}: column \"{}\": {}", crawl.reader->path_text(), crawl.reader->record_line(),
                column ? crawl.header.names[*column] : std::string(), why);
        }
    }

    // Reads a value cell: true with `present` false for an empty cell or a missing column.
    bool read_value(const OpenCrawl& crawl,
                    std::optional<std::size_t> column,
                    std::int64_t& value,
                    bool& present) {
        const std::string_view text = trim(field_at(crawl.reader->fields(), column));
        present = !text.empty();
        if (!present) {
            return true;
        }
        if (parse_integer(text, crawl.style, value) && value >= 0) {
            return true;
        }
        note_unreadable(crawl, column, fmt::format("\"{}\" is not a whole number >= 0", text));
        return false;
    }

    void take_row(const OpenCrawl& crawl) {
        const std::span<const std::string_view> fields = crawl.reader->fields();
        if (check_crawl_page(fields, crawl.columns) != PageCheck::kPage) {
            ++stats_.not_a_page;
            return;
        }
        RunEntry entry;
        bool has_word_count = false;
        bool has_inlinks = false;
        if (!read_value(crawl, crawl.columns.word_count, entry.word_count, has_word_count) ||
            !read_value(crawl, crawl.columns.preferred_inlinks(), entry.inlinks, has_inlinks)) {
            return;
        }
        if (!has_word_count && !has_inlinks) {
            ++stats_.no_values;
            return;
        }
        const std::string_view address = trim(field_at(fields, crawl.columns.address));
        entry.text_offset = static_cast<std::uint32_t>(text_.size());
        append_normalised_url(address, text_);
        entry.text_size = static_cast<std::uint32_t>(text_.size() - entry.text_offset);
        if (address.empty() || entry.text_size > kMaxIdBytes) {
            text_.resize(entry.text_offset);
            note_unreadable(crawl, crawl.columns.address,
                            address.empty() ? "empty" : "longer than 2048 bytes");
            return;
        }
        const std::string_view url(text_.data() + entry.text_offset, entry.text_size);
        entry.key = key_from_hash(hash_url(url) & options_.hash_mask);
        entry.flags = static_cast<std::uint8_t>((has_word_count ? kHasWordCount : 0) |
                                                (has_inlinks ? kHasInlinks : 0));
        entries_.push_back(entry);
    }

    // Sorts the entries in memory and appends them to the run file as one run.
    Status flush_run() {
        if (entries_.empty()) {
            return Status();
        }
        std::stable_sort(entries_.begin(), entries_.end(),
                         [](const RunEntry& a, const RunEntry& b) { return a.key < b.key; });
        const std::uint64_t begin = written_;
        std::string out;
        out.reserve(std::size_t{1} << 20);
        for (const RunEntry& entry : entries_) {
            char header[kRecordHeaderBytes];
            std::memcpy(header, &entry.key, 8);
            std::memcpy(header + 8, &entry.word_count, 8);
            std::memcpy(header + 16, &entry.inlinks, 8);
            std::memcpy(header + 24, &entry.flags, 1);
            std::memcpy(header + 25, &entry.text_size, 4);
            out.append(header, kRecordHeaderBytes);
            out.append(text_, entry.text_offset, entry.text_size);
            if (out.size() >= (std::size_t{1} << 20)) {
                BULKSCORE_RETURN_IF_ERROR(write_out(out));
            }
        }
        BULKSCORE_RETURN_IF_ERROR(write_out(out));
        runs_.emplace_back(begin, written_);
        entries_.clear();
        text_.clear();
        return Status();
    }

    Status write_out(std::string& out) {
        std::size_t done = 0;
        while (done < out.size()) {
            const ssize_t wrote = ::write(runs_file_->fd(), out.data() + done, out.size() - done);
            if (wrote < 0 && errno == EINTR) {
                continue;
            }
            if (wrote <= 0) {
                return resource_exhausted_error(fmt::format(
                    "cannot write the crawl index's run file {} ({}); free disk space there or "
                    "set TMPDIR to a directory with room for about twice the crawl's size",
                    runs_file_->path().string(), errno_text(errno)));
            }
            done += static_cast<std::size_t>(wrote);
        }
        written_ += out.size();
        out.clear();
        return Status();
    }

    Status advance(std::vector<RunReader>& readers, std::size_t run, Heads& heads) {
        Result<bool> more = readers[run].next();
        if (!more.ok()) {
            return more.status();
        }
        if (*more) {
            heads.emplace(readers[run].record.key, run);
        }
        return Status();
    }

    // Collects the records of one key (in crawl order) and writes the group when the key changes.
    Status take_merged(SqliteDb& db, const RunRecord& record) {
        if (!group_.empty() && record.key != group_key_) {
            BULKSCORE_RETURN_IF_ERROR(flush_group(db));
        }
        group_key_ = record.key;
        for (auto& [url, values] : group_) {
            if (url == record.url) {
                values = record.values();
                ++stats_.replaced;
                return Status();
            }
        }
        group_.emplace_back(std::string(record.url), record.values());
        return Status();
    }

    static void bind_values(SqliteStatement& statement, int first, const CrawlValues& values) {
        if (values.word_count) {
            statement.bind_int(first, *values.word_count);
        } else {
            statement.bind_null(first);
        }
        if (values.inlinks) {
            statement.bind_int(first + 1, *values.inlinks);
        } else {
            statement.bind_null(first + 1);
        }
    }

    // The first URL of a key goes to `pages`; any other URL with the same key to `collided`.
    Status flush_group(SqliteDb& db) {
        for (std::size_t i = 0; i < group_.size(); ++i) {
            const auto& [url, values] = group_[i];
            SqliteStatement& statement = i == 0 ? insert_page_ : insert_collided_;
            int next = 1;
            if (i == 0) {
                statement.bind_int(next++, group_key_);
            }
            statement.bind_static(next++, url);
            bind_values(statement, next, values);
            BULKSCORE_RETURN_IF_ERROR(statement.run(db, "building the crawl index"));
            ++stats_.pages;
            collided_ += i == 0 ? 0 : 1;
        }
        group_.clear();
        return Status();
    }

    const CrawlIndexOptions& options_;
    CrawlIndexStats& stats_;

    std::vector<RunEntry> entries_;
    std::string text_;
    const TempFile* runs_file_ = nullptr;
    std::uint64_t written_ = 0;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> runs_;

    SqliteStatement insert_page_;
    SqliteStatement insert_collided_;
    std::int64_t group_key_ = 0;
    std::vector<std::pair<std::string, CrawlValues>> group_;
    std::uint64_t collided_ = 0;
};

Result<SqliteDb> open_index_database(const fs::path& path, std::size_t cache_bytes) {
    Result<SqliteDb> db = SqliteDb::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!db.ok()) {
        return db.status();
    }
    // A scratch database: no journal, no fsync, no other connection, no memory mapping (mapped
    // pages would count towards the process's resident memory).
    const std::string setup = fmt::format(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;"
        "PRAGMA mmap_size=0; PRAGMA temp_store=FILE; PRAGMA cache_size=-{};"
        "CREATE TABLE pages(hash INTEGER PRIMARY KEY, url TEXT NOT NULL, word_count INTEGER,"
        " inlinks INTEGER);"
        "CREATE TABLE collided(url TEXT PRIMARY KEY, word_count INTEGER, inlinks INTEGER);",
        std::max<std::size_t>(cache_bytes / 1024, 64));
    BULKSCORE_RETURN_IF_ERROR(db->exec(setup.c_str(), "creating the crawl index"));
    return db;
}

}  // namespace

struct CrawlIndex::Impl {
    TempFile database_file;  // Declared first: removed after the connection closes.
    SqliteDb db;
    SqliteStatement find_page;
    SqliteStatement find_collided;
    std::uint64_t hash_mask = ~std::uint64_t{0};
    bool has_collided = false;
};

CrawlIndex::CrawlIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CrawlIndex::~CrawlIndex() = default;

Result<std::unique_ptr<CrawlIndex>> CrawlIndex::build(const CrawlIndexOptions& options) {
    const auto started = std::chrono::steady_clock::now();
    Result<OpenCrawl> crawl = open_crawl(options);
    if (!crawl.ok()) {
        return crawl.status();
    }
    auto impl = std::make_unique<Impl>();
    impl->hash_mask = options.hash_mask;
    Result<TempFile> runs_file = TempFile::create(options.temp_dir, ".runs");
    if (!runs_file.ok()) {
        return runs_file.status();
    }
    Result<TempFile> database_file = TempFile::create(options.temp_dir, ".db");
    if (!database_file.ok()) {
        return database_file.status();
    }
    database_file->close();  // SQLite opens it by name; an empty file is an empty database.
    impl->database_file = std::move(*database_file);

    CrawlIndexStats stats;
    IndexBuilder builder(options, stats);
    BULKSCORE_RETURN_IF_ERROR(builder.write_runs(*crawl, *runs_file));
    Result<SqliteDb> db = open_index_database(impl->database_file.path(), options.cache_bytes);
    if (!db.ok()) {
        return db.status();
    }
    impl->db = std::move(*db);
    BULKSCORE_RETURN_IF_ERROR(impl->db.exec("BEGIN", "building the crawl index"));
    BULKSCORE_RETURN_IF_ERROR(builder.merge_runs(impl->db));
    BULKSCORE_RETURN_IF_ERROR(impl->db.exec("COMMIT", "building the crawl index"));
    runs_file->remove();
    impl->has_collided = builder.collided() > 0;

    Result<SqliteStatement> find_page = SqliteStatement::prepare(
        impl->db, "SELECT url, word_count, inlinks FROM pages WHERE hash = ?1");
    Result<SqliteStatement> find_collided = SqliteStatement::prepare(
        impl->db, "SELECT word_count, inlinks FROM collided WHERE url = ?1");
    if (!find_page.ok() || !find_collided.ok()) {
        return find_page.ok() ? find_collided.status() : find_page.status();
    }
    impl->find_page = std::move(*find_page);
    impl->find_collided = std::move(*find_collided);

    stats.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::unique_ptr<CrawlIndex> index(new CrawlIndex(std::move(impl)));
    index->stats_ = std::move(stats);
    return index;
}

std::uint64_t CrawlIndex::key_of(std::string_view text) const noexcept {
    return hash_url(text) & impl_->hash_mask;
}

const std::filesystem::path& CrawlIndex::database_path() const noexcept {
    return impl_->database_file.path();
}

namespace {

// The values of columns `first` and `first + 1` of the current row of `statement`.
CrawlValues read_values(const SqliteStatement& statement, int first) {
    CrawlValues values;
    if (!statement.column_is_null(first)) {
        values.word_count = statement.column_int(first);
    }
    if (!statement.column_is_null(first + 1)) {
        values.inlinks = statement.column_int(first + 1);
    }
    return values;
}

}  // namespace

Status CrawlIndex::lookup(std::span<CrawlProbe> probes,
                          std::string_view texts,
                          std::vector<CrawlHit>& hits) {
    hits.clear();
    std::sort(probes.begin(), probes.end(), [](const CrawlProbe& a, const CrawlProbe& b) {
        return key_from_hash(a.hash) < key_from_hash(b.hash);
    });
    SqliteStatement& find_page = impl_->find_page;
    for (const CrawlProbe& probe : probes) {
        const std::string_view url = texts.substr(probe.text_offset, probe.text_size);
        find_page.reset();
        find_page.bind_int(1, key_from_hash(probe.hash));
        const int rc = find_page.step();
        if (rc == SQLITE_DONE) {
            continue;
        }
        if (rc != SQLITE_ROW) {
            return impl_->db.error(rc, "looking up the crawl index");
        }
        const auto* stored = static_cast<const char*>(
            static_cast<const void*>(sqlite3_column_text(find_page.get(), 0)));
        const auto stored_size = static_cast<std::size_t>(sqlite3_column_bytes(find_page.get(), 0));
        if (std::string_view(stored, stored_size) == url) {
            hits.push_back({probe.slot, read_values(find_page, 1)});
            continue;
        }
        if (!impl_->has_collided) {
            continue;
        }
        SqliteStatement& find_collided = impl_->find_collided;
        find_collided.reset();
        find_collided.bind_static(1, url);
        const int collided_rc = find_collided.step();
        if (collided_rc == SQLITE_ROW) {
            hits.push_back({probe.slot, read_values(find_collided, 0)});
        } else if (collided_rc != SQLITE_DONE) {
            return impl_->db.error(collided_rc, "looking up the crawl index");
        }
    }
    find_page.reset();
    impl_->find_collided.reset();
    return Status();
}

}  // namespace bulkscore::detail
