"""`baton report`, `baton recalibrate`, `baton forecast`: what history says about the
playbooks and the projects running now (the same service layer as the API and the
dashboard: `starters.client.insight`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from baton.errors import Invalid
from baton.insight import MIN_SAMPLES
from baton.wording import when
from starters.charts import FORMATS
from starters.cli.common import JsonFlag, ProjectArg, parse_date, write_file
from starters.cli.connections import with_client_and_store, with_store
from starters.cli.output import console, date_column, errors, print_json

if TYPE_CHECKING:  # the service layer (the store, numpy) comes with the command that runs
    from baton.insight.forecast import Forecast
    from baton.insight.recalibrate import Recalibration
    from baton.insight.report import Report

app = typer.Typer()
PANEL = "Learning from history"
NO_HISTORY = (
    "import past projects with `baton history import FILE.csv`, or try `baton demo history`"
)
MinSamples = Annotated[
    int,
    typer.Option(
        "--min-samples",
        help="Fewer past runs than this (of a person, of a step) do not count alone.",
    ),
]
Plot = Annotated[
    Path | None, typer.Option("--plot", help="Also draw a chart to FILE.svg or FILE.png.")
]


@app.command(rich_help_panel=PANEL)
def report(
    playbook: Annotated[
        str | None, typer.Option("--playbook", help="Only this playbook (default: all).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only runs finished from this day (YYYY-MM-DD).")
    ] = None,
    json: JsonFlag = False,
    plot: Plot = None,
) -> None:
    """Where deadlines slipped: steps, people, roles, where the days went.

    Also the bottlenecks and the crowded weeks; --plot draws the slips and the days."""
    from baton.store.playbooks import PlaybookRepo
    from starters.charts import report_chart
    from starters.client.insight import report_with_runs

    fmt = _chart_format(plot, "--plot")
    start = parse_date(since, "--since") if since else None

    async def run(pool):
        built, runs = await report_with_runs(pool, playbook, start)
        names = {row["id"]: row["name"] for row in await PlaybookRepo(pool).list_latest()}
        return built, runs, names

    built, runs, names = with_store(run)
    if plot and fmt:
        write_file(plot, report_chart(built, runs, fmt), "--plot")
    if json:
        print_json(built)
        return
    _print_report(built, names)
    if plot:
        console.print(f"Chart written to {escape(str(plot))}.", highlight=False)


@app.command(rich_help_panel=PANEL)
def recalibrate(
    playbook: Annotated[str, typer.Argument(help="The playbook's id.")],
    quantile: Annotated[
        float,
        typer.Option(
            "--quantile", help="How many past runs each window should fit (0.8: 80 in 100)."
        ),
    ] = 0.8,
    min_samples: MinSamples = MIN_SAMPLES,
    json: JsonFlag = False,
    publish: Annotated[
        bool, typer.Option("--publish", help="Publish the proposal as the next version.")
    ] = False,
) -> None:
    """Better dues from history: each step's window, proposed.

    --publish makes the proposal the playbook's next version; projects already running
    keep theirs."""
    from starters.client.insight import publish_recalibration, recalibration_for

    if not 0 < quantile < 1:
        raise Invalid(
            f"--quantile {quantile:g}: give a share between 0 and 1, like 0.8 (a window that "
            "80 in 100 past runs fit)",
            field="--quantile",
        )
    _check_min_samples(min_samples)

    async def run(pool) -> tuple[Recalibration, int | None]:
        proposal = await recalibration_for(pool, playbook, quantile, min_samples)
        version = await publish_recalibration(pool, proposal) if publish else None
        return proposal, version

    proposal, version = with_store(run)
    if json:
        print_json(proposal)
    else:
        _print_recalibration(proposal)
    if version is None:
        return
    say = errors.print if json else console.print  # never mixed into JSON
    if proposal.version is None or version > proposal.version:  # None: bundled, unpublished
        say(
            f"Published {proposal.playbook} version {version}; new projects use it, running "
            "ones keep theirs.",
            highlight=False,
        )
    else:
        say(
            f"Nothing new to publish: the proposal is {proposal.playbook} version {version} "
            "as it stands.",
            highlight=False,
        )


@app.command(rich_help_panel=PANEL)
def forecast(
    project: ProjectArg,
    json: JsonFlag = False,
    min_samples: MinSamples = MIN_SAMPLES,
    plot: Plot = None,
) -> None:
    """Will the project finish on time? Its odds, and when it will likely finish.

    A simulation of the steps still to do, each drawn from its history (the owner's,
    else the step's, else its window)."""
    from starters.charts import forecast_chart
    from starters.client.insight import forecast_for

    fmt = _chart_format(plot, "--plot")
    _check_min_samples(min_samples)
    outlook = with_client_and_store(
        lambda temporal, pool: forecast_for(temporal, pool, project, min_samples)
    )
    if plot and fmt:
        write_file(plot, forecast_chart(outlook, fmt), "--plot")
    if json:
        print_json(outlook)
        return
    _print_forecast(outlook)
    if plot:
        console.print(f"Chart written to {escape(str(plot))}.", highlight=False)


def _chart_format(path: Path | None, flag: str) -> str | None:
    """The chart format a file's name asks for (svg or png)."""
    if path is None:
        return None
    fmt = path.suffix.lower().removeprefix(".")
    if fmt not in FORMATS:
        raise Invalid(f"{flag} {str(path)!r}: name the file .svg or .png", field=flag)
    return fmt


def _check_min_samples(min_samples: int) -> None:
    if min_samples < 0:
        raise Invalid(
            f"--min-samples {min_samples}: give 0 or more (0: any history counts)",
            field="--min-samples",
        )


def _days(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    shown = round(value, 1) + 0.0  # never "-0.0d"
    return f"{shown:+.1f}d" if signed else f"{shown:.1f}d"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _print_report(report: Report, names: dict[str, str]) -> None:
    title = escape(names.get(report.playbook, report.playbook)) if report.playbook else ""
    since = f" since {report.since:%Y-%m-%d}" if report.since else ""
    if not report.projects:
        of = f"of {title} " if title else ""
        console.print(f"No history {of}yet{since}: {NO_HISTORY}.", highlight=False)
        return
    plural = "project" if report.projects == 1 else "projects"
    console.print(
        f"[bold]{title or 'All playbooks'}[/]: {report.projects} {plural}{since}", highlight=False
    )
    several = report.playbook is None

    def step_name(playbook: str | None, step: str) -> str:
        return f"{playbook}: {step}" if several and playbook else step

    steps = Table("step", "runs", "on time", "median late", "p80 late", "median cycle",
                  "rework", title="Steps")  # fmt: skip
    for row in report.steps:
        steps.add_row(
            step_name(row.playbook, row.step), str(row.samples), _share(row.on_time_rate),
            _days(row.median_late_days, True), _days(row.p80_late_days, True),
            _days(row.median_cycle_days), str(row.rework_rounds),
        )  # fmt: skip
    console.print(steps)
    people = [(row.person, row) for row in report.people]
    roles = [(row.role, row) for row in report.roles]
    for who, title, rows in (("person", "People", people), ("role", "Roles", roles)):
        table = Table(who, "runs", "on time", "median late", title=title)
        for name, row in rows:
            table.add_row(name, str(row.samples), _share(row.on_time_rate),
                          _days(row.median_late_days, True))  # fmt: skip
        if rows:
            console.print(table)
    went = Table("step", "working", "waiting", "approval queue", "rework",
                 title="Where the days went (mean per project)")  # fmt: skip
    for row in report.where_the_days_went:
        went.add_row(step_name(row.playbook, row.step), _days(row.working_days),
                     _days(row.waiting_days), _days(row.approval_queue_days),
                     _days(row.rework_days))  # fmt: skip
    if report.where_the_days_went:
        console.print(went)
    if report.bottlenecks:
        table = Table("step", "days late in all", title="Bottlenecks")
        for row in report.bottlenecks:
            table.add_row(step_name(row.playbook, row.step), _days(row.late_days_total))
        console.print(table)
    if report.crowded_weeks:
        table = Table("person", "week", "dues", title="Crowded weeks")
        for row in report.crowded_weeks:
            table.add_row(row.person, row.week, str(row.dues))
        console.print(table)


def _print_recalibration(proposal: Recalibration) -> None:
    version = f" version {proposal.version}" if proposal.version else ""
    console.print(
        f"[bold]{proposal.playbook}[/]{version}: each window fitting {proposal.quantile:.0%} "
        f"of past runs (a step with fewer than {proposal.min_samples} runs keeps its window)",
        highlight=False,
    )
    q = f"p{proposal.quantile * 100:g} cycle"
    table = Table("step", "runs", "median cycle", q, "window now -> proposed",
                  "due now -> proposed")  # fmt: skip
    for step in proposal.steps:
        window = f"{step.current_window_days:g}d -> {step.proposed_window_days:g}d"
        due = f"{step.current_due} -> {step.proposed_due}" if step.current_due else "-"
        if not step.current_due and step.proposed_estimate:
            due = f"(estimate {step.proposed_estimate})"
        changed = step.proposed_window_days != step.current_window_days or (
            step.current_due != step.proposed_due
        )
        table.add_row(
            step.step, str(step.samples), _days(step.median_cycle_days),
            _days(step.quantile_cycle_days), f"[bold]{window}[/]" if changed else window, due,
        )  # fmt: skip
    console.print(table)
    lead = proposal.lead_days
    console.print(
        f"Lead time (earliest due to launch): {lead.current:g} days now -> "
        f"{lead.proposed:g} proposed.",
        highlight=False,
    )


def _print_forecast(outlook: Forecast) -> None:
    tz = getattr(outlook.p50_finish.tzinfo, "key", "UTC")
    deadline = when(outlook.deadline, tz) if outlook.deadline else "none (no step has a due)"
    console.print(
        f"[bold]{escape(outlook.project)}[/]: {outlook.p_on_time:.0%} likely on time "
        f"({outlook.samples} simulated runs)",
        highlight=False,
    )
    console.print(f"Deadline:        {deadline}", highlight=False)
    console.print(f"Finish (median): {when(outlook.p50_finish, tz)}", highlight=False)
    console.print(f"Finish (80%):    {when(outlook.p80_finish, tz)}", highlight=False)
    if outlook.steps:
        table = Table("step", date_column("start (median)"), date_column("finish (median)"),
                      "drawn from", title="Steps still to do")  # fmt: skip
        for step in outlook.steps:
            table.add_row(step.step, when(step.p50_start, tz), when(step.p50_finish, tz),
                          escape(outlook.basis.get(step.step, "")))  # fmt: skip
        console.print(table)
    if outlook.critical_steps:
        shares = ", ".join(f"{c.step} ({c.p_critical:.0%})" for c in outlook.critical_steps)
        console.print(f"Critical steps (how often each sets the finish): {shares}", highlight=False)
