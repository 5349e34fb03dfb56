"""Build of topo's optional compiled part (everything else is in pyproject.toml).

``topo._speedups`` (C) is a faster road to what two of topo's Python loops give. It is
optional: without a C compiler and Python's headers the install goes on, and topo runs the
same Python code it always has (``topo --version`` says which road is in use).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "topo._speedups",
            ["topo/_speedups.c"],
            optional=True,
            extra_compile_args=["-O2", "-Wall", "-Wno-unused-variable"],
        )
    ]
)
