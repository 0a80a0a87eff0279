#pragma once
// Rendering an HTML report in headless Chromium for tests: one run that dumps the DOM after the
// page's scripts ran and takes a screenshot, plus helpers to read DOM attributes, the console lines
// Chromium logged, and pixels of the screenshot. Chromium comes from ./setup.sh (or $GD_CHROMIUM);
// tests FAIL with missing_chromium()'s message when it is absent, never skip silently.
#include <stb_image.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace gd::test {

inline std::string chromium_path() {
  const char* env = std::getenv("GD_CHROMIUM");
  return env ? env : "/usr/bin/chromium";
}

// Empty when Chromium is there; otherwise the failure message.
inline std::string missing_chromium() {
  if (access(chromium_path().c_str(), X_OK) == 0) return "";
  return "headless Chromium not found at " + chromium_path() +
         ": run ./setup.sh (it installs the distro's chromium), or set GD_CHROMIUM to a Chromium binary";
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream os;
  os << f.rdbuf();
  return os.str();
}

struct Rendered {
  int status = -1;
  std::string dom, log, screenshot;  // screenshot: path of the PNG
};

// One Chromium run over file://html with a width x height CSS-pixel window (device scale 1),
// killed after timeout_s: DOM dump, screenshot and log land in `dir` under names starting with `tag`.
inline Rendered render_in_chromium(const std::string& html, const TempDir& dir, const std::string& tag, int width,
                                   int height, int timeout_s = 90) {
  Rendered r;
  r.screenshot = dir.file(tag + ".png");
  const std::string cmd = "timeout " + std::to_string(timeout_s) + " " + chromium_path() +
                          " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                          " --disable-background-networking --disable-component-update --disable-sync"
                          " --hide-scrollbars --force-device-scale-factor=1 --virtual-time-budget=5000"
                          " --user-data-dir=" + dir.file(tag + "-profile") +
                          " --window-size=" + std::to_string(width) + "," + std::to_string(height) +
                          " --screenshot=" + r.screenshot + " --dump-dom --enable-logging=stderr --v=0 file://" + html +
                          " > " + dir.file(tag + ".dom") + " 2> " + dir.file(tag + ".log");
  r.status = std::system(cmd.c_str());
  r.dom = slurp(dir.file(tag + ".dom"));
  r.log = slurp(dir.file(tag + ".log"));
  return r;
}

// Value of attribute `name` on the first element at or after `from` carrying it, entities decoded;
// "<absent>" when there is none.
inline std::string attribute(const std::string& dom, const std::string& name, size_t from = 0) {
  const std::string key = " " + name + "=\"";
  const size_t a = dom.find(key, from);
  if (a == std::string::npos) return "<absent>";
  const size_t b = dom.find('"', a + key.size());
  std::string v = dom.substr(a + key.size(), b - a - key.size()), out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '&') {
      out += v[i];
      continue;
    }
    const size_t semi = v.find(';', i);
    const std::string ent = v.substr(i, semi - i + 1);
    out += ent == "&quot;" ? "\"" : ent == "&amp;" ? "&" : ent == "&lt;" ? "<" : ent == "&gt;" ? ">" : ent == "&#39;" ? "'" : ent;
    i = semi;
  }
  return out;
}

// Console lines Chromium logged for the page (console.log/error and uncaught exceptions).
inline std::string console_lines(const std::string& log) {
  std::istringstream is(log);
  std::string out;
  for (std::string line; std::getline(is, line);)
    if (line.find("CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos) out += line + "\n";
  return out;
}

// In a TEST: stop unless `r` (anything with setup_error, page (a Rendered) and shot (an Image))
// rendered into a screenshot `width` pixels wide.
#define GD_REQUIRE_RENDERED(r, width)                                    \
  ASSERT_EQ((r).setup_error, "");                                        \
  ASSERT_EQ((r).page.status, 0) << "chromium failed:\n" << (r).page.log; \
  ASSERT_EQ((r).shot.w, (width)) << "no usable screenshot at " << (r).page.screenshot

struct Image {
  int w = 0, h = 0;
  std::vector<uint8_t> rgb;
  const uint8_t* at(int x, int y) const { return rgb.data() + (static_cast<size_t>(y) * w + x) * 3; }
};

inline Image load_png(const std::string& path) {
  Image img;
  int c = 0;
  unsigned char* px = stbi_load(path.c_str(), &img.w, &img.h, &c, 3);
  if (!px) return img;
  img.rgb.assign(px, px + static_cast<size_t>(img.w) * img.h * 3);
  stbi_image_free(px);
  return img;
}

struct Rect {
  int x = 0, y = 0, w = 0, h = 0;
};

// Pixels of `r` (clipped to the image) for which pred(r, g, b) holds.
template <typename Pred>
int64_t count_pixels(const Image& img, const Rect& r, Pred pred) {
  int64_t n = 0;
  for (int y = std::max(r.y, 0); y < std::min(r.y + r.h, img.h); ++y)
    for (int x = std::max(r.x, 0); x < std::min(r.x + r.w, img.w); ++x) {
      const uint8_t* p = img.at(x, y);
      n += pred(p[0], p[1], p[2]) ? 1 : 0;
    }
  return n;
}

inline bool ink(int r, int g, int b) { return r < 230 || g < 230 || b < 230; }
inline auto near_color(int cr, int cg, int cb, int tol = 40) {
  return [=](int r, int g, int b) { return std::abs(r - cr) <= tol && std::abs(g - cg) <= tol && std::abs(b - cb) <= tol; };
}

}  // namespace gd::test
