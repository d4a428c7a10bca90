// SPDX-License-Identifier: MIT
//
// The JSON checkpoint file of a file sink, and its atomic replacement (temporary file, fsync,
// rename, fsync of the directory).
//
// Thread safety: none (one committer thread).

#include "bulkscore/file_checkpoint_store.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "sinks/posix_file.hpp"
#include <fcntl.h>
#include <unistd.h>

namespace bulkscore {
namespace {

using detail::file_io_error;
using detail::kCreatedFileMode;
using detail::sync_directory;
using detail::write_all;

namespace json = boost::json;

// Written into every checkpoint so that a file from another tool, or another layout, is
// recognised as such instead of being half-read.
constexpr std::string_view kFormatTag = "bulkscore-checkpoint-v1";

// Reads the fields of one JSON object, remembering the first problem for the message.
class FieldReader {
public:
    explicit FieldReader(const json::object& object) : object_(object) {}

    std::string text(std::string_view key) {
        const json::value* value = find(key);
        if (value == nullptr) {
            return {};
        }
        if (const json::string* s = value->if_string()) {
            return std::string(s->data(), s->size());
        }
        fail(key, "is not a string");
        return {};
    }

    std::uint64_t unsigned_number(std::string_view key) {
        const json::value* value = find(key);
        if (value == nullptr) {
            return 0;
        }
        if (const std::uint64_t* u = value->if_uint64()) {
            return *u;
        }
        if (const std::int64_t* i = value->if_int64(); i != nullptr && *i >= 0) {
            return static_cast<std::uint64_t>(*i);
        }
        fail(key, "is not a non-negative integer");
        return 0;
    }

    std::int64_t signed_number(std::string_view key) {
        const json::value* value = find(key);
        if (value == nullptr) {
            return 0;
        }
        if (const std::int64_t* i = value->if_int64()) {
            return *i;
        }
        fail(key, "is not an integer");
        return 0;
    }

    const std::string& problem() const noexcept { return problem_; }

private:
    const json::value* find(std::string_view key) {
        const json::value* value = object_.if_contains(key);
        if (value == nullptr) {
            fail(key, "is missing");
        }
        return value;
    }

    void fail(std::string_view key, std::string_view what) {
        if (problem_.empty()) {
            problem_ = fmt::format("\"{}\" {}", key, what);
        }
    }

    const json::object& object_;
    std::string problem_;
};

}  // namespace

std::string checkpoint_to_json(const Checkpoint& c) {
    json::object position;
    position["ordinal"] = c.position.ordinal;
    position["byte_offset"] = c.position.byte_offset;
    position["line"] = c.position.line;

    json::object object;
    object["format"] = kFormatTag;
    object["job"] = c.job;
    object["state"] = to_string(c.state);
    object["position"] = std::move(position);
    object["total"] = c.total;
    object["scored"] = c.scored;
    object["rejected"] = c.rejected;
    object["input"] = c.input;
    object["input_fingerprint"] = c.input_fingerprint;
    object["config_fingerprint"] = c.config_fingerprint;
    object["sink_state"] = c.sink_state;
    object["started_at_ms"] = c.started_at_ms;
    object["updated_at_ms"] = c.updated_at_ms;
    object["message"] = c.message;
    std::string text = json::serialize(object);
    text.push_back('\n');
    return text;
}

Result<Checkpoint> checkpoint_from_json(std::string_view text, std::string_view origin) {
    const auto damaged = [&](std::string_view what) {
        return data_loss_error(fmt::format(
            "{} is not a readable checkpoint ({}); remove it, or score again with --restart",
            origin, what));
    };
    boost::system::error_code error;
    const json::value document = json::parse(json::string_view(text.data(), text.size()), error);
    if (error) {
        return damaged(error.message());
    }
    const json::object* object = document.if_object();
    if (object == nullptr) {
        return damaged("not a JSON object");
    }
    FieldReader read(*object);
    if (read.text("format") != kFormatTag) {
        return damaged(fmt::format("\"format\" is not \"{}\"", kFormatTag));
    }
    Checkpoint c;
    c.job = read.text("job");
    const std::string state = read.text("state");
    const json::value* position = object->if_contains("position");
    if (position == nullptr || !position->is_object()) {
        return damaged("\"position\" is missing or not an object");
    }
    FieldReader read_position(position->get_object());
    c.position.ordinal = read_position.unsigned_number("ordinal");
    c.position.byte_offset = read_position.unsigned_number("byte_offset");
    c.position.line = read_position.unsigned_number("line");
    c.total = read.unsigned_number("total");
    c.scored = read.unsigned_number("scored");
    c.rejected = read.unsigned_number("rejected");
    c.input = read.text("input");
    c.input_fingerprint = read.text("input_fingerprint");
    c.config_fingerprint = read.text("config_fingerprint");
    c.sink_state = read.text("sink_state");
    c.started_at_ms = read.signed_number("started_at_ms");
    c.updated_at_ms = read.signed_number("updated_at_ms");
    c.message = read.text("message");
    if (!read.problem().empty()) {
        return damaged(read.problem());
    }
    if (!read_position.problem().empty()) {
        return damaged(fmt::format("position {}", read_position.problem()));
    }
    const std::optional<JobState> parsed_state = parse_job_state(state);
    if (!parsed_state) {
        return damaged(fmt::format("unknown state \"{}\"", state));
    }
    c.state = *parsed_state;
    return c;
}

FileCheckpointStore::FileCheckpointStore(std::filesystem::path path) : path_(std::move(path)) {}

std::filesystem::path FileCheckpointStore::path_for(const std::filesystem::path& results) {
    std::filesystem::path path = results;
    path += ".checkpoint";
    return path;
}

Result<std::optional<Checkpoint>> FileCheckpointStore::load(std::string_view job) {
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return std::optional<Checkpoint>();
        }
        return file_io_error("open", path_, errno);
    }
    std::string contents;
    char chunk[4096];
    int error = 0;
    while (true) {
        const ssize_t got = ::read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            error = got < 0 ? errno : 0;
            break;
        }
        contents.append(chunk, static_cast<std::size_t>(got));
    }
    ::close(fd);
    if (error != 0) {
        return file_io_error("read", path_, error);
    }
    Result<Checkpoint> checkpoint = checkpoint_from_json(contents, path_.string());
    if (!checkpoint.ok()) {
        return checkpoint.status();
    }
    if (checkpoint->job != job) {
        return std::optional<Checkpoint>();
    }
    return std::optional<Checkpoint>(std::move(checkpoint).value());
}
Status FileCheckpointStore::save(const Checkpoint& checkpoint) {
    std::filesystem::path temporary = path_;
    temporary += ".tmp";
    // O_NOFOLLOW: a symlink planted at the temporary name must not get its target truncated.
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                          kCreatedFileMode);
    if (fd < 0) {
        return file_io_error("create", temporary, errno);
    }
    Status status = write_all(fd, checkpoint_to_json(checkpoint), temporary);
    if (status.ok() && ::fsync(fd) != 0) {
        status = file_io_error("sync", temporary, errno);
    }
    if (::close(fd) != 0 && status.ok()) {
        status = file_io_error("close", temporary, errno);
    }
    if (status.ok() && std::rename(temporary.c_str(), path_.c_str()) != 0) {
        status = file_io_error("replace", path_, errno);
    }
    if (!status.ok()) {
        ::unlink(temporary.c_str());
        return status;
    }
    return sync_directory(path_);
}

Status FileCheckpointStore::discard(std::string_view job) {
    Result<std::optional<Checkpoint>> current = load(job);
    // A checkpoint of another job in this file is left alone; a damaged one is what a restart
    // is for, so it goes.
    if (current.ok() && !current->has_value() && std::filesystem::exists(path_)) {
        return ok_status();
    }
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
        return file_io_error("remove", path_, errno);
    }
    return sync_directory(path_);
}

}  // namespace bulkscore
