"""`python -m centra_pipelines.webhooks` runs the receiver, like the `centra-webhooks` command."""

from centra_pipelines.webhooks.server import main

raise SystemExit(main())
