"""Shared kits of the assignment: the exercise record, the probe plan, the judges, the reference's runs."""
