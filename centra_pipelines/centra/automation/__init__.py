"""What starts Centra syncs: schedules per data type, and sensors for webhooks, Centra's event
queue, order deltas and new markets. Frequencies come from centra_pipelines/config/sync.yaml."""
