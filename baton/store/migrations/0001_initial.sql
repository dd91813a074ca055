-- Baton's memory beside Temporal: people, playbook versions, the project index,
-- step events and the notification outbox (DESIGN.md section 5).

CREATE TABLE people (
    id            text PRIMARY KEY,
    name          text NOT NULL DEFAULT '',
    email         text,
    slack_id      text,
    timezone      text NOT NULL DEFAULT 'UTC',
    working_hours text NOT NULL DEFAULT '09:00-17:00',
    working_days  text NOT NULL DEFAULT 'mon-fri',
    manager       text,
    backup        text,
    time_off      jsonb NOT NULL DEFAULT '[]',
    is_admin      boolean NOT NULL DEFAULT false,
    token_hash    text UNIQUE,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE playbook_versions (
    playbook_id  text NOT NULL,
    version      integer NOT NULL,
    content_hash text NOT NULL,
    name         text NOT NULL,
    body         text NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (playbook_id, version),
    UNIQUE (playbook_id, content_hash)
);

CREATE TABLE projects (
    workflow_id      text PRIMARY KEY,
    name             text NOT NULL,
    playbook_id      text NOT NULL,
    playbook_version integer,
    project_manager  text NOT NULL,
    timezone         text NOT NULL DEFAULT 'UTC',
    launch_date      date,
    state            text NOT NULL DEFAULT 'active',
    started_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- One row per log entry of a transition: what happened and every message sent.
CREATE TABLE step_events (
    id          bigserial PRIMARY KEY,
    workflow_id text NOT NULL,
    transition  integer NOT NULL,
    seq         integer NOT NULL,
    at          timestamptz NOT NULL,
    type        text NOT NULL,
    step_id     text,
    recipient   text,
    actor       text,
    detail      text,
    revision    integer,
    planned_due timestamptz,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workflow_id, transition, seq)
);
CREATE INDEX step_events_project ON step_events (workflow_id, at);

-- Every message, per channel. `mailbox` rows are delivered when written.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    workflow_id     text NOT NULL,
    transition      integer NOT NULL,
    kind            text NOT NULL,
    step_id         text,
    recipient       text NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('email', 'slack', 'mailbox')),
    subject         text NOT NULL,
    body_text       text NOT NULL,
    body_html       text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    provider_id     text,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    read_at         timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_mailbox ON outbox (recipient, created_at) WHERE channel = 'mailbox';
