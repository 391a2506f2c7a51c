"""/settings → Goods name: what an "amount only" receipt names as its goods."""
