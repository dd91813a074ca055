"""The workflow sandbox Baton's workers run workflows in.

Business-day playbooks (the newsletter) count public holidays with the `holidays`
package, which loads a country's year of holidays on first use: inside a workflow. Its
import (dateutil reads the clock) and its translation set-up (gettext calls
`locale.normalize`, a pure string lookup) trip the default sandbox, failing the
workflow task of every such project in a fresh worker. The dates are deterministic, so
`holidays` and `dateutil` pass through, and of `locale` only `normalize` is allowed."""

import dataclasses
import locale

from temporalio.worker.workflow_sandbox import (
    SandboxedWorkflowRunner,
    SandboxMatcher,
    SandboxRestrictions,
)

_LOCALE_CALLS = {
    name
    for name in locale.__all__
    if callable(getattr(locale, name)) and name not in ("normalize", "Error")
}


def workflow_runner() -> SandboxedWorkflowRunner:
    default = SandboxRestrictions.default.with_passthrough_modules("holidays", "dateutil")
    members = default.invalid_module_members.with_child_unrestricted("locale")
    members = members | SandboxMatcher.nested_child(["locale"], SandboxMatcher(use=_LOCALE_CALLS))
    return SandboxedWorkflowRunner(
        restrictions=dataclasses.replace(default, invalid_module_members=members)
    )
