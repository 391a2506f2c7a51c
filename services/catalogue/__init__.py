"""The shop's catalogue: item rules, CSV import and export, import from the register."""
