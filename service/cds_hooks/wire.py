"""The CDS Hooks 2.0 wire shapes, as pydantic models: they validate calls and document the OpenAPI.

Requests are read leniently (extra fields kept, the context and prefetch as free JSON, since their
FHIR content is read by `fhir_in`); responses are built strictly and serialised without nulls, as
the specification requires ("optional attributes without a value are omitted").
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

IssueCode = Literal["invalid", "structure", "required", "value", "security", "not-found", "not-supported",
                    "processing", "too-long", "exception"]
"""The FHIR IssueType codes the service answers with (http://hl7.org/fhir/issue-type)."""


class Issue(NamedTuple):
    """One thing wrong with a call, answered as an OperationOutcome issue."""

    code: IssueCode
    diagnostics: str
    expression: tuple[str, ...] = ()
    """Where it is: FHIRPath into the call (`context.patientId`) or into a resource of it
    (`MedicationRequest.dosageInstruction[0]...`), or `http.<Header>`; empty when it is nowhere in particular."""


def json_kind(value: object) -> str:
    """What a JSON value is, for messages: "an object", "an array", "null"..."""
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class FhirAuthorization(_In):
    """The caller's OAuth token for its FHIR server, for fetching what the prefetch left out."""

    access_token: Annotated[str, Field(min_length=1, max_length=8192)]
    token_type: str = "Bearer"
    expires_in: int | None = None
    scope: str | None = None
    subject: str | None = None
    patient: str | None = None


class CdsRequest(_In):
    """A hook call: which hook fired, where, and the context and prefetched data."""

    hook: Annotated[str, Field(min_length=1, max_length=200)]
    hookInstance: Annotated[str, Field(min_length=1, max_length=200)]  # noqa: N815 -- the spec's names
    fhirServer: Annotated[str, Field(max_length=2000)] | None = None  # noqa: N815
    fhirAuthorization: FhirAuthorization | None = None  # noqa: N815
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None
    extension: dict[str, Any] | None = None


class Coding(_Out):
    """A code with its system and display (overrideReasons need the display)."""

    system: str | None = None
    code: str
    display: str | None = None


class Source(_Out):
    """Where a card's advice comes from."""

    label: str
    url: str | None = None
    topic: Coding | None = None


class Action(_Out):
    """One change to the chart: `create` a new resource, `update` one (whole), `delete` one by id."""

    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None
    resourceId: str | None = None  # noqa: N815


class Suggestion(_Out):
    """A set of actions the clinician may accept together."""

    label: str
    uuid: str | None = None
    isRecommended: bool | None = None  # noqa: N815
    actions: list[Action] | None = None


class Link(_Out):
    """A link to read more."""

    label: str
    url: str
    type: Literal["absolute", "smart"] = "absolute"


class Card(_Out):
    """One piece of advice."""

    uuid: str | None = None
    summary: Annotated[str, Field(max_length=139)]
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None  # noqa: N815
    overrideReasons: list[Coding] | None = None  # noqa: N815
    links: list[Link] | None = None


class CdsResponse(_Out):
    """The answer to a hook call: `{"cards": []}` when there is nothing to say."""

    cards: list[Card]


class Service(_Out):
    """One service of the discovery document."""

    hook: str
    title: str | None = None
    description: str
    id: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None  # noqa: N815


class Discovery(_Out):
    """`GET /cds-services`."""

    services: list[Service]


class AcceptedSuggestion(_In):
    """A suggestion the clinician accepted, by its uuid."""

    id: Annotated[str, Field(min_length=1, max_length=200)]


class OverrideReasonIn(_In):
    """Why a card was overridden: one of the card's override reasons and an optional comment."""

    reason: dict[str, Any] | None = None
    userComment: Annotated[str, Field(max_length=2000)] | None = None  # noqa: N815


class FeedbackItem(_In):
    """What the clinician did with one card."""

    card: Annotated[str, Field(min_length=1, max_length=200)]
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None  # noqa: N815
    overrideReason: OverrideReasonIn | None = None  # noqa: N815
    outcomeTimestamp: Annotated[str, Field(min_length=1, max_length=64)]  # noqa: N815


class FeedbackRequest(_In):
    """`POST /cds-services/{id}/feedback`."""

    feedback: Annotated[list[FeedbackItem], Field(min_length=1, max_length=100)]


class Health(_Out):
    """A health probe's answer."""

    status: Literal["live", "ready", "not ready"]
    knowledgeBaseVersion: str | None = None  # noqa: N815
    knowledgeBaseHash: str | None = None  # noqa: N815
