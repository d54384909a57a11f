"""Read config.ini, upgrade the schema, start the background jobs and serve CRM Server with waitress.

    python run_server.py            # uses config.ini beside this file, or CRM_CONFIG
    python run_server.py --demo     # also loads demo data into an empty database
"""
import sys

from crm_server.cli import main

if __name__ == "__main__":
    main(["run", *sys.argv[1:]], prog_name="run_server.py")
