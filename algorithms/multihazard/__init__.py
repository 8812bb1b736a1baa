"""Toolbox group Multi-hazard: one algorithm per module."""
