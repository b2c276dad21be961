// std_thread_detached: a detached std::thread that waits for a config change forever.
//
// The bug: ConfigWatcher::start launches a std::thread and detaches it "so the destructor does
// not terminate()". The thread waits on a condition_variable for a reload request or a stop that
// never comes; detaching only hid it.
//
// Expected: one running, detached leak created by main. Its pthread start routine is libstdc++'s
// execute_native_thread_routine; the user's function is ConfigWatcher::watch. TSan: nothing.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

class ConfigWatcher
{
  public:
    explicit ConfigWatcher(std::string path) : path_(std::move(path))
    {
    }

    void start()
    {
        std::thread([this] { watch(); }).detach();
    }

    void request_reload()
    {
        std::lock_guard<std::mutex> lock(mu_);
        reload_requested_ = true;
        cv_.notify_all();
    }

    int reloads()
    {
        std::lock_guard<std::mutex> lock(mu_);
        return reloads_;
    }

  private:
    void watch()
    {
        std::unique_lock<std::mutex> lock(mu_);
        for (;;) { // no stop flag: the loop only ever waits for the next reload
            cv_.wait(lock, [this] { return reload_requested_; });
            reload_requested_ = false;
            reloads_++;
        }
    }

    std::string path_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool reload_requested_ = false;
    int reloads_ = 0;
};

int main()
{
    // Never deleted, on purpose: destroying the condition_variable while the detached thread
    // waits on it would block exit (glibc's pthread_cond_destroy waits for its waiters).
    auto *watcher = new ConfigWatcher("/etc/app.conf");
    watcher->start();
    watcher->request_reload();
    while (watcher->reloads() == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::printf("std_thread_detached: %d reload(s)\n", watcher->reloads());
    return 0;
}
