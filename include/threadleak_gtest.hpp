// threadleak for GoogleTest: every test fails when it leaves a thread behind. Header-only.
//
//     #include <threadleak_gtest.hpp>
//     int main(int argc, char **argv) {
//         ::testing::InitGoogleTest(&argc, argv);
//         threadleak::InstallGTestListener();
//         return RUN_ALL_TESTS();
//     }
//
// or, with CMake, link threadleak::gtest_main instead of GTest::gtest_main and write nothing.
//
// The listener opens a threadleak scope named after each test as GoogleTest names it
// ("Suite.Name", "Inst/Suite.Name/0", "Suite/0.Name"), so the threads the test creates, and the
// threads those create, are the test's. When the test ends (after TearDown and the fixture's
// destructor), it checks that scope: each group of leaked threads fails the test with
// ADD_FAILURE_AT at the group's creation site, naming the start routine and what the threads
// are blocked on, and the whole report is attached to the test as the property "threadleak" (in
// --gtest_output=xml/json). Threads leaked by earlier tests, still running, are not blamed on
// later ones, also under --gtest_shuffle; under --gtest_repeat each iteration has scopes of its
// own. At the end of each iteration (after the global environments' TearDown), threads still
// alive that no test was blamed for fail the program, as goleak's VerifyTestMain does.
//
// GoogleTest starts no threads of its own (death tests fork or re-execute the binary), so nothing
// needs ignoring; pass tl_options (ignore_top, ignore_created_by, ...) for your own.
#ifndef THREADLEAK_GTEST_HPP
#define THREADLEAK_GTEST_HPP

#include <gtest/gtest.h>

#include "threadleak.h"
#include "threadleak_frameworks.h"

#include <cstdlib>
#include <set>
#include <string>

namespace threadleak
{

class GTestListener : public ::testing::EmptyTestEventListener
{
  public:
    // opts (copied; the lists it points to must outlive the listener) applies to every check;
    // its scope is replaced by the test's.
    explicit GTestListener(const tl_options *opts = nullptr)
    {
        if (opts)
            opts_ = *opts;
    }

    GTestListener(const GTestListener &) = delete;
    GTestListener &operator=(const GTestListener &) = delete;

    void OnTestIterationStart(const ::testing::UnitTest &, int iteration) override
    {
        iteration_ = iteration;
    }

    void OnTestStart(const ::testing::TestInfo &test) override
    {
        name_ = std::string(test.test_suite_name()) + "." + test.name();
        scope_ = name_;
        if (iteration_ > 0) // the same test in another iteration is another scope
            scope_ += " (iteration " + std::to_string(iteration_ + 1) + ")";
        // When the scope table is full the check falls back to every thread: it may blame the
        // test for older threads, never miss its own.
        tl_scope_begin(scope_.c_str());
    }

    void OnTestEnd(const ::testing::TestInfo &) override
    {
        tl_fw_result r;
        if (tl_fw_check(&opts_, scope_.c_str(), &r) > 0) {
            for (size_t i = 0; i < r.ngroups; i++)
                Fail(name_.c_str(), r.groups[i], i == 0 ? r.text : nullptr);
            ::testing::Test::RecordProperty("threadleak", r.text ? r.text : "");
            blamed_.insert(scope_);
        }
        tl_fw_result_free(&r);
        tl_scope_end();
    }

    // The whole program's check (goleak's VerifyTestMain): threads alive after the global
    // environments' TearDown that no test was blamed for, and that no earlier iteration reported.
    void OnTestIterationEnd(const ::testing::UnitTest &, int) override
    {
        tl_options o = opts_;
        if (reported_) // it holds what opts_.ignore_current held and was still alive
            o.ignore_current = reported_;
        tl_fw_result r;
        if (tl_fw_check(&o, nullptr, &r) > 0) {
            bool failed = false;
            for (size_t i = 0; i < r.ngroups; i++)
                if (!r.groups[i].scope || blamed_.count(r.groups[i].scope) == 0) {
                    Fail(nullptr, r.groups[i], failed ? nullptr : r.text);
                    failed = true;
                }
            if (failed)
                ::testing::Test::RecordProperty("threadleak", r.text ? r.text : "");
        }
        tl_fw_result_free(&r);
        // Every thread alive now was either ignored, blamed on a test or reported just now.
        tl_snapshot_free(reported_);
        reported_ = tl_snapshot_take();
    }

    ~GTestListener() override
    {
        tl_snapshot_free(reported_);
    }

  private:
    // One failure per group, at its creation site when the report has one; the first one of a
    // check carries the whole report.
    static void Fail(const char *test, const tl_fw_group &g, const char *report)
    {
        char *msg = tl_fw_message(test, &g);
        std::string text = msg ? msg : "threadleak: a thread leaked";
        std::free(msg);
        if (report)
            text += std::string("\n") + report;
        if (g.site_file)
            ADD_FAILURE_AT(g.site_file, g.site_line) << text;
        else
            ADD_FAILURE() << text;
    }

    tl_options opts_{};
    int iteration_ = 0;
    std::string name_;
    std::string scope_;
    std::set<std::string> blamed_; // scopes whose leaks already failed their test
    tl_snapshot *reported_ = nullptr;
};

// Appends the listener to GoogleTest's; call it after InitGoogleTest, before RUN_ALL_TESTS.
// GoogleTest owns the listener from then on.
inline void InstallGTestListener(const tl_options *opts = nullptr)
{
    ::testing::UnitTest::GetInstance()->listeners().Append(new GTestListener(opts));
}

} // namespace threadleak

#endif
