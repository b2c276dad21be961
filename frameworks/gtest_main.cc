// threadleak::gtest_main: GoogleTest's main with threadleak's listener installed, so a test
// binary linked with it instead of GTest::gtest_main checks every test for leaked threads and
// needs no code. Compiled in the user's project (the target carries this file as a source), with
// the user's GoogleTest headers.
#include <threadleak_gtest.hpp>

int main(int argc, char **argv)
{
    ::testing::InitGoogleTest(&argc, argv);
    threadleak::InstallGTestListener();
    return RUN_ALL_TESTS();
}
