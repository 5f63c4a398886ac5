"""Builds clnn's C extension against libclnn, found with pkg-config: an installed clnn.pc, or
the uninstalled one of a build folder ($CLNN_BUILD_DIR, else ../build beside this folder), so
that `pip install ./python` works right after `meson compile -C build`. The extension is
linked to the shared library with its folder as the run path."""
import os
import shlex
import subprocess

from setuptools import Extension, setup

here = os.path.dirname(os.path.abspath(__file__))


def pkg_config(*args):
    env = dict(os.environ)
    build = os.environ.get("CLNN_BUILD_DIR", os.path.join(here, "..", "build"))
    uninstalled = os.path.join(build, "meson-uninstalled")
    names = ["clnn"]
    if os.path.isdir(uninstalled):
        env["PKG_CONFIG_PATH"] = uninstalled + os.pathsep + env.get("PKG_CONFIG_PATH", "")
        names = ["clnn-uninstalled", "clnn"]
    for name in names:
        p = subprocess.run(["pkg-config", *args, name], env=env, capture_output=True, text=True)
        if p.returncode == 0:
            return shlex.split(p.stdout)
    raise SystemExit("clnn: pkg-config finds no clnn.pc; build clnn first (meson setup build "
                     "&& meson compile -C build) or install it, or set CLNN_BUILD_DIR")


cflags = pkg_config("--cflags")
libs = pkg_config("--libs")
lib_dirs = [f[2:] for f in libs if f.startswith("-L")]
ext = Extension(
    "clnn._clnn",
    sources=["src/_clnnmodule.c"],
    include_dirs=[f[2:] for f in cflags if f.startswith("-I")],
    library_dirs=lib_dirs,
    libraries=[f[2:] for f in libs if f.startswith("-l")],
    runtime_library_dirs=lib_dirs,
    extra_compile_args=["-std=c11", "-Wall", "-Wextra"],
)
setup(ext_modules=[ext])
