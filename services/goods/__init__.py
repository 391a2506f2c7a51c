"""What a receipt names as its goods when the cashier sold an amount only."""
