// SPDX-License-Identifier: MIT
//
// `FileSink`: a `ResultSink` that writes results and rejections to files, as CSV or as JSON
// Lines (DESIGN.md, `--out FILE`). Results go to FILE with the columns of the `scores` table, in
// its order; rejections go beside it to `FILE.rejections.csv` (or `FILE.rejections.jsonl`) with
// the columns of the `rejections` table. A CSV file opens with a header row, ends lines with `\n`
// and quotes fields per RFC 4180; numbers are written with the shortest text that reads back to the
// same double.
//
// Durability: rows collect in a reused buffer and reach the files in large writes; `flush`
// writes out, fsyncs both files and returns their lengths as the sink state. `restore` truncates
// both files back to the lengths a checkpoint recorded, so a crash between `flush` and the
// checkpoint's save neither loses nor duplicates a row.
//
// Duplicate ids: a file is append-only, so when an id occurs twice in the input, the later
// record's row comes later in the file. Readers must keep the last row per id (that is the
// "later record wins" rule of the `scores` table). Rewriting the file to drop the earlier row
// would cost a pass over everything written so far, at every duplicate.
//
// Thread safety: none; the engine's committer is the only caller (see result_sink.hpp).

#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "bulkscore/result_sink.hpp"
#include "bulkscore/scored_batch.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore {

/// The layout of a `FileSink`'s files.
enum class FileSinkFormat : std::uint8_t {
    kAuto,       ///< JSON Lines when the path ends in `.jsonl`, else CSV.
    kCsv,        ///< RFC 4180 CSV with a header row.
    kJsonLines,  ///< One JSON object per line; NULL columns are `null`.
};

/// The `scores` columns, in order, as the CSV header names them.
inline constexpr std::string_view kScoreColumns =
    "id,url,score,potential_clicks,action,upside,striking,ctr_gap,demand,decay,ease,staleness,"
    "thinness,link_need,scorer_version,job";

/// The `rejections` columns, in order, as the CSV header names them.
inline constexpr std::string_view kRejectionColumns = "job,ordinal,line,id,field,reason,message";

class FileSink final : public ResultSink {
public:
    /// Opens (creating when absent, with the user's umask) the results file `path` and its
    /// rejections file for job `job`. Existing content is left alone until the engine says what
    /// to do with it: `restore(state)` keeps it up to `state`; `restore("")`, or a first `write`
    /// or `flush` without any `restore` (a fresh job), replaces it.
    ///
    /// Errors: `invalid_argument` for an empty path; `not_found` when the directory does not
    /// exist; `internal` for other failures to open, naming the file and the system's reason.
    static Result<std::unique_ptr<FileSink>> open(const std::filesystem::path& path,
                                                  std::string job,
                                                  FileSinkFormat format = FileSinkFormat::kAuto);

    /// Where the rejections of results file `path` go: `path` + `.rejections.csv` (or `.jsonl`).
    static std::filesystem::path rejections_path(const std::filesystem::path& path,
                                                 FileSinkFormat format = FileSinkFormat::kAuto);

    /// The format `kAuto` resolves to for `path`.
    static FileSinkFormat resolve_format(const std::filesystem::path& path,
                                         FileSinkFormat format) noexcept;

    ~FileSink() override;

    /// Appends the batch's rows to the buffers, writing them out when the buffers are large.
    /// Errors: as `flush`, when a buffer had to be written out.
    Status write(const ScoredBatch& batch) override;

    /// Writes everything out and fsyncs both files. Returns the sink state: both durable lengths.
    /// Errors: `resource_exhausted` for a full disk or quota, `internal` for other I/O failures,
    /// naming the file.
    Result<std::string> flush() override;

    /// Truncates both files to the lengths in `sink_state` and continues after them; an empty
    /// state starts both files over (CSV: just the header). Unflushed rows are dropped.
    /// Errors: `invalid_argument` for a state this sink did not produce; `data_loss` when a file
    /// is shorter than the state says (it was changed outside bulkscore).
    Status restore(std::string_view sink_state) override;

    /// The results file and the rejections file.
    const std::filesystem::path& results_path() const noexcept;
    const std::filesystem::path& rejections_path() const noexcept;

private:
    class Impl;
    explicit FileSink(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

}  // namespace bulkscore
