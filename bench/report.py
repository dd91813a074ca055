"""The bench's report: a table of every figure (Baton, its floor, the ratio, the target
and whether it is met), the history's events by type, and `bench/results.json` with the
machine it ran on and every run's value."""

import io
import json
import os
import platform
import pstats
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import temporalio
from rich.table import Table

from baton.config import installed_binary
from bench.figures import Figure
from bench.progress import console

RESULTS = Path(__file__).resolve().parent / "results.json"


def number(value: float | None) -> str:
    if value is None:
        return "-"
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def cell(median: float | None, runs: list[float], unit: str) -> str:
    if median is None:
        return "-"
    text = f"{number(median)} {unit}"
    if len(runs) > 1:
        text += "\n[dim]" + " · ".join(number(run) for run in runs) + "[/]"
    return text


def verdict(figure: Figure) -> str:
    if figure.error:
        return "[red]error[/]"
    return {True: "[green]met[/]", False: "[red]NOT met[/]", None: ""}[figure.met]


def table(figures: list[Figure]) -> Table:
    grid = Table(title="Baton next to bare Temporal (median of runs; each run below it)")
    for column in ("figure", "Baton", "bare / floor", "ratio", "target", "met?"):
        grid.add_column(column, justify="left" if column == "figure" else "right")
    for figure in figures:
        label = figure.label
        if figure.floor_label:
            label += f"\n[dim]floor: {figure.floor_label}[/]"
        if figure.error:
            label += f"\n[red]{figure.error[:200]}[/]"
        ratio = figure.ratio
        grid.add_row(
            label,
            cell(figure.value, figure.baton, figure.unit),
            cell(figure.floor_value, figure.floor, figure.unit),
            "-" if ratio is None else f"{ratio:.2f}x",
            figure.target.text(figure.unit) if figure.target else "",
            verdict(figure),
        )
    return grid


def breakdown_table(breakdown: dict[str, dict[str, float]]) -> Table:
    """Events per step by type, one column per history."""
    columns = list(breakdown)
    grid = Table(title="History events per step, by type")
    grid.add_column("event type")
    for column in columns:
        grid.add_column(column, justify="right")
    types = sorted({name for counts in breakdown.values() for name in counts})
    for name in types:
        grid.add_row(name, *(number(breakdown[c].get(name)) for c in columns))
    grid.add_row(
        "[bold]total[/]", *(f"[bold]{number(sum(breakdown[c].values()))}[/]" for c in columns)
    )
    return grid


def show(
    figures: list[Figure], breakdown: dict[str, dict[str, float]], profiles: dict[str, list[str]]
) -> None:
    console.print(table(figures))
    if breakdown:
        console.print(breakdown_table(breakdown))
    for history, kinds in profiles.items():
        console.print(f"[bold]{history}[/], its history cut by cause:")
        for line in kinds:
            console.print(f"  {line}", soft_wrap=True)


def profile(stats_file: Path, out: Path, top: int = 30) -> None:
    """A worker's cProfile stats as text: the functions it spent most time in (their own
    time, then with what they called); the first lines printed."""
    text = io.StringIO()
    stats = pstats.Stats(str(stats_file), stream=text)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    out.write_text(text.getvalue(), encoding="utf-8")
    console.print(f"[bold]Baton worker profile[/] (by own time; all of it in {out}):")
    lines = text.getvalue().splitlines()
    start = next((n for n, line in enumerate(lines) if "tottime" in line), 0)
    for line in lines[start : start + 16]:
        console.print(f"  {line}", soft_wrap=True, markup=False)


def machine() -> dict:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    temporal = installed_binary("temporal")
    version = ""
    if temporal:
        done = subprocess.run([temporal, "--version"], capture_output=True, text=True)
        version = done.stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "temporal_cli": version,
        "temporalio_sdk": temporalio.__version__,
        "load_average": os.getloadavg(),
    }


def write(
    figures: list[Figure],
    breakdown: dict[str, dict[str, float]],
    profiles: dict[str, list[str]],
    plan: dict,
    started: datetime,
    path: Path = RESULTS,
) -> None:
    finished = datetime.now(UTC)
    document = {
        "date": started.isoformat(timespec="seconds"),
        "duration_s": round((finished - started).total_seconds()),
        "machine": machine(),
        "plan": plan,
        "figures": {figure.key: figure.as_json() for figure in figures},
        "history_events_per_step_by_type": breakdown,
        "history_profiles": profiles,
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
