/* GoogleTest's helper under the name the C headers use (threadleak_<framework>.h): the same as
 * threadleak_gtest.hpp, which holds it. C++ only. */
#ifndef THREADLEAK_GTEST_H
#define THREADLEAK_GTEST_H

#include "threadleak_gtest.hpp"

#endif
