"""Toolbox group Data preparation: one algorithm per module."""
