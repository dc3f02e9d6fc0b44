"""Helpers shared by several test modules: worker processes, objective modules, YAML checks."""
