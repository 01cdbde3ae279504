// A policy that asks something slow (here a lookup thread of the host's)
// and answers from that thread: the request pauses, the worker serves other
// requests meanwhile, and the token hands the decision back.
//   example_policy_from_thread [ADDRESS]
#include <apigw/gateway.hpp>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

// The host's lookup service: one thread working through a queue.
class Lookup {
 public:
  struct Job {
    std::string user;
    apigw::ResumeToken token;
  };

  Lookup() : thread_([this] { work(); }) {}
  ~Lookup() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void ask(Job job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return done_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      if (job.user == "ada")
        job.token.resume();  // allowed: the route's handler answers
      else
        job.token.respond({.status = 403, .headers = {{"content-type", "text/plain"}}, .body = "not on the list\n"});
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool done_ = false;
  std::thread thread_;
};

class AskLookupPolicy : public apigw::PassThroughPolicy {
 public:
  explicit AskLookupPolicy(Lookup& lookup) : lookup_(lookup) {}
  apigw::Decision on_request(apigw::Exchange& ex) const noexcept override {
    try {
      lookup_.ask({std::string(ex.request().headers.get("x-user")), ex.pause()});
    } catch (...) {
      return ex.fail(apigw::Status(apigw::Code::kInternal, "lookup unavailable"));
    }
    return apigw::Decision::kPause;
  }

 private:
  Lookup& lookup_;
};

int main(int argc, char** argv) {
  // Blocked before any thread starts (the lookup's too), so that only sigwait sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  Lookup lookup;  // outlives the gateway (declared first, destroyed last)
  auto gw = apigw::GatewayBuilder()
                .listener({.name = "public", .address = argc > 1 ? argv[1] : "127.0.0.1:8080"})
                .policy("ask", std::make_shared<AskLookupPolicy>(lookup))
                .handler("hello", [](apigw::Exchange& ex) { return ex.respond(200, "welcome\n"); })
                .route({.name = "hello", .match = {.path = "/hello"}, .policies = {"ask"}, .handler = "hello"})
                .build();
  if (!gw) {
    std::fprintf(stderr, "%s\n", gw.status().to_string().c_str());
    return 1;
  }
  if (apigw::Status st = gw.value()->start(); !st) {
    std::fprintf(stderr, "%s\n", st.to_string().c_str());
    return 2;
  }
  std::printf("listening on http://%s/hello (send x-user: ada)\n", gw.value()->bound_addresses()[0].c_str());
  std::fflush(stdout);
  int sig;
  sigwait(&stop, &sig);
  gw.value()->stop();
}
