"""Build hook: setuptools runs cffi's build of the C host (native/_build.py)."""
from setuptools import setup

setup(cffi_modules=["native/_build.py:ffibuilder"])
