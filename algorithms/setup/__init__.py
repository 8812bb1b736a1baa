"""Toolbox group Set-up: one algorithm per module."""
