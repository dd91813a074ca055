-- Who did what to a recurring project's schedule, and when: Temporal keeps the schedule
-- itself; this keeps who created, paused, resumed, triggered or deleted it.
CREATE TABLE schedule_actions (
    id          bigserial PRIMARY KEY,
    schedule_id text NOT NULL,
    action      text NOT NULL CHECK (action IN ('create', 'pause', 'resume', 'trigger', 'delete')),
    actor       text NOT NULL,
    note        text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedule_actions_schedule ON schedule_actions (schedule_id, at);
