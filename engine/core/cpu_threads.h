#pragma once
// The --threads option of every program: 0 (OpenMP's default, all cores) or a count up to
// max_cpu_threads(). The bound exists because libgomp sizes per-team arrays on the stack, so
// --threads 100000 overflowed it; more threads than 4 per core only slow the CPU loops down, and
// the floor of 64 keeps a count copied from a large machine usable on a small one.
namespace gd {

int max_cpu_threads();  // max(64, 4 x std::thread::hardware_concurrency())

// Checks n against 0..max_cpu_threads() (ConfigError naming `option`, n and the bound) and, when
// n > 0, sets it as OpenMP's thread count.
void set_cpu_threads(int n, const char* option = "--threads");

}  // namespace gd
