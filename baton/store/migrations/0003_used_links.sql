-- One-click action links honoured, by nonce: a link works once even though it stays
-- valid until it expires. A row is written (in the transaction around the workflow
-- update) when the action was taken or refused by the workflow; `outcome` says which.
CREATE TABLE used_links (
    nonce       text PRIMARY KEY,
    person      text NOT NULL,
    workflow_id text NOT NULL,
    step_id     text NOT NULL,
    action      text NOT NULL,
    outcome     text,
    used_at     timestamptz NOT NULL DEFAULT now()
);
