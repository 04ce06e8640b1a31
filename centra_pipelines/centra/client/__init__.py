"""Client of Centra's GraphQL Integration API, as a Dagster resource.

from centra_pipelines.centra.client import CentraClient, ApiUsage, errors
"""

from centra_pipelines.centra.client import errors
from centra_pipelines.centra.client.resource import CentraClient
from centra_pipelines.centra.client.usage import ApiUsage

__all__ = ["ApiUsage", "CentraClient", "errors"]
