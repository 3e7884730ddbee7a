"""``python -m scolint``: the same command as ``scolint``.

This file is the only module at the top of the ``scolint`` namespace (setup.py maps the
``entrypoint/`` folder to it, without an ``__init__.py``): ``scolint`` stays a namespace
package, so rule packs and plugins may add their own ``scolint.*`` packages.
"""

import sys

from scolint.engine.cli import console

if __name__ == "__main__":
    sys.exit(console())
