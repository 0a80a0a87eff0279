#include "engine/train/history.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "engine/core/error.h"

namespace gd {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Bitwise equality for finite values, "both NaN" for NaN: round trips must be exact.
bool same(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof(double)) == 0;
}

void expect_same(const History& a, const History& b) {
  ASSERT_EQ(a.records().size(), b.records().size());
  for (size_t i = 0; i < a.records().size(); ++i) {
    const EpochRecord& x = a.records()[i];
    const EpochRecord& y = b.records()[i];
    EXPECT_EQ(x.epoch, y.epoch) << i;
    EXPECT_TRUE(same(x.train_loss, y.train_loss)) << i;
    EXPECT_TRUE(same(x.train_accuracy, y.train_accuracy)) << i;
    EXPECT_TRUE(same(x.val_loss, y.val_loss)) << i << " " << x.val_loss << " vs " << y.val_loss;
    EXPECT_TRUE(same(x.val_accuracy, y.val_accuracy)) << i;
    EXPECT_TRUE(same(x.lr, y.lr)) << i;
    EXPECT_TRUE(same(x.seconds, y.seconds)) << i;
    EXPECT_TRUE(same(x.samples_per_sec, y.samples_per_sec)) << i;
  }
}

// Values that are not short decimals (1/3, 0.1, tiny/huge exponents) so a lossy format would show.
History sample() {
  History h;
  h.add({1, 1.0 / 3.0, 0.1, 0.25, 0.5, 1e-3, 12.5, 48000.125});
  h.add({2, 0.2, 0.93, kNaN, kNaN, 3.0517578125e-05, 1e-300, 1.7976931348623157e308});
  h.add({3, 0.05, 0.991, 0.07, kNaN, 0.0, 0.0, -0.0});
  return h;
}

TEST(History, CsvRoundTripWithNaN) {
  const History h = sample();
  const std::string csv = h.to_csv();
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds,samples_per_sec");
  // Line for epoch 2: val_loss and val_accuracy are empty fields.
  const size_t l2 = csv.find("\n2,");
  ASSERT_NE(l2, std::string::npos);
  const std::string line2 = csv.substr(l2 + 1, csv.find('\n', l2 + 1) - l2 - 1);
  EXPECT_NE(line2.find(",,,"), std::string::npos) << line2;
  EXPECT_EQ(line2.find("nan"), std::string::npos) << line2;
  expect_same(h, History::from_csv(csv));
}

TEST(History, JsonRoundTripWithNaNAsNull) {
  const History h = sample();
  const nlohmann::json j = h.to_json();
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 3u);
  EXPECT_TRUE(j[1]["val_loss"].is_null());
  EXPECT_TRUE(j[1]["val_accuracy"].is_null());
  EXPECT_TRUE(j[2]["val_accuracy"].is_null());
  EXPECT_FALSE(j[2]["val_loss"].is_null());
  EXPECT_EQ(j[0]["epoch"], 1);
  // Through text, as it is stored on disk.
  expect_same(h, History::from_json(nlohmann::json::parse(j.dump())));
}

TEST(History, EmptyHistory) {
  const History h;
  EXPECT_EQ(History::from_csv(h.to_csv()).records().size(), 0u);
  EXPECT_EQ(History::from_json(h.to_json()).records().size(), 0u);
  EXPECT_TRUE(h.to_json().is_array());
}

TEST(History, MalformedInputThrowsDataError) {
  EXPECT_THROW(History::from_json(nlohmann::json::object()), DataError);
  EXPECT_THROW(History::from_json(nlohmann::json::parse(R"([{"epoch": 1}])")), DataError);
  EXPECT_THROW(History::from_json(nlohmann::json::parse(
                   R"([{"epoch":1,"train_loss":"x","train_accuracy":0,"val_loss":0,"val_accuracy":0,"lr":0,"seconds":0,"samples_per_sec":0}])")),
               DataError);
  EXPECT_THROW(History::from_csv(""), DataError);
  EXPECT_THROW(History::from_csv("epoch,loss\n1,2\n"), DataError);
  const std::string header = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds,samples_per_sec\n";
  EXPECT_THROW(History::from_csv(header + "1,2,3\n"), DataError);
  EXPECT_THROW(History::from_csv(header + "1,abc,0,0,0,0,0,0\n"), DataError);
  EXPECT_THROW(History::from_csv(header + "1.5,0,0,0,0,0,0,0\n"), DataError);
  EXPECT_EQ(History::from_csv(header + "4,0.5,0.9,,,0.01,2,100\n").records().at(0).epoch, 4);
}

}  // namespace
}  // namespace gd
