"""The playbook pages: every playbook, and one playbook's flow, plan, versions and
recalibration."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
