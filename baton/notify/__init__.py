"""Notifications: messages rendered from templates (`render`), delivered through real
provider clients (`channels`). Domain code: no Temporal here; the delivery activity
wires these to the outbox."""
