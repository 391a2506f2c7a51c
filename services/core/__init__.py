"""Small shared pieces: money, clock, encryption, contacts, Kyiv days, QR codes."""
