"""The kernel below every app: what all of them share and none of them owns."""
