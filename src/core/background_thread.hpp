// Threads the library starts (workers, log writer, exporters, fetchers)
// begin with every signal blocked. A process signal must reach the host's
// thread that waits for it (sigwait, signalfd, its event loop), never one of
// ours, where the default action of SIGHUP or SIGTERM ends the process. A
// host that blocks its signals before building a gateway gets this anyway;
// one that blocks them later would otherwise lose that race.
#pragma once

#include <pthread.h>

#include <csignal>
#include <thread>
#include <utility>

namespace apigw {

template <class F>
std::thread start_background_thread(F&& body) {
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  struct Restore {
    sigset_t mask;
    ~Restore() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{previous};
  return std::thread(std::forward<F>(body));  // inherits the full mask
}

}  // namespace apigw
