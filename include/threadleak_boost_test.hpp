// threadleak for Boost.Test: every test case fails when it leaves a thread behind. Header-only.
// In one source file of the test module, after <boost/test/unit_test.hpp>:
//
//     #include <threadleak_boost_test.hpp>
//     BOOST_TEST_GLOBAL_FIXTURE(ThreadleakGlobalFixture);
//
// The global fixture gives every test case the per-test fixture threadleak::BoostFixture (which
// can also be used alone: BOOST_FIXTURE_TEST_SUITE(s, threadleak::BoostFixture), or the decorator
// * boost::unit_test::fixture<threadleak::BoostFixture>()). Its setup opens a threadleak scope
// named after the test case (its full name, "suite/case"), so the threads the test creates, and the
// threads those create, are its; its teardown, after the test body, checks the scope and reports
// an error per place that leaked, at the creation site (FILE:LINE), naming the test case, the start
// routine and the wait, with the report in the first one's message: a native failed assertion of
// the test case, in the log, the results, the exit code and the JUnit log (--log_format=JUNIT).
// Threads leaked by earlier test cases are not blamed on later ones.
//
// Boost.Test starts no threads of its own (its timeouts are signals). The threads left at exit
// are the exit report's (docs/test-frameworks.md). Options for every check:
// threadleak::BoostFixture::options().
#ifndef THREADLEAK_BOOST_TEST_HPP
#define THREADLEAK_BOOST_TEST_HPP

#ifndef BOOST_TEST_GLOBAL_FIXTURE
#error "include <boost/test/unit_test.hpp> before <threadleak_boost_test.hpp>"
#endif

#include "threadleak.h"
#include "threadleak_frameworks.h"

#include <boost/test/tree/traverse.hpp>
#include <boost/test/tree/visitor.hpp>

#include <cstdlib>
#include <deque>
#include <string>

namespace threadleak
{

struct BoostFixture {
    // The options every check uses (zero: the defaults); set them before the tests run. Their
    // scope is replaced by the test case's.
    static tl_options &options()
    {
        static tl_options opts{};
        return opts;
    }

    void setup()
    {
        name_ = boost::unit_test::framework::current_test_case().full_name();
        tl_scope_begin(name_.c_str());
    }

    void teardown()
    {
        tl_fw_result r;
        if (tl_fw_check(&options(), name_.c_str(), &r) > 0)
            for (size_t i = 0; i < r.ngroups; i++)
                Fail(r.groups[i], i == 0 ? r.text : nullptr);
        tl_fw_result_free(&r);
        tl_scope_end();
    }

  private:
    // An error of the current test case at the creation site, as BOOST_ERROR reports one there.
    void Fail(const tl_fw_group &g, const char *report)
    {
        char *msg = tl_fw_message(name_.c_str(), &g);
        std::string text = msg ? msg : "threadleak: a thread leaked";
        std::free(msg);
        if (report)
            text += std::string("\n") + report;
        static std::deque<std::string> files; // the log may keep the file name's pointer
        files.emplace_back(g.site_file ? g.site_file : "threadleak");
        boost::test_tools::tt_detail::report_assertion(
            false, BOOST_TEST_LAZY_MSG(text), files.back(), static_cast<std::size_t>(g.site_line),
            boost::test_tools::tt_detail::CHECK, boost::test_tools::tt_detail::CHECK_MSG, 0);
    }

    std::string name_;
};

// Gives every test case a BoostFixture, once, before the first test runs.
struct BoostGlobalFixture {
    void setup()
    {
        struct AddFixture : boost::unit_test::test_tree_visitor {
            void visit(boost::unit_test::test_case const &tc) override
            {
                auto &t = const_cast<boost::unit_test::test_case &>(tc);
                t.p_fixtures.value.push_back(boost::unit_test::test_unit_fixture_ptr(
                    new boost::unit_test::class_based_fixture<BoostFixture>()));
            }
        } add;
        boost::unit_test::traverse_test_tree(boost::unit_test::framework::master_test_suite(), add,
                                             true);
    }
    void teardown()
    {
    }
};

} // namespace threadleak

// BOOST_TEST_GLOBAL_FIXTURE pastes its argument into a name: it takes no namespace.
using ThreadleakGlobalFixture = threadleak::BoostGlobalFixture;

#endif
