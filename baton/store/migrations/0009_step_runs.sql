-- One row per run of a step (a rework round is a new run): what the reports,
-- recalibration and forecasts learn from. Live projects write it in the transaction that
-- records each transition; `baton history import` adds a team's past projects.
CREATE TABLE step_runs (
    id               bigserial PRIMARY KEY,
    project          text NOT NULL,
    playbook         text NOT NULL,
    playbook_version integer,
    step             text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('task', 'approval', 'decision')),
    owners           text[] NOT NULL,
    revision         integer NOT NULL CHECK (revision >= 1),
    activated_at     timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    finished_at      timestamptz NOT NULL,
    outcome          text NOT NULL CHECK (outcome IN ('done', 'skipped', 'cancelled')),
    reviews          jsonb NOT NULL DEFAULT '[]',
    source           text NOT NULL DEFAULT 'live' CHECK (source IN ('live', 'import', 'demo')),
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project, step, revision)
);
CREATE INDEX step_runs_playbook ON step_runs (playbook, finished_at);

-- The latest forecast of each running project (written with its effects), so task views
-- can show projected starts without running the simulation per page.
CREATE TABLE forecasts (
    workflow_id text PRIMARY KEY,
    transition  integer NOT NULL,
    forecast    jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
