#include "engine/image/border_stats.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace gd {
namespace {

// The lower median of a histogram holding `total` counts.
int histogram_median(const std::vector<uint64_t>& hist, uint64_t total) {
  const uint64_t half = (total + 1) / 2;
  uint64_t acc = 0;
  for (size_t v = 0; v < hist.size(); ++v) {
    acc += hist[v];
    if (acc >= half) return static_cast<int>(v);
  }
  return static_cast<int>(hist.size()) - 1;
}

// Median and 1.4826 * MAD of the values counted in `hist`.
void median_and_spread(const std::vector<uint64_t>& hist, uint64_t total, double& median, double& spread) {
  const int med = histogram_median(hist, total);
  std::vector<uint64_t> dev(hist.size(), 0);
  for (size_t v = 0; v < hist.size(); ++v)
    if (hist[v]) dev[static_cast<size_t>(std::abs(static_cast<int>(v) - med))] += hist[v];
  median = med;
  spread = 1.4826 * histogram_median(dev, total);
}

}  // namespace

BorderStats border_statistics(const GrayImage16& img) {
  BorderStats s;
  const int W = img.width, H = img.height;
  s.band = std::max(1, std::min(W, H) / 25);
  const int b = s.band;
  std::vector<uint64_t> band(65536, 0), all(65536, 0);
  uint64_t band_total = 0;
  for (int y = 0; y < H; ++y) {
    const bool full_row = y < b || y >= H - b;
    for (int x = 0; x < W; ++x) {
      const uint16_t v = img.at(x, y);
      ++all[v];
      if (full_row || x < b || x >= W - b) {
        ++band[v];
        ++band_total;
      }
    }
  }
  median_and_spread(band, band_total, s.background, s.noise);
  int lo = 0, hi = 65535;
  while (!all[static_cast<size_t>(lo)]) ++lo;
  while (!all[static_cast<size_t>(hi)]) --hi;
  if (s.noise <= 0.1 * (hi - lo)) return s;  // a quiet band: paper (plus grain), keep it
  double whole_median, whole_spread;
  median_and_spread(all, static_cast<uint64_t>(W) * H, whole_median, whole_spread);
  if (whole_spread < s.noise) {
    s.background = whole_median;
    s.noise = whole_spread;
    s.from_whole_image = true;
  }
  return s;
}

}  // namespace gd
