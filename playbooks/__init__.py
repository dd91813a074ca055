"""The bundled playbooks (YAML), shipped as package data: `baton.playbook.BUNDLED_DIR`
finds them wherever Baton is installed."""
