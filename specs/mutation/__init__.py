"""Mutation testing of the features against the flows (``rpp mutate``)."""
