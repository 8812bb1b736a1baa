"""Processing algorithms: thin wrappers that read parameters, call ``core`` and style outputs."""
