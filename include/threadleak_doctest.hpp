// threadleak for doctest: every test case fails when it leaves a thread behind. Header-only.
// In one source file of the test binary:
//
//     #define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN // or wherever your main is
//     #include <doctest/doctest.h>
//     #include <threadleak_doctest.hpp>
//     REGISTER_LISTENER("threadleak", 1, threadleak::DoctestListener);
//
// The listener runs each run of a test case (doctest runs a test case once per leaf subcase) in
// a threadleak scope named after it, so the threads the run creates, and the threads those
// create, are its. When the run's body has returned (or thrown), it checks the scope and adds a
// failed CHECK per place that leaked, at the creation site (FILE:LINE), naming the test case, the
// start routine and the wait, with the report in the first one's message: a native failure,
// counted in the summary, the exit code and the JUnit reporter's output. Threads leaked by
// earlier test cases are not blamed on later ones.
//
// doctest has no hook between a test case's last run and its verdict, so the listener wraps the
// test case's function for the time it runs (test_case_start to test_case_end) and checks inside
// it, where a failure still counts. doctest starts no threads of its own. The threads left at
// exit are the exit report's (docs/test-frameworks.md). Options for every check:
// threadleak::DoctestListener::options().
#ifndef THREADLEAK_DOCTEST_HPP
#define THREADLEAK_DOCTEST_HPP

#ifndef DOCTEST_LIBRARY_INCLUDED
#error "include <doctest/doctest.h> before <threadleak_doctest.hpp>"
#endif

#include "threadleak.h"
#include "threadleak_frameworks.h"

#include <cstdlib>
#include <deque>
#include <string>

namespace threadleak
{

class DoctestListener : public doctest::IReporter
{
  public:
    explicit DoctestListener(const doctest::ContextOptions &)
    {
    }

    // The options every check uses (zero: the defaults); set them before the run. Their scope is
    // replaced by the run's.
    static tl_options &options()
    {
        static tl_options opts{};
        return opts;
    }

    void test_case_start(const doctest::TestCaseData &data) override
    {
        State &s = state();
        s.test = const_cast<doctest::detail::TestCase *>(
            static_cast<const doctest::detail::TestCase *>(&data));
        s.body = s.test->m_test;
        s.name = data.m_name;
        s.run = 0;
        s.test->m_test = &RunChecked;
    }

    void test_case_end(const doctest::CurrentTestCaseStats &) override
    {
        State &s = state();
        if (s.test)
            s.test->m_test = s.body;
        s.test = nullptr;
    }

    void report_query(const doctest::QueryData &) override
    {
    }
    void test_run_start() override
    {
    }
    void test_run_end(const doctest::TestRunStats &) override
    {
    }
    void test_case_reenter(const doctest::TestCaseData &) override
    {
    }
    void test_case_exception(const doctest::TestCaseException &) override
    {
    }
    void subcase_start(const doctest::SubcaseSignature &) override
    {
    }
    void subcase_end() override
    {
    }
    void log_assert(const doctest::AssertData &) override
    {
    }
    void log_message(const doctest::MessageData &) override
    {
    }
    void test_case_skipped(const doctest::TestCaseData &) override
    {
    }

  private:
    struct State {
        doctest::detail::TestCase *test = nullptr;
        doctest::detail::funcType body = nullptr;
        std::string name;
        int run = 0;
        std::deque<std::string> files; // doctest may keep a failure's file name: keep it alive
    };

    static State &state()
    {
        static State s;
        return s;
    }

    // One run of the test case in its own scope, checked when the body returns or throws (a
    // REQUIRE that failed): a failed check does not throw, so it is safe during the unwinding.
    struct Run {
        std::string scope;
        Run()
        {
            State &s = state();
            scope = s.name;
            if (++s.run > 1) // a later run through other subcases is a scope of its own
                scope += " (run " + std::to_string(s.run) + ")";
            tl_scope_begin(scope.c_str());
        }
        ~Run()
        {
            tl_fw_result r;
            if (tl_fw_check(&options(), scope.c_str(), &r) > 0)
                for (size_t i = 0; i < r.ngroups; i++)
                    Fail(r.groups[i], i == 0 ? r.text : nullptr);
            tl_fw_result_free(&r);
            tl_scope_end();
        }
    };

    static void RunChecked()
    {
        Run run;
        state().body();
    }

    static void Fail(const tl_fw_group &g, const char *report)
    {
        State &s = state();
        char *msg = tl_fw_message(s.name.c_str(), &g);
        std::string text = msg ? msg : "threadleak: a thread leaked";
        std::free(msg);
        if (report)
            text += std::string("\n") + report;
        s.files.emplace_back(g.site_file ? g.site_file : "threadleak");
        // A failed CHECK rather than FAIL_CHECK: doctest's JUnit reporter writes asserts only.
        doctest::detail::ResultBuilder rb(doctest::assertType::DT_CHECK, s.files.back().c_str(),
                                          g.site_line, "no leaked threads");
        rb.setResult(doctest::detail::Result(false, doctest::String(text.c_str())));
        rb.log();
        rb.react();
    }
};

} // namespace threadleak

#endif
