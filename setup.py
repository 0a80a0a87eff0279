"""pip installs the Python module gpudigits by building it with the project's own CMake.

    python3 -m venv --system-site-packages ~/gd-env            # Debian's numpy, sklearn, setuptools
    ~/gd-env/bin/pip install --no-build-isolation --no-index .  # offline: Debian's setuptools, CMake, pybind11

Needs what ./setup.sh installs (CMake, Ninja, a C++ compiler, pybind11-dev, python3-dev, the engine's
libraries). GD_PIP_BUILD_DIR=DIR builds in an existing configured build folder (e.g. build/, where
./setup.sh configured the Python module) instead of a fresh one.
"""
import glob
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.environ.get("GD_PIP_BUILD_DIR")
        if build_dir:
            build_dir = os.path.abspath(build_dir)
            if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
                sys.exit(f"GD_PIP_BUILD_DIR={build_dir} is not a configured CMake build folder")
        else:
            build_dir = os.path.abspath(os.path.join(self.build_temp, "cmake"))
            subprocess.check_call(["cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                                   "-DGD_BUILD_TESTS=OFF", "-DGD_BUILD_BENCH=OFF", "-DGD_PYTHON=ON",
                                   f"-DPython3_EXECUTABLE={sys.executable}"])
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "gpudigits_python", "-j",
                               str(os.cpu_count() or 1)])
        built = glob.glob(os.path.join(build_dir, "python", "gpudigits", "_core*.so"))
        if len(built) != 1:
            sys.exit(f"expected one built _core module in {build_dir}/python/gpudigits, found {built}")
        dest = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(built[0], dest)


setup(
    name="gpudigits",
    version="0.1.0",
    description="GPU-accelerated handwritten-digit classification: train, tune, evaluate",
    package_dir={"": "python"},
    packages=["gpudigits"],
    ext_modules=[Extension("gpudigits._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    zip_safe=False,
)
