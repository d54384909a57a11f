"""Tests of the activity statistics."""
