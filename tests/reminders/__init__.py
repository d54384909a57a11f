"""Tests of the reminder centre, its jobs and the daily digest."""
