"""RecurringProject: what a Temporal Schedule starts at each occurrence of a recurring
project (a weekly newsletter). It starts that occurrence's MarketingProject as a child
that outlives it, and ends; a repeated occurrence (the same date again) starts nothing.
"""

from datetime import datetime

from temporalio import workflow
from temporalio.common import SearchAttributeKey, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from baton.recurring import Occurrence, RecurringSpec
    from workflows.project import MarketingProject

WORKFLOW_TYPE = "RecurringProject"
# Set by the server on every workflow a Schedule starts: the occurrence's nominal time
# (before jitter; the trigger time for a manual trigger).
SCHEDULED_AT = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


@workflow.defn(name=WORKFLOW_TYPE)
class RecurringProject:
    @workflow.run
    async def run(self, spec: RecurringSpec) -> Occurrence:
        """Start the project of the occurrence the Schedule meant (its date in the spec's
        time zone). A missed occurrence is made up with a Schedule backfill, which runs
        this with the missed time. (One parameter only: the SDK decodes arguments without
        their types when a start passes fewer than the run method declares.)"""
        request = spec.project_for(spec.occurrence_date(self.scheduled_at()))
        started = True
        try:
            await workflow.start_child_workflow(
                MarketingProject.run,
                args=[request, None, None],
                id=request.workflow_id,
                task_queue=workflow.info().task_queue,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                memo={"name": request.name},
                static_summary=f"{request.name} ({request.playbook})",
                static_details=f"Project manager: {request.project_manager}",
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("%s already exists; nothing to start", request.workflow_id)
            started = False
        return Occurrence(
            workflow_id=request.workflow_id, launch_date=request.launch_date, started=started
        )

    def scheduled_at(self) -> datetime:
        """When the Schedule meant this run to happen; now, for a run started by hand."""
        return workflow.info().typed_search_attributes.get(SCHEDULED_AT) or workflow.now()
