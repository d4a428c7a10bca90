// SPDX-License-Identifier: MIT
//
// Tests of `FileCheckpointStore`: every field survives a save and a load, a save replaces the
// file whole, absence and damage are told apart, discard forgets.

#include "bulkscore/file_checkpoint_store.hpp"

#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "support/test_support.hpp"
#include <sys/stat.h>

namespace {

using bulkscore::Checkpoint;
using bulkscore::FileCheckpointStore;
using bulkscore::JobState;
using bulkscore::testing::TempDir;
using bulkscore::testing::write_file;

Checkpoint sample(std::string job) {
    Checkpoint c;
    c.job = std::move(job);
    c.state = JobState::kCancelled;
    c.position = {41000, 123456789012ULL, 41001};
    c.total = 100000;
    c.scored = 40988;
    c.rejected = 12;
    c.input = "/data/pages \"2024\".csv";
    c.input_fingerprint = "size=1;mtime=2;head=abc";
    c.config_fingerprint = "opportunity-v1 {\"target_position\":3}";
    c.sink_state = "file-sink-v1 100 20";
    c.started_at_ms = 1700000000000;
    c.updated_at_ms = 1700000001234;
    c.message = "line one\nline two";
    return c;
}

void require_same(const Checkpoint& a, const Checkpoint& b) {
    CHECK(a.job == b.job);
    CHECK(a.state == b.state);
    CHECK(a.position == b.position);
    CHECK(a.total == b.total);
    CHECK(a.scored == b.scored);
    CHECK(a.rejected == b.rejected);
    CHECK(a.input == b.input);
    CHECK(a.input_fingerprint == b.input_fingerprint);
    CHECK(a.config_fingerprint == b.config_fingerprint);
    CHECK(a.sink_state == b.sink_state);
    CHECK(a.started_at_ms == b.started_at_ms);
    CHECK(a.updated_at_ms == b.updated_at_ms);
    CHECK(a.message == b.message);
}

}  // namespace

TEST_CASE("FileCheckpointStore: every field survives save and load", "[checkpoint]") {
    TempDir dir;
    FileCheckpointStore store(FileCheckpointStore::path_for(dir / "out.csv"));
    CHECK(store.path() == dir / "out.csv.checkpoint");
    const Checkpoint saved = sample("pages");
    REQUIRE_OK(store.save(saved));

    FileCheckpointStore reopened(store.path());
    auto loaded = reopened.load("pages");
    REQUIRE_OK(loaded);
    REQUIRE(loaded->has_value());
    require_same(**loaded, saved);
}

TEST_CASE("FileCheckpointStore: a save replaces the previous checkpoint whole", "[checkpoint]") {
    TempDir dir;
    FileCheckpointStore store(dir / "out.csv.checkpoint");
    Checkpoint first = sample("pages");
    first.message = std::string(10000, 'x');
    REQUIRE_OK(store.save(first));
    Checkpoint second = sample("pages");
    second.state = JobState::kFinished;
    second.message.clear();
    REQUIRE_OK(store.save(second));

    auto loaded = store.load("pages");
    REQUIRE_OK(loaded);
    REQUIRE(loaded->has_value());
    require_same(**loaded, second);
    // The temporary file went away with the rename; the directory holds the checkpoint only.
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        ++files;
    }
    CHECK(files == 1);
}

TEST_CASE("FileCheckpointStore: absent, another job's and discarded are nothing", "[checkpoint]") {
    TempDir dir;
    FileCheckpointStore store(dir / "out.csv.checkpoint");
    auto absent = store.load("pages");
    REQUIRE_OK(absent);
    CHECK_FALSE(absent->has_value());

    REQUIRE_OK(store.save(sample("pages")));
    auto other = store.load("posts");
    REQUIRE_OK(other);
    CHECK_FALSE(other->has_value());

    REQUIRE_OK(store.discard("posts"));
    CHECK(std::filesystem::exists(store.path()));
    REQUIRE_OK(store.discard("pages"));
    CHECK_FALSE(std::filesystem::exists(store.path()));
    REQUIRE_OK(store.discard("pages"));
}

TEST_CASE("FileCheckpointStore: a damaged file is an error naming it", "[checkpoint]") {
    TempDir dir;
    const auto path = dir / "out.csv.checkpoint";
    FileCheckpointStore store(path);
    const std::string text = GENERATE(as<std::string>{}, "", "{\"job\":", "[1,2]",
                                      "{\"format\":\"bulkscore-checkpoint-v1\",\"job\":\"pages\"}");
    write_file(path, text);
    auto loaded = store.load("pages");
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.status().code() == bulkscore::StatusCode::kDataLoss);
    CHECK_THAT(std::string(loaded.status().message()), Catch::Contains(path.string()));

    // A restart may discard it.
    REQUIRE_OK(store.discard("pages"));
    CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("FileCheckpointStore: the file gets the user's umask", "[checkpoint]") {
    TempDir dir;
    const mode_t previous = ::umask(027);
    FileCheckpointStore store(dir / "c.checkpoint");
    const auto status = store.save(sample("pages"));
    ::umask(previous);
    REQUIRE_OK(status);
    const auto permissions = std::filesystem::status(store.path()).permissions();
    CHECK((permissions & std::filesystem::perms::others_all) == std::filesystem::perms::none);
    CHECK((permissions & std::filesystem::perms::owner_read) != std::filesystem::perms::none);
}
