"""Export of greenzone's planning problem to other tools.

:func:`to_pypsa` builds a PyPSA network (with an ``extra_functionality`` for the constraints PyPSA has no
component for) that solves to the optimum of docs/formulation.md; :func:`export_network` writes it as NetCDF.
PyPSA is optional: it is imported only when one of these functions is called.
"""

from greenzone.interop.pypsa import (
    PYPSA_MISSING,
    GreenzoneConstraints,
    export_network,
    greenzone_objective,
    to_pypsa,
)

__all__ = ["PYPSA_MISSING", "GreenzoneConstraints", "export_network", "greenzone_objective", "to_pypsa"]
