-- The project index's steps: each project's steps as its latest recorded transition
-- left them, written with that transition's effects (in the same transaction), so a
-- person's tasks and the projects board are one query each, not one status query per
-- open project. "Overdue" is not kept: readers derive it from the due.
CREATE TABLE project_steps (
    workflow_id       text NOT NULL,
    step_id           text NOT NULL,
    position          integer NOT NULL,             -- its place in the playbook
    name              text NOT NULL,
    kind              text NOT NULL,
    state             text NOT NULL,
    owners            text[] NOT NULL,
    due               timestamptz,
    revision          integer NOT NULL,
    after             text[] NOT NULL DEFAULT '{}',
    options           text[] NOT NULL DEFAULT '{}',  -- a decision's
    runs              boolean NOT NULL DEFAULT true, -- false: its condition is decided against
    started_at        timestamptz,
    finished_at       timestamptz,
    -- Folded in from the log entries, transition by transition:
    reviewed          text[] NOT NULL DEFAULT '{}',  -- an approval's reviewers this round
    approvers         text[] NOT NULL DEFAULT '{}',  -- and those of them who approved
    done_by           text,                          -- who last completed it or chose
    note              text,                          -- the latest note left on it
    link              text,                          -- and the latest link
    notes_known       boolean NOT NULL DEFAULT true, -- false: completed since the link was read
    sent_back_by      text,                          -- the rejection that sent this round back
    sent_back_because text,
    transition        integer NOT NULL,              -- the latest transition written here
    PRIMARY KEY (workflow_id, step_id)
);
-- "My tasks": the active steps a person owns.
CREATE INDEX project_steps_owners ON project_steps USING gin (owners) WHERE state = 'active';

-- Whether the index holds a project's steps since its start (true) or only since a
-- transition after it (false: started before this migration; it is read from its
-- workflow instead). NULL until its first transition is recorded with its steps.
ALTER TABLE projects ADD COLUMN steps_indexed boolean;
