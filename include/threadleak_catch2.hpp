// threadleak for Catch2 (v2, the single header <catch2/catch.hpp>): every test case fails when it
// leaves a thread behind. Header-only. In one source file of the test binary:
//
//     #include <threadleak_catch2.hpp> // main: Catch2::Catch2WithMain, or CATCH_CONFIG_MAIN first
//     CATCH_REGISTER_LISTENER(ThreadleakListener)
//
// The listener opens a threadleak scope per run of a test case (Catch2 runs a test case once per
// leaf section; each run is checked on its own), named after the test case, so the threads the
// run creates, and the threads those create, are its. When the run's body has returned, the
// listener checks the scope and adds a failed assertion per place that leaked, at the creation
// site (FILE:LINE), naming the test case, the start routine and the wait, with the report in the
// first one's message: a native failure, counted in the totals and the exit code, and in the
// JUnit reporter's <failure>. Threads leaked by earlier test cases are not blamed on later ones.
//
// Catch2 v2 starts no threads of its own. The threads left at exit are the exit report's
// (docs/test-frameworks.md). A tl_options for every check: threadleak::Catch2Listener::options().
#ifndef THREADLEAK_CATCH2_HPP
#define THREADLEAK_CATCH2_HPP

// Listeners need Catch2's external interfaces: the file that defines CATCH_CONFIG_MAIN or
// CATCH_CONFIG_RUNNER has them; any other must ask for them before catch.hpp.
#ifndef TWOBLUECUBES_SINGLE_INCLUDE_CATCH_HPP_INCLUDED
#ifndef CATCH_CONFIG_EXTERNAL_INTERFACES
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#endif
#include <catch2/catch.hpp>
#elif !defined(CATCH_CONFIG_EXTERNAL_INTERFACES)
#error                                                                                             \
    "include <threadleak_catch2.hpp> before <catch2/catch.hpp>, or define CATCH_CONFIG_EXTERNAL_INTERFACES first"
#endif

#include "threadleak.h"
#include "threadleak_frameworks.h"

#include <cstdlib>
#include <deque>
#include <string>

namespace threadleak
{

class Catch2Listener : public Catch::TestEventListenerBase
{
  public:
    using Catch::TestEventListenerBase::TestEventListenerBase;

    // The options every check uses (zero: the defaults); set them before Catch2's session runs.
    // Their scope is replaced by the run's.
    static tl_options &options()
    {
        static tl_options opts{};
        return opts;
    }

    void testCaseStarting(Catch::TestCaseInfo const &info) override
    {
        TestEventListenerBase::testCaseStarting(info);
        name_ = info.name;
        run_ = 0;
    }

    void sectionStarting(Catch::SectionInfo const &info) override
    {
        TestEventListenerBase::sectionStarting(info);
        if (depth_++ == 0) { // the test case's own section: one run
            scope_ = name_;
            if (++run_ > 1) // a later run through other sections is a scope of its own
                scope_ += " (run " + std::to_string(run_) + ")";
            tl_scope_begin(scope_.c_str());
        }
    }

    // Called for the test case's section after its body returned, while its assertions still
    // count: a failure added here fails the test case.
    void sectionEnded(Catch::SectionStats const &stats) override
    {
        if (--depth_ == 0) {
            tl_fw_result r;
            if (tl_fw_check(&options(), scope_.c_str(), &r) > 0)
                for (size_t i = 0; i < r.ngroups; i++)
                    Fail(r.groups[i], i == 0 ? r.text : nullptr);
            tl_fw_result_free(&r);
            tl_scope_end();
        }
        TestEventListenerBase::sectionEnded(stats);
    }

  private:
    // A failed assertion at the creation site, as FAIL_CHECK makes one.
    void Fail(const tl_fw_group &g, const char *report)
    {
        char *msg = tl_fw_message(name_.c_str(), &g);
        std::string text = msg ? msg : "threadleak: a thread leaked";
        std::free(msg);
        if (report)
            text += std::string("\n") + report;
        // Reporters keep the file name's pointer (JUnit writes at the end): keep the names.
        files_.emplace_back(g.site_file ? g.site_file : "threadleak");
        Catch::AssertionHandler handler(
            "FAIL_CHECK"_catch_sr,
            Catch::SourceLineInfo(files_.back().c_str(), static_cast<std::size_t>(g.site_line)),
            Catch::StringRef(), Catch::ResultDisposition::ContinueOnFailure);
        handler.handleMessage(Catch::ResultWas::ExplicitFailure, text);
        handler.complete();
    }

    std::string name_;
    std::string scope_;
    int run_ = 0;
    int depth_ = 0;
    std::deque<std::string> files_;
};

} // namespace threadleak

// CATCH_REGISTER_LISTENER pastes its argument into a name: it takes no namespace.
using ThreadleakListener = threadleak::Catch2Listener;

#endif
