"""The people page: who is on which active steps, each person's load per week, time off;
admins import the directory."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
