// SPDX-License-Identifier: MIT
//
// `FileCheckpointStore`: a `CheckpointStore` that keeps one job's checkpoint in a small JSON
// file beside a file sink's output (`FILE.checkpoint`). A save writes a temporary file in the
// same directory, fsyncs it, renames it over the checkpoint and fsyncs the directory, so after
// a crash the file holds either the new checkpoint or the previous one, whole.
//
// The file holds one job: `load` of another job's name finds nothing, and `save` replaces
// whatever job the file held (one output file, one job).
//
// Thread safety: none; the engine's committer is the only caller (see result_sink.hpp).

#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "bulkscore/checkpoint.hpp"
#include "bulkscore/result_sink.hpp"
#include "bulkscore/status.hpp"

namespace bulkscore {

class FileCheckpointStore final : public CheckpointStore {
public:
    /// A store whose checkpoint lives at `path`; nothing is touched until a call needs it.
    explicit FileCheckpointStore(std::filesystem::path path);

    /// The checkpoint path that goes with a file sink's results file: `results` + `.checkpoint`.
    static std::filesystem::path path_for(const std::filesystem::path& results);

    /// The job's checkpoint, or `std::nullopt` when the file is absent or holds another job.
    /// Errors: `data_loss` naming the file when it is not a checkpoint this store wrote
    /// (damaged or edited); `internal` when it cannot be read.
    Result<std::optional<Checkpoint>> load(std::string_view job) override;

    /// Replaces the file atomically with `checkpoint`. New files get the user's umask.
    /// Errors: `resource_exhausted` for a full disk, `internal` for other I/O failures.
    Status save(const Checkpoint& checkpoint) override;

    /// Removes the file if it holds `job` (or cannot be read at all); absent is fine.
    Status discard(std::string_view job) override;

    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

/// The checkpoint as the JSON text that `FileCheckpointStore` stores (every field).
std::string checkpoint_to_json(const Checkpoint& checkpoint);

/// Parses `checkpoint_to_json`'s text; `origin` names it in messages.
/// Errors: `data_loss` saying what is missing or malformed.
Result<Checkpoint> checkpoint_from_json(std::string_view json, std::string_view origin);

}  // namespace bulkscore
