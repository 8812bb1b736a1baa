"""Toolbox group Modelling: one algorithm per module."""
