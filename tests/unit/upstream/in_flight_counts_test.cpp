// InFlightCounts: per-worker blocks summed by target address.
#include <doctest/doctest.h>

#include "upstream/in_flight_counts.hpp"

using apigw::upstream::InFlightCounts;

TEST_CASE("in_flight: blocks of several workers are summed by target address") {
  InFlightCounts counts;
  auto a = counts.add_block({"10.0.0.1:80", "10.0.0.2:80"});
  auto b = counts.add_block({"10.0.0.2:80", "10.0.0.3:80"});  // another worker, after a reload
  a->started(0);
  a->started(1);
  b->started(0);
  b->started(1);
  CHECK(counts.count({"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"}) == std::vector<uint64_t>{1, 2, 1});
  a->finished(1);
  CHECK(counts.count({"10.0.0.2:80"}) == std::vector<uint64_t>{1});
}

TEST_CASE("in_flight: a finished try never takes a count below zero, nor does a bad index count") {
  InFlightCounts counts;
  auto a = counts.add_block({"10.0.0.1:80"});
  a->finished(0);
  a->started(7);
  a->finished(7);
  CHECK(counts.count({"10.0.0.1:80"}) == std::vector<uint64_t>{0});
  a->started(0);
  CHECK(counts.count({"10.0.0.1:80"}) == std::vector<uint64_t>{1});
}

TEST_CASE("in_flight: a block no request holds any more stops counting") {
  InFlightCounts counts;
  auto old_view = counts.add_block({"10.0.0.1:80"});
  old_view->started(0);
  auto new_view = counts.add_block({"10.0.0.1:80"});
  CHECK(counts.count({"10.0.0.1:80"}) == std::vector<uint64_t>{1});  // a try from before the reload
  old_view.reset();
  CHECK(counts.count({"10.0.0.1:80"}) == std::vector<uint64_t>{0});
}
