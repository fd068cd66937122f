"""bench/serving's baseline: the same serving app (same model loading, routes, body handling,
uvicorn settings) without the trace layer: no trace headers, no "trace" member in bodies, no
request log lines, and no trace read from the environment. Not for production: the real entry
point, ``python -m modeltrail_serving``, refuses to start without its trace."""

from __future__ import annotations

import os
import sys

import uvicorn

from modeltrail_serving.app import create_app
from modeltrail_serving.model_holder import ModelHolder
from modeltrail_serving.settings import ServingSettings

settings = ServingSettings.from_env(os.environ)
holder = ModelHolder(settings.model_dir)
holder.start()
app = create_app(holder, None, settings.max_body_bytes)
config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None, access_log=False, lifespan="off")
uvicorn.Server(config).run()
sys.exit(0 if holder.state == "ready" else 3)
