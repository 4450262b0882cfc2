"""Evidence rules of the shipped catalog data: where each limit's date comes from, and the version calendars."""

from __future__ import annotations

from datetime import date

import pytest

from evaluator.catalog.loader import load_catalog, load_data_yaml
from evaluator.findings import TARGETS

CATALOG = load_catalog()
# The catalog version is the date its sources were last reviewed as a whole (YYYY.MM.DD).
REVIEWED = date.fromisoformat(CATALOG.version.replace(".", "-"))
VERSIONS = load_data_yaml("versions.yaml")
CELLS = [(c.id, t) for c in CATALOG.constraints for t in TARGETS]


def _add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later (the EKS calendar never uses a day past the 28th)."""
    total = day.month - 1 + months
    return day.replace(year=day.year + total // 12, month=total % 12 + 1)


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@pytest.mark.parametrize(("constraint_id", "target"), CELLS)
def test_a_limit_dated_before_the_review_says_where_it_comes_from(constraint_id: str, target: str) -> None:
    # A verified date older than the catalog review means the cited page was not opened at that review;
    # the note must then name the earlier evidence (limits.md) or say it was not re-checked.
    # A date after the review is a later spot check of that one page (never in the future: the loader refuses it).
    limit = CATALOG.get(constraint_id).limits[target]
    checked = date.fromisoformat(limit.verified)
    assert checked <= date.today(), f"{constraint_id}.{target} verified in the future"
    if checked < REVIEWED:
        assert "limits.md" in limit.note or "not re-checked" in limit.note, (
            f"{constraint_id}.{target}: verified {limit.verified} but the note does not say where it comes from"
        )


@pytest.mark.parametrize(("constraint_id", "target"), CELLS)
def test_a_not_published_limit_carries_a_reason(constraint_id: str, target: str) -> None:
    limit = CATALOG.get(constraint_id).limits[target]
    if limit.kind == "not-published":
        assert limit.value is None
        assert len(limit.note) >= 10, f"{constraint_id}.{target}: not-published needs a note saying what was checked"


def test_version_sources_are_dated_and_cited() -> None:
    sources = VERSIONS["sources"]
    assert set(sources) == {"upstream", "eks", "gke"}
    for name, source in sources.items():
        assert str(source["url"]).startswith("https://"), name
        assert _as_date(source["verified"]) <= REVIEWED, name
        assert source["note"].strip(), name


@pytest.mark.parametrize("row", VERSIONS["minors"], ids=lambda row: str(row["minor"]))
def test_eks_dates_follow_the_published_14_plus_12_month_rule(row: dict) -> None:
    # EKS: standard support for 14 months from the EKS release, then 12 months of extended support.
    release, standard, extended = (_as_date(row[k]) for k in ("eks_release", "eks_standard_end", "eks_extended_end"))
    if standard is not None and release is not None:
        assert standard == _add_months(release, 14)
    if extended is not None:
        assert standard is not None, "an extended-support end needs the standard-support end"
        assert extended == _add_months(standard, 12)


@pytest.mark.parametrize("row", VERSIONS["minors"], ids=lambda row: str(row["minor"]))
def test_calendar_dates_are_in_order(row: dict) -> None:
    upstream, eks = _as_date(row["upstream_release"]), _as_date(row["eks_release"])
    if upstream is not None and eks is not None:
        assert upstream < eks, "EKS releases a minor after upstream does"
    regular, standard, extended = (_as_date(row[k]) for k in ("gke_regular", "gke_standard_end", "gke_extended_end"))
    if regular is not None and standard is not None:
        assert regular < standard
    if standard is not None and extended is not None:
        assert standard < extended


def test_newer_minors_leave_eks_support_later() -> None:
    # The months-left metrics bound a missing date by the next minor's, which assumes this order.
    rows = sorted(VERSIONS["minors"], key=lambda row: tuple(int(p) for p in str(row["minor"]).split(".")))
    for field in ("eks_standard_end", "eks_extended_end", "upstream_end"):
        dates = [d for d in (_as_date(row[field]) for row in rows) if d is not None]
        assert dates == sorted(dates), field
