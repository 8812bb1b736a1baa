"""Toolbox group Hierarchical NN: one algorithm per module."""
