// SPDX-License-Identifier: MIT
//
// The tests' PostgreSQL server and connections (see pg_cluster.hpp).

#include "support/pg_cluster.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include <unistd.h>

namespace bulkscore::testing {
namespace {

std::string first_line_of(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

std::string whole_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A cluster this process started, stopped at exit.
struct PrivateCluster {
    std::filesystem::path state_dir;

    static void stop_at_exit() {
        const PrivateCluster& cluster = instance();
        if (cluster.state_dir.empty()) {
            return;
        }
        const std::string command = "bash '" BULKSCORE_SOURCE_DIR
                                    "/scripts/pg-test-cluster' stop '" +
                                    (cluster.state_dir / "url").string() + "' > /dev/null 2>&1";
        (void)std::system(command.c_str());
        std::error_code ignored;
        std::filesystem::remove_all(cluster.state_dir, ignored);
    }

    static PrivateCluster& instance() {
        static PrivateCluster cluster;
        return cluster;
    }
};

struct ServerLookup {
    std::optional<std::string> url;
    std::string reason;
};

ServerLookup start_private_cluster() {
    std::string pattern = (std::filesystem::temp_directory_path() / "bulkscore-pg-tests.XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
        return {std::nullopt, "cannot make a temporary directory for the cluster's state"};
    }
    const std::filesystem::path state_dir = pattern;
    PrivateCluster::instance().state_dir = state_dir;
    std::atexit(&PrivateCluster::stop_at_exit);
    const std::string command = "bash '" BULKSCORE_SOURCE_DIR "/scripts/pg-test-cluster' start '" +
                                (state_dir / "url").string() + "' > '" +
                                (state_dir / "log").string() + "' 2>&1";
    const int rc = std::system(command.c_str());
    if (rc == 0 && std::filesystem::exists(state_dir / "url")) {
        return {first_line_of(state_dir / "url"), ""};
    }
    return {std::nullopt, "scripts/pg-test-cluster start: " + whole_file(state_dir / "log")};
}

ServerLookup find_server() {
    if (const char* url = std::getenv("BULKSCORE_TEST_PG_URL"); url != nullptr && *url != 0) {
        return {std::string(url), ""};
    }
    if (const char* file = std::getenv("BULKSCORE_TEST_PG_URL_FILE"); file != nullptr) {
        if (std::filesystem::exists(file)) {
            return {first_line_of(file), ""};
        }
        return {std::nullopt, std::string("no server: the cluster fixture wrote no URL to ") +
                                  file + " (see the output of the test pg_cluster_start)"};
    }
    return start_private_cluster();
}

bool postgres_required() {
    const char* required = std::getenv("BULKSCORE_REQUIRE_POSTGRES");
    return required != nullptr && std::string(required) == "1";
}

}  // namespace

std::optional<std::string> pg_url_or_skip() {
    static const ServerLookup server = find_server();
    if (server.url) {
        return server.url;
    }
    if (postgres_required()) {
        FAIL("BULKSCORE_REQUIRE_POSTGRES=1 but there is no PostgreSQL server: " << server.reason);
    }
    WARN("skipped: no PostgreSQL server for the tests: " << server.reason);
    return std::nullopt;
}

std::string pg_url_with(const std::string& url, const std::string& parameter) {
    if (url.find("://") == std::string::npos) {
        return url + " " + parameter;  // The key=value form.
    }
    return url + (url.find('?') == std::string::npos ? "?" : "&") + parameter;
}

PgTestConnection::PgTestConnection(const std::string& url) {
    conn_ = PQconnectdb(pg_url_with(url, "application_name=bulkscore-tests").c_str());
    INFO(PQerrorMessage(conn_));
    REQUIRE(PQstatus(conn_) == CONNECTION_OK);
    exec("SET client_min_messages = warning");  // No NOTICE lines in the test output.
}

PgTestConnection::~PgTestConnection() {
    PQfinish(conn_);
}

void PgTestConnection::exec(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    const std::string error = PQresultErrorMessage(result);
    PQclear(result);
    INFO(sql << "\n" << error);
    REQUIRE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK));
}

void PgTestConnection::copy_in(const std::string& copy_sql, const std::string& data) {
    PGresult* started = PQexec(conn_, copy_sql.c_str());
    const ExecStatusType status = PQresultStatus(started);
    INFO(copy_sql << "\n" << PQresultErrorMessage(started));
    PQclear(started);
    REQUIRE(status == PGRES_COPY_IN);
    REQUIRE(PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) == 1);
    REQUIRE(PQputCopyEnd(conn_, nullptr) == 1);
    bool ok = true;
    std::string error;
    while (PGresult* result = PQgetResult(conn_)) {
        ok = ok && PQresultStatus(result) == PGRES_COMMAND_OK;
        error += PQresultErrorMessage(result);
        PQclear(result);
    }
    INFO(error);
    REQUIRE(ok);
}

std::vector<std::string> PgTestConnection::rows(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_TUPLES_OK) {
        const std::string error = PQresultErrorMessage(result);
        PQclear(result);
        INFO(sql << "\n" << error);
        REQUIRE(status == PGRES_TUPLES_OK);
    }
    std::vector<std::string> rows;
    for (int row = 0; row < PQntuples(result); ++row) {
        std::string line;
        for (int column = 0; column < PQnfields(result); ++column) {
            line += column > 0 ? "|" : "";
            line += PQgetisnull(result, row, column) ? "NULL" : PQgetvalue(result, row, column);
        }
        rows.push_back(line);
    }
    PQclear(result);
    return rows;
}

std::string PgTestConnection::value(const std::string& sql) {
    const std::vector<std::string> all = rows(sql);
    REQUIRE(all.size() == 1);
    return all.front();
}

PgTestSchema::PgTestSchema(const std::string& url, const std::string& label) : url_(url) {
    static std::atomic<int> counter{0};
    name_ = "test_" + label + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    PgTestConnection(url_).exec("SET client_min_messages = warning; DROP SCHEMA IF EXISTS " +
                                quoted() + " CASCADE");
}

PgTestSchema::~PgTestSchema() {
    PGconn* conn = PQconnectdb(url_.c_str());
    if (PQstatus(conn) == CONNECTION_OK) {
        const std::string drop =
            "SET client_min_messages = warning; DROP SCHEMA IF EXISTS " + quoted() + " CASCADE";
        PQclear(PQexec(conn, drop.c_str()));
    }
    PQfinish(conn);
}

}  // namespace bulkscore::testing
