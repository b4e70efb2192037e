"""Planning: what to build, for one year or a pathway of investment periods.

One module per job, each imported by its own name (this package's namespace holds nothing, so importing one
module never loads the others):

- ``year``: ``plan()``, one year's plan, hourly or on typical days (storage linked), and the Plan dataset;
- ``decomposed``: the same plan hourly by temporal decomposition (``plan(..., decomposition=)``);
- ``typical_days``: the typical days (clustering, extreme days, ``expand`` back to the year);
- ``hourly_check``: a typical-day plan's fleet dispatched over every hour (``run --check``);
- ``aggregation_errors``: the measured typical-day errors of shipped zones, for the report;
- ``reliable``: ``plan_reliable()``, plan and adequacy iterated until the LOLE target holds;
- ``pathway``: ``pathway()``, perfect foresight, myopic or two-stage stochastic over the investment periods;
- ``pathway_output``: the Pathway dataset and its key figures.
"""
