#include "engine/image/ink_components.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/core/error.h"

namespace gd {
namespace {

struct Component {
  int64_t pixels = 0, inner = 0;  // inner: pixels outside the frame ring
  double mass = 0.0;
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // half-open box
  enum { Keep, Speck, Frame } fate = Keep;
  bool frame_candidate = false;
};

int32_t find_root(std::vector<int32_t>& parent, int32_t a) {
  while (parent[static_cast<size_t>(a)] != a) {
    parent[static_cast<size_t>(a)] = parent[static_cast<size_t>(parent[static_cast<size_t>(a)])];
    a = parent[static_cast<size_t>(a)];
  }
  return a;
}

void unite(std::vector<int32_t>& parent, int32_t a, int32_t b) {
  a = find_root(parent, a);
  b = find_root(parent, b);
  if (a != b) parent[static_cast<size_t>(std::max(a, b))] = std::min(a, b);
}

// Chebyshev gap between two half-open boxes (0 when they touch or overlap).
int box_gap(const Component& a, int x0, int y0, int x1, int y1) {
  const int dx = std::max({0, a.x0 - x1, x0 - a.x1});
  const int dy = std::max({0, a.y0 - y1, y0 - a.y1});
  return std::max(dx, dy);
}

}  // namespace

InkRegion find_ink_region(FloatImage& ink, float threshold, double min_fraction) {
  const int W = ink.width, H = ink.height;
  const size_t n = ink.pixels.size();
  std::vector<int32_t> label(n, -1);
  std::vector<int32_t> parent;

  // Pass 1: provisional labels, merging 8-neighbours seen earlier (W, NW, N, NE).
  for (int y = 0; y < H; ++y) {
    for (int x = 0; x < W; ++x) {
      const size_t i = static_cast<size_t>(y) * W + x;
      if (ink.pixels[i] < threshold) continue;
      int32_t l = -1;
      auto take = [&](int nx, int ny) {
        if (nx < 0 || nx >= W || ny < 0) return;
        const int32_t o = label[static_cast<size_t>(ny) * W + nx];
        if (o < 0) return;
        if (l < 0) l = o;
        else unite(parent, l, o);
      };
      take(x - 1, y);
      take(x - 1, y - 1);
      take(x, y - 1);
      take(x + 1, y - 1);
      if (l < 0) {
        l = static_cast<int32_t>(parent.size());
        parent.push_back(l);
      }
      label[i] = l;
    }
  }
  GD_CHECK_T(!parent.empty(), DataError, "no ink found: no pixel reaches " << threshold << " of full ink");

  // Pass 2: resolve labels to dense component ids and measure.
  std::vector<int32_t> dense(parent.size(), -1);
  std::vector<Component> comps;
  const int ring = std::max(2, static_cast<int>(std::lround(0.05 * std::min(W, H))));
  for (int y = 0; y < H; ++y) {
    for (int x = 0; x < W; ++x) {
      const size_t i = static_cast<size_t>(y) * W + x;
      if (label[i] < 0) continue;
      const int32_t root = find_root(parent, label[i]);
      int32_t& id = dense[static_cast<size_t>(root)];
      if (id < 0) {
        id = static_cast<int32_t>(comps.size());
        Component c;
        c.x0 = x, c.y0 = y, c.x1 = x + 1, c.y1 = y + 1;
        comps.push_back(c);
      }
      label[i] = id;
      Component& c = comps[static_cast<size_t>(id)];
      ++c.pixels;
      c.mass += ink.pixels[i];
      c.x0 = std::min(c.x0, x), c.x1 = std::max(c.x1, x + 1);
      c.y0 = std::min(c.y0, y), c.y1 = std::max(c.y1, y + 1);
      if (x >= ring && y >= ring && x < W - ring && y < H - ring) ++c.inner;
    }
  }

  // Frame candidates: wholly inside the ring and long along an edge.
  bool any_core = false;
  for (Component& c : comps) {
    const bool long_edge = (c.x1 - c.x0) * 4 >= W || (c.y1 - c.y0) * 4 >= H;
    c.frame_candidate = c.inner == 0 && long_edge;
    any_core = any_core || !c.frame_candidate;
  }
  if (!any_core)
    for (Component& c : comps) c.frame_candidate = false;  // nothing else: it is the digit

  // Specks among the core components.
  double heaviest = 0.0;
  for (const Component& c : comps)
    if (!c.frame_candidate) heaviest = std::max(heaviest, c.mass);
  int bx0 = W, by0 = H, bx1 = 0, by1 = 0;
  for (Component& c : comps) {
    if (c.frame_candidate) continue;
    if (c.mass < min_fraction * heaviest) {
      c.fate = Component::Speck;
      continue;
    }
    bx0 = std::min(bx0, c.x0), by0 = std::min(by0, c.y0), bx1 = std::max(bx1, c.x1), by1 = std::max(by1, c.y1);
  }
  // Frame candidates: dropped when separated from the digit, else judged like the rest.
  for (Component& c : comps) {
    if (!c.frame_candidate) continue;
    if (box_gap(c, bx0, by0, bx1, by1) > 2 * ring) c.fate = Component::Frame;
    else if (c.mass < min_fraction * heaviest) c.fate = Component::Speck;
  }

  InkRegion r;
  r.x0 = W, r.y0 = H;
  for (const Component& c : comps) {
    if (c.fate == Component::Speck) ++r.dropped_specks;
    if (c.fate == Component::Frame) ++r.dropped_frame;
    if (c.fate != Component::Keep) continue;
    ++r.components;
    r.x0 = std::min(r.x0, c.x0), r.y0 = std::min(r.y0, c.y0), r.x1 = std::max(r.x1, c.x1), r.y1 = std::max(r.y1, c.y1);
  }
  if (r.dropped_specks + r.dropped_frame > 0)
    for (size_t i = 0; i < n; ++i)
      if (label[i] >= 0 && comps[static_cast<size_t>(label[i])].fate != Component::Keep) ink.pixels[i] = 0.f;

  // The faint rim: grow each side while the line just outside holds ink, up to `grow` lines.
  const int grow = std::max(1, static_cast<int>(std::lround(0.02 * std::max(r.width(), r.height()))));
  auto row_has_ink = [&](int y, int xa, int xb) {
    for (int x = std::max(0, xa); x < std::min(W, xb); ++x)
      if (ink.at(x, y) > 0.f) return true;
    return false;
  };
  auto col_has_ink = [&](int x, int ya, int yb) {
    for (int y = std::max(0, ya); y < std::min(H, yb); ++y)
      if (ink.at(x, y) > 0.f) return true;
    return false;
  };
  for (int k = 0; k < grow && r.y0 > 0 && row_has_ink(r.y0 - 1, r.x0 - 1, r.x1 + 1); ++k) --r.y0;
  for (int k = 0; k < grow && r.y1 < H && row_has_ink(r.y1, r.x0 - 1, r.x1 + 1); ++k) ++r.y1;
  for (int k = 0; k < grow && r.x0 > 0 && col_has_ink(r.x0 - 1, r.y0, r.y1); ++k) --r.x0;
  for (int k = 0; k < grow && r.x1 < W && col_has_ink(r.x1, r.y0, r.y1); ++k) ++r.x1;
  return r;
}

}  // namespace gd
