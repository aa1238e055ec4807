"""What a data-plane api-version has, read from its date (never from a `-preview` suffix: 2024-05-01-preview
has no pause, 2024-10-21 GA no DPO). Sources: Azure/azure-rest-api-specs
`specification/cognitiveservices/data-plane/AzureOpenAI/authoring/<stable|preview>/<version>/`, the same
table as the emulator's (emulator/api_versions.py, emulator/SOURCES.md "API versions").
"""

from __future__ import annotations

import re

# First version (by date) whose authoring spec documents each feature.
METHOD_FROM = "2025-02-01"  # `method` (DPO): preview/2025-02-01-preview/examples/post_finetuning_job.yaml
PAUSE_FROM = "2025-04-01"  # FineTuning_Pause / _Resume: preview/2025-04-01-preview/azureopenai.yaml
TRAINING_TYPE_FROM = "2025-04-01"  # `trainingType`: spec section 2 (2025-04-01-preview)
FILE_PAGING_FROM = "2025-04-01"  # Files_List `limit`/`after`/`order`: preview/2025-04-01-preview/azureopenai.yaml
# What preview-only calls need at the least (the newest of the firsts above).
PREVIEW_FEATURES_FROM = max(METHOD_FROM, PAUSE_FROM, TRAINING_TYPE_FROM)

_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})(-preview)?$")


def has(version: str, first: str) -> bool:
    """Whether `version` has a feature first documented in the version dated `first`. Undated versions
    (the v1 surface's `v1` / `preview`) have every feature: v1 serves the newest API."""
    dated = _DATED.match(version.strip())
    return dated is None or dated.group(1) >= first


def pages_files(version: str) -> bool:
    """Whether Files_List in this version takes `limit`/`after` (2024-10-21 takes only `purpose`)."""
    return has(version, FILE_PAGING_FROM)
