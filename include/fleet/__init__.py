"""The fleet's configuration, platform side: what each edge device should run, published through a
channel the devices poll (``channels``), and their acknowledgements (``rollout``).

A device's document: ``{"device_id", "config_version", "audio_url_enabled", "hotwords"}`` (the store's
catalog brands, as its speech hotwords). The device side is ``scout_edge.fleet``; the device reports the
version it runs in its heartbeat (``config_version``), which reaches silver_device_heartbeat and is
recorded in EdgeDeviceRegistry (ConfigAckVersion) as its acknowledgement.
"""
