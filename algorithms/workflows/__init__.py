"""Toolbox group Workflows: one algorithm per module."""
