"""The language's limits (docs/language.md, "Limits"): what `check` accepts."""

YEARS = (1900, 2200)  # `own A 2007`, year(2004), `reconcile x A 2006`
MAX_RANK = 1000  # best(K, GROUP): Norway has fewer than 400 municipalities
MAX_DECIMALS = 10  # `round N`
MAX_PUBLISHED_DECIMALS = 15  # a float carries 15 to 17 significant digits
# Every pass after `check` (evaluation, batch, explain, pickling for the cache) recurses
# through expressions; these keep them well inside Python's recursion limit (1000 frames):
# pickling a 330-deep expression and evaluating a 470-deep chain were the first to fail.
MAX_DEPTH = 200  # operations inside one another in one expression (a + b + c is 2 deep)
MAX_CHAIN = 300  # levels evaluation goes down through lets, derived indicators, measures, tables
