"""Toolbox group Reports: one algorithm per module."""
