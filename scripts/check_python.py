"""Stop `make` early, with a clear message, on a Python the project does not support."""
import sys

if not (3, 11) <= sys.version_info[:2] <= (3, 13):
    sys.exit(f"CRM Server needs Python 3.11 to 3.13; this is {sys.version.split()[0]}. "
             "Run make with PYTHON=python3.12 (or another supported version).")
