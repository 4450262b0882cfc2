"""Shared pytest fixtures: the ones defined in support modules that several test modules use."""

pytest_plugins = ["tests.eks_support"]  # moto_url: a moto server on a loopback port, one per module
