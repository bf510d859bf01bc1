"""Faust and aiokafka patches."""
