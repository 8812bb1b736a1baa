"""Toolbox group Sampling: one algorithm per module."""
