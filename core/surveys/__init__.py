"""Questionnaires to households: the yearly property-service survey and others."""
