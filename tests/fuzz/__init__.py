"""Fuzzing: hypothesis on every loader of what people write (the contract's messages,
playbooks, scenarios, people files) and schemathesis on the HTTP API. Never a
traceback, always a located error."""
