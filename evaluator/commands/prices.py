"""``k8seval prices refresh``: write a price table for one provider and region from the provider's price API."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from ..fileio import write_text
from ..scoring.pricing import table_document, table_from_data


@click.group(name="prices")
def command() -> None:
    """Price tables the cost comparison uses (shipped ones live in evaluator/scoring/prices/)."""


@command.command(name="refresh")
@click.option("--provider", type=click.Choice(["aws", "gcp"]), required=True, help="Whose price API to read.")
@click.option("--region", required=True, help="Region to price, e.g. eu-west-2 or europe-west2.")
@click.option(
    "-o", "--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Table YAML to write."
)
@click.option("--profile", help="AWS profile (aws only; default: the standard credential chain).")
@click.option(
    "--instance-type",
    "instance_types",
    multiple=True,
    help="Only these EC2 instance types (aws only, repeatable; default: every type the region sells).",
)
@click.option(
    "--endpoint",
    envvar="K8SEVAL_BILLING_ENDPOINT",
    help="Another Cloud Billing API endpoint (gcp only); plain http:// uses no credentials.",
)
def refresh(
    provider: str, region: str, out: Path, profile: str | None, instance_types: tuple[str, ...], endpoint: str | None
) -> None:
    """Read current prices from the AWS Price List API or the Cloud Billing Catalog API into a table.

    List the file under price_tables in a cost file (--costs) to use it; it replaces the shipped table of the
    same provider and region. Every price in it carries its source, the API it was read from and today's date.
    """
    if provider == "aws":
        from ..collectors.prices_aws import refresh_aws_prices

        doc = refresh_aws_prices(region, profile=profile, instance_types=list(instance_types) or None)
    else:
        from ..collectors.prices_gcp import refresh_gcp_prices

        doc = refresh_gcp_prices(region, endpoint=endpoint)
    table = table_from_data(doc, where=f"{provider} {region} price API")  # the same checks a user's file gets
    header = (
        f"# {provider} prices for {region}, read from the provider's price API on {table.read} by\n"
        f"#   k8seval prices refresh --provider {provider} --region {region} -o {out.name}\n"
    )
    write_text(out, header + yaml.safe_dump(table_document(table), sort_keys=False, width=120))
    click.echo(f"{out}: {len(table.compute)} machine prices, {len(table.items)} other prices ({provider} {region})")
