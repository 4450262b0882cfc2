"""The report's sections: each module turns findings, snapshots and the catalog into the plain lists and
dicts one part of the report shows (:func:`evaluator.reporting.context.build_report_context` assembles them)."""
