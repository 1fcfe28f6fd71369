"""The newsroom's facts: a package by concept, re-exported here for imports and migrations."""

from .articles import ArticleCheck, ArticleUse, CmsClient, WebhookAttempt, WebhookDelivery
from .cards import (
    AUTHORED_FIELDS,
    CONTENT_FIELDS,
    REVISED_FIELDS,
    SUBSTANCE_FIELDS,
    FactCard,
    FactCardQuerySet,
    precision_problem,
)
from .citations import Citation
from .corrections import Correction
from .facets import CardFacet, FacetCount
from .fields import WebURLField, WebURLFormField, squash_space, web_url
from .intake import ArchivedCopy, Intake, LinkCheck, SuggestedDifference
from .locking import EDITABLE, LOCKED, EditConflict, WorkflowError
from .periodic import PeriodicRun
from .preferences import DeskPreference
from .publication import Publication, cached_by_publication
from .sources import Source
from .tags import Place, Tag, Topic
from .translations import CardTranslation

__all__ = [
    "CardTranslation",
    "ArchivedCopy",
    "Intake",
    "LinkCheck",
    "SuggestedDifference",
    "ArticleCheck",
    "ArticleUse",
    "CmsClient",
    "WebhookAttempt",
    "WebhookDelivery",
    "AUTHORED_FIELDS",
    "CONTENT_FIELDS",
    "EDITABLE",
    "LOCKED",
    "REVISED_FIELDS",
    "SUBSTANCE_FIELDS",
    "CardFacet",
    "Citation",
    "Correction",
    "DeskPreference",
    "EditConflict",
    "FactCard",
    "FactCardQuerySet",
    "FacetCount",
    "PeriodicRun",
    "Place",
    "Publication",
    "Source",
    "Tag",
    "Topic",
    "WebURLField",
    "WebURLFormField",
    "WorkflowError",
    "cached_by_publication",
    "precision_problem",
    "squash_space",
    "web_url",
]
