"""Toolbox group Mapping: one algorithm per module."""
