"""The fault suite: projects in flight on a real Temporal dev server, Baton's worker as its
own process, a PostgreSQL of the suite's own and the fake SendGrid, while the worker is
SIGKILLed, Temporal and PostgreSQL are stopped and started again and SendGrid answers
429/500 at random. It counts the faults, the projects and every email, and fails on a
lost email or one sent twice without a reason. `make test` runs a short version;
`make chaos` (BATON_CHAOS=long) the long one. BATON_CHAOS_SEED replays a run."""
