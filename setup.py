"""Metadata is in setup.cfg; this only adds templates/ and static/ (top-level folders) as package data folders."""
from setuptools import find_packages, setup

setup(packages=find_packages(include=["crm_server", "crm_server.*"]) + ["crm_server.templates", "crm_server.static"])
