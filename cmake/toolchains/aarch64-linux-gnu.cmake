# Cross-building for 64-bit Arm on a Debian x86-64 machine, with Debian's packages:
#   dpkg --add-architecture arm64
#   apt-get install g++-aarch64-linux-gnu qemu-user-static libhwy-dev:arm64 ...
# The :arm64 libraries live in /usr/lib/aarch64-linux-gnu (multiarch); the programs run under
# qemu-aarch64-static (CTest through CMAKE_CROSSCOMPILING_EMULATOR), whose QEMU_CPU picks what
# the emulated CPU has and so which SIMD target Highway dispatches to (scripts/test-aarch64.sh).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static)
# Headers of every architecture share /usr/include; libraries and CMake packages are found in
# the arm64 multiarch folder, never the build machine's x86-64 one.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu)
