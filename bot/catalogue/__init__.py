"""/catalogue: the shop's goods and services (browse for everyone, manage for the owner)."""
