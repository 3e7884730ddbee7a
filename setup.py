"""Package discovery for the ``scolint`` namespace (metadata lives in pyproject.toml).

The repository keeps the user's top-level folders (engine/, plugins/, rules/, ...) while
everything installs under ``scolint.*``; setuptools' declarative ``find`` cannot add that
prefix, so every package below those folders is found here rather than listed by hand.
"""

from setuptools import find_namespace_packages, setup

TOP = ("engine", "plugins", "rules", "schemas", "reports")

# namespace discovery: the data folders (rule families, CSV profiles, portal templates...)
# are packages too, so that setuptools installs them as such, not as undeclared data
packages = [f"scolint.{name}" for name in find_namespace_packages(include=[f"{t}*" for t in TOP])
            if name.split(".")[0] in TOP and "__pycache__" not in name.split(".")]
# ``python -m scolint``: entrypoint/__main__.py becomes the module ``scolint.__main__``. entrypoint/ has no
# __init__.py: ``scolint`` stays a namespace package (rule packs add scolint.* packages).
setup(packages=["scolint", *packages], package_dir={"scolint": "entrypoint", **{f"scolint.{t}": t for t in TOP}})
