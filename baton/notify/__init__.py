"""Notifications: messages rendered from templates (`render`), delivered through real
provider clients (`channels`). Domain code: no Temporal here. The `apply_effects`
activity renders a transition's messages into the outbox (`activities.messages`); the
outbox sender (`workers.sender`) delivers them."""
