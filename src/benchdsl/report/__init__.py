"""Rendering only: every function here takes results and returns text."""
