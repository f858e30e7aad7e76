"""Scale definitions as pure code: the file schema, the loader and the scoring core.

Nothing in this package touches the database or HTTP, so the rules can be tested alone.
"""
