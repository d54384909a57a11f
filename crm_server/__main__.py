"""`python -m crm_server ...` is the same as `crm-server ...`."""
from .cli import main

main()
