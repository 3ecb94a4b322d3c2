"""The hub's GraphQL surface: types, queries and error handling, with no business logic.

Resolvers reach the hub's services through ``info.context``, whose shape is declared by
the protocols in ``schema.context``.
"""

from schema.build import build_schema
from schema.context import HubContext, PartialError, PriorRecordLookup
from schema.errors import HubErrors, HubSchema

__all__ = ["HubContext", "HubErrors", "HubSchema", "PartialError", "PriorRecordLookup", "build_schema"]
