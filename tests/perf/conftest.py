"""The stand-in agency systems of the adapter contract suite, reused for the codec round trip."""

from tests.test_adapter_contract import stand_in_urls

__all__ = ["stand_in_urls"]
