"""The shipped question bank: coverage, citations, validation errors that name file/id/field, placeholders."""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from evaluator.errors import CatalogError, InputError
from evaluator.findings import STATUSES
from evaluator.procurement.bank import load_bank, render_text
from evaluator.procurement.facts import FACTS, build_facts, fmt_count, fmt_gib, nest, snapshot_facts
from evaluator.resources import data_path
from tests.factories import make_snapshot
from tests.questionnaire_support import FACT_SETTERS, bank_fleet, evaluation_for

BANK = load_bank()

# Domains the bank must cover (task scope), by code.
REQUIRED_DOMAINS = {
    "CPS": "control-plane scale and etcd",
    "NET": "NetworkPolicy and dataplane",
    "IPS": "networking and IP space",
    "LCM": "upgrades and version support",
    "CPA": "control-plane access and flags",
    "OBS": "control-plane metrics and logs",
    "SLA": "reliability and SLA",
    "BAK": "backup and restore",
    "SEC": "security and identity",
    "SUP": "support",
    "COM": "cost and pricing",
    "EXIT": "exit and portability",
    "AUD": "audit and access rights",
    "LOC": "data location",
    "SUB": "sub-outsourcing",
    "INC": "incident reporting",
    "BCM": "business continuity",
    "CON": "concentration risk",
}

# Article/chapter references that the research notes (reference/procurement.md, section 3.1) mark as confirmed
# from the primary text. Anything else must name the framework only.
CONFIRMED_REFS = {
    "DORA Art. 19",
    "DORA Art. 28",  # exit-plan text confirmed; the paragraph number is not, so no paragraph is cited
    "DORA Art. 28(3)",
    "DORA Art. 29",
    "DORA Art. 30(1)",
    *(f"DORA Art. 30(2)({x})" for x in "abcdefgh"),
    "DORA Art. 30(3)(a)",
    "DORA Art. 30(3)(b)",
    "DORA Art. 30(3)(c)",
    "DORA Art. 30(3)(d)",
    "DORA Art. 30(3)(e)(i)",
    "PRA SS2/21 ch. 4",
    "PRA SS2/21 ch. 5",
    "PRA SS2/21 6.1",
    "PRA SS2/21 6.4",
    "PRA SS2/21 ch. 7",
    "PRA SS2/21 7.1-7.3",
    "PRA SS2/21 ch. 8",
    "PRA SS2/21 8.1",
    "PRA SS2/21 ch. 9",
    "PRA SS2/21 9.1",
    "PRA SS2/21 9.3-9.5",
    "PRA SS2/21 10.1",
    "PRA SS2/21 10.3-10.5",
    "PRA SS2/21 10.5",
    "PRA PS7/21 (systemic concentration risk)",
    "RTS (EU) 2024/1773 Art. 10",
    "ITS (EU) 2024/2956",
}
FRAMEWORKS_ONLY = {"DORA", "PRA SS2/21", "EBA GL 2019/02", "FCA FG16/5", "UK CTP regime", "RTS (EU) 2025/532"}


def test_shipped_bank_size_and_domains() -> None:
    assert len(BANK.questions) >= 60
    counts = Counter(q.domain for q in BANK.questions)
    for code in REQUIRED_DOMAINS:
        assert counts[code] >= 2, f"domain {code} ({REQUIRED_DOMAINS[code]}) has {counts[code]} questions"
    assert len(set(BANK.ids)) == len(BANK.ids)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", qid) for qid in BANK.ids)
    assert sum(q.gate for q in BANK.questions) >= 5
    assert {"yes_no_partial", "number", "text"} <= {q.answer_type for q in BANK.questions}


def test_bank_is_read_from_package_data() -> None:
    folder = data_path("questionnaires")
    assert BANK.files and all(f.startswith("questionnaires/") for f in BANK.files)
    assert (folder / "scale.yaml").is_file()


def test_regulatory_references_cite_articles_only_where_confirmed() -> None:
    for question in BANK.questions:
        for ref in question.regulatory:
            assert ref in CONFIRMED_REFS or ref in FRAMEWORKS_ONLY, f"{question.id}: unconfirmed citation {ref!r}"


def test_regulatory_topics_are_covered() -> None:
    regulatory = [q for q in BANK.questions if q.regulatory]
    cited = {ref for q in regulatory for ref in q.regulatory}
    for framework in ("DORA", "PRA SS2/21", "EBA GL 2019/02"):
        assert any(ref.startswith(framework) for ref in cited), framework


def test_bank_constraints_exist_in_catalog() -> None:
    loader = pytest.importorskip("evaluator.catalog.loader")
    catalog = loader.load_catalog()
    missing = sorted(set(BANK.referenced_constraints()) - set(catalog.ids))
    assert not missing, f"questions refer to constraint ids the catalog lacks: {missing}"
    load_bank(constraint_ids=catalog.ids)  # the same check through the loader


def test_questions_by_constraint() -> None:
    mapping = BANK.questions_by_constraint()
    assert "cps_etcd_capacity" in mapping["etcd_db_size"]
    assert "net_policy_scale" in mapping["network_policy_count"]


def test_catalog_check_names_question_and_field() -> None:
    with pytest.raises(
        CatalogError, match=r"^questionnaires/\w+\.yaml: [a-z_]+: constraints\[0\]: unknown constraint id"
    ):
        load_bank(constraint_ids=["nothing_here"])


def test_fact_keys_do_not_shadow_dict_methods() -> None:
    # Templates read facts as facts.a.b; a key named like a dict method (items, keys...) would resolve to it.
    for key in FACTS:
        for part in key.split("."):
            assert not hasattr({}, part), key


@pytest.mark.parametrize("key", sorted(FACT_SETTERS))
def test_fact_setters_round_trip(key: str) -> None:
    sample = FACTS[key].sample
    if isinstance(sample, list) and key not in ("networking.pod_cidrs", "networking.service_cidrs", "cloud.logging"):
        sample = sample[:1]
    snaps = FACT_SETTERS[key]([make_snapshot()], sample)
    got = snapshot_facts(snaps)[key]
    assert got == (pytest.approx(sample, rel=1e-4) if isinstance(sample, float) else sample)
    if key not in ("clusters.platforms",):  # a cluster always has a platform
        assert snapshot_facts(FACT_SETTERS[key]([make_snapshot()], None))[key] in (None, 0, [])


def test_every_placeholder_renders_for_a_full_fleet() -> None:
    fleet = bank_fleet()
    values = {f"findings.{cid}.status": "at-risk" for cid in BANK.referenced_constraints()}
    for vendor in ("eks", "gke", "self-hosted"):
        evaluation = evaluation_for({**values, "fit.blockers": 2, "fit.at_risk": 3}, vendor)
        facts = build_facts(fleet, evaluation, vendor, BANK.referenced_constraints())
        assert not [k for k in FACTS if facts[k] is None], "the full fleet measures every fact"
        for question in BANK.questions:
            text = render_text(question, facts, vendor)
            assert "not measured" not in text, (question.id, text)
            assert "{" not in text and "None" not in text.split(), (question.id, text)


def test_facts_over_a_fleet_use_max_sum_and_latest() -> None:
    fleet = bank_fleet()
    facts = snapshot_facts(fleet)
    assert facts["clusters.count"] == 2  # the history snapshot is not another cluster
    assert facts["nodes.count"] == 1500 and facts["nodes.total"] == 3000
    assert facts["network_policies.count"] == 8000 and facts["network_policies.total"] == 16000
    assert facts["etcd.db_size_bytes"] == 5_476_083_302
    assert facts["etcd.growth_bytes_per_month"] == pytest.approx(200_000_000)
    assert "--max-requests-inflight" in facts["control_plane.custom_flags"]
    assert "--secure-port" not in facts["control_plane.custom_flags"]  # installer plumbing is not custom
    assert facts["control_plane.admission_plugins"] == ["AlwaysPullImages", "EventRateLimit"]
    assert facts["cloud.support_types"] == ["EXTENDED"]
    assert fmt_gib(facts["etcd.db_size_bytes"]) == "5.1 GiB" and fmt_gib(4 * 1024**3) == "4 GiB"
    assert fmt_count(8000) == "8,000"
    assert nest({"a.b": 1, "a.c.d": 2}) == {"a": {"b": 1, "c": {"d": 2}}}


def test_findings_facts_take_the_worst_status_of_the_vendor_targets() -> None:
    evaluation = evaluation_for({"findings.etcd_db_size.status": "watch"}, "gke")
    # Add an Autopilot blocker: it counts for the gke vendor too.
    from dataclasses import replace

    autopilot = replace(evaluation.findings[0], target="gke-autopilot", status="blocker")
    evaluation = replace(evaluation, findings=[*evaluation.findings, autopilot])
    assert build_facts([make_snapshot()], evaluation, "gke")["findings.etcd_db_size.status"] == "blocker"
    assert build_facts([make_snapshot()], evaluation, "eks", ["etcd_db_size"])["findings.etcd_db_size.status"] is None
    assert build_facts([make_snapshot()], None, "eks", ["etcd_db_size"])["findings.etcd_db_size.status"] is None
    assert STATUSES[-1] == "blocker"


# ---------------------------------------------------------------------------------------------- bad banks

GOOD = {
    "id": "cps_etcd_capacity",
    "domain": "CPS",
    "title": "etcd capacity",
    "text": "Our etcd is {{ facts.etcd.db_size_bytes | gib }}. What is your limit?",
    "why": "A full etcd stops writes.",
    "trigger": {"any": [{"fact": "etcd.db_size_bytes", "op": "gte", "value": 4294967296}]},
    "evidence": ["Limit documentation"],
    "applies_to": ["any"],
    "regulatory": ["DORA Art. 30(3)(a)"],
    "answer_type": "number",
    "acceptance": {"op": "gte", "full": 16, "partial": 8},
    "weight": 3,
    "constraints": ["etcd_db_size"],
}


def _write_bank(tmp_path: Path, question: dict[str, Any], name: str = "scale.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"questions": [question]}, sort_keys=False), encoding="utf-8")
    return path


def test_a_good_user_bank_loads_with_shipped_domains(tmp_path: Path) -> None:
    bank = load_bank(_write_bank(tmp_path, GOOD))
    assert bank.ids == ["cps_etcd_capacity"]
    assert bank.domain_name("CPS") == "Control-plane scale and etcd"


BAD_CASES = [
    (
        "trigger.any[0].op must be one of",
        {"trigger": {"any": [{"fact": "etcd.db_size_bytes", "op": "bigger", "value": 1}]}},
    ),
    (
        "trigger.any[0].fact: unknown fact 'etcd.db_sise_bytes'",
        {"trigger": {"any": [{"fact": "etcd.db_sise_bytes", "op": "gte", "value": 1}]}},
    ),
    (
        "trigger.any[0].value must be a number",
        {"trigger": {"any": [{"fact": "etcd.db_size_bytes", "op": "gte", "value": "big"}]}},
    ),
    (
        "trigger.all[0].value must be one of ok, watch",
        {"trigger": {"all": [{"fact": "findings.etcd_db_size.status", "op": "gte", "value": "red"}]}},
    ),
    (
        "trigger.any[0].value must be a non-empty list",
        {"trigger": {"any": [{"fact": "networking.cni", "op": "in", "value": "calico"}]}},
    ),
    (
        "trigger.any[0].value must be omitted",
        {"trigger": {"any": [{"fact": "networking.cni", "op": "exists", "value": 1}]}},
    ),
    ("trigger: needs always", {"trigger": {}}),
    ("trigger.sometimes: unknown field", {"trigger": {"sometimes": True}}),
    ("weight must be 1 to 5", {"weight": 9}),
    ("weight: expected an integer", {"weight": "heavy"}),
    ("wieght: unknown field", {"wieght": 3}),
    ("answer_type must be one of", {"answer_type": "essay"}),
    ("domain 'ZZZ' is not declared", {"domain": "ZZZ"}),
    ("applies_to[0] must be one of", {"applies_to": ["aks"]}),
    ("id must be snake_case", {"id": "CPS-01"}),
    ("text: placeholder error", {"text": "Our etcd is {{ facts.etcd.db_sise_bytes | gib }}."}),
    ("text: template syntax error", {"text": "Our etcd is {{ facts.etcd.db_size_bytes | gib }."}),
    ("text: a placeholder prints a raw value", {"text": "Our etcd is {{ facts.etcd.db_size_bytes }} bytes."}),
    ("acceptance applies only to answer_type number", {"answer_type": "text"}),
    ("acceptance.partial must be easier", {"acceptance": {"op": "gte", "full": 8, "partial": 16}}),
    ("a text answer cannot be a gate", {"answer_type": "text", "acceptance": None, "gate": True}),
    ("pass_answers must list", {"answer_type": "yes_no_partial", "acceptance": None, "gate": True}),
    ("pass_answers is only meaningful", {"answer_type": "yes_no_partial", "acceptance": None, "pass_answers": ["yes"]}),
    ("constraints[0] must be a snake_case", {"constraints": ["Etcd Size"]}),
    ("title: expected a string", {"title": 12}),
    ("why: required field is missing", {"why": None}),
]


@pytest.mark.parametrize(("message", "change"), BAD_CASES, ids=[c[0].split()[0] for c in BAD_CASES])
def test_bad_field_names_file_id_and_field(tmp_path: Path, message: str, change: dict[str, Any]) -> None:
    question = {**GOOD, **change}
    question = {k: v for k, v in question.items() if v is not None}
    path = _write_bank(tmp_path, question)
    with pytest.raises(CatalogError) as info:
        load_bank(path)
    text = str(info.value)
    assert text.startswith(f"{path}: {question['id']}: "), text
    assert message in text, text


def test_duplicate_ids_and_bad_yaml(tmp_path: Path) -> None:
    _write_bank(tmp_path, GOOD, "a.yaml")
    _write_bank(tmp_path, GOOD, "b.yaml")
    with pytest.raises(CatalogError, match=r"b\.yaml: cps_etcd_capacity: id: duplicate \(first defined in .*a\.yaml\)"):
        load_bank(tmp_path)
    broken = tmp_path / "broken.yaml"
    broken.write_text(textwrap.dedent("questions:\n  - id: [unclosed\n"), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"broken\.yaml: not valid YAML at line"):
        load_bank(broken)
    with pytest.raises(InputError, match="not found"):
        load_bank(tmp_path / "missing.yaml")
