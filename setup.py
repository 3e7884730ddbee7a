"""Package discovery for the ``scolint`` namespace (metadata lives in pyproject.toml).

The repository keeps the user's top-level folders (engine/, plugins/, rules/, ...) while
everything installs under ``scolint.*``; setuptools' declarative ``find`` cannot add that
prefix, so every package below those folders is found here rather than listed by hand.
"""

from setuptools import find_packages, setup

TOP = ("engine", "plugins", "rules", "schemas", "reports")

packages = [f"scolint.{name}" for name in find_packages(include=[f"{t}*" for t in TOP])
            if name.split(".")[0] in TOP]
setup(packages=packages, package_dir={f"scolint.{t}": t for t in TOP})
