// SPDX-License-Identifier: MIT
//
// `RetryTimers`: the waits between retries of a scorer call, on Asio timers, so that no worker
// thread sleeps while a node waits for its next try. Every timer lives on one strand, which
// makes `cancel_all` (from the committer, at a stop) safe against timers being armed and firing
// on the pool's threads at the same moment. A completed wait is delivered to the waiter's own
// executor (the pool by default, or the coroutine that awaits it).
//
// Thread safety: `async_wait` and `cancel_all` may be called from any thread. Lifetime: the
// object must outlive every wait; the engine joins its pool before destroying it.

#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <unordered_set>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/system/error_code.hpp>

namespace bulkscore::detail {

class RetryTimers {
public:
    using Executor = boost::asio::thread_pool::executor_type;

    explicit RetryTimers(Executor executor)
        : executor_(executor), strand_(boost::asio::make_strand(executor)) {}
    RetryTimers(const RetryTimers&) = delete;
    RetryTimers& operator=(const RetryTimers&) = delete;

    /// Waits `delay`, then completes with no error, or with `operation_aborted` when
    /// `cancel_all` came first (before or during the wait). Completion signature:
    /// `void(boost::system::error_code)`; works with plain callbacks and `use_awaitable`.
    template <class CompletionToken>
    auto async_wait(std::chrono::nanoseconds delay, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
            [this, delay](auto handler) { start(delay, std::move(handler)); }, token);
    }

    /// Ends every pending wait with `operation_aborted`, and every later one at once.
    void cancel_all();

private:
    template <class Handler>
    void start(std::chrono::nanoseconds delay, Handler handler) {
        boost::asio::post(strand_, [this, delay, handler = std::move(handler)]() mutable {
            if (cancelled_) {
                deliver(std::move(handler), boost::asio::error::operation_aborted);
                return;
            }
            auto timer = std::make_unique<boost::asio::steady_timer>(strand_, delay);
            boost::asio::steady_timer* raw = timer.get();
            timers_.insert(raw);
            raw->async_wait([this, timer = std::move(timer), handler = std::move(handler)](
                                boost::system::error_code error) mutable {
                timers_.erase(timer.get());
                if (cancelled_) {
                    error = boost::asio::error::operation_aborted;
                }
                deliver(std::move(handler), error);
            });
        });
    }

    // Runs the waiter on its own executor, never on the strand, so that its work (scoring,
    // resuming a coroutine) does not serialise behind other timers.
    template <class Handler>
    void deliver(Handler handler, boost::system::error_code error) {
        auto target = boost::asio::get_associated_executor(handler, executor_);
        boost::asio::post(
            target, [handler = std::move(handler), error]() mutable { std::move(handler)(error); });
    }

    Executor executor_;
    boost::asio::strand<Executor> strand_;
    std::unordered_set<boost::asio::steady_timer*> timers_;  // Only touched on `strand_`.
    bool cancelled_ = false;                                 // Only touched on `strand_`.
};

}  // namespace bulkscore::detail
