"""Pure parsers of the files imports read: no Django, tested without a database.

Each returns neutral rows that know where they came from and row-level `Problem`s with a
reason code; `minka.indicators.imports` resolves, checks, writes and translates.
"""
