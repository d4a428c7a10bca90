// SPDX-License-Identifier: MIT
//
// The HTML report in a real browser: a generated 100,000-page site (with a hostile id and a
// hostile rejected row) is scored into SQLite, `bulkscore report` writes the page, and headless
// Chromium loads it three times: `--dump-dom` of the page as a reader sees it (charts, table
// rows, no console output at all, no injected element), `--dump-dom` with `?selftest=1` (the
// page's own script clicks the headers and sets the filters, then writes what the table showed;
// this test checks those values against the database), and `--screenshot` into
// `<build dir>/artifacts/report.png`. Tagged `[browser]`; skipped with a printed reason when
// Chromium is absent (`scripts/install-deps --browser` installs it; `BULKSCORE_CHROMIUM` names
// another binary), unless `BULKSCORE_REQUIRE_BROWSER=1` (CI) makes that a failure.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>

#include "bulkscore/sqlite_store.hpp"

#include "support/test_support.hpp"
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bulkscore::testing {
namespace {

constexpr std::size_t kTopRows = 1000;

std::optional<std::filesystem::path> find_chromium() {
    if (const char* named = std::getenv("BULKSCORE_CHROMIUM"); named != nullptr && *named) {
        return std::filesystem::path(named);
    }
    for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
        if (::access(candidate, X_OK) == 0) {
            return std::filesystem::path(candidate);
        }
    }
    return std::nullopt;
}

// The build directory (where the `bulkscore` binary is) holds the test's artifacts.
std::filesystem::path artifacts_dir() {
    const auto dir = std::filesystem::path(BULKSCORE_CLI_PATH).parent_path() / "artifacts";
    std::filesystem::create_directories(dir);
    return dir;
}

// Runs `argv` with stdout and stderr sent to files, bounded by coreutils `timeout` so that a
// hung browser fails the test instead of blocking it. Returns the exit status.
int run_to_files(std::vector<std::string> argv,
                 const std::filesystem::path& out,
                 const std::filesystem::path& err) {
    argv.insert(argv.begin(), {"/usr/bin/timeout", "-k", "10", "180"});
    std::vector<char*> pointers;
    for (std::string& argument : argv) {
        pointers.push_back(argument.data());
    }
    pointers.push_back(nullptr);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int null_in = ::open("/dev/null", O_RDONLY);
        ::dup2(out_fd, STDOUT_FILENO);
        ::dup2(err_fd, STDERR_FILENO);
        ::dup2(null_in, STDIN_FILENO);
        ::execv(pointers[0], pointers.data());
        ::_exit(127);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct Browser {
    std::filesystem::path binary;
    std::filesystem::path profile;

    std::vector<std::string> arguments() const {
        std::vector<std::string> args = {binary.string(), "--headless", "--disable-gpu",
                                         "--no-first-run", "--no-default-browser-check",
                                         "--disable-extensions", "--hide-scrollbars",
                                         "--user-data-dir=" + profile.string(),
                                         // Console messages go to stderr as "CONSOLE" lines.
                                         "--enable-logging=stderr", "--v=0",
                                         // The page must need no network: every name fails.
                                         "--host-resolver-rules=MAP * ~NOTFOUND"};
        if (::geteuid() == 0) {
            args.emplace_back("--no-sandbox");  // Chromium refuses to run as root otherwise.
        }
        return args;
    }

    // The DOM after the page's scripts ran, and Chromium's log.
    std::pair<std::string, std::string> dump_dom(const std::string& url,
                                                 const std::filesystem::path& dir,
                                                 const std::string& name) const {
        auto args = arguments();
        args.push_back("--dump-dom");
        args.push_back(url);
        const auto out = dir / (name + ".dom.html");
        const auto log = dir / (name + ".log");
        const int code = run_to_files(args, out, log);
        INFO(read_file(log));
        REQUIRE(code == 0);
        return {read_file(out), read_file(log)};
    }
};

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
        ++count;
    }
    return count;
}

// The lines Chromium logged for the page's console (any level: the page logs nothing).
std::string console_lines(const std::string& log) {
    std::string lines;
    for (const std::string& line : lines_of(log)) {
        if (line.find(":CONSOLE") != std::string::npos) {
            lines += line + "\n";
        }
    }
    return lines;
}

// Text content as serialised by the DOM dump: only & < > and no-break spaces are escaped.
std::string unescape_text(std::string text) {
    const std::pair<const char*, const char*> entities[] = {
        {"&lt;", "<"}, {"&gt;", ">"}, {"&nbsp;", "\xC2\xA0"}, {"&amp;", "&"}};
    for (const auto& [entity, plain] : entities) {
        for (auto at = text.find(entity); at != std::string::npos;
             at = text.find(entity, at + std::string_view(plain).size())) {
            text.replace(at, std::string_view(entity).size(), plain);
        }
    }
    return text;
}

std::vector<double> numbers(const boost::json::value& values) {
    std::vector<double> result;
    for (const auto& value : values.as_array()) {
        result.push_back(value.to_number<double>());
    }
    return result;
}

// The text filter the self-check types, and how many of the best pages it should leave.
constexpr const char* kNeedle = "guides";

std::size_t matching(const std::vector<StoredScore>& top, const std::string& needle) {
    return static_cast<std::size_t>(std::count_if(top.begin(), top.end(), [&](const auto& row) {
        return row.id.find(needle) != std::string::npos ||
               row.url.find(needle) != std::string::npos;
    }));
}

// A reader's view of the page: charts drawn, every row there, nothing injected, no console.
void check_plain_page(const std::string& dom, const std::string& log) {
    CHECK(console_lines(log).empty());
    INFO(console_lines(log));
    CHECK(dom.find("<svg class=\"chart\" id=\"histogram\"") != std::string::npos);
    CHECK(dom.find("<svg class=\"chart\" id=\"action-split\"") != std::string::npos);
    CHECK(count_of(dom, "class=\"bar\"") >= 5);
    const auto body = dom.find("<tbody id=\"top-body\">");
    REQUIRE(body != std::string::npos);
    const auto body_end = dom.find("</tbody>", body);
    CHECK(count_of(dom.substr(body, body_end - body), "<tr>") == kTopRows);
    CHECK(dom.find("<b id=\"pwned-top\"") == std::string::npos);
    CHECK(dom.find("&lt;/script&gt;&lt;b id=pwned-top&gt;x&lt;/b&gt;") != std::string::npos);
    CHECK(dom.find("<img id=\"pwned-rejection\"") == std::string::npos);
    CHECK(dom.find("&lt;img id=pwned-rejection src=x&gt;") != std::string::npos);
}

// What the page's self-check saw, against the database.
void check_selftest(const std::string& dom,
                    const std::string& log,
                    const std::vector<StoredScore>& top) {
    CHECK(console_lines(log).empty());
    const std::string open = "<pre id=\"selftest-result\">";
    const auto begin = dom.find(open);
    REQUIRE(begin != std::string::npos);
    const auto end = dom.find("</pre>", begin);
    const auto result = boost::json::parse(
        unescape_text(dom.substr(begin + open.size(), end - begin - open.size())));
    INFO(boost::json::serialize(result.at("errors")));
    CHECK(result.at("errors").as_array().empty());
    CHECK(result.at("svg_charts").to_number<int>() == 2);
    CHECK(result.at("rows_initial").to_number<std::size_t>() == kTopRows);
    CHECK(result.at("rows_final").to_number<std::size_t>() == kTopRows);

    const auto initial = numbers(result.at("score_initial"));
    const auto up = numbers(result.at("score_click1").at("values"));
    const auto down = numbers(result.at("score_click2").at("values"));
    const auto potential = numbers(result.at("potential_click1").at("values"));
    CHECK(result.at("score_click1").at("sort").as_string() == "ascending");
    CHECK(result.at("score_click2").at("sort").as_string() == "descending");
    CHECK(result.at("potential_click1").at("sort").as_string() == "descending");
    REQUIRE(up.size() == kTopRows);
    REQUIRE(down.size() == kTopRows);
    CHECK(std::is_sorted(initial.begin(), initial.end(), std::greater<>()));
    CHECK(std::is_sorted(up.begin(), up.end()));
    CHECK(std::is_sorted(down.begin(), down.end(), std::greater<>()));
    CHECK(up.front() < down.front());  // The two directions really differ.
    CHECK(std::is_sorted(potential.begin(), potential.end(), std::greater<>()));
    CHECK(initial.front() == Approx(top.front().score).margin(0.005));

    const auto push = static_cast<std::size_t>(std::count_if(
        top.begin(), top.end(), [](const auto& row) { return row.action == Action::kPushToTop; }));
    REQUIRE(push > 0);
    REQUIRE(push < kTopRows);
    CHECK(result.at("action_selected").as_string() == "push_to_top");
    CHECK(result.at("rows_action").to_number<std::size_t>() == push);
    CHECK(result.at("actions_shown").as_array().size() == 1);
    const std::size_t texts = matching(top, kNeedle);
    REQUIRE(texts > 0);
    REQUIRE(texts < kTopRows);
    CHECK(result.at("rows_text").to_number<std::size_t>() == texts);
}

TEST_CASE("Report in a browser: a 100,000-page report renders, sorts and filters",
          "[browser][report][slow]") {
    const auto chromium = find_chromium();
    if (!chromium) {
        // CI sets this so that a missing browser fails instead of passing by skipping.
        const char* required = std::getenv("BULKSCORE_REQUIRE_BROWSER");
        if (required != nullptr && std::string(required) == "1") {
            FAIL(
                "BULKSCORE_REQUIRE_BROWSER=1 but no Chromium at /usr/bin/chromium; run "
                "`scripts/install-deps --browser`");
        }
        WARN(
            "skipped: no Chromium at /usr/bin/chromium; install it with "
            "`scripts/install-deps --browser` or name one in BULKSCORE_CHROMIUM");
        return;
    }
    TempDir dir;
    const auto input = dir / "site.csv";
    const auto db = dir / "site.db";
    const auto page = dir / "report.html";
    REQUIRE(run_cli({"generate", "100000", input.string(), "--seed", "3"}).exit_code == 0);
    // A hostile id among the best pages (about rank 50, below the screenshot) and a hostile
    // rejected row.
    write_file(input, read_file(input) +
                          "</script><b id=pwned-top>x</b>,20000,200,9,,,,,,\n"
                          "<img id=pwned-rejection src=x>,10,11,3,,,,,,\n");
    REQUIRE(
        run_cli({"score", input.string(), "--db", db.string(), "--progress", "none"}).exit_code ==
        0);
    const auto report = run_cli({"report", "--db", db.string(), "-o", page.string()});
    INFO(report.err);
    REQUIRE(report.exit_code == 0);
    auto top = read_top_scores(db, TopQuery{kTopRows, std::nullopt, std::nullopt});
    REQUIRE_OK(top);
    REQUIRE(std::any_of(top->begin(), top->end(), [](const auto& row) {
        return row.id.find("pwned-top") != std::string::npos;
    }));

    const Browser browser{*chromium, dir / "profile"};
    const std::string url = "file://" + page.string();
    const auto started = std::chrono::steady_clock::now();
    const auto [dom, log] = browser.dump_dom(url, dir.path(), "plain");
    const double load_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    check_plain_page(dom, log);
    const auto [self_dom, self_log] = browser.dump_dom(
        url + "?selftest=1&action=push_to_top&text=" + kNeedle, dir.path(), "selftest");
    check_selftest(self_dom, self_log, *top);

    const auto png = artifacts_dir() / "report.png";
    std::filesystem::remove(png);
    auto args = browser.arguments();
    args.push_back("--screenshot=" + png.string());
    args.push_back("--window-size=1400,1000");
    args.push_back(url);
    REQUIRE(run_to_files(args, dir / "shot.out", dir / "shot.log") == 0);
    const std::string image = read_file(png);
    REQUIRE(image.size() > 10000);
    CHECK(image.substr(1, 3) == "PNG");
    // Measured, not asserted: what a reader waits for.
    std::printf("report browser test: %zu-byte page, chromium --dump-dom %.2f s, screenshot %s\n",
                read_file(page).size(), load_s, png.c_str());
}

}  // namespace
}  // namespace bulkscore::testing
