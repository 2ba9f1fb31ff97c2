"""Prefetch templates, and fetching from the caller's FHIR server what the prefetch left out.

CDS Hooks makes prefetch a hint: a key may be omitted (not satisfied, or an error), present with
`null` (no data), an OperationOutcome (an error), or anything an EHR got wrong (an HTML error page,
cds-hooks/docs#5). What is missing is fetched from `fhirServer` with `fhirAuthorization`; what still
cannot be had makes the call fail with HTTP 412 (spec 2.0, "Prefetch Template").

A medication list may come in pages (the client MAY paginate, spec 2.0): the pages after the first are
fetched from `fhirServer` by the Bundle's `next` links, for a list prefetched as for one fetched, since
checking against part of the list would pass the rest unchecked in silence. The QTc search asks for the latest
only (`_sort=-date&_count=1`); one that a server says it did not sort (`_sort` left out of its `self` link), fetched
or prefetched, is read whole from `fhirServer`, every page, for the latest by date: its one result would be any QTc.
When it cannot be read so (no `fhirServer`, or the read fails), the latest of a prefetched one is taken, and the
cards say the search was not sorted (`Gathered.qtc_unsorted`). The QTc searches ask for valid readings only
(`status`); from a server that ignores that, a search whose one result is void (entered in error, cancelled) is read
whole from `fhirServer` for the valid QTcs before it; when they cannot be, the check goes without them and its cards
name the void one as a QTc not read (`Gathered.qtc_voided`), per search. The ECG panels' search (`qtcPanels`,
optional) that cannot be had, or that a server ran without its `component-code` (`_ignored`), is said
(`Gathered.missed`).

Orders and statements that name their medication only by a reference to a Medication resource the call does
not hold (Oracle Health, Epic) get it read from `fhirServer` too, once per distinct Medication, so that they
are checked by its code and strength rather than reported as naming no medication.
"""

from __future__ import annotations

import asyncio
import logging
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import httpx

from service import json_input
from service.auth import is_https_or_loopback
from service.cds_hooks.fhir_in import (
    LOINC,
    MEDICATION_ORDERS,
    MEDICATION_USES,
    QTC_CODES,
    Found,
    found_in,
    is_bundle,
    other_patient,
    voided_qtc,
)
from service.cds_hooks.wire import CdsRequest

log = logging.getLogger(__name__)

_QTC = ",".join(f"{LOINC}|{code}" for code in sorted(QTC_CODES))
_VALID = "&status=final,amended,corrected,preliminary"
"""The QTcs worth reading (R4 Observation `status`, a token: a comma is "or"), so that one recorded in error is never
the one result of a search for the latest; a server that ignores it is read past such a one (`voided_qtc`)."""
TEMPLATES = {
    "patient": "Patient/{{context.patientId}}",
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}&status=active,on-hold,draft",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}&status=active,intended,on-hold",
    "qtc": "Observation?patient={{context.patientId}}&code=" + _QTC + _VALID + "&_sort=-date&_count=1",
    "qtcPanels": "Observation?patient={{context.patientId}}&component-code=" + _QTC + _VALID
                 + "&_sort=-date&_count=1",
}
"""The prefetch of both services; the QTc by LOINC 8636-3 (QTc, method unspecified), 76634-5
(Fridericia) and 76635-2 (Bazett), as an Observation's code (`qtc`) or as a component of an ECG panel's
(`qtcPanels`: a `code` search does not find an Observation whose own code is the panel's), valid ones only."""
_SEARCHED: dict[str, frozenset[str]] = {"medicationRequests": MEDICATION_ORDERS,
                                       "medicationStatements": MEDICATION_USES, "qtc": frozenset({"Observation"}),
                                       "qtcPanels": frozenset({"Observation"})}
"""Key -> the kinds of resource its search returns (in R4, and in the STU3, DSTU2 and R5 names read), one of which a
prefetch may be sent as alone."""
REQUIRED = ("medicationRequests", "medicationStatements", "qtc")
"""What a check cannot go without: the medication list and the latest QTc (or knowing there is none)."""
OPTIONAL = ("qtcPanels",)
"""What is fetched when not prefetched, if there is a `fhirServer`, but goes without when it cannot be had (a server
without the `component-code` search): a QTc given as an ECG panel's component. The cards then say so, unless the EHR
neither sent the key nor gave a `fhirServer`: it then does without it on every call (README)."""
QTC_KEYS = ("qtc", "qtcPanels")
PAGED = frozenset({"medicationRequests", "medicationStatements"})
"""Keys whose every page counts; the QTc search asks for the latest only (`_count=1`, newest first)."""
MAX_PAGES = 20
"""Pages of one search followed at most; beyond, the list cannot be had whole (412)."""
WHOLE_SEARCH_COUNT = 1000
"""The page size asked of a QTc search read whole (`_count`): the server's default (often 10 or 20) would make a
patient's QTcs more than `MAX_PAGES` pages, and the call a 412. A server may give fewer."""
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
MAX_MEDICATIONS = 50
"""Distinct Medication resources read for one call at most; orders referencing more are left unresolved."""
READS_AT_ONCE = 10
"""Medication reads in flight at once for one call: a burst of 50 connections overflowed a test server's accept
queue (reads then timed out), and an EHR's server should not take such a burst per hook call either."""
_MEDICATION_READ = re.compile(r"^Medication/[A-Za-z0-9\-.]{1,64}(?:/_history/[A-Za-z0-9\-.]{1,64})?$")


class Deadline(NamedTuple):
    """When all the FHIR fetches of one hook call must have ended (the event loop's clock), and how long that is."""

    at: float
    seconds: float

    def missed(self) -> str:
        """Why what was still being fetched at the deadline could not be had."""
        return f"the FHIR server did not answer within the {self.seconds:g} s given to all fetches of a hook call"


class Gathered(NamedTuple):
    """What the check needs of the FHIR data, from the prefetch or fetched."""

    resources: dict[str, list[Found]]
    """Key -> its resources (empty when the caller says there are none), each with its path in the call
    (`prefetch.<key>...`; "" for what was fetched)."""
    qtc_unsorted: bool
    """The QTcs are those of a prefetched search that the EHR's server did not sort, which could not be read whole
    from `fhirServer`: the latest of them may not be the patient's latest."""
    qtc_voided: str
    """The prefetched QTcs are only void ones (`voided_qtc`, named here), and the valid ones before them could not be
    read from `fhirServer`; else ""."""
    missed: dict[str, str]
    """Key of `OPTIONAL` -> why it could not be had, fetched from `fhirServer` or prefetched (a server that ignored its
    `component-code`): the check went without it."""


class PreconditionFailedError(Exception):
    """Required data could not be had from the prefetch or the FHIR server (HTTP 412)."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.problems.items()))


async def gather(request: CdsRequest, patient_id: str, client: httpx.AsyncClient, deadline: Deadline) -> Gathered:
    """The resources of every required key, from the prefetch or else fetched.

    Args:
        request: the hook call.
        patient_id: the patient's FHIR id (already checked against the id syntax).
        client: the HTTP client to fetch with (its timeout applies to each request).
        deadline: when every fetch, each page included, must have ended.

    Raises:
        PreconditionFailedError: naming every key that could not be had, and why.
    """
    found: dict[str, list[Found]] = {}
    # Key -> the search to fetch (its template when not prefetched, the next page when prefetched in part, the whole
    # search when prefetched unsorted), and why.
    to_fetch: dict[str, tuple[str, str]] = {}
    # Key -> what was prefetched of a search fetched anew, whole: what is used if it cannot be.
    instead: dict[str, list[Found]] = {}
    voids: dict[str, str] = {}  # key of `instead` fetched anew because its latest QTc is void -> that QTc, named
    # Key of `OPTIONAL` -> why its prefetch is no answer to its search (the server ignored `component-code`).
    unsearched: dict[str, str] = {}
    prefetch = request.prefetch or {}
    server = request.fhirServer
    reachable = server is not None and is_https_or_loopback(server)
    for key in (*REQUIRED, *OPTIONAL):
        if key in prefetch and prefetch[key] is None:
            found[key] = []  # the client's way of saying "no data"
            continue
        value = prefetch.get(key)
        search = TEMPLATES[key].replace("{{context.patientId}}", patient_id)
        if not _usable(key, value):
            if key in REQUIRED or reachable or key in prefetch:
                # An optional key sent as an error (an OperationOutcome) is said when it cannot be fetched either.
                to_fetch[key] = search, ("the prefetch holds no search result" if key in prefetch
                                         else "not in the prefetch")
            else:
                found[key] = []  # neither sent nor to be had: the EHR does without it (README)
            continue
        found[key] = _listed(value, f"prefetch.{key}")  # with its OperationOutcomes, for `withheld`
        if stranger := _of_other_patient(found[key], patient_id):
            # Counted as this patient's, another's posaconazole reduced venetoclax: a list that holds another
            # patient's data is no answer to this patient's search, and may lack this patient's own.
            del found[key]
            to_fetch[key] = search, f"the prefetch holds {stranger}"
        elif isinstance(value, dict) and (ignored := _ignored(search, value)):
            found[key] = []  # the latest Observation of any kind, maybe: no answer to the search
            unsearched[key] = f"the EHR's server did not search by {ignored}"
        elif key in PAGED and (following := _link(value, "next")):
            to_fetch[key] = following, "the prefetch is one page of several"
        elif key in PAGED and (short := _short_of_total(value)):
            # The whole list replaces the part prefetched: added to it, each prefetched order was there twice
            # ("possible duplicate orders: MedicationRequest/ven-0 and MedicationRequest/ven-0"). What the server
            # gives is taken as it is, however short of its own total (HL7 PDDI-CDS's examples send total 3 with 1).
            found.pop(key)
            to_fetch[key] = search, short
        elif key not in PAGED and isinstance(value, dict) and _sort_ignored(search, value):
            instead[key] = found.pop(key)
            to_fetch[key] = _whole(search), "the prefetched search was not sorted by the EHR's server"
        elif key not in PAGED and (voided := voided_qtc(f.resource for f in found[key])):
            instead[key] = found.pop(key)
            voids[key] = voided
            to_fetch[key] = _whole(search), f"the prefetched latest QTc is void ({voided})"
    if server is None or not reachable:
        unreachable = "fhirServer is not https" if server else "no fhirServer to fetch it from"
        results: list[tuple[list[Found], str]] = [([], f"{why}, and {unreachable}") for _, why in to_fetch.values()]
    elif to_fetch:
        headers = _headers(request)
        try:
            async with asyncio.timeout_at(deadline.at):
                results = list(await asyncio.gather(*(_fetch(client, server, key, search, headers, patient_id)
                                                      for key, (search, _) in to_fetch.items())))
        except TimeoutError:
            results = [([], f"{why}, and {deadline.missed()}") for _, why in to_fetch.values()]
    else:
        results = []
    problems = {key: problem for key, (_, problem) in zip(to_fetch, results, strict=True)
                if problem and key not in instead}
    if any(key in REQUIRED for key in problems):
        raise PreconditionFailedError({key: problem for key, problem in problems.items() if key in REQUIRED})
    for key, (resources, problem) in zip(to_fetch, results, strict=True):
        found[key] = instead.get(key, []) if problem else [*found.get(key, []), *resources]
    fell_back = {key for key, (_, problem) in zip(to_fetch, results, strict=True) if key in instead and problem}
    # Per key: a void latest QTc hides the valid ones of its own search only, whatever the other search found.
    voided = "; ".join(voids[key] for key in QTC_KEYS if key in fell_back and key in voids)
    return Gathered(found, bool(fell_back - voids.keys()), voided, unsearched | problems)


async def medications(request: CdsRequest, references: Iterable[str], client: httpx.AsyncClient,
                      deadline: Deadline) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The Medication resources that orders reference but the call does not hold, read from `fhirServer`.

    Only with a fhirServer and a token: without them nothing is read, as before. Each distinct Medication is
    read once, `READS_AT_ONCE` at a time, at most `MAX_MEDICATIONS`; a relative reference against fhirServer,
    an absolute one only when it is on fhirServer (the caller's token goes nowhere else).

    Args:
        request: the hook call.
        references: the references as the orders write them (`Medication/123`, or an absolute URL).
        client: the HTTP client to fetch with (its timeout applies to each read).
        deadline: when every read must have ended; those still under way then could not be had.

    Returns:
        Reference -> its Medication, and reference -> why it could not be had.
    """
    server = request.fhirServer
    if not server or request.fhirAuthorization is None:
        return {}, {}
    wanted = dict.fromkeys(references)
    if not is_https_or_loopback(server):
        return {}, dict.fromkeys(wanted, "fhirServer is not https")
    base = server.rstrip("/")
    urls: dict[str, str] = {}
    problems: dict[str, str] = {}
    for reference in wanted:
        path = reference.removeprefix(f"{base}/")
        if _MEDICATION_READ.match(path):
            urls[reference] = f"{base}/{path}"
        else:
            problems[reference] = ("it is not on fhirServer" if "://" in path
                                   else "it is not a reference to a Medication by its id")
    distinct = list(dict.fromkeys(urls.values()))
    fetched = distinct[:MAX_MEDICATIONS]
    headers = _headers(request)
    in_flight = asyncio.Semaphore(READS_AT_ONCE)

    async def read(url: str) -> tuple[dict[str, Any] | None, str]:
        async with in_flight:
            return await _get(client, url, headers, "Medication")

    try:
        async with asyncio.timeout_at(deadline.at):
            results = dict(zip(fetched, await asyncio.gather(*(read(url) for url in fetched)), strict=True))
    except TimeoutError:
        results = dict.fromkeys(fetched, (None, deadline.missed()))
    found: dict[str, dict[str, Any]] = {}
    for reference, url in urls.items():
        medication, problem = results.get(url, (None, f"more than {MAX_MEDICATIONS} Medications to read in one call"))
        if medication is not None:
            found[reference] = medication
        else:
            problems[reference] = problem
    return found, problems


def _headers(request: CdsRequest) -> dict[str, str]:
    headers = {"Accept": "application/fhir+json, application/json"}
    if request.fhirAuthorization is not None:
        headers["Authorization"] = f"Bearer {request.fhirAuthorization.access_token}"
    return headers


def _usable(key: str, value: object) -> bool:
    """A search result worth reading for `key`: a Bundle, a resource list, or one resource of the kind it searches for.

    Not an OperationOutcome, a string or nothing; nor a resource of another kind (a `Parameters`), or a Bundle whose
    entries are Bundles (a batch-response holding the search): read as a list of resources, either was a list holding
    no medication, and venetoclax was checked without the posaconazole in it, in silence.
    """
    if isinstance(value, list):
        return True
    if not isinstance(value, dict):
        return False
    if is_bundle(value):
        entries = value.get("entry")
        return not (isinstance(entries, list) and any(
            isinstance(entry, dict) and isinstance(entry.get("resource"), dict) and is_bundle(entry["resource"])
            for entry in entries))
    return value.get("resourceType") in _SEARCHED[key]


def _short_of_total(value: object) -> str:
    """Why a prefetched Bundle holds less than its search found, when its `total` says more than it holds; else "".

    A searchset's `total` counts its matches (R4 Bundle.total): one that gives 5 but holds one order and no `next`
    link was checked as the whole list, the four others never seen. Its entries other than outcomes are counted
    (includes too, as a server may count them in `total`), so that none but a list that is short is refetched.
    """
    if not isinstance(value, dict) or not is_bundle(value):
        return ""
    total, entries = value.get("total"), value.get("entry")
    held = len([entry for entry in entries if isinstance(entry, dict) and not (
        isinstance(entry.get("search"), dict) and entry["search"].get("mode") == "outcome")]
               ) if isinstance(entries, list) else 0
    if not isinstance(total, int) or isinstance(total, bool) or total <= held:
        return ""
    return f"the prefetch holds {held} of the {total} results its total gives, with no link to the rest"


def _listed(value: object, at: str) -> list[Found]:
    """The resources of a search result (`found_in`), and an OperationOutcome saying how many of its entries hold none.

    An entry with no resource (a `fullUrl` alone, a `resource` that is no resource) is a result the server did not
    give: left out in silence, the posaconazole order it stood for was never seen and venetoclax was given in full.
    Said as an outcome of the search, it makes the list withheld in part (`withheld`), and the check incomplete.
    """
    found = found_in(value, at)
    entries = value.get("entry") if isinstance(value, dict) and is_bundle(value) else value
    if not isinstance(entries, list):
        return found
    empty = len(entries) - len(found)
    if empty > 0:
        said = f"{empty} of its {len(entries)} entries hold{'s' if empty == 1 else ''} no resource"
        found.append(Found(at, {"resourceType": "OperationOutcome",
                                "issue": [{"severity": "warning", "code": "incomplete", "diagnostics": said}]}))
    return found


def withheld(data: Mapping[str, list[Found]]) -> dict[str, str]:
    """Key -> what the EHR says it left out of that search: its OperationOutcome entries (`search.mode` outcome).

    An issue of severity information, or that says only that nothing matched (`not-found`, Epic's "Resource request
    returns no results"), withholds nothing; any other (access denied to some results, "additional data may be
    present") makes the list incomplete, and the check with it.
    """
    said: dict[str, str] = {}
    for key, found in data.items():
        outcomes = [f.resource for f in found if f.resource.get("resourceType") == "OperationOutcome"]
        texts = [_issue_text(issue) for outcome in outcomes
                 for issue in outcome.get("issue") or () if isinstance(issue, dict) and not _benign(issue)]
        if texts:
            said[key] = "; ".join(dict.fromkeys(texts))[:300]
    return said


# The whole text, not a phrase in it: a notice that results were withheld may also say "no results" of some.
_NO_RESULTS = re.compile(r"(?:(?:resource request|search|query) (?:returns?|returned) )?"
                         r"no (?:results?|match(?:es|ing)?(?: resources?)?)(?: (?:found|returned))?\W*", re.IGNORECASE)


def _issue_text(issue: Mapping[str, Any]) -> str:
    details = issue.get("details")
    text = details.get("text") if isinstance(details, dict) else None
    if not isinstance(text, str) and isinstance(details, dict):
        text = next((c.get("display") for c in details.get("coding") or () if isinstance(c, dict)
                     and isinstance(c.get("display"), str)), None)
    text = text if isinstance(text, str) else issue.get("diagnostics")
    return text.strip() if isinstance(text, str) and text.strip() else f"an issue of code {issue.get('code')!r}"


def _benign(issue: Mapping[str, Any]) -> bool:
    return (issue.get("severity") == "information" or issue.get("code") in ("informational", "not-found")
            or bool(_NO_RESULTS.fullmatch(_issue_text(issue))))


async def _fetch(client: httpx.AsyncClient, server: str, key: str, search: str,
                 headers: Mapping[str, str], patient_id: str) -> tuple[list[Found], str]:
    """(resources, "") or ([], why not), for a search relative to `server` or a next page's absolute URL.

    The pages after the first are followed for the keys of `PAGED`, on `server` only: a `next` link to
    another host would take the caller's token where it was not given for. An answer holding another patient's
    data than `patient_id`'s is none.
    """
    base = server.rstrip("/")
    url = search if search.startswith(("https:", "http:")) else f"{base}/{search}"
    resources: list[Found] = []
    paged = key in PAGED or "_sort" not in _parameters(url)  # a QTc search unsorted is read whole (`_whole`)
    for _ in range(MAX_PAGES):
        if not url.startswith(f"{base}/"):
            return [], "a next page of the search is not on fhirServer"
        document, problem = await _get(client, url, headers, "Bundle", key)
        if document is None:
            return [], problem
        if ignored := _ignored(url, document):
            return [], f"the FHIR server did not search by {ignored} (it is not in its self link)"
        if not paged and (_sort_ignored(url, document) or voided_qtc(f.resource for f in found_in(document, ""))):
            # The latest only (`_sort=-date&_count=1`) from a server that did not sort is some QTc, maybe years
            # old; one recorded in error hides the valid QTcs before it: every page is read instead, and the latest
            # found among them by its date.
            url, paged, resources = _whole(url), True, []
            continue
        page = _listed(document, "")
        if stranger := _of_other_patient(page, patient_id):
            return [], f"the FHIR server's answer holds {stranger}"
        resources += page
        url = _link(document, "next") if paged else ""
        if not url:
            return resources, ""
    return [], f"the search has more than {MAX_PAGES} pages"


def _of_other_patient(found: Iterable[Found], patient_id: str) -> str:
    """The first of `found` whose patient is another than `patient_id`, named with that patient; else ""."""
    for _, resource, _ in found:
        element, reference = other_patient(resource, patient_id)
        if element:
            return (f"{resource.get('resourceType')}/{resource.get('id') or '?'} of another patient than "
                    f"{patient_id} ({reference})")
    return ""


def _unused(url: str, bundle: Mapping[str, Any], names: tuple[str, ...]) -> str:
    """The first of `names` the search asked for that the server says it did not use, or "".

    A FHIR server returns the parameters it used in its `self` link (R4 Search, "Server Conformance"): one that
    does not support a parameter leaves it out. Without a `self` link, the search is taken as done as asked.
    """
    used = _link(bundle, "self")
    if not used:
        return ""
    asked, done = _parameters(url), _parameters(used)
    return next((name for name in names if name in asked and name not in done), "")


def _sort_ignored(url: str, bundle: Mapping[str, Any]) -> bool:
    """Whether a search asked to be sorted and the server says it was not."""
    return bool(_unused(url, bundle, ("_sort",)))


_REQUIRED_PARAMETERS = ("component-code",)
"""Search parameters without which a search answers something else: a lenient server that ignores `component-code`
returns the latest Observation of any kind, which is not the latest ECG panel."""


def _ignored(url: str, bundle: Mapping[str, Any]) -> str:
    """The parameter of `_REQUIRED_PARAMETERS` the search asked for that the server says it did not use, or ""."""
    return _unused(url, bundle, _REQUIRED_PARAMETERS)


def _parameters(url: str) -> set[str]:
    return {name for name, _ in urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)}


def _whole(url: str) -> str:
    """The search at `url` without its `_sort`, in pages of `WHOLE_SEARCH_COUNT`: all of its results."""
    parts = urllib.parse.urlsplit(url)
    kept = [(name, value) for name, value in urllib.parse.parse_qsl(parts.query) if name not in ("_sort", "_count")]
    kept.append(("_count", str(WHOLE_SEARCH_COUNT)))
    return parts._replace(query=urllib.parse.urlencode(kept, safe="|,:/")).geturl()


async def _get(client: httpx.AsyncClient, url: str, headers: Mapping[str, str], kind: str, what: str = "",
               ) -> tuple[dict[str, Any] | None, str]:
    """The resource of type `kind` at `url`, or (None, why not)."""
    try:
        response = await client.get(url, headers=dict(headers))
    except httpx.HTTPError as error:
        log.warning("fetch of %s failed: %s", what or kind, type(error).__name__)
        return None, f"the FHIR server could not be reached ({type(error).__name__})"
    if response.status_code != 200:
        return None, f"the FHIR server answered HTTP {response.status_code}"
    try:
        document = json_input.loads_standard(response.content)  # as httpx's `json()`, refusing repeated keys
    except json_input.JsonInputError as error:
        return None, f"the FHIR server's answer cannot be read: {error}"
    except ValueError:
        return None, "the FHIR server's answer is not JSON"
    if not isinstance(document, dict) or document.get("resourceType") != kind:
        return None, f"the FHIR server's answer is not a {kind}"
    return document, ""


def _link(bundle: object, relation: str) -> str:
    """The URL of a searchset Bundle's `link` of `relation` (`next`: its next page; `self`: the search done), or ""."""
    links = bundle.get("link") if isinstance(bundle, dict) else None
    if not isinstance(links, list):
        return ""
    return next((link["url"].strip() for link in links if isinstance(link, dict) and link.get("relation") == relation
                 and isinstance(link.get("url"), str) and link["url"].strip()), "")
