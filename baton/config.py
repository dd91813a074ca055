"""Settings from the environment (and a .env file), one place for every process."""

import shutil
import sys
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    temporal_address: str = Field("localhost:7233", validation_alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field("default", validation_alias="TEMPORAL_NAMESPACE")
    task_queue: str = Field("baton", validation_alias="BATON_TASK_QUEUE")
    temporal_ui_url: str = Field("http://localhost:8233", validation_alias="TEMPORAL_UI_URL")
    home: Path = Field(Path(".baton"), validation_alias="BATON_HOME")
    playbooks_dir: Path | None = Field(None, validation_alias="BATON_PLAYBOOKS_DIR")
    people_file: Path | None = Field(None, validation_alias="BATON_PEOPLE_FILE")
    dev_port: int = Field(7233, validation_alias="BATON_TEMPORAL_PORT")
    dev_ui_port: int = Field(8233, validation_alias="BATON_TEMPORAL_UI_PORT")

    def workflow_url(self, workflow_id: str) -> str:
        """Where a project's run is in the Temporal Web UI."""
        base = self.temporal_ui_url.rstrip("/")
        return f"{base}/namespaces/{self.temporal_namespace}/workflows/{workflow_id}"


def installed_binary(name: str) -> str | None:
    """A program installed with Baton's packages (temporal, temporal-test-server), found
    on PATH or beside the running Python when the virtualenv is not activated."""
    beside = Path(sys.executable).parent / name
    return shutil.which(name) or (str(beside) if beside.exists() else None)
