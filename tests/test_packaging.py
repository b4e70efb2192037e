"""greenzone works as users install it.

Two checks:

* the runtime dependencies declared in ``pyproject.toml`` (``[project].dependencies``) are exactly the
  distributions greenzone's code imports (read with ``ast`` from every file under ``src/greenzone``), save
  the few used only indirectly (``INDIRECT``); modules that belong to an optional extra (``EXTRAS``) must be
  imported behind an ``ImportError`` guard and declared in that extra;
* the command line runs in an environment holding only the runtime distributions (the declared ones and
  what they require, as resolved from the metadata of this virtual environment), with no network: no
  pytest, no pypsa, no linopy there.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "greenzone"

EXTRAS: dict[str, tuple[str, str]] = {
    # module: (extra, distribution). Imported only inside ``try: ... except ImportError`` (or under
    # ``if TYPE_CHECKING:``), so a plain install works without them and says which extra to install.
    "pypsa": ("pypsa", "pypsa"),  # interop/pypsa.py (_import_pypsa) and `greenzone export-pypsa`
    "cdsapi": ("era5", "cdsapi"),  # weather/era5.py: get_era5 downloads through the CDS API
}

EXTRA_INDIRECT: dict[str, tuple[str, str]] = {
    # distribution: (extra, why it is declared though greenzone never imports it)
    "linopy": (
        "pypsa",
        "interop/pypsa.py's extra_functionality writes constraints through linopy's API on pypsa's n.model; "
        "the bound pins the API it uses",
    ),
}

INDIRECT: dict[str, str] = {
    # runtime distribution (PEP 503 name): why it is declared though greenzone never imports it
    "netcdf4": (
        "xarray's engine for every .nc file greenzone writes and reads (weather.nc, profiles.nc, plan.nc, "
        "adequacy.nc); xarray does not require it, and without it xarray falls back to scipy's NetCDF3 "
        "writer, which cannot store the run folder's variables"
    ),
    "pyarrow": (
        "pandas' Parquet engine for the sweep's catalog.parquet (sweep/catalog.py: DataFrame.to_parquet); pandas "
        "does not require it"
    ),
    "highspy-extras": (
        "the libraries (amd, blas, metis, rcm) that highspy loads for HiGHS's interior point HiPO; highspy does "
        "not require it, and without it the interior-point methods fall back to IPX"
    ),
}

DEV_ONLY = ("pytest", "_pytest", "pypsa", "linopy", "ruff")
"""Packages that must not be importable in the runtime-only environment."""


def canonical(name: str) -> str:
    """A distribution name normalised as PEP 503 says."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject() -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def declared_runtime() -> dict[str, Requirement]:
    """``[project].dependencies`` by canonical name."""
    reqs = [Requirement(r) for r in _pyproject()["project"]["dependencies"]]
    return {canonical(r.name): r for r in reqs}


def declared_extras() -> dict[str, set[str]]:
    """``[project.optional-dependencies]``: extra -> canonical distribution names."""
    extras = _pyproject()["project"].get("optional-dependencies", {})
    return {extra: {canonical(Requirement(r).name) for r in reqs} for extra, reqs in extras.items()}


# --- what the code imports ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    module: str
    """Top-level module name (``scipy`` for ``from scipy.sparse import csr_array``)."""
    where: str
    """``path:line`` relative to the repository."""
    guarded: bool
    """Inside the body of a ``try`` one of whose handlers catches ImportError or ModuleNotFoundError."""


_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


def _catches_import_error(handlers: list[ast.ExceptHandler]) -> bool:
    for handler in handlers:
        kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for kind in kinds:
            name = kind.id if isinstance(kind, ast.Name) else getattr(kind, "attr", None)
            if name in _IMPORT_ERRORS:
                return True
    return False


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_in(source: str, where: str = "<string>") -> list[Import]:
    """Every absolute import in ``source``, at module level or in functions, except ``TYPE_CHECKING`` ones."""
    found: list[Import] = []

    def visit(node: ast.AST, guarded: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(alias.name.split(".")[0], f"{where}:{node.lineno}", guarded))
            return
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                found.append(Import(node.module.split(".")[0], f"{where}:{node.lineno}", guarded))
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:  # the body only runs under a type checker
                visit(child, guarded)
            return
        if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            inner = guarded or _catches_import_error(node.handlers)
            for child in node.body:
                visit(child, inner)
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                visit(child, guarded)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, guarded)

    visit(ast.parse(source), False)
    return found


def third_party_imports() -> list[Import]:
    """Imports of greenzone's code that are neither the standard library nor greenzone itself."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        for imp in imports_in(path.read_text(encoding="utf-8"), where):
            if imp.module not in sys.stdlib_module_names and imp.module != "greenzone":
                found.append(imp)
    return found


def test_scanner_sees_function_level_imports_and_guards():
    source = textwrap.dedent(
        """
        from __future__ import annotations
        import numpy as np
        from scipy.sparse import csr_array
        from . import sibling
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import pypsa
        def f():
            try:
                import cdsapi
            except (OSError, ModuleNotFoundError):
                pass
            try:
                pass
            except Exception:
                import click
        """
    )
    got = {(i.module, i.guarded) for i in imports_in(source)}
    assert got == {
        ("__future__", False),
        ("numpy", False),
        ("scipy", False),
        ("typing", False),
        ("cdsapi", True),
        ("click", False),
    }


def _distributions_of(imports: list[Import]) -> tuple[dict[str, list[str]], list[str]]:
    """Runtime imports by the distribution providing them (canonical name -> where), and problems."""
    providers = metadata.packages_distributions()
    declared = set(declared_runtime())
    used: dict[str, list[str]] = {}
    problems = []
    for imp in imports:
        if imp.module in EXTRAS:
            continue
        dists = {canonical(d) for d in providers.get(imp.module, [])}
        if not dists:
            problems.append(
                f"{imp.where}: `import {imp.module}`: no installed distribution provides it; declare it "
                "in [project].dependencies, or in an extra (then guard the import and add it to EXTRAS here)"
            )
            continue
        dist = min(dists & declared or dists)  # a module several distributions provide: the declared one
        used.setdefault(dist, []).append(imp.where)
    return used, problems


def test_runtime_dependencies_are_what_the_code_imports():
    declared = set(declared_runtime())
    used, problems = _distributions_of(third_party_imports())
    for dist in sorted(set(used) - declared):
        problems.append(
            f"missing runtime dependency {dist!r}: imported at {', '.join(used[dist])} but not in "
            "pyproject's [project].dependencies (a transitive install is not a promise)"
        )
    for dist in sorted(declared - set(used) - set(INDIRECT)):
        problems.append(
            f"surplus runtime dependency {dist!r}: declared in [project].dependencies but imported nowhere "
            "under src/greenzone; remove it, or add it to INDIRECT in tests/test_packaging.py with the reason"
        )
    assert not problems, "\n".join(problems)


def test_indirect_dependencies_are_declared_and_not_imported():
    declared = set(declared_runtime())
    used, _ = _distributions_of(third_party_imports())
    for dist in INDIRECT:
        assert dist in declared, f"INDIRECT names {dist!r}, which pyproject does not declare: drop the entry"
        assert dist not in used, f"{dist!r} is imported at {used.get(dist)}: drop its INDIRECT entry"


def test_optional_imports_are_guarded_and_declared_in_their_extra():
    imports = third_party_imports()
    extras = declared_extras()
    problems = []
    for imp in imports:
        if imp.module in EXTRAS and not imp.guarded:
            extra = EXTRAS[imp.module][0]
            problems.append(
                f"{imp.where}: `import {imp.module}` is not inside try/except ImportError: a plain install "
                f"(without the {extra} extra) would fail with ModuleNotFoundError"
            )
    seen = {imp.module for imp in imports}
    for module, (extra, dist) in EXTRAS.items():
        if module not in seen:
            problems.append(f"EXTRAS names {module!r}, which src/greenzone no longer imports: drop the entry")
        if dist not in extras.get(extra, set()):
            problems.append(
                f"{module!r} is imported for the {extra!r} extra, which does not declare {dist!r}"
            )
        if dist in declared_runtime():
            problems.append(f"{dist!r} belongs to the {extra!r} extra but is declared a runtime dependency")
    assert not problems, "\n".join(problems)


def test_extras_declare_exactly_the_optional_imports():
    expected: dict[str, set[str]] = {}
    for extra, dist in [*EXTRAS.values(), *((e, d) for d, (e, _) in EXTRA_INDIRECT.items())]:
        expected.setdefault(extra, set()).add(dist)
    got = {extra: dists for extra, dists in declared_extras().items() if extra != "dev"}
    assert got == expected, (
        f"pyproject's extras (dev aside) {got} differ from the optional imports mapped in "
        f"tests/test_packaging.py (EXTRAS, EXTRA_INDIRECT) {expected}"
    )


# --- the command line with only the runtime distributions ---------------------------------------------


def runtime_distributions() -> dict[str, metadata.Distribution]:
    """The declared runtime distributions and everything they require (markers honoured, extras only where
    a requirement asks for them), as installed in this environment."""
    wanted: dict[str, set[str]] = {}
    todo = [(req, {""}) for req in declared_runtime().values()]
    found: dict[str, metadata.Distribution] = {}
    while todo:
        req, parent_extras = todo.pop()
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in parent_extras):
            continue
        name = canonical(req.name)
        extras = {""} | set(req.extras)
        if name in wanted and extras <= wanted[name]:
            continue
        wanted.setdefault(name, set()).update(extras)
        try:
            dist = found.setdefault(name, metadata.distribution(req.name))
        except metadata.PackageNotFoundError:
            pytest.fail(f"{req.name} (required at runtime) is not installed in {sys.prefix}: run `make test`")
        todo.extend((Requirement(r), set(wanted[name])) for r in dist.requires or [])
    return found


def _link_distributions(dists: dict[str, metadata.Distribution], site: Path) -> None:
    """Make ``dists`` importable from ``site`` by symbolic links to their installed files.

    A top-level entry (package, module, ``*.libs``, ``*.dist-info``) only one installed distribution owns is
    linked whole, so its compiled ``__pycache__`` comes along; a shared one (namespace packages) file by file.
    """
    owners: dict[tuple[Path, str], set[str]] = {}
    for dist in metadata.distributions():
        base, name = Path(dist.locate_file("")), canonical(dist.metadata["Name"])
        for top in {file.parts[0] for file in dist.files or [] if file.parts}:
            owners.setdefault((base, top), set()).add(name)
    for name, dist in dists.items():
        base = Path(dist.locate_file(""))
        for file in dist.files or []:
            if not file.parts or file.parts[0] == "..":  # scripts and data outside site-packages
                continue
            top = file.parts[0]
            if owners[(base, top)] == {name}:
                source, target = base / top, site / top
            else:
                source, target = base / file, site / file
            if target.is_symlink() or target.exists() or not source.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source)


@dataclass(frozen=True)
class RuntimeEnv:
    python: Path
    dists: frozenset[str]

    def run(self, code: str, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(COLUMNS="100", NO_COLOR="1", TERM="dumb")
        return subprocess.run(
            [str(self.python), "-I", "-c", code, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def greenzone(self, *args: str, cwd: Path) -> subprocess.CompletedProcess:
        """``greenzone ARGS`` as the console script ``greenzone = "greenzone.cli:main"`` runs it."""
        code = "import sys; sys.argv[0] = 'greenzone'; from greenzone.cli import main; sys.exit(main())"
        return self.run(code, *args, cwd=cwd)


@pytest.fixture(scope="module")
def runtime_env(tmp_path_factory) -> RuntimeEnv:
    """A fresh virtual environment that sees only the runtime distributions and greenzone's source."""
    scripts = _pyproject()["project"]["scripts"]
    assert scripts == {"greenzone": "greenzone.cli:main"}, "the smoke test runs greenzone.cli:main"
    root = tmp_path_factory.mktemp("runtime-env")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(
        subprocess.run(
            [str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    dists = runtime_distributions()
    _link_distributions(dists, site)
    (site / "greenzone-src.pth").write_text(f"{SRC}\n", encoding="utf-8")
    return RuntimeEnv(python, frozenset(dists))


@pytest.mark.slow
def test_runtime_env_has_no_dev_packages(runtime_env, tmp_path):
    absent = [m for m in DEV_ONLY if canonical(m) not in runtime_env.dists]
    if "click" not in runtime_env.dists:  # typer vendors click; it arrives only with dev tools (dask)
        absent.append("click")
    code = (
        "import importlib.util, json, sys; "
        "print(json.dumps({'found': [m for m in sys.argv[1:] if importlib.util.find_spec(m)], 'path': sys.path}))"
    )
    proc = runtime_env.run(code, *absent, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert not report["found"], f"dev-only packages importable in the runtime env: {report['found']}"
    assert not any(str(Path(sys.prefix)) in p for p in report["path"]), report["path"]
    proc = runtime_env.run("import pypsa", cwd=tmp_path)
    assert proc.returncode != 0 and "No module named 'pypsa'" in proc.stderr


@pytest.mark.slow
def test_every_module_imports_with_runtime_dependencies_only(runtime_env, tmp_path):
    code = textwrap.dedent(
        """
        import importlib, pkgutil, greenzone
        failed = []
        for mod in pkgutil.walk_packages(greenzone.__path__, "greenzone."):
            try:
                importlib.import_module(mod.name)
            except Exception as exc:
                failed.append(f"{mod.name}: {type(exc).__name__}: {exc}")
        print("\\n".join(failed))
        raise SystemExit(1 if failed else 0)
        """
    )
    proc = runtime_env.run(code, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_cli_help(runtime_env, tmp_path):
    proc = runtime_env.greenzone("--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Usage: greenzone" in proc.stdout
    for command in ("run", "validate"):
        assert command in proc.stdout


@pytest.mark.slow
def test_cli_usage_error_exits_2(runtime_env, tmp_path):
    proc = runtime_env.greenzone("run", "--no-such-option", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Usage: greenzone run" in proc.stderr
    assert "No such option" in proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.slow
def test_cli_validate_embedded_zone(runtime_env, tmp_path):
    proc = runtime_env.run(
        "from greenzone.zone import embedded_zone_path; print(embedded_zone_path())", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    zone = proc.stdout.strip()
    proc = runtime_env.greenzone("validate", zone, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_cli_run_48_hours(runtime_env, tmp_path):
    out = tmp_path / "run"
    proc = runtime_env.greenzone("run", "--hours", "48", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("zone.yaml", "weather.nc", "profiles.nc", "plan.nc", "kpis.json", "report.html"):
        assert (out / name).is_file(), f"{name} missing from the run folder"
    assert json.loads((out / "kpis.json").read_text())
