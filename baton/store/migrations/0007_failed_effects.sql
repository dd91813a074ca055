-- Transitions whose effects PostgreSQL refused for their content (recording them again
-- cannot help): the project went on without them, the project manager was told, and the
-- reason is kept here.
CREATE TABLE failed_effects (
    workflow_id text NOT NULL,
    transition  integer NOT NULL,
    reason      text NOT NULL,
    entries     integer NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, transition)
);
