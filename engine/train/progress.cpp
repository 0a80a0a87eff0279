#include "engine/train/progress.h"

#include <unistd.h>

#include <cmath>

namespace gd {

ConsoleProgress::ConsoleProgress(std::FILE* out, bool quiet)
    : out_(out), live_(!quiet && isatty(fileno(out))), quiet_(quiet) {}

void ConsoleProgress::clear_bar() {
  if (bar_shown_) {
    std::fprintf(out_, "\r\033[2K");
    bar_shown_ = false;
  }
}

void ConsoleProgress::message(const std::string& line) {
  clear_bar();
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

void ConsoleProgress::batch(int epoch, int epochs, int64_t done, int64_t total, double loss, double acc) {
  if (!live_) return;
  constexpr int kWidth = 30;
  const int filled = total ? static_cast<int>(kWidth * done / total) : kWidth;
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
  bar[kWidth] = '\0';
  std::fprintf(out_, "\r\033[2Kepoch %d/%d [%s] %lld/%lld  loss %.4f  acc %.2f%%", epoch, epochs, bar,
               static_cast<long long>(done), static_cast<long long>(total), loss, 100.0 * acc);
  std::fflush(out_);
  bar_shown_ = true;
}

void ConsoleProgress::epoch_end(const EpochRecord& r, int epochs, bool best) {
  if (quiet_) return;
  clear_bar();
  char val[64] = "";
  if (!std::isnan(r.val_loss))
    std::snprintf(val, sizeof val, "  val_loss %.4f  val_acc %.2f%%", r.val_loss, 100.0 * r.val_accuracy);
  std::fprintf(out_, "epoch %*d/%d  loss %.4f  acc %.2f%%%s  lr %.3g  %.1fs  %.0f samples/s%s\n",
               epochs >= 10 ? 2 : 1, r.epoch, epochs, r.train_loss, 100.0 * r.train_accuracy, val, r.lr,
               r.seconds, r.samples_per_sec, best ? "  *" : "");
  std::fflush(out_);
}

}  // namespace gd
