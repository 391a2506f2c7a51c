"""The receipt state machine."""
